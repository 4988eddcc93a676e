/* examples/ipc/echo.c: the complete client/server example of docs/ipc.md.
 *
 *   example-ipc-echo            runs both: forks a server, calls it, stops it
 *   example-ipc-echo server     serves "@ward-example-echo" until SIGTERM
 *   example-ipc-echo client     calls it once
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ward.h>

#define ADDRESS "@ward-example-echo"

/* The server's handler: answer every request with its own bytes, upper-cased. */
static void on_request(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        char out[256];
        size_t n = ward_ipc_msg_len(m);
        const char *in = ward_ipc_msg_data(m);
        (void)arg;
        if (ward_ipc_msg_call_id(m) == 0) {
                return; /* a one-way message: nothing to answer */
        }
        if (n > sizeof(out)) {
                ward_ipc_reply(c, ward_ipc_msg_call_id(m), -1, NULL, 0);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
        }
        ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, out, n);
}

static void on_sigterm(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

static int serve(int ready_fd)
{
        ward_loop *loop = NULL;
        ward_ipc_server *srv = NULL;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL); /* delivered through the loop instead */
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_sigterm, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_ipc_server_new(loop, ADDRESS, NULL, on_request, NULL, &srv);
        }
        if (r >= 0 && ready_fd >= 0) {
                r = write(ready_fd, "!", 1) == 1 ? 0 : -1;
        }
        if (r >= 0) {
                r = ward_loop_run(loop);
        }
        if (r < 0) {
                fprintf(stderr, "server: %s\n", ward_strerror(r));
        }
        ward_ipc_server_free(srv);
        ward_loop_free(loop);
        return r < 0 ? 1 : 0;
}

static int call_once(void)
{
        ward_ipc_conn *c = NULL;
        const ward_ipc_msg *reply;
        const char *text = "hello, ward";
        int r = ward_ipc_connect(ADDRESS, NULL, &c);
        if (r >= 0) {
                r = ward_ipc_call(c, text, strlen(text), 1000000000ull, &reply);
        }
        if (r >= 0) {
                printf("sent \"%s\", got \"%.*s\" (status %d)\n", text,
                       (int)ward_ipc_msg_len(reply), (const char *)ward_ipc_msg_data(reply),
                       ward_ipc_msg_status(reply));
                ward_ipc_msg_release(c, reply);
        } else {
                fprintf(stderr, "client: %s\n", ward_strerror(r));
        }
        ward_ipc_conn_close(c);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "server") == 0) {
                return serve(-1);
        }
        if (argc > 1 && strcmp(argv[1], "client") == 0) {
                return call_once();
        }
        int ready[2];
        char b;
        if (pipe(ready) < 0) {
                return 1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(ready[0]);
                _exit(serve(ready[1]));
        }
        close(ready[1]);
        int r = read(ready[0], &b, 1) == 1 ? call_once() : 1;
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return r;
}
