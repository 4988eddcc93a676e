/* tests/test-run.h: running the ward command from a test, the way a user
 * would, and capturing what it says. */
#ifndef WARD_TEST_RUN_H
#define WARD_TEST_RUN_H

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

/* test_run_ward: run `ward ARGS...` (args NULL-terminated, at most 13) with
 * stdin_text on its stdin (NULL: empty), as uid when uid >= 0; its exit
 * status, with stdout and stderr together in out (NUL-terminated). */
static inline int test_run_ward(const char *const *args, const char *stdin_text, int uid, char *out,
                                size_t size)
{
        int in[2], res[2];
        ASSERT_EQ(pipe(in), 0);
        ASSERT_EQ(pipe(res), 0);
        pid_t pid = fork();
        if (pid == 0) {
                char *argv[16] = {"ward"};
                for (int i = 0; args[i] && i < 14; i++) {
                        argv[i + 1] = (char *)args[i];
                }
                dup2(in[0], 0);
                dup2(res[1], 1);
                dup2(res[1], 2);
                close(in[1]);
                if (uid >= 0 && (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0)) {
                        _exit(99);
                }
                execv(WARD_BIN_DIR "/ward", argv);
                _exit(127);
        }
        close(in[0]);
        close(res[1]);
        if (stdin_text) {
                ASSERT_TRUE(write(in[1], stdin_text, strlen(stdin_text)) >= 0);
        }
        close(in[1]);
        size_t n = 0;
        ssize_t r;
        while (n + 1 < size && (r = read(res[0], out + n, size - 1 - n)) > 0) {
                n += (size_t)r;
        }
        out[n] = '\0';
        close(res[0]);
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* test_ward_runs_as: can uid run the ward command of this build? (a build
 * tree inside a directory only its owner may enter cannot be) */
static inline int test_ward_runs_as(int uid)
{
        pid_t pid = fork();
        if (pid == 0) {
                if (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0) {
                        _exit(1);
                }
                _exit(access(WARD_BIN_DIR "/ward", X_OK) == 0 ? 0 : 1);
        }
        int st;
        return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

#endif
