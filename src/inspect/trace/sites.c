/* Compiled SITE records by address: see sites.h. Open addressing, kept at
 * most half full. */
#include <stdlib.h>
#include <string.h>

#include "inspect/trace/sites.h"

static size_t slot_of(const struct ward__trace_sites *s, const uint8_t *key)
{
        size_t h = (size_t)((uintptr_t)key >> 3) * 0x9e3779b97f4a7c15ull;
        size_t i = h & (s->cap - 1);
        while (s->keys[i] && s->keys[i] != key) {
                i = (i + 1) & (s->cap - 1);
        }
        return i;
}

static int grow(struct ward__trace_sites *s)
{
        struct ward__trace_sites bigger = {.cap = s->cap ? s->cap * 2 : 64};
        bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
        bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
        bigger.ok = calloc(bigger.cap, sizeof(*bigger.ok));
        if (!bigger.keys || !bigger.vals || !bigger.ok) {
                free(bigger.keys);
                free(bigger.vals);
                free(bigger.ok);
                return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
                if (s->keys[i]) {
                        size_t j = slot_of(&bigger, s->keys[i]);
                        bigger.keys[j] = s->keys[i];
                        bigger.vals[j] = s->vals[i];
                        bigger.ok[j] = s->ok[i];
                }
        }
        bigger.n = s->n;
        free(s->keys);
        free(s->vals);
        free(s->ok);
        *s = bigger; /* last_key and last are cleared: they pointed into vals */
        return 0;
}

const struct ward__trace_csite *ward__trace_sites_get(struct ward__trace_sites *s,
                                                      const uint8_t *site, size_t len)
{
        if (!site) {
                return NULL;
        }
        if (site == s->last_key) {
                return s->last;
        }
        if (2 * (s->n + 1) > s->cap && grow(s) < 0) {
                return NULL;
        }
        size_t i = slot_of(s, site);
        if (!s->keys[i]) {
                s->keys[i] = site;
                s->ok[i] = ward__trace_csite_init(&s->vals[i], site, len) == 0;
                s->n++;
        }
        s->last_key = site;
        s->last = s->ok[i] ? &s->vals[i] : NULL;
        return s->last;
}

void ward__trace_sites_free(struct ward__trace_sites *s)
{
        for (size_t i = 0; i < s->cap; i++) {
                if (s->keys[i]) {
                        ward__trace_csite_free(&s->vals[i]);
                }
        }
        free(s->keys);
        free(s->vals);
        free(s->ok);
        memset(s, 0, sizeof(*s));
}
