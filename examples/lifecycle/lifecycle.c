/* lifecycle: the rules of docs/lifecycle.md, in one program that checks them.
 *
 *   - The main thread owns the loop and the IPC server on it: only it calls
 *     them. A worker thread opens a connection of its own (any thread may
 *     connect; the connection is then that thread's), calls the server, and
 *     hands its result to the loop with ward_loop_post, which any thread may
 *     call. WARD_TRACE and ward_mutex work from any thread.
 *   - Who frees what: a received message is ward's (copy what you keep); a
 *     reply is ward's until ward_ipc_msg_release; what is posted belongs to
 *     the loop thread from then on; whoever made an object frees it, the
 *     loop last.
 *   - fork: in the child, the parent's loop and connections answer -ECHILD;
 *     closing a connection there lets go of the child's copy only; new
 *     objects work; tracing starts again by itself, and the lock registry is
 *     a file of the child's own.
 * Exits 0 when every rule held. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ward.h>

static ward_mutex count_lock = WARD_MUTEX_INIT("lifecycle.count");
static int requests; /* under count_lock */

/* on_request: on the loop thread. m is valid until this returns. */
static void on_request(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        (void)arg;
        ward_mutex_lock(&count_lock);
        requests++;
        ward_mutex_unlock(&count_lock);
        ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, ward_ipc_msg_data(m), ward_ipc_msg_len(m));
}

/* What the worker hands to the loop thread with ward_loop_post: from then on
 * the loop thread's, with the connection in it. run() made it and frees it. */
struct result {
        ward_loop *loop;
        const char *address;
        ward_ipc_conn *conn;
        int calls, err;
        struct result **out;
};

/* on_result: on the loop thread */
static void on_result(void *arg)
{
        struct result *res = arg;
        *res->out = res;
        ward_loop_stop(res->loop);
}

/* call_once: one call on the worker's own connection; the reply lies in
 * shared memory until released, so what is kept is copied first */
static int call_once(ward_ipc_conn *conn, int i)
{
        char req[32], copy[32];
        const ward_ipc_msg *reply;
        int n = snprintf(req, sizeof(req), "call %d", i);
        int r = ward_ipc_call(conn, req, (size_t)n + 1, 1000000000ull, &reply);
        if (r < 0) {
                return r;
        }
        size_t len = ward_ipc_msg_len(reply);
        len = len < sizeof(copy) - 1 ? len : sizeof(copy) - 1;
        memcpy(copy, ward_ipc_msg_data(reply), len);
        copy[len] = '\0';
        ward_ipc_msg_release(conn, reply);
        WARD_TRACE(WARD_TRACE_INFO, "worker got '%s'", copy);
        return 0;
}

static void *worker_main(void *arg)
{
        struct result *res = arg;
        res->err = ward_ipc_connect(res->address, NULL, &res->conn);
        for (int i = 0; res->err == 0 && i < 10; i++) {
                res->err = call_once(res->conn, i);
                res->calls += res->err == 0;
        }
        /* from here on the worker does not touch the connection: it goes to
         * the loop thread with the result */
        if (ward_loop_post(res->loop, on_result, res) < 0) {
                ward_loop_stop(res->loop); /* any thread may stop the loop */
        }
        return NULL;
}

/* shm_exists: /dev/shm/PREFIX.PID is there */
static int shm_exists(const char *prefix, int pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/dev/shm/%s.%d", prefix, pid);
        return access(path, F_OK) == 0;
}

/* TSan cannot follow a thread started in the child of a threaded process
 * (the tracer's flusher, started again there): under it, the child does
 * not trace. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

/* child_trace_check: in a fork child, the first event starts tracing again,
 * with buffers of the child's own; 0 when it did */
static int child_trace_check(void)
{
        if (UNDER_TSAN) {
                return 0;
        }
        WARD_TRACE(WARD_TRACE_INFO, "child %d", (int)getpid());
        return !shm_exists("ward-trace", getpid());
}

/* child_check: what a fork child may do with what ward gave its parent;
 * returns how many rules did not hold */
static int child_check(ward_loop *loop, ward_ipc_conn *conn)
{
        int bad = 0;
        bad += ward_loop_run_once(loop, 0) != -ECHILD;
        bad += ward_loop_post(loop, on_result, NULL) != -ECHILD;
        bad += ward_ipc_send(conn, "x", 1) != -ECHILD;
        ward_ipc_conn_close(conn); /* the child's copy only: no goodbye to the peer */
        ward_loop *mine = NULL;
        bad += ward_loop_new(&mine) != 0;
        ward_loop_free(mine);
        bad += child_trace_check();
        ward_mutex_lock(&count_lock);
        ward_mutex_unlock(&count_lock);
        bad += !shm_exists("ward-locks", getpid());
        return bad;
}

/* parent_check: after the child closed its copy and ended, the parent's
 * connection is still there, on both sides; returns how many rules did not
 * hold */
static int parent_check(ward_loop *loop, ward_ipc_server *server, ward_ipc_conn *conn)
{
        ward_loop_run_once(loop, 10000000); /* a goodbye would arrive here */
        return (ward_ipc_server_count(server) != 1) + (ward_ipc_conn_get_error(conn) != 0);
}

/* fork_check: fork, run child_check in the child and parent_check here; 0
 * when they held, 1 when not, -errno when fork failed */
static int fork_check(ward_loop *loop, ward_ipc_server *server, ward_ipc_conn *conn)
{
        fflush(NULL); /* what stdio holds would be written twice */
        pid_t pid = fork();
        if (pid < 0) {
                return -errno;
        }
        if (pid == 0) {
                /* exit, not _exit: the child's trace and lock files are
                 * flushed and removed at exit */
                exit(child_check(loop, conn) == 0 ? 0 : 1);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        int child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        return child_ok && parent_check(loop, server, conn) == 0 ? 0 : 1;
}

/* remove_dir: the trace directory and the files in it */
static void remove_dir(const char *dir)
{
        char path[4096];
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));) {
                if (e->d_name[0] != '.') {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        }
        if (d) {
                closedir(d);
        }
        rmdir(dir);
}

/* run: the loop, the server, the worker; then the fork. 0 when every rule
 * held, 1 when one did not, -errno when something failed. */
static int run(void)
{
        char address[64];
        snprintf(address, sizeof(address), "@ward-lifecycle-%d", (int)getpid());
        ward_loop *loop = NULL;
        ward_ipc_server *server = NULL;
        struct result *res = NULL, *got = NULL;
        pthread_t worker;
        int r = ward_loop_new(&loop);
        if (r == 0) {
                r = ward_ipc_server_new(loop, address, NULL, on_request, NULL, &server);
        }
        if (r == 0 && !(res = calloc(1, sizeof(*res)))) {
                r = -ENOMEM;
        }
        if (r == 0) {
                *res = (struct result){.loop = loop, .address = address, .out = &got};
                r = -pthread_create(&worker, NULL, worker_main, res);
        }
        if (r == 0) {
                r = ward_loop_run(loop); /* until on_result (or the worker) stops it */
                pthread_join(worker, NULL);
                r = r < 0 ? r : !got ? -EPIPE : got->err;
        }
        if (r == 0) {
                printf("worker: %d calls answered on its own connection\n", got->calls);
                r = fork_check(loop, server, got->conn);
                printf("fork: the rules %s\n", r == 0 ? "held" : "did not hold");
                printf("server: %d requests\n", requests); /* counted on this thread */
        }
        if (res) {
                ward_ipc_conn_close(res->conn); /* the worker has ended: ours */
        }
        free(res);
        ward_ipc_server_free(server);
        ward_loop_free(loop); /* the loop outlives what runs on it */
        return r;
}

int main(void)
{
        char dir[] = "/tmp/ward-lifecycle-XXXXXX";
        if (!mkdtemp(dir)) {
                perror("lifecycle: mkdtemp");
                return 1;
        }
        struct ward_trace_options o = {.size = sizeof(o), .level = WARD_TRACE_INFO, .dir = dir};
        int r = ward_trace_start(&o);
        if (r == 0) {
                r = run();
        }
        ward_trace_stop();
        remove_dir(dir);
        if (r < 0) {
                fprintf(stderr, "lifecycle: %s\n", ward_strerror(r));
        }
        return r == 0 ? 0 : 1;
}
