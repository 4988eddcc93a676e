/* Programs of ward's that the command runs in its place: in the build tree
 * they sit next to `ward`; installed, in ../libexec/ward beside bin/. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

/* self_dir: the directory of the running ward binary, into dir. */
static int self_dir(char *dir, size_t size)
{
        ssize_t n = readlink("/proc/self/exe", dir, size - 1);
        if (n < 0) {
                return -errno;
        }
        dir[n] = '\0';
        char *slash = strrchr(dir, '/');
        if (slash) {
                *slash = '\0';
        }
        return 0;
}

int exec_sibling(const char *prog, char **argv, char *tried, size_t tried_size)
{
        static const char *const where[] = {"/", "/../libexec/ward/"};
        char dir[PATH_MAX], path[PATH_MAX + 64];
        int r = self_dir(dir, sizeof(dir));
        if (r < 0) {
                snprintf(tried, tried_size, "/proc/self/exe: %s", strerror(-r));
                return r;
        }
        for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
                if (snprintf(path, sizeof(path), "%s%s%s", dir, where[i], prog) >=
                    (int)sizeof(path)) {
                        continue;
                }
                if (access(path, X_OK) == 0) {
                        execv(path, argv);
                        snprintf(tried, tried_size, "%s: %s", path, strerror(errno));
                        return -errno;
                }
        }
        snprintf(tried, tried_size, "no %s next to ward or in ../libexec/ward", prog);
        return -ENOENT;
}

int sibling_library(const char *name, char *out, size_t size)
{
        static const char *const where[] = {"/../lib/", "/" WARD_BIN_TO_PKGLIB "/"};
        char dir[PATH_MAX];
        int r = self_dir(dir, sizeof(dir));
        if (r < 0) {
                return r;
        }
        for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
                if (snprintf(out, size, "%s%s%s", dir, where[i], name) < (int)size &&
                    access(out, R_OK) == 0) {
                        return 0;
                }
        }
        return -ENOENT;
}
