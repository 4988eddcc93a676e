/* The credentials a gRPC server listens with: TLS from a PEM certificate
 * chain and key (gRPC's own ssl credentials), plaintext otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/grpc_security.h>

#include "grpc/bridge.h"

#define PEM_MAX (1u << 20)

/* read_pem: the whole of path, NUL-terminated, malloc'ed, into *ret. */
static int read_pem(const char *path, char **ret)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        char *buf = malloc(PEM_MAX + 1);
        size_t n = 0;
        int r = buf ? 0 : -ENOMEM;
        while (r == 0) {
                ssize_t k = read(fd, buf + n, PEM_MAX + 1 - n);
                if (k < 0 && errno != EINTR) {
                        r = -errno;
                } else if (k == 0) {
                        break;
                } else if (k > 0 && (n += (size_t)k) > PEM_MAX) {
                        r = -EFBIG;
                }
        }
        close(fd);
        if (r < 0) {
                free(buf);
                return r;
        }
        buf[n] = '\0';
        *ret = buf;
        return 0;
}

int ward__grpc_credentials(const struct ward_grpc_options *opts, grpc_server_credentials **ret)
{
        if (!opts->cert_file && !opts->key_file) {
                *ret = grpc_insecure_server_credentials_create();
                return *ret ? 0 : -ENOMEM;
        }
        if (!opts->cert_file || !opts->key_file) {
                return -EINVAL;
        }
        char *cert = NULL, *key = NULL;
        int r = read_pem(opts->cert_file, &cert);
        if (r == 0) {
                r = read_pem(opts->key_file, &key);
        }
        if (r == 0) {
                grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
                *ret = grpc_ssl_server_credentials_create(NULL, &pair, 1, 0, NULL);
                r = *ret ? 0 : -EINVAL;
        }
        if (key) {
                explicit_bzero(key, strlen(key));
        }
        free(key);
        free(cert);
        return r;
}
