/* Reflection: a server describes the services it hosts and the messages they
 * use, as `ward list` prints them. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ward.h>

#include "calc-service.h"
#include "reflect.pb-c.h"
#include "test.h"

#define SECOND 1000000000ull

static void on_stop(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

static pid_t serve_calc(const char *addr)
{
        int ready[2];
        char b;
        ASSERT_SYS(pipe(ready));
        pid_t pid = fork();
        ASSERT_SYS(pid);
        if (pid == 0) {
                ward_loop *loop;
                ward_rpc_server *srv;
                sigset_t set;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                sigemptyset(&set);
                sigaddset(&set, SIGTERM);
                sigprocmask(SIG_BLOCK, &set, NULL);
                if (ward_loop_new(&loop) < 0 ||
                    ward_loop_add_signal(loop, SIGTERM, on_stop, NULL, NULL) < 0 ||
                    ward_rpc_server_new(loop, addr, NULL, &srv) < 0 ||
                    ward_rpc_server_add(srv, &calc_service.base) < 0 ||
                    write(ready[1], "!", 1) != 1) {
                        _exit(2);
                }
                ward_loop_run(loop);
                ward_rpc_server_free(srv);
                ward_loop_free(loop);
                _exit(0);
        }
        close(ready[1]);
        ASSERT_EQ(read(ready[0], &b, 1), 1);
        close(ready[0]);
        return pid;
}

static const Ward__Reflect__Message *find_message(const Ward__Reflect__Description *d,
                                                  const char *name)
{
        for (size_t i = 0; i < d->n_messages; i++) {
                if (strcmp(d->messages[i]->name, name) == 0) {
                        return d->messages[i];
                }
        }
        return NULL;
}

TEST(describes_calc)
{
        char addr[64];
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-reflect", getpid());
        pid_t pid = serve_calc(addr);
        ward_ipc_conn *conn;
        Ward__Reflect__Description *d = NULL;
        ASSERT_OK(ward_ipc_connect(addr, NULL, &conn));
        ASSERT_EQ(ward_rpc_describe(conn, SECOND, &d), WARD_RPC_OK);

        ASSERT_EQ(d->n_services, 1);
        const Ward__Reflect__Service *s = d->services[0];
        ASSERT_STREQ(s->name, "calc.Calculator");
        ASSERT_TRUE(s->schema_hash == ward_rpc_service_hash(&calc__calculator__descriptor));
        ASSERT_EQ(s->n_methods, 4);
        ASSERT_STREQ(s->methods[0]->name, "Add");
        ASSERT_STREQ(s->methods[0]->input, "calc.BinaryOp");
        ASSERT_STREQ(s->methods[0]->output, "calc.Result");
        ASSERT_TRUE(!s->methods[0]->one_way);
        ASSERT_STREQ(s->methods[3]->name, "Log");
        ASSERT_TRUE(s->methods[3]->one_way);

        const Ward__Reflect__Message *op = find_message(d, "calc.BinaryOp");
        ASSERT_TRUE(op != NULL);
        ASSERT_EQ(op->n_fields, 2);
        ASSERT_STREQ(op->fields[1]->name, "b");
        ASSERT_EQ(op->fields[1]->number, 2);
        ASSERT_STREQ(op->fields[1]->type, "int64");
        ASSERT_TRUE(find_message(d, "calc.Blob") != NULL);
        ASSERT_TRUE(find_message(d, "ward.NoReply") != NULL);
        protobuf_c_message_free_unpacked(&d->base, NULL);

        /* the connection still serves ordinary calls afterwards */
        ward_rpc_client *c;
        ProtobufCMessage *out = NULL;
        Calc__BinaryOp in = CALC__BINARY_OP__INIT;
        in.a = 1;
        in.b = 2;
        ASSERT_OK(ward_rpc_client_new(conn, &calc__calculator__descriptor, &c));
        ASSERT_EQ(ward_rpc_call(c, 0, &in.base, SECOND, &out), WARD_RPC_OK);
        ASSERT_EQ(((Calc__Result *)out)->value, 3);
        protobuf_c_message_free_unpacked(out, NULL);
        ward_rpc_client_free(c);
        ward_ipc_conn_close(conn);
        kill(pid, SIGTERM);
        int status;
        ASSERT_SYS(waitpid(pid, &status, 0));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(bad_arguments)
{
        Ward__Reflect__Description *d = NULL;
        ASSERT_ERRNO(ward_rpc_describe(NULL, SECOND, &d), EINVAL);
}

TEST_MAIN()
