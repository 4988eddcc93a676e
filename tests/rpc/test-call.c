/* ward call against the example calc server: requests from JSON (arguments
 * and stdin), replies as JSON, and the exit statuses and messages of a failed
 * call, an unknown name, bad JSON and an unknown field. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/ward.h>

#include "test-run.h"
#include "test.h"

static char addr[64];

/* ward_call: `ward call ARGS...`, stdin_text on its stdin. */
static int ward_call(const char *stdin_text, char *out, size_t size, const char *const *args)
{
        const char *argv[16] = {"call"};
        for (int i = 0; args[i] && i < 14; i++) {
                argv[i + 1] = args[i];
        }
        return test_run_ward(argv, stdin_text, -1, out, size);
}

static pid_t server;

TEST(start_calc_server)
{
        snprintf(addr, sizeof(addr), "@ward-rpc-test-%d-call", getpid());
        server = fork();
        if (server == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (!freopen("/dev/null", "w", stdout)) {
                        _exit(3);
                }
                execl(WARD_BIN_DIR "/calc-server", "calc-server", addr, (char *)NULL);
                _exit(127);
        }
        ward_ipc_conn *c = NULL;
        for (int i = 0; i < 500 && ward_ipc_connect(addr, NULL, &c) < 0; i++) {
                usleep(10000);
        }
        ASSERT_TRUE(c != NULL);
        ward_ipc_conn_close(c);
}

TEST(add_with_numbers_and_strings)
{
        char out[4096];
        const char *a[] = {"--compact", addr, "calc.Calculator.Add", "{\"a\": 40, \"b\": \"2\"}",
                           NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), a), 0);
        ASSERT_EQ(strcmp(out, "{\"value\":\"42\"}\n"), 0);
        const char *pretty[] = {addr, "calc.Calculator/Add", "{\"a\": 1}", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), pretty), 0);
        ASSERT_EQ(strcmp(out, "{\n  \"value\": \"1\"\n}\n"), 0);
}

TEST(echo_bytes_and_stdin)
{
        char out[4096];
        const char *a[] = {"--compact", addr, "calc.Calculator.Echo", "-", NULL};
        ASSERT_EQ(ward_call("{\"data\": \"aGVsbG8gd2FyZA==\"}", out, sizeof(out), a), 0);
        ASSERT_EQ(strcmp(out, "{\"data\":\"aGVsbG8gd2FyZA==\"}\n"), 0);
}

TEST(one_way_returns_at_once)
{
        char out[4096];
        const char *a[] = {"--compact", addr, "calc.Calculator.Log", "{\"text\": \"hi\"}", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), a), 0);
        ASSERT_EQ(strcmp(out, "{}\n"), 0);
}

/* A request over the size limit says which limit: the error, and the limit
 * the connection has (the pool_bytes the server granted, 4 MiB by default). */
TEST(request_over_the_limit_says_which)
{
        size_t raw = 5u << 20, b64 = (raw + 2) / 3 * 4;
        char *json = malloc(b64 + 32);
        ASSERT_TRUE(json != NULL);
        size_t n = (size_t)sprintf(json, "{\"data\": \"");
        memset(json + n, 'A', b64); /* base64 of zero bytes */
        strcpy(json + n + b64, "\"}");
        char out[4096];
        const char *a[] = {addr, "calc.Calculator.Echo", "-", NULL};
        ASSERT_EQ(ward_call(json, out, sizeof(out), a), 1);
        free(json);
        fprintf(stderr, "   %s", out);
        ASSERT_TRUE(strstr(out, "Message too long") != NULL);
        ASSERT_TRUE(strstr(out, "pool_bytes 4194304") != NULL);
        ASSERT_TRUE(strstr(out, "the request is 5242") != NULL); /* 5 MiB and its field tag */
}

TEST(failures_say_why)
{
        char out[4096];
        const char *div0[] = {addr, "calc.Calculator.Div", "{\"a\": 1, \"b\": 0}", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), div0), 1);
        ASSERT_TRUE(strstr(out, "calc.Calculator.Div failed: ") != NULL);
        ASSERT_TRUE(strstr(out, "handler error: division by zero") != NULL);
        const char *method[] = {addr, "calc.Calculator.Nope", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), method), 2);
        ASSERT_TRUE(strstr(out, "no method 'Nope'") != NULL);
        const char *service[] = {addr, "calc.Other.Add", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), service), 2);
        ASSERT_TRUE(strstr(out, "no service 'calc.Other'") != NULL);
        const char *bad[] = {addr, "calc.Calculator.Add", "{\"a\": 1,", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), bad), 2);
        ASSERT_TRUE(strstr(out, "line 1, column") != NULL);
        const char *unknown[] = {addr, "calc.Calculator.Add", "{\"c\": 1}", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), unknown), 2);
        ASSERT_TRUE(strstr(out, "unknown field 'c' in calc.BinaryOp") != NULL);
        const char *type[] = {addr, "calc.Calculator.Add", "{\"a\": 1.5}", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), type), 2);
        ASSERT_TRUE(strstr(out, "field 'a' of calc.BinaryOp") != NULL);
        const char *nobody[] = {"@ward-rpc-test-nobody-here", "calc.Calculator.Add", NULL};
        ASSERT_EQ(ward_call(NULL, out, sizeof(out), nobody), 2);
        ASSERT_TRUE(strstr(out, "nothing listens at") != NULL);
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
}

TEST_MAIN()
