/* `ward stack` against eu-stack (elfutils): for the thread blocked in
 * read(2), both name the same functions, in the same order, in stop mode and
 * in live mode. ward's inlined frames are extra (eu-stack shows them only
 * with -i), so they are left out of the comparison. Skipped when eu-stack is
 * not installed. */
#include <stdlib.h>

#include "stack-target.h"
#include "test-run.h"
#include "test.h"

#define MAX_NAMES 64

struct names {
        char f[MAX_NAMES][128];
        size_t n;
};

/* eu_stack: the functions eu-stack -p PID prints for thread tid */
static int eu_stack(pid_t pid, int tid, struct names *out)
{
        char cmd[128], line[512];
        snprintf(cmd, sizeof(cmd), "eu-stack -p %d 2>/dev/null", (int)pid);
        FILE *p = popen(cmd, "r");
        if (!p) {
                return -1;
        }
        int in = 0;
        out->n = 0;
        while (fgets(line, sizeof(line), p)) {
                int t;
                if (sscanf(line, "TID %d:", &t) == 1) {
                        in = t == tid;
                        continue;
                }
                char name[128];
                unsigned long long pc;
                if (in && out->n < MAX_NAMES && sscanf(line, "#%*d 0x%llx %127s", &pc, name) == 2) {
                        snprintf(out->f[out->n++], sizeof(out->f[0]), "%s", name);
                }
        }
        return pclose(p) == 0 ? 0 : -1;
}

/* ward_names: the real frames' functions `ward stack [--live] --json
 * --thread tid pid` prints */
static void ward_names(pid_t pid, int tid, int live, struct names *out)
{
        static char json[1 << 16];
        char p[16], t[16];
        snprintf(p, sizeof(p), "%d", (int)pid);
        snprintf(t, sizeof(t), "%d", tid);
        const char *args[] = {"stack", "--json", "--thread", t, p, live ? "--live" : NULL, NULL};
        ASSERT_EQ(test_run_ward(args, NULL, -1, json, sizeof(json)), 0);
        out->n = 0;
        for (const char *s = json; (s = strstr(s, "{\"pc\":")) && out->n < MAX_NAMES; s++) {
                const char *fn = strstr(s, "\"function\":\"");
                const char *inl = strstr(s, "\"inlined\":");
                ASSERT_TRUE(fn && inl);
                if (strncmp(inl + 10, "true", 4) == 0) {
                        continue;
                }
                fn += 12;
                size_t len = strcspn(fn, "\"");
                snprintf(out->f[out->n++], sizeof(out->f[0]), "%.*s", (int)len, fn);
        }
}

static void same(const struct names *eu, const struct names *ward, const char *mode)
{
        int ok = eu->n == ward->n;
        for (size_t i = 0; ok && i < eu->n; i++) {
                ok = strcmp(eu->f[i], ward->f[i]) == 0;
        }
        if (!ok) {
                for (size_t i = 0; i < eu->n || i < ward->n; i++) {
                        fprintf(stderr, "  #%zu eu-stack %-40s ward %s\n", i,
                                i < eu->n ? eu->f[i] : "-", i < ward->n ? ward->f[i] : "-");
                }
                TEST_FAIL("%s: ward stack and eu-stack differ", mode);
        }
}

TEST(blocked_thread_same_functions_as_eu_stack)
{
        if (system("eu-stack --version >/dev/null 2>&1") != 0) {
                SKIP("eu-stack (elfutils) is not installed");
        }
        struct target t = target_start();
        int tid = t.shared->blocker_tid;
        struct names eu, ward;
        if (eu_stack(t.pid, tid, &eu) < 0 || eu.n == 0) {
                target_stop(&t);
                SKIP("eu-stack cannot attach here (ptrace restricted?)");
        }
        ward_names(t.pid, tid, 0, &ward);
        same(&eu, &ward, "stop mode");
        ward_names(t.pid, tid, 1, &ward);
        same(&eu, &ward, "live mode");
        int found = 0;
        for (size_t i = 0; i < ward.n; i++) {
                found |= strcmp(ward.f[i], "blocked_in_read") == 0;
        }
        ASSERT_TRUE(found);
        ASSERT_TRUE(target_answers(&t));
        target_stop(&t);
}

TEST_MAIN()
