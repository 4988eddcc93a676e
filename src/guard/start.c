/* ward_guard_start: which of the three this process is — the guardian (the
 * role argument), the worker (WARD_GUARD_FD), or the program as started,
 * which becomes its own guardian by executing itself again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/guard-wire.h"
#include "core/options.h"
#include "guard/guard.h"

static int started;

static int options_take(struct ward_guard_options *out, const struct ward_guard_options *in)
{
        memset(out, 0, sizeof(*out));
        out->size = sizeof(*out);
        out->fallback_fd = -1;
        if (in) {
                int r = ward__options_copy(out, sizeof(*out), in);
                if (r < 0) {
                        return r;
                }
        }
        if (out->handshake_timeout_ns == 0) {
                out->handshake_timeout_ns = WARD__GUARD_HANDSHAKE_DEFAULT_NS;
        }
        if (out->ack_timeout_ns == 0) {
                out->ack_timeout_ns = WARD__GUARD_ACK_DEFAULT_NS;
        }
        return 0;
}

/* become_guardian: execv of this program with the role argument as argv[1];
 * returns only when that failed, with why */
static void become_guardian(int argc, char **argv, char *why, size_t n)
{
        char **v = calloc((size_t)argc + 2, sizeof(*v));
        if (!v) {
                snprintf(why, n, "no memory to execute the guardian");
                return;
        }
        v[0] = argv[0];
        v[1] = (char *)WARD__GUARD_ROLE_ARG;
        for (int i = 1; i < argc; i++) {
                v[i + 1] = argv[i];
        }
        execv("/proc/self/exe", v);
        snprintf(why, n, "the guardian could not be executed (/proc/self/exe): %s",
                 strerror(errno));
        free(v);
}

int ward_guard_start(int *argc, char ***argv, const struct ward_guard_options *o)
{
        struct ward_guard_options opts;
        if (!argc || !argv || !*argv || *argc < 1 || !(*argv)[0]) {
                return -EINVAL;
        }
        int r = options_take(&opts, o);
        if (r < 0) {
                return r;
        }
        if (__atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL)) {
                return -EALREADY;
        }
        if (*argc >= 2 && (*argv)[1] && strcmp((*argv)[1], WARD__GUARD_ROLE_ARG) == 0) {
                ward__guard_guardian_role(*argc, *argv, &opts);
        }
        if (getenv(WARD__GUARD_ENV_FD)) {
                unsetenv(WARD__GUARD_ENV_GUARDIAN);
                return ward__guard_worker_start(&opts);
        }
        char why[WARD__GUARD_WHY_MAX];
        const char *guardian = getenv(WARD__GUARD_ENV_GUARDIAN);
        int child_of_guardian = guardian && atoi(guardian) == (int)getppid();
        unsetenv(WARD__GUARD_ENV_GUARDIAN);
        const char *fallback = getenv(WARD__GUARD_ENV_FALLBACK);
        if (fallback) {
                snprintf(why, sizeof(why), "%s", fallback);
                unsetenv(WARD__GUARD_ENV_FALLBACK);
                return ward__guard_fallback_start(&opts, why);
        }
        if (child_of_guardian) {
                return ward__guard_fallback_start(
                    &opts, "started by a guardian without " WARD__GUARD_ENV_FD);
        }
        become_guardian(*argc, *argv, why, sizeof(why));
        return ward__guard_fallback_start(&opts, why);
}
