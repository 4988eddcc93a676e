/* The guardian role: this process was re-executed with the role argument.
 * It loads libward-inspect with dlopen (libward itself links no libdw) and
 * runs ward_guardian_run on this same program; when it cannot, it executes
 * the program as a plain worker that starts in fallback mode and says why. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/guardian.h>

#include "core/guard-wire.h"
#include "core/options.h"
#include "guard/guard.h"

typedef int (*guardian_run_fn)(const struct ward_guardian_options *, char *, size_t);

/* worker_argv: argv without argv[1] (the role argument); malloc'd */
static char **worker_argv(int argc, char **argv)
{
        char **v = calloc((size_t)argc, sizeof(*v));
        if (!v) {
                return NULL;
        }
        v[0] = argv[0];
        for (int i = 2; i < argc; i++) {
                v[i - 1] = argv[i];
        }
        return v;
}

/* as_plain_worker: execute the program without a guardian; why goes to it */
static _Noreturn void as_plain_worker(const char *path, char **argv, const char *why)
{
        setenv(WARD__GUARD_ENV_FALLBACK, why, 1);
        unsetenv(WARD__GUARD_ENV_FD);
        execv(path, argv);
        execv("/proc/self/exe", argv);
        _exit(127);
}

static int exit_code(int status)
{
        if (WIFEXITED(status)) {
                return WEXITSTATUS(status);
        }
        if (WIFSIGNALED(status)) {
                return 128 + WTERMSIG(status);
        }
        return 1;
}

/* beside_libward: libward-inspect in the directory libward.so itself was
 * loaded from (a build tree, a prefix outside the search path); NULL when
 * libward is linked statically into the program */
static void *beside_libward(void)
{
        Dl_info info;
        char path[PATH_MAX];
        if (!dladdr((void *)ward_guard_start, &info) || !info.dli_fname) {
                return NULL;
        }
        const char *slash = strrchr(info.dli_fname, '/');
        if (!slash || !strstr(slash, "libward.so")) {
                return NULL;
        }
        int n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - info.dli_fname),
                         info.dli_fname, WARD__GUARD_INSPECT_LIBRARY);
        return n > 0 && (size_t)n < sizeof(path) ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
}

/* load_guardian: WARD_INSPECT_LIBRARY, else libward-inspect.so.0 on the
 * library search path, else beside libward.so */
static guardian_run_fn load_guardian(char *why, size_t n)
{
        const char *lib = getenv(WARD__GUARD_ENV_INSPECT);
        int named = lib && *lib;
        if (!named) {
                lib = WARD__GUARD_INSPECT_LIBRARY;
        }
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                const char *e = dlerror();
                snprintf(why, n, "the guardian could not load %s: %s", lib, e ? e : "?");
                h = named ? NULL : beside_libward();
        }
        if (!h) {
                return NULL;
        }
        guardian_run_fn run = (guardian_run_fn)dlsym(h, "ward_guardian_run");
        if (!run) {
                snprintf(why, n, "%s has no ward_guardian_run", lib);
        }
        return run;
}

_Noreturn void ward__guard_guardian_role(int argc, char **argv, const struct ward_guard_options *o)
{
        char path[PATH_MAX], why[WARD__GUARD_WHY_MAX], err[WARD__GUARD_WHY_MAX] = "";
        ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
        if (n <= 0) {
                snprintf(path, sizeof(path), "/proc/self/exe");
        } else {
                path[n] = '\0';
        }
        char **wargv = worker_argv(argc, argv);
        if (!wargv) {
                _exit(127);
        }
        char pid[16];
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        setenv(WARD__GUARD_ENV_GUARDIAN, pid, 1);
        guardian_run_fn run = load_guardian(why, sizeof(why));
        if (!run) {
                as_plain_worker(path, wargv, why);
        }
        struct ward_guardian_options g;
        memset(&g, 0, sizeof(g));
        g.size = sizeof(g);
        if (o->guardian && ward__options_copy(&g, sizeof(g), o->guardian) < 0) {
                as_plain_worker(path, wargv, "the guardian's options are not valid");
        }
        g.path = path;
        g.argv = wargv;
        if (g.handshake_timeout_ns == 0) {
                g.handshake_timeout_ns = o->handshake_timeout_ns;
        }
        int r = run(&g, err, sizeof(err));
        if (r < 0) {
                snprintf(why, sizeof(why), "the guardian could not start the worker: %s%s%.160s",
                         strerror(-r), err[0] ? ": " : "", err);
                as_plain_worker(path, wargv, why);
        }
        exit(exit_code(r));
}
