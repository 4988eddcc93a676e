/* Finding global locks by symbol: see globals.h. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock/globals.h"

#define MAX_FILES 256

struct mapped_file {
        char path[512];
        uint64_t base;
};

struct found {
        struct ward__lock_global *v;
        size_t n, cap;
};

/* mapped_files: each ELF-looking file mapped by pid, once, with the start
 * of its offset-0 mapping */
static int mapped_files(int pid, struct mapped_file *files, size_t *n)
{
        char maps[64], line[4352], file[4096];
        snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
        FILE *f = fopen(maps, "re");
        if (!f) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        *n = 0;
        while (fgets(line, sizeof(line), f) && *n < MAX_FILES) {
                unsigned long long start, end, off;
                file[0] = '\0';
                if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start, &end, &off, file) <
                        4 ||
                    file[0] != '/' || off != 0 || strlen(file) >= sizeof(files[0].path)) {
                        continue;
                }
                int seen = 0;
                for (size_t i = 0; i < *n; i++) {
                        seen |= strcmp(files[i].path, file) == 0;
                }
                if (!seen) {
                        memcpy(files[*n].path, file, strlen(file) + 1); /* length checked */
                        files[(*n)++].base = start;
                }
        }
        fclose(f);
        return 0;
}

static int add(struct found *fd, uint64_t addr, int rw, const char *file, const char *sym)
{
        if (fd->n == fd->cap) {
                size_t cap = fd->cap ? 2 * fd->cap : 16;
                struct ward__lock_global *p = realloc(fd->v, cap * sizeof(*p));
                if (!p) {
                        return -ENOMEM;
                }
                fd->v = p;
                fd->cap = cap;
        }
        struct ward__lock_global *g = &fd->v[fd->n++];
        g->addr = addr;
        g->rwlock = rw;
        snprintf(g->name, sizeof(g->name), "%s!%s", file, sym);
        return 0;
}

static int scan_elf(Elf *elf, const struct mapped_file *mf, struct found *out)
{
        GElf_Ehdr eh;
        Elf_Scn *scn = NULL;
        const char *file = strrchr(mf->path, '/') + 1;
        if (!gelf_getehdr(elf, &eh)) {
                return 0;
        }
        uint64_t bias = eh.e_type == ET_DYN ? mf->base : 0;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0) {
                        continue; /* .symtab has the static ones; .dynsym only exports */
                }
                Elf_Data *data = elf_getdata(scn, NULL);
                size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
                for (size_t i = 0; i < n; i++) {
                        GElf_Sym s;
                        if (!gelf_getsym(data, (int)i, &s) ||
                            GELF_ST_TYPE(s.st_info) != STT_OBJECT || s.st_shndx == SHN_UNDEF ||
                            (s.st_size != sizeof(pthread_mutex_t) &&
                             s.st_size != sizeof(pthread_rwlock_t))) {
                                continue;
                        }
                        const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
                        if (name && *name &&
                            add(out, bias + s.st_value, s.st_size == sizeof(pthread_rwlock_t), file,
                                name) < 0) {
                                return -ENOMEM;
                        }
                }
        }
        return 0;
}

int ward__lock_globals(int pid, struct ward__lock_global **ret, size_t *n)
{
        static struct mapped_file files[MAX_FILES];
        size_t nf;
        struct found out = {0};
        int r = mapped_files(pid, files, &nf);
        if (r < 0) {
                return r;
        }
        if (elf_version(EV_CURRENT) == EV_NONE) {
                return -ENOSYS;
        }
        for (size_t i = 0; i < nf && r == 0; i++) {
                int fd = open(files[i].path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        continue;
                }
                Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
                if (elf) {
                        r = scan_elf(elf, &files[i], &out);
                        elf_end(elf);
                }
                close(fd);
        }
        if (r < 0) {
                free(out.v);
                return r;
        }
        *ret = out.v;
        *n = out.n;
        return 0;
}
