/* Base64 (RFC 4648), as proto3's JSON mapping writes bytes fields. */
#ifndef WARD_CORE_BASE64_H
#define WARD_CORE_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ward__base64_encode: append the standard, padded encoding of data. */
void ward__base64_encode(struct ward__buf *out, const uint8_t *data, size_t n);

/* ward__base64_decode: append the bytes of text (n bytes), standard or URL-safe
 * alphabet, padding optional. Returns 0, or -EINVAL for any other character or
 * a bad length. */
int ward__base64_decode(struct ward__buf *out, const char *text, size_t n);

#endif
