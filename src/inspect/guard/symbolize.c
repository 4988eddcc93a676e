/* Naming a report's frames after the fact: see symbolize.h. Each debug file
 * found is opened once (an offline libdwfl session of its own) and kept,
 * with the build-ids that have none, for the frames that follow. */
#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/guard/symbolize.h"

#define MAX_BUILD_ID 64    /* bytes */
#define MAX_DIR_FILES 4096 /* files of DIR looked into for a build-id */
#define PAGE_MASK_4K (~(uint64_t)4095)

struct module {
        char build_id[2 * MAX_BUILD_ID + 1];
        Dwfl *dwfl; /* NULL: no debug file for this build-id */
        Dwfl_Module *mod;
        uint64_t base; /* where the module's first mapping starts, in dwfl's addresses */
        char path[512];
};

struct ward__symbolizer {
        char *dir;
        char *debuginfo_path; /* for dwfl_standard_find_debuginfo: the directory too */
        Dwfl_Callbacks cb;
        struct module *mods;
        size_t n, cap;
};

int ward__symbolizer_open(const char *dir, struct ward__symbolizer **ret)
{
        struct stat st;
        if (stat(dir, &st) < 0) {
                return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
                return -ENOTDIR;
        }
        struct ward__symbolizer *s = calloc(1, sizeof(*s));
        if (!s || !(s->dir = strdup(dir)) || !(s->debuginfo_path = strdup(dir))) {
                if (s) {
                        free(s->dir);
                }
                free(s);
                return -ENOMEM;
        }
        s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
        s->cb.section_address = dwfl_offline_section_address;
        s->cb.debuginfo_path = &s->debuginfo_path;
        elf_version(EV_CURRENT);
        *ret = s;
        return 0;
}

void ward__symbolizer_close(struct ward__symbolizer *s)
{
        if (!s) {
                return;
        }
        for (size_t i = 0; i < s->n; i++) {
                dwfl_end(s->mods[i].dwfl);
        }
        free(s->mods);
        free(s->debuginfo_path);
        free(s->dir);
        free(s);
}

/* unhex: build_id's bytes; their number, or -1 when it is not even-length
 * hex of 2 to MAX_BUILD_ID bytes. */
static int unhex(const char *build_id, unsigned char *out)
{
        size_t n = strlen(build_id);
        if (n < 4 || n % 2 || n > 2 * MAX_BUILD_ID) {
                return -1;
        }
        for (size_t i = 0; i < n; i += 2) {
                unsigned v;
                if (sscanf(build_id + i, "%2x", &v) != 1 ||
                    !strchr("0123456789abcdefABCDEF", build_id[i]) || !build_id[i + 1] ||
                    !strchr("0123456789abcdefABCDEF", build_id[i + 1])) {
                        return -1;
                }
                out[i / 2] = (unsigned char)v;
        }
        return (int)(n / 2);
}

/* carries: is path a regular ELF file with the GNU build-id bits? */
static int carries(const char *path, const unsigned char *bits, int len)
{
        struct stat st;
        /* a .build-id entry is often a symbolic link to the file: followed;
         * O_NONBLOCK: a FIFO in the directory does not block the open */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                return 0;
        }
        int match = 0;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
                Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
                const void *id;
                ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
                match = n == len && memcmp(id, bits, (size_t)len) == 0;
                elf_end(elf);
        }
        close(fd);
        return match;
}

/* in_dir: a file right in dir carrying the build-id, into path. */
static int in_dir(const char *dir, const unsigned char *bits, int len, char *path, size_t size)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int found = 0, seen = 0;
        while (d && !found && seen++ < MAX_DIR_FILES && (e = readdir(d))) {
                if (e->d_name[0] == '.') {
                        continue;
                }
                int n = snprintf(path, size, "%s/%s", dir, e->d_name);
                found = n > 0 && (size_t)n < size && carries(path, bits, len);
        }
        if (d) {
                closedir(d);
        }
        return found;
}

/* find_file: the debug file of build_id under s->dir, into path; 0 if none. */
static int find_file(struct ward__symbolizer *s, const char *build_id, const unsigned char *bits,
                     int len, char *path, size_t size)
{
        static const char *const suffixes[] = {".debug", ""};
        for (size_t i = 0; i < 2; i++) {
                int n = snprintf(path, size, "%s/.build-id/%.2s/%s%s", s->dir, build_id,
                                 build_id + 2, suffixes[i]);
                if (n > 0 && (size_t)n < size && carries(path, bits, len)) {
                        return 1;
                }
        }
        return in_dir(s->dir, bits, len, path, size);
}

/* first_mapping: the address of the module's first mapping in dwfl's terms:
 * its bias plus the page of its lowest PT_LOAD, as the report's
 * module_offset counts from the first mapping of the file. */
static int first_mapping(Dwfl_Module *mod, uint64_t *ret)
{
        Dwarf_Addr bias;
        Elf *elf = dwfl_module_getelf(mod, &bias);
        size_t n;
        uint64_t low = UINT64_MAX;
        if (!elf || elf_getphdrnum(elf, &n) < 0) {
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                GElf_Phdr ph;
                if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < low) {
                        low = ph.p_vaddr;
                }
        }
        if (low == UINT64_MAX) {
                return -1;
        }
        *ret = bias + (low & PAGE_MASK_4K);
        return 0;
}

/* open_module: an offline session of the debug file at m->path. */
static void open_module(struct ward__symbolizer *s, struct module *m)
{
        m->dwfl = dwfl_begin(&s->cb);
        if (!m->dwfl) {
                return;
        }
        dwfl_report_begin(m->dwfl);
        m->mod = dwfl_report_offline(m->dwfl, "module", m->path, -1);
        if (dwfl_report_end(m->dwfl, NULL, NULL) != 0 || !m->mod ||
            first_mapping(m->mod, &m->base) < 0) {
                dwfl_end(m->dwfl);
                m->dwfl = NULL;
                m->mod = NULL;
        }
}

/* module_of: the entry of build_id, looked up and opened at its first use. */
static struct module *module_of(struct ward__symbolizer *s, const char *build_id,
                                const unsigned char *bits, int len)
{
        for (size_t i = 0; i < s->n; i++) {
                if (strcmp(s->mods[i].build_id, build_id) == 0) {
                        return &s->mods[i];
                }
        }
        if (s->n == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 16;
                struct module *p = realloc(s->mods, cap * sizeof(*p));
                if (!p) {
                        return NULL;
                }
                s->mods = p;
                s->cap = cap;
        }
        struct module *m = &s->mods[s->n++];
        memset(m, 0, sizeof(*m));
        snprintf(m->build_id, sizeof(m->build_id), "%s", build_id);
        if (find_file(s, build_id, bits, len, m->path, sizeof(m->path))) {
                open_module(s, m);
        }
        return m;
}

static void lower(const char *in, char *out, size_t size)
{
        size_t i = 0;
        for (; in[i] && i + 1 < size; i++) {
                out[i] = in[i] >= 'A' && in[i] <= 'F' ? (char)(in[i] - 'A' + 'a') : in[i];
        }
        out[i] = '\0';
}

int ward__symbolize(struct ward__symbolizer *s, const char *build_id, uint64_t module_offset,
                    int return_address, struct ward__symbolized *ret)
{
        unsigned char bits[MAX_BUILD_ID];
        char id[2 * MAX_BUILD_ID + 1];
        int len = unhex(build_id, bits);
        if (len < 0) {
                return -EINVAL;
        }
        lower(build_id, id, sizeof(id));
        struct module *m = module_of(s, id, bits, len);
        if (!m) {
                return -ENOMEM;
        }
        if (!m->dwfl) {
                return 0;
        }
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->debug_file, sizeof(ret->debug_file), "%s", m->path);
        uint64_t at = m->base + module_offset - (return_address && module_offset ? 1 : 0);
        GElf_Off off = 0;
        GElf_Sym sym;
        const char *name = dwfl_module_addrinfo(m->mod, at, &off, &sym, NULL, NULL, NULL);
        if (name) {
                snprintf(ret->function, sizeof(ret->function), "%s", name);
                ret->offset = off + (uint64_t)(at != m->base + module_offset);
        }
        Dwfl_Line *l = dwfl_module_getsrc(m->mod, at);
        int line = 0;
        const char *file = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
        if (file) {
                snprintf(ret->file, sizeof(ret->file), "%s", file);
                ret->line = line;
        }
        return 1;
}
