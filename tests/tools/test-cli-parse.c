/* The ward command's option parser (tools/common/cli.c): every accepted
 * form, the errors naming their token, --help on stdout, JSON errors. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "test.h"

enum { OPT_ALL = 1, OPT_DIR, OPT_JSON, OPT_VERBOSE };

static const struct cli_option options[] = {
    {OPT_ALL, "all", 'a', NULL, "everything"},
    {OPT_DIR, "dir", 'd', "DIR", "where"},
    {OPT_JSON, "json", 0, NULL, "as JSON"},
    {OPT_VERBOSE, "verbose", 'v', NULL, "more"},
    {0},
};

static const struct cli_command cmd = {
    .name = "test",
    .synopsis = "[options] PID",
    .summary = "A command to test the parser.",
    .options = options,
    .args = "PID",
    .min_args = 1,
    .max_args = 1,
};

struct result {
        int all, verbose, json, status, nargs;
        const char *dir, *arg;
};

/* run: parse argv (NULL-terminated) of cmd; stderr in err */
static struct result run(const struct cli_command *command, char **argv, char *err, size_t size)
{
        struct result res = {0};
        int argc = 0;
        while (argv[argc]) {
                argc++;
        }
        fflush(stderr);
        FILE *tmp = tmpfile();
        int saved = dup(2);
        dup2(fileno(tmp), 2);
        struct cli c;
        cli_init(&c, command, argc, argv);
        res.json = c.json;
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                if (r == OPT_ALL) {
                        res.all++;
                } else if (r == OPT_VERBOSE) {
                        res.verbose++;
                } else if (r == OPT_DIR) {
                        res.dir = c.value;
                } else if (r == CLI_ARG) {
                        res.arg = c.value;
                        res.nargs++;
                } else if (r == OPT_JSON) {
                        continue;
                } else {
                        res.status = r;
                        break;
                }
        }
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(tmp);
        size_t n = fread(err, 1, size - 1, tmp);
        err[n] = '\0';
        fclose(tmp);
        return res;
}

TEST(long_short_and_grouped_forms)
{
        char err[1024];
        char *argv[] = {"test", "--all", "-v", "--dir=/tmp", "42", NULL};
        struct result r = run(&cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.status, 0);
        ASSERT_EQ(r.all, 1);
        ASSERT_EQ(r.verbose, 1);
        ASSERT_STREQ(r.dir, "/tmp");
        ASSERT_STREQ(r.arg, "42");

        char *argv2[] = {"test", "-av", "-d", "x", "7", NULL};
        r = run(&cmd, argv2, err, sizeof(err));
        ASSERT_EQ(r.status, 0);
        ASSERT_EQ(r.all + r.verbose, 2);
        ASSERT_STREQ(r.dir, "x");

        char *argv3[] = {"test", "-dy", "--dir", "z", "7", NULL}; /* the last wins */
        r = run(&cmd, argv3, err, sizeof(err));
        ASSERT_STREQ(r.dir, "z");
}

TEST(double_dash_ends_options)
{
        char err[1024];
        char *argv[] = {"test", "--", "--all", NULL};
        struct result r = run(&cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.status, 0);
        ASSERT_EQ(r.all, 0);
        ASSERT_STREQ(r.arg, "--all");
}

TEST(negative_number_is_an_argument)
{
        char err[1024];
        char *argv[] = {"test", "-5", NULL};
        struct result r = run(&cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.status, 0);
        ASSERT_STREQ(r.arg, "-5");
}

TEST(unknown_option_is_named)
{
        char err[1024];
        char *argv[] = {"test", "--bogus", "1", NULL};
        struct result r = run(&cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strstr(err, "ward test: unknown option '--bogus'") != NULL);
        ASSERT_TRUE(strstr(err, "ward test --help") != NULL);

        char *argv2[] = {"test", "--bogus=3", "1", NULL};
        r = run(&cmd, argv2, err, sizeof(err));
        ASSERT_TRUE(strstr(err, "'--bogus'") != NULL);

        char *argv3[] = {"test", "-avx", "1", NULL};
        r = run(&cmd, argv3, err, sizeof(err));
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strstr(err, "'-x'") != NULL);
}

TEST(values_missing_or_unwanted)
{
        char err[1024];
        char *argv[] = {"test", "1", "--dir", NULL};
        struct result r = run(&cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strstr(err, "'--dir' needs a value (DIR)") != NULL);

        char *argv2[] = {"test", "--all=yes", "1", NULL};
        r = run(&cmd, argv2, err, sizeof(err));
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strstr(err, "'--all=yes' takes no value") != NULL);
}

TEST(argument_counts)
{
        char err[1024];
        char *argv[] = {"test", NULL};
        struct result r = run(&cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strstr(err, "missing PID") != NULL);

        char *argv2[] = {"test", "1", "2", NULL};
        r = run(&cmd, argv2, err, sizeof(err));
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strstr(err, "unexpected argument '2'") != NULL);
}

TEST(json_errors)
{
        char err[1024];
        char *argv[] = {"test", "--bo\"gus", "--json", NULL};
        struct result r = run(&cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.json, 1);
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strncmp(err, "{\"error\":\"unknown option '--bo\\\"gus'", 35) == 0);
        ASSERT_TRUE(strstr(err, "\"command\":\"ward test\",\"exit\":2}\n") != NULL);
}

TEST(json_only_where_the_command_takes_it)
{
        char err[1024];
        static const struct cli_option no_json[] = {{OPT_ALL, "all", 'a', NULL, "everything"}, {0}};
        struct cli_command plain = cmd;
        plain.options = no_json;
        char *argv[] = {"test", "--json", "1", NULL};
        struct result r = run(&plain, argv, err, sizeof(err));
        ASSERT_EQ(r.json, 0);
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strstr(err, "ward test: unknown option '--json'") != NULL);
}

TEST(json_seen_after_an_option_value)
{
        char err[1024];
        struct cli_command run_cmd = cmd;
        run_cmd.flags = CLI_REST_ARE_ARGS;
        run_cmd.max_args = -1;
        char *argv[] = {"test", "--dir", "/tmp", "--bogus", "--json", NULL};
        struct result r = run(&run_cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.json, 1);
        ASSERT_EQ(r.status, CLI_BAD);
        ASSERT_TRUE(strncmp(err, "{\"error\":", 9) == 0);

        char *argv2[] = {"test", "-d", "x", "prog", "--json", NULL}; /* PROG's --json */
        r = run(&run_cmd, argv2, err, sizeof(err));
        ASSERT_EQ(r.json, 0);
        ASSERT_EQ(r.status, 0);
}

TEST(rest_are_args)
{
        char err[1024];
        struct cli_command run_cmd = cmd;
        run_cmd.flags = CLI_REST_ARE_ARGS;
        run_cmd.max_args = -1;
        char *argv[] = {"test", "-a", "prog", "--all", "-v", NULL};
        struct result r = run(&run_cmd, argv, err, sizeof(err));
        ASSERT_EQ(r.status, 0);
        ASSERT_EQ(r.all, 1);
        ASSERT_EQ(r.verbose, 0);
        ASSERT_EQ(r.nargs, 3);
        ASSERT_STREQ(r.arg, "-v");
}

TEST(help_lists_every_option)
{
        char buf[4096];
        FILE *f = fmemopen(buf, sizeof(buf), "w");
        cli_help(&cmd, f);
        fclose(f);
        ASSERT_TRUE(strncmp(buf, "Usage: ward test [options] PID\n", 31) == 0);
        ASSERT_TRUE(strstr(buf, "-d, --dir=DIR") != NULL);
        ASSERT_TRUE(strstr(buf, "    --json") != NULL);
        ASSERT_TRUE(strstr(buf, "-h, --help") != NULL);
        ASSERT_TRUE(strstr(buf, "Exit status:\n  0  ok\n") != NULL);
}

TEST(pid_parsing)
{
        ASSERT_EQ(cli_pid("1"), 1);
        ASSERT_EQ(cli_pid("4194304"), 4194304);
        ASSERT_EQ(cli_pid("4194305"), -1);
        ASSERT_EQ(cli_pid("0"), -1);
        ASSERT_EQ(cli_pid("-3"), -1);
        ASSERT_EQ(cli_pid("12abc"), -1);
        ASSERT_EQ(cli_pid(""), -1);
}

TEST(no_such_process_is_usage)
{
        char err[256];
        fflush(stderr);
        FILE *tmp = tmpfile();
        int saved = dup(2);
        dup2(fileno(tmp), 2);
        struct cli c;
        char *argv[] = {"test", NULL};
        cli_init(&c, &cmd, 1, argv);
        int code = cli_process_error(&c, 4194304, -ESRCH);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(tmp);
        err[fread(err, 1, sizeof(err) - 1, tmp)] = '\0';
        fclose(tmp);
        ASSERT_EQ(code, CLI_USAGE);
        ASSERT_TRUE(strstr(err, "no such process 4194304") != NULL);
}

TEST_MAIN()
