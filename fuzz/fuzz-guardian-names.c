/* Fuzz what the guardian parses of untrusted text: the names of the files
 * in a dump directory (which of them are ward's, and so may be counted and
 * removed by the budget) and $NOTIFY_SOCKET. Whatever the bytes, an accepted
 * dump name is core.DIGITS.8DIGITS-6DIGITS plus one known suffix and nothing
 * else; an accepted NOTIFY_SOCKET fits sun_path with its length in range. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/guard/guardian-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_dump_name(const char *s)
{
        const char *suffix = NULL;
        size_t n = ward__dump_name(s, &suffix);
        if (n == 0) {
                return;
        }
        if (n > strlen(s) || strncmp(s, "core.", 5) != 0 || !suffix || strcmp(s + n, suffix) != 0 ||
            n < 5 + 1 + 1 + 15 || s[n - 7] != '-') {
                abort();
        }
        for (size_t i = 5; i < n; i++) {
                if (!isdigit((unsigned char)s[i]) && s[i] != '.' && s[i] != '-') {
                        abort();
                }
        }
}

static void check_notify(const char *s)
{
        struct sockaddr_un a;
        socklen_t len = 0;
        if (ward__notify_parse(s, &a, &len) < 0) {
                return;
        }
        if (len <= offsetof(struct sockaddr_un, sun_path) || len > sizeof(a) ||
            a.sun_family != AF_UNIX || (s[0] != '/' && s[0] != '@')) {
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s) {
                return 0;
        }
        memcpy(s, data, size);
        s[size] = '\0';
        check_dump_name(s);
        check_notify(s);
        free(s);
        return 0;
}
