/* ward_strerror: errno texts without strerror()'s locale and thread-safety
 * traps, and the texts of ward's own codes. See ward/error.h. */
#include <string.h>

#include <ward/error.h>

const char *ward_strerror(int err)
{
        unsigned e = err < 0 ? 0u - (unsigned)err : (unsigned)err; /* INT_MIN too */
        if (e > WARD_ERRNO_MAX) {
                switch (e) {
                case WARD_E_UNKNOWN_SERVICE:
                        return "rpc: unknown service";
                case WARD_E_UNKNOWN_METHOD:
                        return "rpc: unknown method";
                case WARD_E_BAD_MESSAGE:
                        return "rpc: bad message";
                case WARD_E_HANDLER_ERROR:
                        return "rpc: handler error";
                case WARD_E_SCHEMA_MISMATCH:
                        return "rpc: schema mismatch";
                case WARD_E_SERVER_ERROR:
                        return "rpc: server error";
                case WARD_E_REPLY_TOO_LARGE:
                        return "rpc: reply larger than the connection carries";
                default:
                        return "unknown error";
                }
        }
        /* strerrordesc_np is static text, async-signal-safe and locale-free;
         * one text per errno, the same for every caller. */
        const char *s = strerrordesc_np((int)e);
        return s ? s : "unknown error";
}
