/* Symbolizing another process's addresses: see symbol.h. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lock/symbol.h"

/* find_module: the file mapped at addr, and its load base (the start of its
 * first mapping, file offset 0). */
static int find_module(int pid, uint64_t addr, char *path, size_t size, uint64_t *base)
{
        char maps[64], line[4352], file[4096];
        snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
        FILE *f = fopen(maps, "re");
        int found = -ENOENT;
        uint64_t first_start = 0, prev_end = 0;
        char first_file[4096] = "";
        if (!f) {
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                unsigned long long start, end, off;
                file[0] = '\0';
                int fields =
                    sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start, &end, &off, file);
                if (fields < 3) {
                        continue;
                }
                if (file[0] != '/') { /* .bss past the file's end: anonymous, right after it */
                        if (addr >= start && addr < end && start == prev_end && first_file[0]) {
                                snprintf(path, size, "%s", first_file);
                                *base = first_start;
                                found = 0;
                                break;
                        }
                        prev_end = 0;
                        continue;
                }
                prev_end = end;
                if (off == 0 || strcmp(file, first_file) != 0) {
                        snprintf(first_file, sizeof(first_file), "%s", file);
                        first_start = start;
                }
                if (addr >= start && addr < end) {
                        snprintf(path, size, "%s", file);
                        *base = first_start;
                        found = 0;
                        break;
                }
        }
        fclose(f);
        return found;
}

/* lookup: the object or function symbol of elf covering vaddr. */
static int lookup(Elf *elf, uint64_t vaddr, char *name, size_t size, uint64_t *off)
{
        Elf_Scn *scn = NULL;
        int found = -ENOENT;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) ||
                    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || sh.sh_entsize == 0) {
                        continue;
                }
                Elf_Data *data = elf_getdata(scn, NULL);
                size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
                for (size_t i = 0; i < n; i++) {
                        GElf_Sym sym;
                        if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
                            vaddr < sym.st_value ||
                            vaddr >= sym.st_value + (sym.st_size ? sym.st_size : 1)) {
                                continue;
                        }
                        const char *s = elf_strptr(elf, sh.sh_link, sym.st_name);
                        if (s && *s) {
                                snprintf(name, size, "%s", s);
                                *off = vaddr - sym.st_value;
                                return 0;
                        }
                }
        }
        return found;
}

int ward__lock_symbolize(int pid, uint64_t addr, char *out, size_t size)
{
        char path[4096], name[256];
        uint64_t base = 0, off = 0;
        int r = find_module(pid, addr, path, sizeof(path), &base);
        if (r < 0) {
                return r;
        }
        if (elf_version(EV_CURRENT) == EV_NONE) {
                return -ENOSYS;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                return -errno;
        }
        Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
        GElf_Ehdr eh;
        r = -ENOENT;
        if (elf && gelf_getehdr(elf, &eh)) {
                uint64_t vaddr = eh.e_type == ET_DYN ? addr - base : addr; /* PIE and libraries */
                r = lookup(elf, vaddr, name, sizeof(name), &off);
        }
        if (elf) {
                elf_end(elf);
        }
        close(fd);
        if (r == 0) {
                const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
                if (off) {
                        snprintf(out, size, "%s!%s+0x%" PRIx64, file, name, off);
                } else {
                        snprintf(out, size, "%s!%s", file, name);
                }
        }
        return r;
}
