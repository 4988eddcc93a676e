/* ward run as a service: sd_notify seen by a fake NOTIFY_SOCKET (READY=1
 * once the worker is ready, STATUS= lines on a crash and the restart, every
 * datagram from ward run itself: MAINPID stays the guardian); SIGTERM
 * forwarded to the worker and its exit status passed through; a worker
 * that ignores SIGTERM killed after the grace; --listen hands every worker
 * the same listening socket. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ward/proc.h>

#include "guard/guardian-util.h"
#include "test-run.h"

/* notify_socket: a datagram socket bound at dir/notify, with credentials */
static int notify_socket(const char *dir, char *path, size_t size)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        snprintf(path, size, "%s/notify", dir);
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
        struct timeval tv = {.tv_sec = 60};
        ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
        return fd;
}

/* notify_recv: one datagram into buf; the sender's pid */
static int notify_recv(int fd, char *buf, size_t size)
{
        union {
                char b[CMSG_SPACE(sizeof(struct ucred))];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = size - 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.b,
                            .msg_controllen = sizeof(ctl.b)};
        ssize_t n = recvmsg(fd, &mh, 0);
        ASSERT_TRUE(n > 0);
        buf[n] = '\0';
        fprintf(stderr, "  notify: %s\n", buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        ASSERT_TRUE(c != NULL && c->cmsg_type == SCM_CREDENTIALS);
        struct ucred cr;
        memcpy(&cr, CMSG_DATA(c), sizeof(cr));
        return cr.pid;
}

TEST(sd_notify_seen)
{
        char dir[64], path[128], env_sock[200], count[128], env_count[160], buf[1024];
        scratch(dir, sizeof(dir));
        int fd = notify_socket(dir, path, sizeof(path));
        snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", path);
        snprintf(count, sizeof(count), "%s/starts", dir);
        snprintf(env_count, sizeof(env_count), "COUNT_FILE=%s", count);
        const char *env[] = {env_sock, env_count, "CRASH_UNTIL=2", NULL};
        const char *args[] = {"--ready=started",    "--dump-dir", dir, "--backoff", "1ms", "--",
                              WARD_GUARDIAN_WORKER, "crash",      NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        ASSERT_EQ(notify_recv(fd, buf, sizeof(buf)), r.pid);
        ASSERT_TRUE(strncmp(buf, "READY=1\nSTATUS=worker ", 22) == 0);
        ASSERT_EQ(notify_recv(fd, buf, sizeof(buf)), r.pid);
        ASSERT_TRUE(strstr(buf, "STATUS=") == buf && strstr(buf, "crashed") != NULL);
        ASSERT_EQ(notify_recv(fd, buf, sizeof(buf)), r.pid);
        ASSERT_TRUE(strstr(buf, "STATUS=") == buf && strstr(buf, "restarting") != NULL);
        ASSERT_EQ(notify_recv(fd, buf, sizeof(buf)), r.pid);
        ASSERT_TRUE(strncmp(buf, "STATUS=worker ", 14) == 0); /* READY=1 only once */
        ASSERT_TRUE(strstr(buf, "MAINPID") == NULL);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
        close(fd);
        scratch_remove(dir);
}

TEST(sd_notify_abstract)
{
        char name[64], env_sock[100], buf[1024];
        snprintf(name, sizeof(name), "@ward-test-notify-%d", (int)getpid());
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        size_t n = strlen(name);
        memcpy(a.sun_path, name, n);
        a.sun_path[0] = '\0';
        int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ASSERT_EQ(bind(fd, (struct sockaddr *)&a,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
                  0);
        ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
        snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", name);
        const char *env[] = {env_sock, NULL};
        const char *args[] = {"--", WARD_GUARDIAN_WORKER, "exit", "0", NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
        ASSERT_EQ(notify_recv(fd, buf, sizeof(buf)), r.pid); /* --ready=handshake, the default */
        ASSERT_TRUE(strncmp(buf, "READY=1\n", 8) == 0);
        close(fd);
}

TEST(usage)
{
        char out[8192];
        const char *help[] = {"run", "--help", NULL};
        ASSERT_EQ(test_run_ward(help, NULL, -1, out, sizeof(out)), 0);
        ASSERT_TRUE(strncmp(out, "Usage: ward run", 15) == 0);
        const char *bad[] = {"run", "--restrat=no", "--", "true", NULL};
        ASSERT_EQ(test_run_ward(bad, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "unknown option '--restrat'") != NULL);
        const char *badval[] = {"run", "--burst", "5", "--", "true", NULL};
        ASSERT_EQ(test_run_ward(badval, NULL, -1, out, sizeof(out)), 2);
        ASSERT_TRUE(strstr(out, "'5' for --burst") != NULL);
        const char *noprog[] = {"run", "--json", NULL};
        ASSERT_EQ(test_run_ward(noprog, NULL, -1, out, sizeof(out)), 2);
        const char *missing[] = {"run", "--no-preload", "--", "/nonexistent/prog", NULL};
        ASSERT_EQ(test_run_ward(missing, NULL, -1, out, sizeof(out)), 127);
        ASSERT_TRUE(strstr(out, "/nonexistent/prog") != NULL);
}

TEST(no_notify_without_asking)
{
        char dir[64], path[128], env_sock[200], buf[64];
        scratch(dir, sizeof(dir));
        int fd = notify_socket(dir, path, sizeof(path));
        snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", path);
        const char *env[] = {env_sock, NULL};
        const char *args[] = {"--no-notify", "--", WARD_GUARDIAN_WORKER, "exit", "0", NULL};
        struct grun r = {0};
        grun_start(&r, args, env);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
        ASSERT_TRUE(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
        close(fd);
        scratch_remove(dir);
}

TEST(sigterm_forwarded_status_passed)
{
        const char *args[] = {"--", WARD_GUARDIAN_WORKER, "term", "7", NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        grun_until(&r, "ready");
        ASSERT_EQ(kill(r.pid, SIGTERM), 0);
        const char *l = grun_until(&r, "exited");
        ASSERT_TRUE(strstr(l, "\"ended\":\"exit 7\"") != NULL);
        int restarts;
        ASSERT_EQ(grun_wait(&r, "restarting", &restarts), 7);
        ASSERT_EQ(restarts, 0);
}

/* a worker under ward run shows as guarded while its guardian lives; the
 * guardian's mark goes with the worker */
TEST(worker_shows_guarded)
{
        const char *args[] = {"--", WARD_GUARDIAN_WORKER, "term", "0", NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        long pid = json_int(grun_until(&r, "ready"), "pid");
        ASSERT_TRUE(pid > 0);
        struct ward_proc_info info;
        ASSERT_EQ(ward_proc_info((int)pid, WARD_PROC_WARD, &info), 0);
        ASSERT_TRUE(info.ward & WARD_PROC_GUARDED);
        ward_proc_info_free(&info);
        ASSERT_EQ(ward_proc_info(getpid(), WARD_PROC_WARD, &info), 0);
        ASSERT_EQ(info.ward & WARD_PROC_GUARDED, 0u);
        ward_proc_info_free(&info);
        ASSERT_EQ(kill(r.pid, SIGTERM), 0);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
        char mark[64];
        snprintf(mark, sizeof(mark), "/dev/shm/ward-guard.%ld", pid);
        ASSERT_TRUE(access(mark, F_OK) < 0);
}

TEST(sigint_stubborn_worker_killed_after_grace)
{
        const char *args[] = {"--grace", "200ms", "--", WARD_GUARDIAN_WORKER, "stubborn", NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        grun_until(&r, "ready");
        ASSERT_EQ(kill(r.pid, SIGINT), 0);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 128 + SIGKILL);
}

TEST(listen_socket_handed_on)
{
        char addr[64], want[128];
        snprintf(addr, sizeof(addr), "@ward-test-guardian-listen-%d", (int)getpid());
        const char *args[] = {"--listen", addr, "--restart=no", "--", WARD_GUARDIAN_WORKER,
                              "listen",   NULL};
        struct grun r = {0};
        grun_start(&r, args, NULL);
        const char *l;
        snprintf(want, sizeof(want), "seqpacket 1 1 %s\n", addr);
        int seen = 0;
        while ((l = grun_next(&r)) != NULL) {
                seen |= strcmp(l, want) == 0;
        }
        ASSERT_TRUE(seen);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);

        /* while the guardian holds it, a client connects though no worker accepts */
        const char *args2[] = {"--listen", addr, "--", WARD_GUARDIAN_WORKER, "term", "0", NULL};
        grun_start(&r, args2, NULL);
        grun_until(&r, "ready");
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        size_t n = strlen(addr);
        memcpy(a.sun_path, addr, n);
        a.sun_path[0] = '\0';
        int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ASSERT_EQ(connect(c, (struct sockaddr *)&a,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
                  0);
        close(c);
        ASSERT_EQ(kill(r.pid, SIGTERM), 0);
        ASSERT_EQ(grun_wait(&r, NULL, NULL), 0);
}

TEST_MAIN()
