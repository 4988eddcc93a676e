/* Call sites: each is copied, once, into the dictionary of the shared
 * buffers file, so the flusher, `ward trace tail` and `ward trace recover`
 * can format its events without the process's memory. */
#include <string.h>

#include "trace/tracer.h"

static size_t bounded_len(const char *s)
{
        return s ? strnlen(s, WARD__TRACE_SITE_STR_MAX - 1) : 0;
}

static uint8_t *put_str(uint8_t *p, const char *s)
{
        size_t n = bounded_len(s);
        memcpy(p, s ? s : "", n);
        p[n] = '\0';
        return p + n + 1;
}

/* site_record_size: the SITE record's size, padded to 8. */
static size_t site_record_size(const struct ward__trace_site *site)
{
        size_t n = sizeof(struct ward__trace_rec) + sizeof(struct ward__trace_site_rec) +
                   site->nargs + bounded_len(site->fmt) + bounded_len(site->file) +
                   bounded_len(site->func) + bounded_len(site->category) + 4;
        return (n + 7) & ~(size_t)7;
}

static void write_site(uint8_t *p, size_t size, uint32_t id, const struct ward__trace_site *site)
{
        struct ward__trace_rec h = {.size = (uint16_t)size, .kind = WARD__TRACE_REC_SITE};
        struct ward__trace_site_rec r = {.id = id,
                                         .level = site->level,
                                         .kind = site->kind,
                                         .nargs = site->nargs,
                                         .line = (uint32_t)site->line};
        memset(p, 0, size);
        memcpy(p, &h, sizeof(h));
        memcpy(p + sizeof(h), &r, sizeof(r));
        uint8_t *q = p + sizeof(h) + sizeof(r);
        memcpy(q, site->types, site->nargs);
        q += site->nargs;
        q = put_str(q, site->fmt);
        q = put_str(q, site->file);
        q = put_str(q, site->func);
        put_str(q, site->category);
}

/* Every site registered in this process, by id: a fork child inherits the
 * ids in its sites' static memory, so its new dictionary lists them again,
 * with the same ids. */
static struct ward__trace_site *known[WARD__TRACE_MAX_SITES + 1];
static uint32_t n_known;

static void append(struct ward__tracer *tr, uint32_t id, struct ward__trace_site *site, size_t size)
{
        struct ward__trace_shm *h = tr->shm;
        write_site(tr->map + h->dict_off + h->dict_used, size, id, site);
        tr->site_off[id] = h->dict_used;
        __atomic_store_n(&h->dict_used, h->dict_used + (uint32_t)size, __ATOMIC_RELEASE);
        __atomic_store_n(&h->nsites, id, __ATOMIC_RELEASE);
}

void ward__trace_register_known_sites(struct ward__tracer *tr)
{
        for (uint32_t id = 1; id <= n_known; id++) {
                append(tr, id, known[id], site_record_size(known[id]));
        }
}

uint32_t ward__trace_register_site(struct ward__tracer *tr, struct ward__trace_site *site)
{
        pthread_mutex_lock(&tr->lock);
        uint32_t id = __atomic_load_n(&site->id, __ATOMIC_ACQUIRE);
        struct ward__trace_shm *h = tr->shm;
        size_t size = site_record_size(site);
        if (!id && h->nsites < WARD__TRACE_MAX_SITES && h->dict_used + size <= h->dict_size &&
            site->nargs <= WARD__TRACE_MAX_ARGS) {
                id = h->nsites + 1;
                append(tr, id, site, size);
                known[id] = site;
                n_known = id;
                __atomic_store_n(&site->id, id, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&tr->lock);
        return id;
}
