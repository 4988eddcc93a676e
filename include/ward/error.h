/* ward/error.h: the error convention every ward function follows.
 *
 * Functions return an int: 0 or a positive count on success, -errno on failure
 * (kernel and systemd style). There is no private error space and no
 * thread-local "last error".
 */
#ifndef WARD_ERROR_H
#define WARD_ERROR_H

#include <ward/api.h>

WARD_BEGIN_DECLS

/* ward_strerror: a static, human-readable text for a ward return value.
 * Accepts either sign (-EPIPE or EPIPE) and 0 ("success"). Never fails, never
 * allocates; the returned string must not be freed.
 * Thread class: any-thread, async-signal-safe. */
WARD_API const char *ward_strerror(int err);

WARD_END_DECLS

#endif
