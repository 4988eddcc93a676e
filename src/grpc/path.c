/* Splitting a gRPC :path into service and method (see path.h). */
#include <errno.h>
#include <string.h>

#include "grpc/path.h"

/* name_len: how many bytes of p[0..len) form a name: printable ASCII up to
 * the next '/' or the end. */
static size_t name_len(const char *p, size_t len)
{
        size_t n = 0;
        while (n < len && p[n] != '/' && p[n] > ' ' && p[n] < 0x7f) {
                n++;
        }
        return n;
}

int ward__grpc_split_path(const char *p, size_t len, char *svc, char *method)
{
        svc[0] = method[0] = '\0';
        if (!p || len < 4 || p[0] != '/') {
                return -EINVAL;
        }
        size_t a = name_len(p + 1, len - 1);
        if (a == 0 || a > WARD__GRPC_NAME_MAX || 1 + a >= len || p[1 + a] != '/') {
                return -EINVAL;
        }
        const char *m = p + 2 + a;
        size_t mlen = len - 2 - a;
        size_t b = name_len(m, mlen);
        if (b == 0 || b != mlen || b > WARD__GRPC_NAME_MAX) {
                return -EINVAL;
        }
        memcpy(svc, p + 1, a);
        svc[a] = '\0';
        memcpy(method, m, b);
        method[b] = '\0';
        return 0;
}
