/* ward_strerror: errno texts without strerror()'s locale and thread-safety traps. */
#include <errno.h>
#include <string.h>

#include <ward/error.h>

const char *ward_strerror(int err)
{
        if (err < 0) {
                err = -err;
        }
        switch (err) {
        case 0:
                return "success";
        case EPROTO:
                return "protocol violation by the peer";
        case ECONNRESET:
                return "peer closed or died";
        case ETIMEDOUT:
                return "timed out";
        case EACCES:
                return "refused by the peer's policy";
        case ECHILD:
                return "object used in a forked child";
        default:
                break;
        }
        /* strerrordesc_np is static text, async-signal-safe and locale-free. */
        const char *s = strerrordesc_np(err);
        return s ? s : "unknown error";
}
