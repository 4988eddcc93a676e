/* Fuzz the small text parsers of spawn and stop: the first byte picks one,
 * the rest is its input. 0: /proc/PID/cgroup (the unified line's path must
 * come out clean: absolute, terminated, no "." or ".." part); 1:
 * cgroup.events ("populated N"); 2: pid lists (cgroup.procs, the children
 * files). Seeds: those files, read on a hybrid cgroup system. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/proc/cgroup.h"
#include "inspect/proc/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p)
{
        size_t len = strlen(p);
        if (p[0] != '/') {
                abort();
        }
        for (size_t s = 1; s <= len;) {
                size_t e = s;
                while (e < len && p[e] != '/') {
                        e++;
                }
                if ((e - s == 1 && p[s] == '.') || (e - s == 2 && p[s] == '.' && p[s + 1] == '.')) {
                        abort();
                }
                s = e + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1) {
                return 0;
        }
        const char *text = (const char *)data + 1;
        size_t n = size - 1;
        switch (data[0] % 3) {
        case 0: {
                char path[64];
                memset(path, 'x', sizeof(path));
                if (ward__cgroup_parse_self(text, n, path, sizeof(path)) == 0) {
                        if (!memchr(path, '\0', sizeof(path))) {
                                abort();
                        }
                        check_path(path);
                }
                break;
        }
        case 1: {
                int r = ward__cgroup_events_populated(text, n);
                if (r != 0 && r != 1 && r != -EPROTO) {
                        abort();
                }
                break;
        }
        default: {
                int pids[8];
                int r = ward__parse_pids(text, n, pids, 8);
                for (int i = 0; i < r && i < 8; i++) {
                        if (pids[i] <= 0 || pids[i] > (1 << 22)) {
                                abort();
                        }
                }
                break;
        }
        }
        return 0;
}
