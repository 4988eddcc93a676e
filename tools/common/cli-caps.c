/* A permission error's reason from the capabilities of both processes: see
 * cli-caps.h. */
#include "cli-caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

/* caps: the hexadecimal mask after "Name:" in /proc/pid/status (pid 0:
 * self); 0 and -1 when unreadable */
static int caps(int pid, const char *name, unsigned long long *out)
{
        char path[64], line[256];
        size_t len = strlen(name);
        if (pid > 0) {
                snprintf(path, sizeof(path), "/proc/%d/status", pid);
        } else {
                snprintf(path, sizeof(path), "/proc/self/status");
        }
        FILE *f = fopen(path, "re");
        int r = -1;
        while (f && fgets(line, sizeof(line), f)) {
                if (strncmp(line, name, len) == 0 && line[len] == ':') {
                        *out = strtoull(line + len + 1, NULL, 16);
                        r = 0;
                        break;
                }
        }
        if (f) {
                fclose(f);
        }
        return r;
}

int cli_caps_reason(int pid, char *buf, size_t size)
{
        unsigned long long theirs, ours;
        if (caps(pid, "CapPrm", &theirs) < 0 || caps(0, "CapEff", &ours) < 0) {
                return 0;
        }
        unsigned long long missing = theirs & ~ours;
        if (!missing) {
                return 0;
        }
        char names[256] = "";
        size_t used = 0;
        for (unsigned i = 0; i < 64 && used < sizeof(names); i++) {
                if (missing >> i & 1) {
                        const char *n =
                            i < sizeof(cap_names) / sizeof(cap_names[0]) ? cap_names[i] : "?";
                        used += (size_t)snprintf(names + used, sizeof(names) - used, "%sCAP_%s",
                                                 used ? ", " : "", n);
                }
        }
        snprintf(buf, size,
                 "the kernel refused, and the process holds capabilities this one lacks "
                 "(%s): likely a container's or sandbox's own process, seen from inside; "
                 "run ward with those capabilities (outside the container or sandbox)",
                 names);
        return 1;
}
