/* Parsers of what the capture reads from the target (src/inspect/guard):
 * /proc/PID/maps text, auxv bytes and the dynamic linker's r_debug and
 * link_map chain in the target's memory. All of it is untrusted: every
 * length is checked, every walk is bounded. fuzz/fuzz-core-notes.c runs
 * them on mutated input. */
#ifndef WARD_INSPECT_GUARD_PARSE_H
#define WARD_INSPECT_GUARD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define WARD__MAP_R 1u
#define WARD__MAP_W 2u
#define WARD__MAP_X 4u
#define WARD__MAP_P 8u /* private */

struct ward__map {
        uint64_t start, end, offset, inode;
        unsigned flags;
        char *path; /* "" for anonymous; malloc'd */
};

struct ward__maps {
        struct ward__map *v;
        size_t n, cap;
};

/* ward__maps_parse: the lines of /proc/PID/maps (len bytes) into *m (empty
 * on entry). A line that does not parse ends the list. Returns the number of
 * mappings, or -ENOMEM. */
int ward__maps_parse(const char *text, size_t len, struct ward__maps *m);
void ward__maps_free(struct ward__maps *m);

/* ward__maps_find: the mapping holding addr, or NULL. */
const struct ward__map *ward__maps_find(const struct ward__maps *m, uint64_t addr);

/* ward__auxv_get: the value of entry type of an auxv image (len bytes of
 * 16-byte pairs, ending at AT_NULL or len). Returns 0, or -ENOENT. */
int ward__auxv_get(const void *auxv, size_t len, uint64_t type, uint64_t *value);

/* Reading the target's memory: n bytes at addr into out; 0 or -EFAULT. */
typedef int ward__mem_read_fn(void *arg, uint64_t addr, void *out, size_t n);

/* A range of the target's memory that a debugger reads to find the
 * libraries: the capture keeps its pages. */
typedef void ward__range_fn(void *arg, uint64_t addr, uint64_t len);

#define WARD__LINK_MAP_MAX 1024 /* entries walked at most */
#define WARD__LINK_NAME_MAX 4096

/* ward__link_map_walk: from the executable's program headers (auxv AT_PHDR,
 * AT_PHNUM), find its PT_DYNAMIC, DT_DEBUG's r_debug and the link_map chain;
 * report to fn every range a debugger reads: the program headers, the
 * dynamic section, r_debug, each link_map entry, its name and its l_ld.
 * Returns the number of link_map entries (0 for a static executable), or
 * -EBADMSG (damaged headers), -EFAULT (unreadable). */
int ward__link_map_walk(ward__mem_read_fn *rd, void *rd_arg, uint64_t phdr, uint64_t phnum,
                        ward__range_fn *fn, void *fn_arg);

#endif
