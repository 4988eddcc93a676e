/* The capture's parsers on known input (src/inspect/guard/parse.h): maps
 * lines with odd paths and damage, auxv, and the link_map walk over a
 * memory image built here, with a loop and with unreadable memory. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "inspect/guard/parse.h"

#include "test.h"

TEST(maps)
{
        static const char text[] =
            "55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234       /usr/bin/prog\n"
            "55d0c0a02000-55d0c0a09000 r-xp 00002000 08:01 1234       /opt/my prog (deleted)\n"
            "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
            "7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0          [vdso]\n"
            "7ffd00200000-7ffd00100000 r-xp 00000000 00:00 0          backwards\n"
            "7ffd00300000-7ffd00301000 r-xp 00000000 00:00 0          after the damage\n";
        struct ward__maps m = {0};
        ASSERT_EQ(ward__maps_parse(text, strlen(text), &m), 4); /* stops at the damage */
        ASSERT_EQ(m.v[0].start, 0x55d0c0a00000ull);
        ASSERT_EQ(m.v[0].flags, WARD__MAP_R | WARD__MAP_P);
        ASSERT_TRUE(strcmp(m.v[0].path, "/usr/bin/prog") == 0);
        ASSERT_EQ(m.v[1].offset, 0x2000);
        ASSERT_EQ(m.v[1].flags, WARD__MAP_R | WARD__MAP_X | WARD__MAP_P);
        ASSERT_TRUE(strcmp(m.v[1].path, "/opt/my prog (deleted)") == 0);
        ASSERT_TRUE(strcmp(m.v[2].path, "") == 0);
        ASSERT_EQ(m.v[2].flags, WARD__MAP_R | WARD__MAP_W | WARD__MAP_P);
        ASSERT_TRUE(strcmp(m.v[3].path, "[vdso]") == 0);
        ASSERT_TRUE(ward__maps_find(&m, 0x55d0c0a02fffull) == &m.v[1]);
        ASSERT_TRUE(ward__maps_find(&m, 0x1000) == NULL);
        ward__maps_free(&m);
        ASSERT_EQ(ward__maps_parse("", 0, &m), 0);
        ASSERT_EQ(ward__maps_parse("1-", 2, &m), 0);
        ward__maps_free(&m);
}

TEST(auxv)
{
        uint64_t a[] = {AT_PAGESZ, 4096, AT_PHDR, 0x1040, AT_NULL, 0, AT_PHNUM, 9};
        uint64_t v = 0;
        ASSERT_EQ(ward__auxv_get(a, sizeof(a), AT_PHDR, &v), 0);
        ASSERT_EQ(v, 0x1040);
        ASSERT_EQ(ward__auxv_get(a, sizeof(a), AT_PHNUM, &v), -ENOENT); /* after AT_NULL */
        ASSERT_EQ(ward__auxv_get(a, 20, AT_PHDR, &v), -ENOENT);         /* cut short */
}

/* A fake address space: BASE.. holds an executable's program headers,
 * its dynamic section with DT_DEBUG, r_debug and two link_map entries. */
#define BASE 0x10000u
static unsigned char image[0x1000]; /* one page: memory is readable by pages */
static size_t readable = sizeof(image);

static int image_read(void *arg, uint64_t addr, void *out, size_t n)
{
        (void)arg;
        if (addr < BASE || addr - BASE > readable || n > readable - (addr - BASE)) {
                return -EFAULT;
        }
        memcpy(out, image + (addr - BASE), n);
        return 0;
}

struct seen {
        uint64_t addr[32], len[32];
        int n;
};

static void on_range(void *arg, uint64_t addr, uint64_t len)
{
        struct seen *s = arg;
        if (s->n < 32) {
                s->addr[s->n] = addr;
                s->len[s->n++] = len;
        }
}

static int saw(const struct seen *s, uint64_t addr, uint64_t len)
{
        for (int i = 0; i < s->n; i++) {
                if (s->addr[i] == addr && s->len[i] == len) {
                        return 1;
                }
        }
        return 0;
}

static void put64(size_t at, uint64_t v)
{
        memcpy(image + at, &v, 8);
}

static void build_image(void)
{
        Elf64_Phdr ph[2] = {{.p_type = PT_PHDR, .p_vaddr = 64, .p_memsz = 112},
                            {.p_type = PT_DYNAMIC, .p_vaddr = 0x200, .p_memsz = 48}};
        memset(image, 0, sizeof(image));
        memcpy(image + 64, ph, sizeof(ph));
        put64(0x200, DT_NEEDED);
        put64(0x208, 1);
        put64(0x210, DT_DEBUG);
        put64(0x218, BASE + 0x300);
        put64(0x220, DT_NULL);
        put64(0x300, 1);            /* r_version */
        put64(0x308, BASE + 0x400); /* r_map */
        put64(0x408, BASE + 0x500); /* l_name "" */
        put64(0x410, BASE + 0x200); /* l_ld */
        put64(0x418, BASE + 0x440); /* l_next */
        put64(0x448, BASE + 0x510); /* l_name */
        memcpy(image + 0x510, "/lib/libc.so.6", 15);
}

TEST(link_map_walk)
{
        struct seen s = {0};
        build_image();
        ASSERT_EQ(ward__link_map_walk(image_read, NULL, BASE + 64, 2, on_range, &s), 2);
        ASSERT_TRUE(saw(&s, BASE + 64, 112));   /* the program headers */
        ASSERT_TRUE(saw(&s, BASE + 0x200, 48)); /* the dynamic section, to DT_NULL */
        ASSERT_TRUE(saw(&s, BASE + 0x300, 40)); /* r_debug */
        ASSERT_TRUE(saw(&s, BASE + 0x400, 40)); /* the link_map entries */
        ASSERT_TRUE(saw(&s, BASE + 0x440, 40));
        ASSERT_TRUE(saw(&s, BASE + 0x510, 15)); /* a name with its NUL */

        put64(0x458, BASE + 0x400); /* l_next back to the first: a loop, bounded */
        s.n = 0;
        ASSERT_EQ(ward__link_map_walk(image_read, NULL, BASE + 64, 2, on_range, &s),
                  WARD__LINK_MAP_MAX);

        build_image();
        readable = 0x430; /* the second entry cannot be read: what was read is kept */
        s.n = 0;
        ASSERT_EQ(ward__link_map_walk(image_read, NULL, BASE + 64, 2, on_range, &s), 1);
        readable = 0x100; /* the dynamic section cannot be read */
        ASSERT_EQ(ward__link_map_walk(image_read, NULL, BASE + 64, 2, on_range, &s), -EFAULT);
        readable = sizeof(image);
        ASSERT_EQ(ward__link_map_walk(image_read, NULL, BASE + 64, 0, on_range, &s), -EBADMSG);
        ASSERT_EQ(ward__link_map_walk(image_read, NULL, BASE + 64, 100000, on_range, &s), -EBADMSG);
}

TEST_MAIN()
