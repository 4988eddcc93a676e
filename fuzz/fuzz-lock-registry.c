/* Fuzz the lock registry reader (what `ward locks` reads from another
 * process's /dev/shm/ward-locks.<pid>) with any bytes as the mapping: every
 * entry it keeps must be a live kind with terminated strings. Inputs that
 * start with the right header are made likely by the seed corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ward/lock-inspect.h>

#include "lock/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* the reader needs the whole header page; short inputs are padded
         * with zeros so the entries part is reachable */
        size_t n = size < WARD__LOCKREG_ENTRIES_OFFSET + 4 * sizeof(struct ward_lock_entry)
                       ? WARD__LOCKREG_ENTRIES_OFFSET + 4 * sizeof(struct ward_lock_entry)
                       : size;
        uint8_t *map = calloc(1, n);
        struct ward_lock_registry v;
        if (!map) {
                return 0;
        }
        memcpy(map, data, size);
        if (size >= 8 && data[0] == 'W') { /* let short inputs reach the entry checks */
                struct ward__lockreg_header *h = (void *)map;
                h->magic = WARD__LOCKREG_MAGIC;
        }
        if (ward_lock_registry_parse(map, n, &v) == 0) {
                for (size_t i = 0; i < v.n; i++) {
                        if (v.entries[i].kind != WARD_LOCK_ENTRY_MUTEX &&
                            v.entries[i].kind != WARD_LOCK_ENTRY_RWLOCK) {
                                abort();
                        }
                        if (strlen(v.entries[i].name) >= sizeof(v.entries[i].name) ||
                            strlen(v.entries[i].site) >= sizeof(v.entries[i].site)) {
                                abort();
                        }
                }
                for (size_t i = 0; i < v.n_inv; i++) {
                        if (strlen(v.inv[i].held_site) >= sizeof(v.inv[i].held_site)) {
                                abort();
                        }
                }
                if (v.n_inv > WARD_LOCK_INVERSIONS) {
                        abort();
                }
                ward_lock_registry_free(&v);
        }
        free(map);
        return 0;
}
