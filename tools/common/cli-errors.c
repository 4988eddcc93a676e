/* The errors every ward subcommand says alike: a process it cannot act on
 * (with the real reason for a permission error), an address, a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-caps.h"
#include "cli.h"

#define CAP_SYS_PTRACE_BIT 19

/* status_field: the number after "Name:" in /proc/pid/status (pid 0: self),
 * in the given base; -1 when absent */
static long long status_field(int pid, const char *name, int base)
{
        char path[64], line[256];
        if (pid > 0) {
                snprintf(path, sizeof(path), "/proc/%d/status", pid);
        } else {
                snprintf(path, sizeof(path), "/proc/self/status");
        }
        FILE *f = fopen(path, "re");
        long long v = -1;
        size_t len = strlen(name);
        while (f && fgets(line, sizeof(line), f)) {
                if (strncmp(line, name, len) == 0 && line[len] == ':') {
                        v = strtoll(line + len + 1, NULL, base);
                        break;
                }
        }
        if (f) {
                fclose(f);
        }
        return v;
}

static int ptrace_scope(void)
{
        FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
        int v = -1;
        if (f) {
                if (fscanf(f, "%d", &v) != 1) {
                        v = -1;
                }
                fclose(f);
        }
        return v;
}

static int same_user_namespace(int pid)
{
        char a[64], b[64], pa[64];
        snprintf(pa, sizeof(pa), "/proc/%d/ns/user", pid);
        ssize_t na = readlink("/proc/self/ns/user", a, sizeof(a) - 1);
        ssize_t nb = readlink(pa, b, sizeof(b) - 1);
        if (na <= 0 || nb <= 0) {
                return 1; /* cannot tell: do not blame it */
        }
        return na == nb && memcmp(a, b, (size_t)na) == 0;
}

void cli_eperm_reason(int pid, char *buf, size_t size)
{
        long long tracer = status_field(pid, "TracerPid", 10);
        long long cap = status_field(0, "CapEff", 16);
        int scope = ptrace_scope();
        struct stat st;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d", pid);
        int other_user = stat(path, &st) == 0 && st.st_uid != geteuid();
        if (tracer > 0 && tracer != getpid()) {
                snprintf(buf, size,
                         "already traced by process %lld (a debugger?); only one tracer at a "
                         "time",
                         tracer);
        } else if (scope == 3) {
                snprintf(buf, size,
                         "ptrace is disabled on this machine "
                         "(kernel.yama.ptrace_scope=3, until reboot)");
        } else if (cap >= 0 && !(cap >> CAP_SYS_PTRACE_BIT & 1) && geteuid() == 0) {
                snprintf(buf, size,
                         "this root lacks CAP_SYS_PTRACE (a container? give it that "
                         "capability, e.g. docker run --cap-add=SYS_PTRACE)");
        } else if (!same_user_namespace(pid)) {
                snprintf(buf, size, "in another user namespace (a container?): run ward inside it");
        } else if (other_user && geteuid() != 0) {
                snprintf(buf, size, "belongs to user %u: run as that user or root",
                         (unsigned)st.st_uid);
        } else if (scope == 2 && geteuid() != 0) {
                snprintf(buf, size,
                         "kernel.yama.ptrace_scope=2: only root may attach; run as "
                         "root");
        } else if (scope == 1 && geteuid() != 0) {
                snprintf(buf, size,
                         "kernel.yama.ptrace_scope=1: only a parent may attach; run as root, or "
                         "sysctl kernel.yama.ptrace_scope=0");
        } else if (!cli_caps_reason(pid, buf, size)) {
                snprintf(buf, size, "permission denied");
        }
}

int cli_process_error(const struct cli *c, int pid, int err)
{
        char why[256];
        if (err == -ESRCH || err == -ENOENT) {
                return cli_error(c, CLI_USAGE, "no such process %d (see 'ward ps')", pid);
        }
        if (err == -EPERM || err == -EACCES) {
                cli_eperm_reason(pid, why, sizeof(why));
                return cli_error(c, CLI_USAGE, "process %d: %s", pid, why);
        }
        return cli_error(c, CLI_PROBLEM, "process %d: %s", pid, strerror(-err));
}

int cli_address_error(const struct cli *c, const char *address, int err)
{
        const char *forms = "a ward address is unix:/path/to.sock, @abstract-name, or for "
                            "an RPC client grpc:HOST:PORT (grpcs:HOST:PORT over TLS)";
        if (err == -EINVAL || err == -ENAMETOOLONG) {
                return cli_error(c, CLI_USAGE, "bad address '%s': %s", address, forms);
        }
        if (err == -ENOENT || err == -ECONNREFUSED) {
                return cli_error(c, CLI_USAGE, "nothing listens at '%s' (%s; see 'ward ps --ward')",
                                 address, strerror(-err));
        }
        return cli_error(c, CLI_PROBLEM, "%s: %s", address, strerror(-err));
}

int cli_file_error(const struct cli *c, const char *path, int err)
{
        int code = err == -ENOENT || err == -ENOTDIR || err == -EISDIR ? CLI_USAGE : CLI_PROBLEM;
        return cli_error(c, code, "%s: %s", path, strerror(-err));
}
