/* Finding global locks by symbol: see globals.h. The files and their symbol
 * tables come from symbol.c. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/stack/symbol.h"
#include <ward/lock-inspect.h>

struct found {
        struct ward_lock_global *v;
        size_t n, cap;
        const char *file; /* the base name of the file being read */
};

/* add_if_lock: keep a data object the size of a mutex or an rwlock */
static int add_if_lock(void *arg, const struct ward__lock_symbol *s)
{
        struct found *fd = arg;
        if (!s->object ||
            (s->size != sizeof(pthread_mutex_t) && s->size != sizeof(pthread_rwlock_t))) {
                return 0;
        }
        if (fd->n == fd->cap) {
                size_t cap = fd->cap ? 2 * fd->cap : 16;
                struct ward_lock_global *p = realloc(fd->v, cap * sizeof(*p));
                if (!p) {
                        return -ENOMEM;
                }
                fd->v = p;
                fd->cap = cap;
        }
        struct ward_lock_global *g = &fd->v[fd->n++];
        g->addr = s->addr;
        g->rwlock = s->size == sizeof(pthread_rwlock_t);
        snprintf(g->name, sizeof(g->name), "%s!%s", fd->file, s->name);
        return 0;
}

/* scan_file: the lock-sized objects of one mapped file (.symtab: it has the
 * static ones; .dynsym only repeats exported ones). A file that is not ELF or
 * cannot be read is passed over. */
static int scan_file(void *arg, const char *path, uint64_t base)
{
        struct found *fd = arg;
        const char *slash = strrchr(path, '/');
        fd->file = slash ? slash + 1 : path;
        int r = ward__lock_file_symbols(path, base, 1, add_if_lock, fd);
        return r == -ENOMEM ? r : 0;
}

int ward_lock_globals(int pid, struct ward_lock_global **ret, size_t *n)
{
        struct found out = {0};
        int r = ward__lock_mapped_files(pid, scan_file, &out);
        if (r < 0) {
                free(out.v);
                return r;
        }
        *ret = out.v;
        *n = out.n;
        return 0;
}
