/* Options structs from callers built against other versions of ward's
 * headers: the one rule of ward/api.h, in one place. */
#ifndef WARD_CORE_OPTIONS_H
#define WARD_CORE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* The largest size an options struct may claim: a bound on what we read of
 * the caller's memory when its size is garbage. */
#define WARD__OPTIONS_SIZE_MAX 4096u

/* ward__options_copy: take the caller's options struct in (whose first field
 * is its uint32_t size) into out (ours, out_size bytes, already holding the
 * defaults; its first field is the size too). A smaller size, from a caller
 * built against an older header, copies what it has: the rest keeps the
 * defaults. A larger one is accepted only if every byte past ours is zero (an
 * option we do not know, left at its default). out's size is set to
 * out_size. Returns 0, or -EINVAL (a size under 4 or over
 * WARD__OPTIONS_SIZE_MAX, or a nonzero unknown byte); out is then unchanged.
 * Thread class: any-thread. */
int ward__options_copy(void *out, size_t out_size, const void *in);

#endif
