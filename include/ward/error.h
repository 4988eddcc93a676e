/* ward/error.h: the error convention every ward function follows.
 *
 * The one rule. A function that can fail returns an int: 0, or a count
 * (>= 0), on success; a negative code on failure. A negative code is one of
 * two kinds, and never both:
 *
 *   -errno        a standard errno, negated (-EINVAL, -ETIMEDOUT, -ECONNRESET,
 *                 ...): it means what errno(3) says it means. Errnos lie in
 *                 1..WARD_ERRNO_MAX, the kernel's range.
 *   -WARD_E_...   one of ward's own codes below, for what no errno says (what
 *                 an RPC server answered). They lie above WARD_ERRNO_MAX.
 *
 * No function returns a positive value to mean failure, and none mixes a
 * status of its own with errnos in one int: a transport failure is an errno,
 * a peer's verdict is a WARD_E_ code. ward_strerror() names any of them. There
 * is no private errno space and no thread-local "last error".
 *
 * Statuses that are data, not results, keep their own type: the int32_t an
 * IPC reply carries (ward_ipc_msg_status) is the application's.
 *
 * One exception, by necessity: libward-locks.so (the LD_PRELOAD shim) *is*
 * pthread_mutex_lock and friends to the program it is loaded into, so it
 * returns what pthread returns: positive error numbers.
 *
 * Each function's header comment lists the errors it returns.
 */
#ifndef WARD_ERROR_H
#define WARD_ERROR_H

#include <ward/api.h>

WARD_BEGIN_DECLS

/* The largest errno (the kernel's MAX_ERRNO); ward's own codes lie above. */
#define WARD_ERRNO_MAX 4095

/* ward's own error codes, returned negated like errnos. */
enum ward_error {
        /* What an RPC server answered: WARD_E_RPC + the enum ward_rpc_status it
         * sent (ward/rpc.h). WARD_E_RPC itself is never returned. */
        WARD_E_RPC = WARD_ERRNO_MAX + 1,
        WARD_E_UNKNOWN_SERVICE = WARD_E_RPC + 1, /* no service of that name (here) */
        WARD_E_UNKNOWN_METHOD = WARD_E_RPC + 2,  /* the service has no such method */
        WARD_E_BAD_MESSAGE = WARD_E_RPC + 3,     /* the request, or the reply, did not decode */
        WARD_E_HANDLER_ERROR = WARD_E_RPC + 4,   /* the handler failed the call */
        WARD_E_SCHEMA_MISMATCH = WARD_E_RPC + 7, /* client and server disagree on the .proto */
        WARD_E_SERVER_ERROR = WARD_E_RPC + 8,    /* the server could not serve it (no memory) */
        WARD_E_REPLY_TOO_LARGE = WARD_E_RPC + 9, /* the reply was larger than the connection
                                                    carries (ward_ipc_conn_get_max_len) */
};

/* ward_strerror: a static, human-readable text for a ward return value: the
 * standard strerror text for an errno (locale-free: "Connection reset by
 * peer"), ward's own text for a WARD_E_ code. Accepts either sign (-EPIPE or
 * EPIPE) and 0 ("Success"). Never fails, never allocates; the returned
 * string must not be freed.
 * Thread class: any-thread, async-signal-safe. */
WARD_API const char *ward_strerror(int err);

WARD_END_DECLS

#endif
