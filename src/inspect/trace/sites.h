/* The compiled SITE records of a merge, found by the record's address: each
 * site's format is parsed once however many of its events are printed. */
#ifndef WARD_TRACE_SITES_H
#define WARD_TRACE_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/trace/print.h"

struct ward__trace_sites {
        const uint8_t **keys; /* SITE record addresses; NULL: a free slot */
        struct ward__trace_csite *vals;
        int *ok; /* the record parsed */
        size_t n, cap;
        const uint8_t *last_key; /* the previous lookup, the common case */
        const struct ward__trace_csite *last;
};

/* ward__trace_sites_get: the compiled site of the SITE record at site (len
 * bytes, which must outlive s), NULL when it does not parse or memory ran
 * out. A zeroed struct is an empty cache. */
const struct ward__trace_csite *ward__trace_sites_get(struct ward__trace_sites *s,
                                                      const uint8_t *site, size_t len);

/* ward__trace_sites_free: free what s holds; s is empty afterwards. */
void ward__trace_sites_free(struct ward__trace_sites *s);

#endif
