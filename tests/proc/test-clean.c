/* ward clean and ward/shm.h against real processes and real files in
 * /dev/shm: a traced and locking process (with a thread still running) that
 * exits normally leaves nothing; one killed with SIGKILL leaves files that
 * `ward clean -n` lists and `ward clean` removes; a live process's files are
 * kept; a file whose pid now belongs to another process (another start time
 * in the header, or no header and older than the process) is stale; a fork
 * child that exits does not take its parent's files; a fork child that
 * exec'd leaves a registry that is stale. Every `ward clean` here names its
 * pids: other programs' files in /dev/shm are left alone. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ward/lock.h>
#include <ward/shm.h>
#include <ward/trace.h>

#include "core/json-parse.h"
#include "core/procstat.h"
#include "inspect/proc/shm.h"
#include "lock/layout.h"
#include "test-run.h"
#include "test.h"
#include "trace/layout.h"

/* --- the helper processes: this binary again, with WARD_CLEAN_HELPER --- */

static ward_mutex helper_lock = WARD_MUTEX_INIT("clean-helper");

static void say(const char *what, int pid)
{
        char line[64];
        int n = snprintf(line, sizeof(line), "%s %d\n", what, pid);
        if (write(3, line, (size_t)n) != n) {
                _exit(90);
        }
}

static void wait_for_go(void)
{
        char c;
        while (read(4, &c, 1) < 0 && errno == EINTR) {
        }
}

static void *busy(void *arg)
{
        (void)arg;
        for (unsigned i = 0;; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "busy %u", i);
                ward_mutex_lock(&helper_lock);
                ward_mutex_unlock(&helper_lock);
                usleep(1000);
        }
        return NULL;
}

/* traced_and_locked: tracing on (files in WARD_CLEAN_DIR), one ward lock
 * taken, so both /dev/shm files exist */
static void traced_and_locked(void)
{
        struct ward_trace_options o = {.size = sizeof(o),
                                       .dir = getenv("WARD_CLEAN_DIR"),
                                       .buffer_size = 64 * 1024,
                                       .max_threads = 8};
        if (ward_trace_start(&o) < 0) {
                _exit(91);
        }
        WARD_TRACE(WARD_TRACE_INFO, "helper %d", (int)getpid());
        ward_mutex_lock(&helper_lock);
        ward_mutex_unlock(&helper_lock);
}

/* helper_fork: a child takes a lock (a registry file of its own, made by
 * the fork handler) and exits normally; then the parent says "ready", its
 * files intact. The child does no more than that: after a fork of a threaded
 * process, only what is async-signal-safe is (a sanitizer's allocator lock
 * may be held by a thread that is not in the child). */
static void helper_fork(void)
{
        pid_t c = fork();
        if (c == 0) {
                ward_mutex_lock(&helper_lock);
                ward_mutex_unlock(&helper_lock);
                say("child", getpid());
                exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ready" : "child-failed", getpid());
}

/* helper_exec: a child execs sleep (its registry stays behind, no longer
 * mapped by anyone) */
static void helper_exec(void)
{
        pid_t c = fork();
        if (c == 0) {
                execl("/bin/sleep", "sleep", "600", (char *)NULL);
                _exit(127);
        }
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/exe", (int)c);
        for (int i = 0; i < 30000; i++) { /* until the exec is done */
                char exe[256];
                ssize_t n = readlink(path, exe, sizeof(exe) - 1);
                if (n > 0 && (exe[n] = '\0', strstr(exe, "sleep"))) {
                        break;
                }
                usleep(1000);
        }
        say("child", c);
}

__attribute__((constructor)) static void run_helper(void)
{
        const char *h = getenv("WARD_CLEAN_HELPER");
        if (!h) {
                return;
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        traced_and_locked();
        if (strcmp(h, "fork") == 0) { /* before the busy thread can hold the lock */
                helper_fork();
        } else if (strcmp(h, "exec") == 0) {
                helper_exec();
        }
        pthread_t t;
        if (pthread_create(&t, NULL, busy, NULL) != 0) {
                _exit(92);
        }
        if (strcmp(h, "fork") != 0) {
                say("ready", getpid());
        }
        wait_for_go();
        exit(0); /* the normal way out, with the busy thread still running */
}

/* --- the test's side --- */

struct helper {
        pid_t pid;
        int report, go;
        char dir[64];
};

/* add_option: NAME=...:opt in the environment (a sanitizer's options) */
static void add_option(const char *name, const char *opt)
{
        char v[512];
        const char *was = getenv(name);
        snprintf(v, sizeof(v), "%s%s%s", was ? was : "", was && was[0] ? ":" : "", opt);
        setenv(name, v, 1);
}

static void helper_start(struct helper *h, const char *mode)
{
        int rep[2], go[2];
        snprintf(h->dir, sizeof(h->dir), "/tmp/ward-clean-XXXXXX");
        ASSERT_TRUE(mkdtemp(h->dir) != NULL);
        ASSERT_EQ(pipe(rep), 0);
        ASSERT_EQ(pipe(go), 0);
        h->pid = fork();
        ASSERT_TRUE(h->pid >= 0);
        if (h->pid == 0) {
                dup2(rep[1], 3);
                dup2(go[0], 4);
                setenv("WARD_CLEAN_HELPER", mode, 1);
                setenv("WARD_CLEAN_DIR", h->dir, 1);
                /* The helpers fork while threads run (the tracer's flusher),
                 * and the fork child exits with exit(): the sanitizers'
                 * allocator lock may then be held by a thread the child does
                 * not have, and LeakSanitizer's check at exit would wait for
                 * it forever. The test process itself is still checked. */
                add_option("TSAN_OPTIONS", "die_after_fork=0");
                add_option("ASAN_OPTIONS", "detect_leaks=0");
                execl("/proc/self/exe", "test-proc-clean", (char *)NULL);
                _exit(127);
        }
        close(rep[1]);
        close(go[0]);
        h->report = rep[0];
        h->go = go[1];
}

/* helper_says: the pid of the next line "what PID" */
static int helper_says(struct helper *h, const char *what)
{
        char line[64];
        size_t n = 0;
        while (n + 1 < sizeof(line) && read(h->report, line + n, 1) == 1 && line[n] != '\n') {
                n++;
        }
        line[n] = '\0';
        size_t w = strlen(what);
        if (strncmp(line, what, w) != 0 || line[w] != ' ') {
                TEST_FAIL("the helper said '%s', not '%s PID'", line, what);
        }
        return atoi(line + w + 1);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

/* helper_end: let it exit normally; its exit status */
static int helper_end(struct helper *h)
{
        int st;
        signal(SIGPIPE, SIG_IGN); /* a helper that was killed reads nothing */
        if (write(h->go, "x", 1) != 1) {
                ASSERT_EQ(errno, EPIPE);
        }
        ASSERT_EQ(waitpid(h->pid, &st, 0), h->pid);
        close(h->go);
        close(h->report);
        nftw(h->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int shm_exists(const char *kind, int pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/dev/shm/ward-%s.%d", kind, pid);
        return access(path, F_OK) == 0;
}

/* clean: `ward clean [OPT] PID`, its status and output */
static int clean(const char *opt, int pid, char *out, size_t size)
{
        char p[16];
        snprintf(p, sizeof(p), "%d", pid);
        const char *with[] = {"clean", opt, p, NULL}, *without[] = {"clean", p, NULL};
        return test_run_ward(opt ? with : without, NULL, -1, out, size);
}

__attribute__((format(printf, 2, 3))) static void assert_says(const char *out, const char *fmt, ...)
{
        char want[128];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(want, sizeof(want), fmt, ap);
        va_end(ap);
        if (!strstr(out, want)) {
                TEST_FAIL("'%s' not in:\n%s", want, out);
        }
}

/* list_pid: the files of pid, judged */
static size_t list_pid(int pid, struct ward_shm_file **files)
{
        struct ward_shm_options o = {.size = sizeof(o), .pids = &pid, .n_pids = 1};
        size_t n = 0;
        ASSERT_OK(ward_shm_list(&o, files, &n));
        return n;
}

/* idle_child: a plain process (no ward files of its own) that waits */
static pid_t idle_child(void)
{
        pid_t c = fork();
        ASSERT_TRUE(c >= 0);
        if (c == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;) {
                        pause();
                }
        }
        return c;
}

static void end_child(pid_t c)
{
        kill(c, SIGKILL);
        waitpid(c, NULL, 0);
}

static int any_file(int pid)
{
        return shm_exists("trace", pid) || shm_exists("locks", pid) || shm_exists("guard", pid);
}

/* fresh_idle_child: an idle child whose pid no leftover file names */
static pid_t fresh_idle_child(void)
{
        for (;;) {
                pid_t c = idle_child();
                if (!any_file(c)) {
                        return c;
                }
                end_child(c);
        }
}

/* gone_pid: a pid that no process has (a child that ended, reaped) and no
 * ward file names: /dev/shm may hold other programs' leftovers, which are
 * not ours to touch */
static int gone_pid(void)
{
        for (;;) {
                pid_t c = fork();
                ASSERT_TRUE(c >= 0);
                if (c == 0) {
                        _exit(0);
                }
                waitpid(c, NULL, 0);
                if (!any_file(c)) {
                        return c;
                }
        }
}

TEST(names_are_exactly_wards)
{
        int pid = 0;
        ASSERT_EQ(ward__shm_name_parse("ward-trace.42", 13, &pid), WARD_SHM_TRACE);
        ASSERT_EQ(pid, 42);
        ASSERT_EQ(ward__shm_name_parse("ward-locks.4194304", 18, &pid), WARD_SHM_LOCKS);
        ASSERT_EQ(ward__shm_name_parse("ward-guard.7", 12, &pid), WARD_SHM_GUARD);
        const char *bad[] = {"ward-trace.",   "ward-trace.0",  "ward-trace.042",
                             "ward-trace.4x", "ward-trace.-4", "ward-trace.4194305",
                             "ward-trace.+4", "ward-trace.4 ", "ward-trace.4.1",
                             "ward-other.4",  "xward-trace.4", "ward-trace.99999999"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (ward__shm_name_parse(bad[i], strlen(bad[i]), &pid) != 0) {
                        TEST_FAIL("'%s' taken for a ward file", bad[i]);
                }
        }
}

TEST(normal_exit_leaves_nothing)
{
        struct helper h;
        char out[8192];
        helper_start(&h, "exit");
        int pid = helper_says(&h, "ready");
        ASSERT_TRUE(shm_exists("trace", pid));
        ASSERT_TRUE(shm_exists("locks", pid));
        ASSERT_EQ(clean(NULL, pid, out, sizeof(out)), 0); /* live: kept */
        assert_says(out, "0 files removed, 0 B freed; 2 files of running processes kept");
        ASSERT_TRUE(shm_exists("trace", pid));
        ASSERT_TRUE(shm_exists("locks", pid));
        ASSERT_EQ(helper_end(&h), 0);
        ASSERT_TRUE(!shm_exists("trace", pid));
        ASSERT_TRUE(!shm_exists("locks", pid));
}

TEST(killed_files_listed_then_removed)
{
        struct helper h;
        char out[8192];
        helper_start(&h, "kill");
        int pid = helper_says(&h, "ready");
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        ASSERT_EQ(helper_end(&h), 128 + SIGKILL);
        ASSERT_TRUE(shm_exists("trace", pid));
        ASSERT_TRUE(shm_exists("locks", pid));

        ASSERT_EQ(clean("-n", pid, out, sizeof(out)), 0);
        assert_says(out, "would remove ward-locks.%d (locks of pid %d,", pid, pid);
        assert_says(out, "would remove ward-trace.%d (trace of pid %d,", pid, pid);
        assert_says(out, "no process %d", pid);
        ASSERT_TRUE(strstr(out, "2 files would be removed") != NULL);
        ASSERT_TRUE(shm_exists("trace", pid));
        ASSERT_TRUE(shm_exists("locks", pid));

        ASSERT_EQ(clean("--json", pid, out, sizeof(out)), 0);
        assert_says(out, "\"name\":\"ward-trace.%d\"", pid);
        ASSERT_TRUE(strstr(out, "\"action\":\"removed\"") != NULL);
        ASSERT_TRUE(strstr(out, "\"removed\":2,") != NULL);
        struct ward__json_doc *doc;
        const struct ward__json *root;
        char err[128];
        if (ward__json_parse(out, strlen(out), &doc, &root, err, sizeof(err)) != 0) {
                TEST_FAIL("not JSON (%s):\n%s", err, out);
        }
        ASSERT_EQ(root->type, WARD__JSON_OBJECT);
        ward__json_doc_free(doc);
        ASSERT_TRUE(!shm_exists("trace", pid));
        ASSERT_TRUE(!shm_exists("locks", pid));
}

TEST(live_files_untouched)
{
        struct helper h;
        struct ward_shm_file *f;
        char out[8192];
        helper_start(&h, "kill");
        int pid = helper_says(&h, "ready");
        size_t n = list_pid(pid, &f);
        ASSERT_EQ(n, 2u);
        uint64_t start = 0;
        ASSERT_OK(ward__proc_stat(pid, NULL, &start));
        for (size_t i = 0; i < n; i++) {
                ASSERT_EQ(f[i].state, WARD_SHM_LIVE);
                ASSERT_EQ(f[i].owner_start, start);
                ASSERT_EQ(ward_shm_remove(NULL, &f[i]), -EBUSY);
        }
        ward_shm_list_free(f);
        ASSERT_EQ(clean("-v", pid, out, sizeof(out)), 0);
        assert_says(out, "kept ward-trace.%d (trace of pid %d,", pid, pid);
        ASSERT_TRUE(shm_exists("trace", pid));
        ASSERT_TRUE(shm_exists("locks", pid));
        ASSERT_EQ(helper_end(&h), 0);
        ASSERT_TRUE(!shm_exists("trace", pid));
}

/* write_file: /dev/shm/ward-KIND.PID holding len bytes of data */
static void write_file(const char *kind, int pid, const void *data, size_t len)
{
        char path[64];
        snprintf(path, sizeof(path), "/dev/shm/ward-%s.%d", kind, pid);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, data, len), (ssize_t)len);
        close(fd);
}

TEST(reused_pid_is_stale_by_header)
{
        pid_t c = fresh_idle_child();
        uint64_t start = 0;
        char out[8192];
        ASSERT_OK(ward__proc_stat(c, NULL, &start));
        static uint8_t page[8192];
        struct ward__trace_shm *t = (void *)page;
        memcpy(&t->magic, WARD__TRACE_SHM_MAGIC, sizeof(t->magic));
        t->version = WARD__TRACE_VERSION;
        t->pid = (uint32_t)c;
        t->start_time = start > 1 ? start - 1 : start + 1; /* an earlier process's */
        write_file("trace", c, page, 4096);
        memset(page, 0, sizeof(page));
        struct ward__lockreg_header *l = (void *)page;
        l->magic = WARD__LOCKREG_MAGIC;
        l->version = WARD__LOCKREG_VERSION;
        l->pid = c;
        l->start_time = start + 1000;
        write_file("locks", c, page, sizeof(page));

        struct ward_shm_file *f;
        ASSERT_EQ(list_pid(c, &f), 2u);
        ASSERT_EQ(f[0].state, WARD_SHM_STALE_REUSED); /* ward-locks sorts first */
        ASSERT_EQ(f[1].state, WARD_SHM_STALE_REUSED);
        ASSERT_EQ(f[0].pid_start, start);
        ward_shm_list_free(f);
        ASSERT_EQ(clean(NULL, c, out, sizeof(out)), 0);
        assert_says(out, "removed ward-trace.%d (trace of pid %d,", c, c);
        assert_says(out, "pid %d is another process now", c);
        ASSERT_TRUE(!shm_exists("trace", c));
        ASSERT_TRUE(!shm_exists("locks", c));
        end_child(c);
}

/* child_with_pid: a waiting child whose pid is want (through
 * ns_last_pid), or -1 */
static pid_t child_with_pid(int want)
{
        for (int attempt = 0; attempt < 200; attempt++) {
                int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
                char s[16];
                int n = snprintf(s, sizeof(s), "%d", want - 1);
                if (fd < 0 || write(fd, s, (size_t)n) != n) {
                        if (fd >= 0) {
                                close(fd);
                        }
                        return -1;
                }
                close(fd);
                pid_t c = idle_child();
                if (c == want) {
                        return c;
                }
                end_child(c);
        }
        return -1;
}

TEST(file_older_than_process_is_stale)
{
        if (geteuid() != 0 || access("/proc/sys/kernel/ns_last_pid", W_OK) != 0) {
                SKIP("choosing the next pid needs root (writing /proc/sys/kernel/ns_last_pid)");
        }
        /* files named after a pid nobody has yet, without a header (a
         * process killed before it wrote one); then a process gets the pid */
        int pid = gone_pid();
        static uint8_t zeros[4096];
        write_file("trace", pid, zeros, sizeof(zeros));
        write_file("guard", pid, zeros, 0);
        struct timespec wait = {1, 600000000}; /* older than the process by more than 1 s */
        nanosleep(&wait, NULL);
        pid_t c = child_with_pid(pid);
        if (c < 0) {
                char path[64];
                snprintf(path, sizeof(path), "/dev/shm/ward-trace.%d", pid);
                unlink(path);
                snprintf(path, sizeof(path), "/dev/shm/ward-guard.%d", pid);
                unlink(path);
                SKIP("pid %d was taken by another process meanwhile", pid);
        }
        /* and a file made after the process started, for the same pid: kept */
        write_file("locks", c, zeros, sizeof(zeros));
        struct ward_shm_file *f;
        ASSERT_EQ(list_pid(c, &f), 3u);
        ASSERT_EQ(f[0].kind, WARD_SHM_GUARD);
        ASSERT_EQ(f[0].state, WARD_SHM_STALE_OLDER);
        ASSERT_EQ(f[1].kind, WARD_SHM_LOCKS);
        ASSERT_EQ(f[1].state, WARD_SHM_LIVE);
        ASSERT_EQ(f[2].kind, WARD_SHM_TRACE);
        ASSERT_EQ(f[2].state, WARD_SHM_STALE_OLDER);
        ASSERT_EQ(f[2].owner_start, 0u);
        for (size_t i = 0; i < 3; i++) {
                ASSERT_EQ(ward_shm_remove(NULL, &f[i]), f[i].state == WARD_SHM_LIVE ? -EBUSY : 0);
        }
        ward_shm_list_free(f);
        ASSERT_TRUE(!shm_exists("trace", c));
        ASSERT_TRUE(!shm_exists("guard", c));
        ASSERT_TRUE(shm_exists("locks", c));
        end_child(c);
        ASSERT_EQ(list_pid(c, &f), 1u); /* now its process is gone */
        ASSERT_EQ(f[0].state, WARD_SHM_STALE_GONE);
        ASSERT_OK(ward_shm_remove(NULL, &f[0]));
        ward_shm_list_free(f);
}

TEST(fork_child_exit_keeps_parent_files)
{
        struct helper h;
        helper_start(&h, "fork");
        int child = helper_says(&h, "child");
        int pid = helper_says(&h, "ready");
        ASSERT_TRUE(shm_exists("trace", pid));
        ASSERT_TRUE(shm_exists("locks", pid));
        ASSERT_TRUE(!shm_exists("locks", child)); /* its own registry: gone with it */
        ASSERT_EQ(helper_end(&h), 0);
        ASSERT_TRUE(!shm_exists("trace", pid));
        ASSERT_TRUE(!shm_exists("locks", pid));
}

TEST(exec_leaves_a_stale_registry)
{
        struct helper h;
        char out[8192];
        helper_start(&h, "exec");
        int child = helper_says(&h, "child");
        int pid = helper_says(&h, "ready");
        ASSERT_TRUE(shm_exists("locks", child)); /* made for the fork child, then exec */
        struct ward_shm_file *f;
        size_t n = list_pid(child, &f), locks = n;
        for (size_t i = 0; i < n; i++) { /* a leftover of an earlier pid may be there too */
                locks = f[i].kind == WARD_SHM_LOCKS ? i : locks;
        }
        ASSERT_TRUE(locks < n);
        ASSERT_EQ(f[locks].state, WARD_SHM_STALE_EXEC);
        ward_shm_list_free(f);
        ASSERT_EQ(clean(NULL, child, out, sizeof(out)), 0);
        assert_says(out, "removed ward-locks.%d (locks of pid %d,", child, child);
        assert_says(out, "process %d exec'd another program", child);
        ASSERT_TRUE(!shm_exists("locks", child));
        ASSERT_TRUE(shm_exists("locks", pid)); /* the parent's is its own */
        kill(child, SIGKILL);
        ASSERT_EQ(helper_end(&h), 0);
}

TEST(links_and_other_files_are_left_alone)
{
        int pid = gone_pid();
        char path[64], target[64] = "/dev/shm/ward-clean-target-XXXXXX";
        int fd = mkstemp(target);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        snprintf(path, sizeof(path), "/dev/shm/ward-trace.%d", pid);
        ASSERT_EQ(symlink(target, path), 0);
        snprintf(path, sizeof(path), "/dev/shm/ward-locks.%d", pid);
        ASSERT_EQ(mkdir(path, 0700), 0);
        struct ward_shm_file *f;
        ASSERT_EQ(list_pid(pid, &f), 0u);
        ward_shm_list_free(f);
        rmdir(path);
        snprintf(path, sizeof(path), "/dev/shm/ward-trace.%d", pid);
        unlink(path);
        ASSERT_EQ(access(target, F_OK), 0);
        unlink(target);
}

TEST(command_usage)
{
        char out[8192];
        const char *help[] = {"clean", "--help", NULL};
        ASSERT_EQ(test_run_ward(help, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strstr(out, "ward clean") != NULL);
        const char *bad_pid[] = {"clean", "12ab", NULL};
        ASSERT_EQ(test_run_ward(bad_pid, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "12ab") != NULL);
        const char *bad_opt[] = {"clean", "--bogus", NULL};
        ASSERT_EQ(test_run_ward(bad_opt, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "--bogus") != NULL);
        if (geteuid() == 0 && test_ward_runs_as(65534)) { /* --all-users is root's */
                const char *all[] = {"clean", "--all-users", "-n", NULL};
                ASSERT_EQ(test_run_ward(all, NULL, 65534, out, sizeof(out)), 2);
                ASSERT_TRUE(strstr(out, "--all-users") != NULL);
                const char *mine[] = {"clean", "-n", "--json", NULL};
                ASSERT_EQ(test_run_ward(mine, NULL, 65534, out, sizeof(out)), 0);
                ASSERT_TRUE(strstr(out, "\"files\":[]") != NULL); /* root's are not its own */
        }
}

TEST_MAIN()
