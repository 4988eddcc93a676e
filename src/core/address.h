/* ward addresses: "unix:/path" and "@abstract-name". */
#ifndef WARD_CORE_ADDRESS_H
#define WARD_CORE_ADDRESS_H

#include <sys/socket.h>
#include <sys/un.h>

struct ward__address {
        struct sockaddr_un sun;
        socklen_t len;
        int abstract; /* 1 for "@name" */
};

/* ward__address_parse: fill *ret from text. Errors: -EINVAL (empty, unknown
 * scheme, empty name or path, NUL bytes), -ENAMETOOLONG (does not fit sun_path). */
int ward__address_parse(const char *text, struct ward__address *ret);

#endif
