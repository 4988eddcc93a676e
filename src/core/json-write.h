/* Writing JSON text: strings escaped as RFC 8259 requires. */
#ifndef WARD_CORE_JSON_WRITE_H
#define WARD_CORE_JSON_WRITE_H

#include "core/buf.h"

/* ward__json_put_string: append s (n bytes) as a quoted JSON string. Bytes
 * that are not valid UTF-8 become U+FFFD, so the output is always valid JSON. */
void ward__json_put_string(struct ward__buf *b, const char *s, size_t n);

#endif
