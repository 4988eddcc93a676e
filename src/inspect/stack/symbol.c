/* Symbolizing another process's addresses: see symbol.h. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inspect/stack/symbol.h"

/* A line of /proc/PID/maps, its file resolved: an anonymous mapping right
 * after a file's last one is that file's .bss past its end. */
struct mapping {
        uint64_t start, end;
        const char *path; /* "" when no file */
        uint64_t base;    /* the start of the file's first mapping */
};

/* each_mapping: fn for each line of pid's maps; fn's nonzero stops it */
static int each_mapping(int pid, int (*fn)(void *arg, const struct mapping *m), void *arg)
{
        char maps[64], line[4352], file[4096], last_file[4096] = "";
        uint64_t last_base = 0, prev_end = 0;
        int r = 0;
        snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
        FILE *f = fopen(maps, "re");
        if (!f) {
                return errno == ENOENT ? -ESRCH : -errno;
        }
        while (r == 0 && fgets(line, sizeof(line), f)) {
                unsigned long long start, end, off;
                file[0] = '\0';
                if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start, &end, &off, file) <
                    3) {
                        continue;
                }
                struct mapping m = {start, end, "", 0};
                if (file[0] == '/') {
                        if (off == 0 || strcmp(file, last_file) != 0) {
                                snprintf(last_file, sizeof(last_file), "%s", file);
                                last_base = start;
                        }
                        m.path = last_file;
                        m.base = last_base;
                        prev_end = end;
                } else if (start == prev_end && last_file[0]) {
                        m.path = last_file;
                        m.base = last_base;
                        prev_end = 0;
                } else {
                        prev_end = 0;
                }
                r = fn(arg, &m);
        }
        fclose(f);
        return r;
}

struct files_walk {
        int (*fn)(void *arg, const char *path, uint64_t base);
        void *arg;
};

static int file_once(void *arg, const struct mapping *m)
{
        const struct files_walk *w = arg;
        return m->path[0] && m->start == m->base ? w->fn(w->arg, m->path, m->base) : 0;
}

int ward__lock_mapped_files(int pid, int (*fn)(void *arg, const char *path, uint64_t base),
                            void *arg)
{
        struct files_walk w = {fn, arg};
        return each_mapping(pid, file_once, &w);
}

int ward__lock_file_symbols(const char *path, uint64_t base, int symtab_only,
                            int (*fn)(void *arg, const struct ward__lock_symbol *s), void *arg)
{
        if (elf_version(EV_CURRENT) == EV_NONE) {
                return -ENOSYS;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
        GElf_Ehdr eh;
        Elf_Scn *scn = NULL;
        int r = elf && gelf_getehdr(elf, &eh) ? 0 : -ENOENT;
        uint64_t bias = r == 0 && eh.e_type == ET_DYN ? base : 0; /* PIE and libraries */
        while (r == 0 && (scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) || sh.sh_entsize == 0 ||
                    (sh.sh_type != SHT_SYMTAB && (symtab_only || sh.sh_type != SHT_DYNSYM))) {
                        continue;
                }
                Elf_Data *data = elf_getdata(scn, NULL);
                size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
                for (size_t i = 0; r == 0 && i < n; i++) {
                        GElf_Sym sym;
                        const char *name;
                        if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
                            !(name = elf_strptr(elf, sh.sh_link, sym.st_name)) || !*name) {
                                continue;
                        }
                        struct ward__lock_symbol s = {name, bias + sym.st_value, sym.st_size,
                                                      GELF_ST_TYPE(sym.st_info) == STT_OBJECT};
                        r = fn(arg, &s);
                }
        }
        if (elf) {
                elf_end(elf);
        }
        close(fd);
        return r;
}

struct module_at {
        uint64_t addr;
        char path[4096];
        uint64_t base;
};

static int module_covers(void *arg, const struct mapping *m)
{
        struct module_at *w = arg;
        if (w->addr < m->start || w->addr >= m->end) {
                return 0;
        }
        if (!m->path[0]) {
                return -ENOENT; /* heap, stack, anonymous memory */
        }
        snprintf(w->path, sizeof(w->path), "%s", m->path);
        w->base = m->base;
        return 1;
}

struct covering {
        uint64_t addr;
        char name[256];
        uint64_t off;
};

static int symbol_covers(void *arg, const struct ward__lock_symbol *s)
{
        struct covering *c = arg;
        if (c->addr < s->addr || c->addr >= s->addr + (s->size ? s->size : 1)) {
                return 0;
        }
        snprintf(c->name, sizeof(c->name), "%s", s->name);
        c->off = c->addr - s->addr;
        return 1;
}

int ward_symbol_name(int pid, uint64_t addr, char *out, size_t size)
{
        struct module_at m = {.addr = addr};
        struct covering c = {.addr = addr};
        int r = each_mapping(pid, module_covers, &m);
        if (r <= 0) {
                return r < 0 ? r : -ENOENT;
        }
        r = ward__lock_file_symbols(m.path, m.base, 0, symbol_covers, &c);
        if (r <= 0) {
                return r < 0 ? r : -ENOENT;
        }
        const char *file = strrchr(m.path, '/') ? strrchr(m.path, '/') + 1 : m.path;
        if (c.off) {
                snprintf(out, size, "%s!%s+0x%" PRIx64, file, c.name, c.off);
        } else {
                snprintf(out, size, "%s!%s", file, c.name);
        }
        return 0;
}
