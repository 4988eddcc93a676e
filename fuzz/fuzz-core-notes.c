/* Fuzz what the capture (src/inspect/guard) parses from the target: the
 * first byte picks /proc/PID/maps text, an auxv image, or a memory image in
 * which the dynamic linker's r_debug and link_map chain are walked from
 * program headers. Every range the walk reports must be memory it read. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/guard/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x10000u /* where the memory image starts in the fake address space */

struct image {
        const uint8_t *p;
        size_t n;
};

static int image_read(void *arg, uint64_t addr, void *out, size_t n)
{
        const struct image *im = arg;
        if (addr < BASE || addr - BASE > im->n || n > im->n - (addr - BASE)) {
                return -EFAULT;
        }
        memcpy(out, im->p + (addr - BASE), n);
        return 0;
}

static void check_range(void *arg, uint64_t addr, uint64_t len)
{
        const struct image *im = arg;
        if (addr < BASE || addr - BASE > im->n || len > im->n - (addr - BASE)) {
                abort(); /* a range the walk never read */
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1) {
                return 0;
        }
        size_t n = size - 1;
        uint8_t *copy = malloc(n ? n : 1); /* exactly the input: reads past it are caught */
        if (!copy) {
                return 0;
        }
        memcpy(copy, data + 1, n);
        switch (data[0] % 3) {
        case 0: {
                struct ward__maps m = {0};
                if (ward__maps_parse((const char *)copy, n, &m) >= 0) {
                        for (size_t i = 0; i < m.n; i++) {
                                if (m.v[i].end <= m.v[i].start || !m.v[i].path) {
                                        abort();
                                }
                        }
                        if (m.n) {
                                ward__maps_find(&m, m.v[0].start);
                        }
                }
                ward__maps_free(&m);
                break;
        }
        case 1: {
                uint64_t v;
                ward__auxv_get(copy, n, AT_PHDR, &v);
                ward__auxv_get(copy, n, AT_PHNUM, &v);
                break;
        }
        default: {
                /* the image: phnum (1 byte), then memory at BASE; the program
                 * headers at BASE + 64, as in an executable's first page */
                struct image im = {copy, n};
                uint64_t phnum = n ? copy[0] : 0;
                ward__link_map_walk(image_read, &im, BASE + 64, phnum, check_range, &im);
        }
        }
        free(copy);
        return 0;
}
