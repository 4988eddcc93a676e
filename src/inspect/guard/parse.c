/* Parsers of the capture's untrusted input: see parse.h. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* hex: a hexadecimal number at *p (before end), advancing *p; -1 if none */
static int hex(const char **p, const char *end, uint64_t *v)
{
        const char *s = *p;
        uint64_t x = 0;
        int digits = 0;
        for (; s < end && digits < 17; s++, digits++) {
                int d;
                if (*s >= '0' && *s <= '9') {
                        d = *s - '0';
                } else if (*s >= 'a' && *s <= 'f') {
                        d = *s - 'a' + 10;
                } else if (*s >= 'A' && *s <= 'F') {
                        d = *s - 'A' + 10;
                } else {
                        break;
                }
                if (x >> 60) {
                        return -1; /* more than 64 bits */
                }
                x = x << 4 | (uint64_t)d;
        }
        if (digits == 0) {
                return -1;
        }
        *p = s;
        *v = x;
        return 0;
}

static const char *skip_spaces(const char *p, const char *end)
{
        while (p < end && *p == ' ') {
                p++;
        }
        return p;
}

/* parse_line: one maps line [p, end) (no newline) into *m; -1 if malformed */
static int parse_line(const char *p, const char *end, struct ward__map *m)
{
        uint64_t dev;
        memset(m, 0, sizeof(*m));
        if (hex(&p, end, &m->start) < 0 || p >= end || *p++ != '-' || hex(&p, end, &m->end) < 0 ||
            m->end <= m->start) {
                return -1;
        }
        p = skip_spaces(p, end);
        if (end - p < 4) {
                return -1;
        }
        m->flags = (p[0] == 'r' ? WARD__MAP_R : 0) | (p[1] == 'w' ? WARD__MAP_W : 0) |
                   (p[2] == 'x' ? WARD__MAP_X : 0) | (p[3] == 'p' ? WARD__MAP_P : 0);
        p = skip_spaces(p + 4, end);
        if (hex(&p, end, &m->offset) < 0) {
                return -1;
        }
        p = skip_spaces(p, end);
        if (hex(&p, end, &dev) < 0 || p >= end || *p++ != ':' || hex(&p, end, &dev) < 0) {
                return -1;
        }
        p = skip_spaces(p, end);
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9' && p - d < 20) {
                m->inode = m->inode * 10 + (uint64_t)(*p++ - '0');
        }
        if (p == d) {
                return -1;
        }
        p = skip_spaces(p, end);
        size_t n = (size_t)(end - p);
        m->path = malloc(n + 1);
        if (!m->path) {
                return -2;
        }
        memcpy(m->path, p, n);
        m->path[n] = '\0';
        return 0;
}

int ward__maps_parse(const char *text, size_t len, struct ward__maps *m)
{
        const char *p = text, *end = text + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                struct ward__map one;
                int r = parse_line(p, le, &one);
                if (r == -2) {
                        return -ENOMEM;
                }
                if (r < 0) {
                        break;
                }
                if (m->n == m->cap) {
                        size_t cap = m->cap ? m->cap * 2 : 64;
                        struct ward__map *v = realloc(m->v, cap * sizeof(*v));
                        if (!v) {
                                free(one.path);
                                return -ENOMEM;
                        }
                        m->v = v;
                        m->cap = cap;
                }
                m->v[m->n++] = one;
                p = nl ? nl + 1 : end;
        }
        return (int)m->n;
}

void ward__maps_free(struct ward__maps *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->v[i].path);
        }
        free(m->v);
        memset(m, 0, sizeof(*m));
}

const struct ward__map *ward__maps_find(const struct ward__maps *m, uint64_t addr)
{
        for (size_t i = 0; i < m->n; i++) {
                if (addr >= m->v[i].start && addr < m->v[i].end) {
                        return &m->v[i];
                }
        }
        return NULL;
}

int ward__auxv_get(const void *auxv, size_t len, uint64_t type, uint64_t *value)
{
        const unsigned char *b = auxv;
        for (size_t at = 0; at + 16 <= len; at += 16) {
                uint64_t pair[2];
                memcpy(pair, b + at, sizeof(pair));
                if (pair[0] == AT_NULL) {
                        break;
                }
                if (pair[0] == type) {
                        *value = pair[1];
                        return 0;
                }
        }
        return -ENOENT;
}

#define DYNAMIC_MAX 1024 /* entries of a dynamic section read at most */
#define PHNUM_MAX 256

/* dynamic_debug: DT_DEBUG's value in the dynamic section at addr, 0 if none */
static int dynamic_debug(ward__mem_read_fn *rd, void *arg, uint64_t addr, uint64_t *debug,
                         uint64_t *len)
{
        *debug = 0;
        for (unsigned i = 0; i < DYNAMIC_MAX; i++) {
                Elf64_Dyn d;
                if (rd(arg, addr + i * sizeof(d), &d, sizeof(d)) < 0) {
                        return -EFAULT;
                }
                if (d.d_tag == DT_NULL) {
                        *len = (i + 1) * sizeof(d);
                        return 0;
                }
                if (d.d_tag == DT_DEBUG) {
                        *debug = d.d_un.d_ptr;
                }
        }
        return -EBADMSG;
}

/* string_len: the length of the NUL-terminated string at addr (bounded) */
static int string_len(ward__mem_read_fn *rd, void *arg, uint64_t addr, uint64_t *len)
{
        char chunk[256];
        uint64_t at = 0;
        while (at < WARD__LINK_NAME_MAX) {
                /* a string may end just before an unreadable page: read up to the page end */
                uint64_t a = addr + at, room = 4096 - (a & 4095);
                size_t n = room < sizeof(chunk) ? (size_t)room : sizeof(chunk);
                if (rd(arg, a, chunk, n) < 0) {
                        return -EFAULT;
                }
                const char *z = memchr(chunk, '\0', n);
                if (z) {
                        *len = at + (uint64_t)(z - chunk) + 1;
                        return 0;
                }
                at += n;
        }
        return -EBADMSG;
}

int ward__link_map_walk(ward__mem_read_fn *rd, void *rd_arg, uint64_t phdr, uint64_t phnum,
                        ward__range_fn *fn, void *fn_arg)
{
        if (phnum == 0 || phnum > PHNUM_MAX || phdr == 0) {
                return -EBADMSG;
        }
        Elf64_Phdr ph[PHNUM_MAX];
        if (rd(rd_arg, phdr, ph, phnum * sizeof(ph[0])) < 0) {
                return -EFAULT;
        }
        fn(fn_arg, phdr, phnum * sizeof(ph[0]));
        uint64_t bias = 0, dyn = 0;
        int have_bias = 0;
        for (uint64_t i = 0; i < phnum; i++) {
                if (ph[i].p_type == PT_PHDR) {
                        bias = phdr - ph[i].p_vaddr;
                        have_bias = 1;
                }
        }
        for (uint64_t i = 0; i < phnum; i++) {
                if (ph[i].p_type == PT_DYNAMIC) {
                        dyn = ph[i].p_vaddr;
                }
        }
        if (!dyn) {
                return 0; /* a static executable: no libraries */
        }
        if (!have_bias) {
                return -EBADMSG;
        }
        dyn += bias;
        uint64_t debug, dyn_len;
        int r = dynamic_debug(rd, rd_arg, dyn, &debug, &dyn_len);
        if (r < 0) {
                return r;
        }
        fn(fn_arg, dyn, dyn_len);
        if (!debug) {
                return 0;
        }
        /* struct r_debug: r_version (int, padded), r_map, r_brk, r_state, r_ldbase */
        uint64_t rdebug[5];
        if (rd(rd_arg, debug, rdebug, sizeof(rdebug)) < 0) {
                return -EFAULT;
        }
        fn(fn_arg, debug, sizeof(rdebug));
        uint64_t lm = rdebug[1];
        int n = 0;
        while (lm && n < WARD__LINK_MAP_MAX) {
                /* the public part of struct link_map: l_addr, l_name, l_ld, l_next, l_prev */
                uint64_t e[5], len;
                if (rd(rd_arg, lm, e, sizeof(e)) < 0) {
                        return n ? n : -EFAULT;
                }
                fn(fn_arg, lm, sizeof(e));
                n++;
                if (e[1] && string_len(rd, rd_arg, e[1], &len) == 0) {
                        fn(fn_arg, e[1], len);
                }
                if (e[2] && dynamic_debug(rd, rd_arg, e[2], &debug, &len) == 0) {
                        fn(fn_arg, e[2], len);
                }
                if (e[3] == lm) {
                        break; /* a loop onto itself */
                }
                lm = e[3];
        }
        return n;
}
