/* ward symbolize: a small program built with -g, its debug info split off
 * (objcopy --only-keep-debug, strip --strip-debug) and placed under
 * DIR/.build-id/NN/REST.debug; `ward core` captures it: the report names the
 * program's functions but has no file:line for them; `ward symbolize REPORT
 * --debug-dir DIR` adds the right ones. Skips (77) without cc, objcopy or
 * strip, or where ptrace is not permitted. */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json-parse.h"

#include "test-run.h"
#include "test.h"

/* The program: deep_wait's call of pause() is on line 10, main's call of
 * deep_wait on line 16. */
static const char victim_src[] = "#include <stdio.h>\n"     /* 1 */
                                 "#include <sys/prctl.h>\n" /* 2 */
                                 "#include <unistd.h>\n"    /* 3 */
                                 "\n"                       /* 4 */
                                 "__attribute__((noinline)) static void deep_wait(void)\n"
                                 "{\n"                                   /* 6 */
                                 "        puts(\"ready\");\n"            /* 7 */
                                 "        fflush(stdout);\n"             /* 8 */
                                 "        for (;;)\n"                    /* 9 */
                                 "                pause();\n"            /* 10 */
                                 "}\n"                                   /* 11 */
                                 "\n"                                    /* 12 */
                                 "int main(void)\n"                      /* 13 */
                                 "{\n"                                   /* 14 */
                                 "        prctl(PR_SET_PTRACER, -1L);\n" /* 15 */
                                 "        deep_wait();\n"                /* 16 */
                                 "        return 0;\n"                   /* 17 */
                                 "}\n";
#define PAUSE_LINE 10
#define CALL_LINE 16

static char dir[64];

static void cleanup(void)
{
        char cmd[128];
        if (dir[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                if (system(cmd) != 0) {
                        fprintf(stderr, "could not remove %s\n", dir);
                }
        }
}

/* sh: run a shell command; its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
        char cmd[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        int st = system(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void need(const char *tool)
{
        if (sh("command -v %s >/dev/null 2>&1", tool) != 0) {
                SKIP("%s is not installed", tool);
        }
}

/* build_id_of: the GNU build-id of the ELF file at path, in hex. */
static void build_id_of(const char *path, char *out, size_t size)
{
        elf_version(EV_CURRENT);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
        const void *id;
        ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
        ASSERT_TRUE(n >= 2 && (size_t)(2 * n) < size);
        for (ssize_t i = 0; i < n; i++) {
                snprintf(out + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
        }
        elf_end(elf);
        close(fd);
}

/* start: the program running, sitting in pause() */
static pid_t start(const char *prog)
{
        int out[2];
        char buf[8] = "";
        ASSERT_EQ(pipe(out), 0);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                dup2(out[1], 1);
                close(out[0]);
                execl(prog, prog, (char *)NULL);
                _exit(127);
        }
        close(out[1]);
        ASSERT_EQ(read(out[0], buf, 6), 6);
        ASSERT_TRUE(memcmp(buf, "ready\n", 6) == 0);
        close(out[0]);
        char path[64], sys[64];
        snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
        for (int i = 0; i < 10000; i++) { /* until it sits in pause (34) */
                FILE *f = fopen(path, "re");
                int in_pause = f && fgets(sys, sizeof(sys), f) && strncmp(sys, "34 ", 3) == 0;
                if (f) {
                        fclose(f);
                }
                if (in_pause) {
                        break;
                }
                usleep(1000);
        }
        return pid;
}

static const struct ward__json *member(const struct ward__json *o, const char *key)
{
        for (const struct ward__json *m = o ? o->kids : NULL; m; m = m->next) {
                if (m->key_len == strlen(key) && memcmp(m->key, key, m->key_len) == 0) {
                        return m;
                }
        }
        return NULL;
}

static int str_is(const struct ward__json *v, const char *s)
{
        return v && v->type == WARD__JSON_STRING && v->len == strlen(s) &&
               memcmp(v->text, s, v->len) == 0;
}

static int ends_with(const struct ward__json *v, const char *s)
{
        size_t n = strlen(s);
        return v && v->type == WARD__JSON_STRING && v->len >= n &&
               memcmp(v->text + v->len - n, s, n) == 0;
}

/* frame_of: the frame of function name in the first thread of a report
 * (or of ward symbolize's JSON) */
static const struct ward__json *frame_of(const struct ward__json *root, const char *name)
{
        const struct ward__json *threads = member(root, "threads");
        ASSERT_TRUE(threads && threads->kids);
        for (const struct ward__json *f = member(threads->kids, "frames")->kids; f; f = f->next) {
                if (str_is(member(f, "function"), name)) {
                        return f;
                }
        }
        TEST_FAIL("no frame of %s", name);
}

static void expect_line(const struct ward__json *f, int line)
{
        const struct ward__json *l = member(f, "line");
        ASSERT_TRUE(ends_with(member(f, "file"), "/victim.c"));
        ASSERT_TRUE(l && l->type == WARD__JSON_NUMBER);
        ASSERT_EQ(atoi(l->text), line);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "re");
        ASSERT_TRUE(f != NULL);
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static const struct ward__json *parse(const char *text, struct ward__json_doc **doc)
{
        const struct ward__json *root;
        char err[256];
        if (ward__json_parse(text, strlen(text), doc, &root, err, sizeof(err)) != 0) {
                TEST_FAIL("not JSON: %s\n%s", err, text);
        }
        return root;
}

TEST(symbolize_split_debug)
{
        static char out[1 << 20];
        char src[128], prog[128], id[129], dbg[128], debug_file[512], pid_s[16];
        need("cc");
        need("objcopy");
        need("strip");
        snprintf(dir, sizeof(dir), "/tmp/ward-symbolize-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        atexit(cleanup);
        snprintf(src, sizeof(src), "%s/victim.c", dir);
        snprintf(prog, sizeof(prog), "%s/victim", dir);
        FILE *f = fopen(src, "we");
        ASSERT_TRUE(f && fputs(victim_src, f) >= 0 && fclose(f) == 0);
        if (sh("cc -g -O0 -fno-omit-frame-pointer -Wl,--build-id -o '%s' '%s'", prog, src) != 0) {
                SKIP("cc could not build a program with a build-id");
        }
        build_id_of(prog, id, sizeof(id));
        snprintf(dbg, sizeof(dbg), "%s/dbg", dir);
        snprintf(debug_file, sizeof(debug_file), "%s/.build-id/%.2s", dbg, id);
        ASSERT_EQ(sh("mkdir -p '%s'", debug_file), 0);
        snprintf(debug_file + strlen(debug_file), sizeof(debug_file) - strlen(debug_file),
                 "/%s.debug", id + 2);
        ASSERT_EQ(sh("objcopy --only-keep-debug '%s' '%s'", prog, debug_file), 0);
        ASSERT_EQ(sh("strip --strip-debug '%s'", prog), 0);

        pid_t pid = start(prog);
        snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
        const char *core_args[] = {"core", "-o", dir, "--json", pid_s, NULL};
        int st = test_run_ward(core_args, NULL, -1, out, sizeof(out));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (st == 1 && strstr(out, "ptrace")) {
                SKIP("ptrace is not permitted here: %s", out);
        }
        ASSERT_EQ(st, 0);
        struct ward__json_doc *doc, *rdoc, *sdoc;
        const struct ward__json *res = parse(out, &doc);
        const struct ward__json *rp = member(res, "report_json");
        ASSERT_TRUE(rp && rp->type == WARD__JSON_STRING);
        char report[512];
        snprintf(report, sizeof(report), "%.*s", (int)rp->len, rp->text);

        /* the report: the functions by name, but no file:line of the program */
        const char *rtext = slurp(report);
        ASSERT_TRUE(strstr(rtext, "victim.c") == NULL);
        const struct ward__json *rroot = parse(rtext, &rdoc);
        ASSERT_TRUE(member(frame_of(rroot, "deep_wait"), "build_id")->len > 0);

        /* symbolized: deep_wait at its pause() call, main at its call */
        const char *sym_args[] = {"symbolize", report, "--debug-dir", dbg, "--json", NULL};
        ASSERT_EQ(test_run_ward(sym_args, NULL, -1, out, sizeof(out)), 0);
        const struct ward__json *sroot = parse(out, &sdoc);
        const struct ward__json *dw = frame_of(sroot, "deep_wait");
        expect_line(dw, PAUSE_LINE);
        ASSERT_EQ(member(dw, "symbolized")->type, WARD__JSON_TRUE);
        expect_line(frame_of(sroot, "main"), CALL_LINE);

        /* the text says the same */
        const char *text_args[] = {"symbolize", report, "--debug-dir", dbg, NULL};
        ASSERT_EQ(test_run_ward(text_args, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "victim.c:10\n") != NULL);
        ASSERT_TRUE(strstr(out, "victim.c:16\n") != NULL);

        /* what goes wrong is said, with the exit status */
        const char *no_dir[] = {"symbolize", report, "--debug-dir", "/nonexistent-ward", NULL};
        ASSERT_EQ(test_run_ward(no_dir, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "/nonexistent-ward") != NULL);
        const char *no_report[] = {"symbolize", "/nonexistent-ward.json", "--debug-dir", dbg, NULL};
        ASSERT_EQ(test_run_ward(no_report, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "/nonexistent-ward.json") != NULL);
        const char *not_report[] = {"symbolize", src, "--debug-dir", dbg, NULL};
        ASSERT_EQ(test_run_ward(not_report, NULL, -1, out, sizeof(out)), 1);
        ASSERT_TRUE(strstr(out, "not a ward report") != NULL);
        char empty[128];
        snprintf(empty, sizeof(empty), "%s/empty", dir);
        ASSERT_EQ(mkdir(empty, 0700), 0);
        const char *no_match[] = {"symbolize", report, "--debug-dir", empty, NULL};
        ASSERT_EQ(test_run_ward(no_match, NULL, -1, out, sizeof(out)), 1);
        const char *usage[] = {"symbolize", report, NULL};
        ASSERT_EQ(test_run_ward(usage, NULL, -1, out, sizeof(out)), 2);
        const char *help[] = {"symbolize", "--help", NULL};
        ASSERT_EQ(test_run_ward(help, NULL, -1, out, sizeof(out)), 0);

        ward__json_doc_free(doc);
        ward__json_doc_free(rdoc);
        ward__json_doc_free(sdoc);
}

TEST_MAIN()
