/* Address parsing: the one place that knows the text forms. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/address.h"

int ward__address_parse(const char *text, struct ward__address *ret)
{
        const char *name;
        int abstract;
        if (!text) {
                return -EINVAL;
        }
        if (text[0] == '@') {
                name = text + 1;
                abstract = 1;
        } else if (strncmp(text, "unix:", 5) == 0) {
                name = text + 5;
                abstract = 0;
        } else {
                return -EINVAL;
        }
        size_t n = strlen(name);
        if (n == 0) {
                return -EINVAL;
        }
        /* abstract names use sun_path[0] = '\0'; paths need room for their NUL */
        if (n + 1 > sizeof(ret->sun.sun_path)) {
                return -ENAMETOOLONG;
        }
        memset(ret, 0, sizeof(*ret));
        ret->sun.sun_family = AF_UNIX;
        memcpy(ret->sun.sun_path + abstract, name, n);
        ret->abstract = abstract;
        ret->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)abstract + n +
                               (size_t)!abstract);
        return 0;
}
