/* What ward_shm_list reads, parsed: names of /dev/shm files, the headers of
 * the trace buffers and lock registry (trace/layout.h, lock/layout.h: the
 * formats only) and lines of /proc/PID/maps. All of it is untrusted. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "inspect/proc/shm.h"
#include "lock/layout.h"
#include "trace/layout.h"

static const struct {
        const char *prefix;
        int kind;
} kinds[] = {
    {"ward-trace.", WARD_SHM_TRACE},
    {"ward-locks.", WARD_SHM_LOCKS},
    {"ward-guard.", WARD_SHM_GUARD},
};

/* decimal_pid: the pid that s[0..len) spells exactly, or 0 */
static int decimal_pid(const char *s, size_t len)
{
        long v = 0;
        if (len == 0 || len > 7 || s[0] == '0') {
                return 0;
        }
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9') {
                        return 0;
                }
                v = v * 10 + (s[i] - '0');
        }
        return v <= WARD__SHM_PID_MAX ? (int)v : 0;
}

int ward__shm_name_parse(const char *name, size_t len, int *ret_pid)
{
        for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                size_t n = strlen(kinds[i].prefix);
                if (len > n && memcmp(name, kinds[i].prefix, n) == 0) {
                        int pid = decimal_pid(name + n, len - n);
                        if (pid > 0) {
                                *ret_pid = pid;
                                return kinds[i].kind;
                        }
                        return 0;
                }
        }
        return 0;
}

/* The headers are read up to their start time: the fields after it do not
 * matter here (the lock registry's header is longer than a page). */
#define PREFIX(type) (offsetof(type, start_time) + sizeof(uint64_t))

static uint64_t trace_start(const void *data, size_t len, int pid)
{
        struct ward__trace_shm h;
        if (len < PREFIX(struct ward__trace_shm)) {
                return 0;
        }
        memcpy(&h, data, PREFIX(struct ward__trace_shm));
        if (memcmp(&h.magic, WARD__TRACE_SHM_MAGIC, sizeof(h.magic)) != 0 ||
            h.version != WARD__TRACE_VERSION || h.pid != (uint32_t)pid) {
                return 0;
        }
        return h.start_time;
}

static uint64_t locks_start(const void *data, size_t len, int pid)
{
        struct ward__lockreg_header h;
        if (len < PREFIX(struct ward__lockreg_header)) {
                return 0;
        }
        memcpy(&h, data, PREFIX(struct ward__lockreg_header));
        if (h.magic != WARD__LOCKREG_MAGIC || h.version != WARD__LOCKREG_VERSION || h.pid != pid) {
                return 0;
        }
        return h.start_time;
}

uint64_t ward__shm_header_start(int kind, const void *data, size_t len, int pid)
{
        if (!data || pid <= 0) {
                return 0;
        }
        switch (kind) {
        case WARD_SHM_TRACE:
                return trace_start(data, len, pid);
        case WARD_SHM_LOCKS:
                return locks_start(data, len, pid);
        default:
                return 0; /* ward-guard.PID has no header */
        }
}

/* hex_field: a hexadecimal number at *p (at most 16 digits), up to end */
static int hex_field(const char **p, const char *end, uint64_t *ret)
{
        uint64_t v = 0;
        int digits = 0;
        for (; *p < end && digits < 17; (*p)++, digits++) {
                char c = **p;
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0) {
                        break;
                }
                v = v << 4 | (uint64_t)d;
        }
        *ret = v;
        return digits > 0 && digits <= 16 ? 0 : -EBADMSG;
}

static int dec_field(const char **p, const char *end, uint64_t *ret)
{
        uint64_t v = 0;
        int digits = 0;
        for (; *p < end && **p >= '0' && **p <= '9' && digits < 20; (*p)++, digits++) {
                v = v * 10 + (uint64_t)(**p - '0');
        }
        *ret = v;
        return digits > 0 && digits < 20 ? 0 : -EBADMSG;
}

/* skip_field: past one field and the spaces after it; -EBADMSG at the end */
static int skip_field(const char **p, const char *end)
{
        while (*p < end && **p != ' ') {
                (*p)++;
        }
        if (*p == end) {
                return -EBADMSG;
        }
        while (*p < end && **p == ' ') {
                (*p)++;
        }
        return 0;
}

int ward__shm_maps_line(const char *line, size_t len, uint64_t *ret_dev, uint64_t *ret_ino)
{
        /* ADDR-ADDR PERMS OFFSET MAJ:MIN INODE [PATH] */
        const char *p = line, *end = line + len;
        uint64_t major, minor, ino;
        if (!line || skip_field(&p, end) < 0 || skip_field(&p, end) < 0 ||
            skip_field(&p, end) < 0 || hex_field(&p, end, &major) < 0 || p == end || *p++ != ':' ||
            hex_field(&p, end, &minor) < 0 || p == end || *p++ != ' ') {
                return -EBADMSG;
        }
        while (p < end && *p == ' ') {
                p++;
        }
        if (dec_field(&p, end, &ino) < 0 || (p < end && *p != ' ' && *p != '\n') ||
            major > 0xfffff || minor > 0xfffff) {
                return -EBADMSG;
        }
        *ret_dev = makedev((unsigned)major, (unsigned)minor);
        *ret_ino = ino;
        return 0;
}
