/* example-ipc-restart: a service restarted under its clients' feet, and not
 * one call lost (docs/ipc.md, "Restarts without a refused connection").
 *
 * The parent plays the guardian (`ward run --listen` does this for real): it
 * creates the listening socket once and hands it to each server it starts
 * (WARD_LISTEN_FD and WARD_LISTEN_ADDRESS), and the servers' own
 * ward_ipc_server_new adopts it. A client made with options.reconnect calls
 * with WARD_IPC_CALL_IDEMPOTENT; halfway the server is SIGKILLed and another
 * started: the next call is answered by the new one. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ipc.h>
#include <ward/loop.h>

#define NCALLS 10

/* the server's answer: its pid */
static void on_request(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        int pid = (int)getpid();
        (void)arg;
        if (ward_ipc_msg_call_id(m)) {
                ward_ipc_reply(c, ward_ipc_msg_call_id(m), 0, &pid, sizeof(pid));
        }
}

/* start_server: a child that serves address on the socket it inherits */
static pid_t start_server(const char *address)
{
        pid_t pid = fork();
        if (pid != 0) {
                return pid;
        }
        ward_loop *loop;
        ward_ipc_server *srv;
        if (ward_loop_new(&loop) < 0 ||
            ward_ipc_server_new(loop, address, NULL, on_request, NULL, &srv) < 0) {
                _exit(1);
        }
        ward_loop_run(loop); /* until killed */
        _exit(0);
}

/* listen_once: what the guardian does once: bind and listen, inheritable */
static int listen_once(const char *address)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        size_t n = strlen(address + 1); /* "@name": sun_path[0] stays '\0' */
        memcpy(sun.sun_path + 1, address + 1, n);
        int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (s < 0 ||
            bind(s, (struct sockaddr *)&sun,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0 ||
            listen(s, 64) < 0) {
                return -1;
        }
        return s;
}

int main(void)
{
        char address[64], fd_text[16];
        snprintf(address, sizeof(address), "@ward-example-restart-%d", (int)getpid());
        int s = listen_once(address);
        if (s < 0) {
                perror("listen");
                return 1;
        }
        snprintf(fd_text, sizeof(fd_text), "%d", s);
        setenv("WARD_LISTEN_FD", fd_text, 1);
        setenv("WARD_LISTEN_ADDRESS", address, 1);
        pid_t server = start_server(address);

        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.reconnect = 1; /* a server gone is replaced by the next at the same address */
        ward_ipc_conn *c;
        int r = ward_ipc_connect(address, &o, &c);
        for (int i = 0; r == 0 && i < NCALLS; i++) {
                const ward_ipc_msg *reply;
                int pid;
                if (i == NCALLS / 2) { /* a crash: the guardian starts another */
                        kill(server, SIGKILL);
                        waitpid(server, NULL, 0);
                        server = start_server(address);
                }
                r = ward_ipc_call_flags(c, &i, sizeof(i), 5000000000ull /* 5 s */,
                                        WARD_IPC_CALL_IDEMPOTENT, &reply);
                if (r == 0 && ward_ipc_msg_len(reply) == sizeof(pid)) {
                        memcpy(&pid, ward_ipc_msg_data(reply), sizeof(pid));
                        printf("call %d answered by server %d\n", i, pid);
                }
        }
        ward_ipc_conn_close(c);
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        if (r < 0) {
                fprintf(stderr, "a call failed: %s\n", strerror(-r));
                return 1;
        }
        printf("all %d calls answered\n", NCALLS);
        return 0;
}
