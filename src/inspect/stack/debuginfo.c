/* Separate debug files with compressed sections, opened fast: see unwind.h.
 *
 * Distributions compress the DWARF of their -dbg packages (SHF_COMPRESSED,
 * zlib). libdw inflates every debug section of a file when it opens it, with
 * zlib, including the location lists that naming frames never reads: for
 * glibc 2.36's libc that is ~10 MB and most of the time `eu-stack -s` takes.
 * Here the file is rewritten into a memfd first: the sections frames need
 * are inflated (with libdeflate where it is built in, several times faster
 * than zlib), the ones they never read become empty (SHT_NOBITS), the rest
 * is copied as it is. libdw then maps the result and inflates nothing. The
 * debug file is a file on this machine, not the target's memory, but it is
 * still checked as input: every offset and size against the file's size. */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef WARD_HAVE_LIBDEFLATE
#include <libdeflate.h>
#else
#include <zlib.h>
#endif

#include "inspect/stack/unwind.h"

#define MAX_SECTIONS 4096
#define MAX_INFLATED (1ull << 31) /* a section larger than 2 GiB is no debug file of ours */

/* unread: sections that naming frames (symbols, CFI, lines, inlined
 * scopes) never reads: location lists, macros, name indexes */
static int unread(const char *name)
{
        static const char *const names[] = {
            ".debug_loc",          ".debug_loclists",     ".debug_macro",
            ".debug_macinfo",      ".debug_pubnames",     ".debug_pubtypes",
            ".debug_gnu_pubnames", ".debug_gnu_pubtypes", ".debug_names",
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (strcmp(name, names[i]) == 0) {
                        return 1;
                }
        }
        return 0;
}

static int inflate_into(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_len)
{
#ifdef WARD_HAVE_LIBDEFLATE
        struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
        size_t got = 0;
        if (!d) {
                return -ENOMEM;
        }
        enum libdeflate_result r = libdeflate_zlib_decompress(d, in, in_len, out, out_len, &got);
        libdeflate_free_decompressor(d);
        return r == LIBDEFLATE_SUCCESS && got == out_len ? 0 : -EIO;
#else
        uLongf got = out_len;
        int r = uncompress(out, &got, in, in_len);
        return r == Z_OK && got == out_len ? 0 : -EIO;
#endif
}

struct job { /* one section to inflate */
        const unsigned char *in;
        size_t in_len;
        unsigned char *out;
        size_t out_len;
        int r;
};

static void *run_job(void *arg)
{
        struct job *j = arg;
        j->r = inflate_into(j->in, j->in_len, j->out, j->out_len);
        return NULL;
}

struct plan {
        GElf_Shdr sh; /* the section as the new file has it */
        uint64_t src; /* where its bytes are in the old file */
        uint64_t src_len;
        int inflate; /* src holds a compression header and zlib data */
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return a > 1 ? (v + a - 1) / a * a : v;
}

/* rewrite: the memfd image of the ELF file in map[0..size), or -errno
 * (-ENOTSUP: nothing to inflate, use the file as it is) */
static int rewrite(const unsigned char *map, size_t size)
{
        Elf *elf = elf_memory((char *)map, size);
        GElf_Ehdr eh;
        size_t shnum, shstrndx;
        int r = -ENOTSUP;
        struct plan *p = NULL;
        if (!elf || !gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
            eh.e_ident[EI_DATA] != ELFDATA2LSB || elf_getshdrnum(elf, &shnum) != 0 ||
            elf_getshdrstrndx(elf, &shstrndx) != 0 || shnum == 0 || shnum > MAX_SECTIONS ||
            eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_phentsize != sizeof(Elf64_Phdr) ||
            eh.e_phoff > size || (uint64_t)eh.e_phnum * eh.e_phentsize > size - eh.e_phoff ||
            !(p = calloc(shnum, sizeof(*p)))) {
                goto out;
        }
        int any = 0;
        /* layout: ELF header, program headers, each section, section headers */
        uint64_t at = sizeof(Elf64_Ehdr) + (uint64_t)eh.e_phnum * eh.e_phentsize;
        for (size_t i = 0; i < shnum; i++) {
                Elf_Scn *scn = elf_getscn(elf, i);
                struct plan *s = &p[i];
                if (!scn || !gelf_getshdr(scn, &s->sh)) {
                        goto out;
                }
                const char *name = elf_strptr(elf, shstrndx, s->sh.sh_name);
                if (s->sh.sh_type == SHT_NOBITS || s->sh.sh_size == 0 || i == 0) {
                        s->sh.sh_offset = i == 0 ? 0 : at;
                        continue;
                }
                if (s->sh.sh_offset > size || s->sh.sh_size > size - s->sh.sh_offset) {
                        goto out; /* damaged: let libdw say so */
                }
                s->src = s->sh.sh_offset;
                s->src_len = s->sh.sh_size;
                if (name && strncmp(name, ".debug_", 7) == 0 && unread(name)) {
                        s->sh.sh_type = SHT_NOBITS;
                        s->sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
                        s->sh.sh_size = 0;
                        s->sh.sh_offset = at;
                        s->src_len = 0;
                        continue;
                }
                if (s->sh.sh_flags & SHF_COMPRESSED) {
                        Elf64_Chdr ch;
                        if (s->src_len < sizeof(ch)) {
                                goto out;
                        }
                        memcpy(&ch, map + s->src, sizeof(ch));
                        if (ch.ch_type != ELFCOMPRESS_ZLIB || ch.ch_size == 0 ||
                            ch.ch_size > MAX_INFLATED) {
                                goto out; /* zstd and the like: libdw's own way */
                        }
                        s->inflate = 1;
                        any = 1;
                        s->sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
                        s->sh.sh_size = ch.ch_size;
                        s->sh.sh_addralign = ch.ch_addralign ? ch.ch_addralign : 1;
                }
                at = align_up(at, s->sh.sh_addralign > 8 ? 8 : s->sh.sh_addralign);
                s->sh.sh_offset = at;
                at += s->sh.sh_size;
        }
        if (!any) {
                goto out;
        }
        at = align_up(at, 8);
        uint64_t shoff = at, total = at + shnum * sizeof(Elf64_Shdr);
        int fd = memfd_create("ward-debuginfo", MFD_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        unsigned char *o = MAP_FAILED;
        if (ftruncate(fd, (off_t)total) < 0 ||
            (o = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)) ==
                MAP_FAILED) {
                r = -errno;
                close(fd);
                goto out;
        }
        Elf64_Ehdr neh;
        memcpy(&neh, map, sizeof(neh));
        neh.e_phoff = eh.e_phnum ? sizeof(Elf64_Ehdr) : 0;
        neh.e_shoff = shoff;
        memcpy(o, &neh, sizeof(neh));
        memcpy(o + sizeof(neh), map + eh.e_phoff, (size_t)eh.e_phnum * eh.e_phentsize);
        /* the largest section (.debug_info) is inflated by a second thread
         * while this one does the rest */
        struct job big = {.r = -ENOENT};
        size_t big_i = 0;
        for (size_t i = 1; i < shnum; i++) {
                if (p[i].inflate && (!big_i || p[i].sh.sh_size > p[big_i].sh.sh_size)) {
                        big_i = i;
                }
        }
        pthread_t helper;
        int helping = 0;
        if (big_i) {
                big = (struct job){map + p[big_i].src + sizeof(Elf64_Chdr),
                                   p[big_i].src_len - sizeof(Elf64_Chdr), o + p[big_i].sh.sh_offset,
                                   p[big_i].sh.sh_size, 0};
                helping = pthread_create(&helper, NULL, run_job, &big) == 0;
                if (!helping) {
                        run_job(&big);
                }
        }
        r = 0;
        for (size_t i = 1; i < shnum && r == 0; i++) {
                struct plan *s = &p[i];
                if (i == big_i) {
                        continue;
                }
                if (s->inflate) {
                        r = inflate_into(map + s->src + sizeof(Elf64_Chdr),
                                         s->src_len - sizeof(Elf64_Chdr), o + s->sh.sh_offset,
                                         s->sh.sh_size);
                } else if (s->sh.sh_type != SHT_NOBITS && s->src_len) {
                        memcpy(o + s->sh.sh_offset, map + s->src, s->src_len);
                }
        }
        if (helping) {
                pthread_join(helper, NULL);
        }
        if (r == 0 && big_i) {
                r = big.r;
        }
        for (size_t i = 0; i < shnum; i++) {
                Elf64_Shdr sh = {
                    .sh_name = p[i].sh.sh_name,
                    .sh_type = p[i].sh.sh_type,
                    .sh_flags = p[i].sh.sh_flags,
                    .sh_addr = p[i].sh.sh_addr,
                    .sh_offset = p[i].sh.sh_offset,
                    .sh_size = p[i].sh.sh_size,
                    .sh_link = p[i].sh.sh_link,
                    .sh_info = p[i].sh.sh_info,
                    .sh_addralign = p[i].sh.sh_addralign,
                    .sh_entsize = p[i].sh.sh_entsize,
                };
                memcpy(o + shoff + i * sizeof(sh), &sh, sizeof(sh));
        }
        munmap(o, total);
        if (r < 0) {
                close(fd);
                goto out;
        }
        r = fd;
out:
        free(p);
        elf_end(elf);
        return r;
}

/* build_id_matches: does the ELF image in map carry the build-id bits? */
static int build_id_matches(const unsigned char *map, size_t size, const unsigned char *bits,
                            int len)
{
        Elf *elf = elf_memory((char *)map, size);
        Elf_Scn *scn = NULL;
        int match = 0;
        while (elf && !match && (scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                Elf_Data *d;
                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
                    !(d = elf_getdata(scn, NULL))) {
                        continue;
                }
                GElf_Nhdr nh;
                size_t off = 0, name_off, desc_off, next;
                while (!match && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
                        match = nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                                memcmp((char *)d->d_buf + name_off, "GNU", 4) == 0 &&
                                nh.n_descsz == (GElf_Word)len &&
                                memcmp((char *)d->d_buf + desc_off, bits, (size_t)len) == 0;
                        off = next;
                }
        }
        elf_end(elf);
        return match;
}

/* by_build_id: the memfd image of /usr/lib/debug/.build-id/NN/N*.debug for
 * mod when that file is mod's and has compressed sections; -errno if not */
static int by_build_id(Dwfl_Module *mod, char **debuginfo_file_name)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *bits;
        GElf_Addr vaddr;
        int len = dwfl_module_build_id(mod, &bits, &vaddr);
        char path[160] = "/usr/lib/debug/.build-id/";
        size_t k = strlen(path);
        if (len < 2 || len > 64) {
                return -ENOENT;
        }
        for (int i = 0; i < len; i++) {
                path[k++] = hex[bits[i] >> 4];
                path[k++] = hex[bits[i] & 15];
                if (i == 0) {
                        path[k++] = '/';
                }
        }
        memcpy(path + k, ".debug", sizeof(".debug"));
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size < 64) {
                if (fd >= 0) {
                        close(fd);
                }
                return -ENOENT;
        }
        void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) {
                return -ENOENT;
        }
        int mem = build_id_matches(map, (size_t)sb.st_size, bits, len)
                      ? rewrite(map, (size_t)sb.st_size)
                      : -ENOENT;
        munmap(map, (size_t)sb.st_size);
        if (mem >= 0 && !(*debuginfo_file_name = strdup(path))) {
                close(mem);
                return -ENOMEM;
        }
        return mem;
}

int ward__stack_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                               Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                               GElf_Word debuglink_crc, char **debuginfo_file_name)
{
        /* dwfl_standard_find_debuginfo opens a file it finds by build-id
         * itself (and libdwfl then uses that handle, inflating everything):
         * look there first */
        int mem = by_build_id(mod, debuginfo_file_name);
        if (mem >= 0) {
                return mem;
        }
        return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                            debuglink_crc, debuginfo_file_name);
}
