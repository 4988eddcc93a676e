/* Fuzz what `ward clean` (ward/shm.h) reads from files and /proc: names of
 * /dev/shm files, the first page of a trace buffers file or lock registry,
 * and lines of /proc/PID/maps. The first byte picks the parser. A name that
 * is taken must spell its pid back exactly; a header's start time is taken
 * only from a header naming the pid it was asked for. Seeds: real names, a
 * real header of each kind, real maps lines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/proc/shm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void name(const char *text, size_t n)
{
        int pid = -1;
        int kind = ward__shm_name_parse(text, n, &pid);
        if (!kind) {
                return;
        }
        char back[64];
        int len = snprintf(back, sizeof(back), "ward-%s.%d", ward_shm_kind_name(kind), pid);
        if (pid <= 0 || pid > WARD__SHM_PID_MAX || (size_t)len != n || memcmp(back, text, n) != 0) {
                abort();
        }
}

static void header(int kind, const char *text, size_t n)
{
        int pid = 0;
        if (n >= 4) {
                memcpy(&pid, text, sizeof(pid)); /* the pid to ask for */
        }
        uint64_t start =
            ward__shm_header_start(kind, n >= 4 ? text + 4 : text, n >= 4 ? n - 4 : n, pid);
        if (start && pid <= 0) {
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1) {
                return 0;
        }
        /* a copy of exactly the bytes, so any read past them is caught */
        size_t n = size - 1;
        char *text = malloc(n ? n : 1);
        if (!text) {
                return 0;
        }
        memcpy(text, data + 1, n);
        uint64_t dev, ino;
        switch (data[0] % 5) {
        case 0:
                name(text, n);
                break;
        case 1:
                header(WARD_SHM_TRACE, text, n);
                break;
        case 2:
                header(WARD_SHM_LOCKS, text, n);
                break;
        case 3:
                header(WARD_SHM_GUARD, text, n);
                break;
        default:
                ward__shm_maps_line(text, n, &dev, &ino);
                break;
        }
        free(text);
        return 0;
}
