/* Naming a report's frames after the fact: a module's build-id and an offset
 * in it, resolved with the debug files of a directory (`ward symbolize`). */
#ifndef WARD_INSPECT_GUARD_SYMBOLIZE_H
#define WARD_INSPECT_GUARD_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct ward__symbolizer;

/* ward__symbolizer_open: a symbolizer over dir, which holds debug files as
 * DIR/.build-id/NN/REST.debug (NN the build-id's first byte in hex, REST the
 * rest), DIR/.build-id/NN/REST, or any file right in DIR carrying that
 * build-id (the unstripped binary itself). Errors: -ENOENT/-ENOTDIR (no such
 * directory), -ENOMEM. Owner-thread object. */
int ward__symbolizer_open(const char *dir, struct ward__symbolizer **ret);

void ward__symbolizer_close(struct ward__symbolizer *s);

struct ward__symbolized {
        char function[128];
        uint64_t offset; /* from the function's start */
        char file[256];  /* "" without line information */
        int line;
        char debug_file[512]; /* where it came from */
};

/* ward__symbolize: name module_offset (an address minus the module's first
 * mapping, as the report writes it) in the module whose build-id is
 * build_id (hex). return_address: the frame's pc is where its call returns
 * to, so the call itself is looked up (pc - 1). Returns 1 and *ret (what was
 * found: the function, and file:line where line information exists), 0 when
 * no debug file of that build-id is in the directory, -EINVAL for a bad
 * build-id, -ENOMEM. */
int ward__symbolize(struct ward__symbolizer *s, const char *build_id, uint64_t module_offset,
                    int return_address, struct ward__symbolized *ret);

#endif
