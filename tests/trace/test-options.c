/* ward_trace_start with options of another version (ward/api.h): a smaller
 * size (an older caller) starts with the defaults for the rest; a larger one
 * starts if the options we do not know are zero, and is -EINVAL otherwise.
 * Tracing starts once per process, so each start runs in a child. */
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ward/trace.h>

#include "test.h"
#include "trace-count.h"
#include "trace/tracer.h"

struct newer {
        struct ward_trace_options o;
        uint64_t future[2];
};

static int in_child(void (*fn)(const char *), const char *dir)
{
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                fn(dir);
                exit(0);
        }
        int st;
        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void older(const char *dir)
{
        struct newer in;
        memset(&in, 0xff, sizeof(in)); /* past the caller's size: not its bytes */
        in.o.size = offsetof(struct ward_trace_options, buffer_size);
        in.o.level = WARD_TRACE_DEBUG;
        in.o.dir = dir;
        in.o.name = "old";
        ASSERT_OK(ward_trace_start(&in.o));
        ASSERT_EQ(ward__tracer->opts.size, sizeof(struct ward_trace_options));
        ASSERT_EQ(ward__tracer->opts.level, WARD_TRACE_DEBUG);
        ASSERT_EQ(ward__tracer->opts.buffer_size, 32u << 20); /* the defaults */
        ASSERT_EQ(ward__tracer->opts.max_threads, 256);
        ASSERT_EQ(ward__tracer->opts.policy, WARD_TRACE_DROP);
        WARD_TRACE(WARD_TRACE_INFO, "older caller %d", 1);
        ward_trace_stop();
}

static void newer_zero(const char *dir)
{
        struct newer in;
        memset(&in, 0, sizeof(in));
        in.o.size = sizeof(in);
        in.o.dir = dir;
        in.o.name = "new";
        ASSERT_OK(ward_trace_start(&in.o));
        WARD_TRACE(WARD_TRACE_INFO, "newer caller %d", 2);
        ward_trace_stop();
}

static void newer_set(const char *dir)
{
        struct newer in;
        memset(&in, 0, sizeof(in));
        in.o.size = sizeof(in);
        in.o.dir = dir;
        in.future[1] = 1;
        ASSERT_ERRNO(ward_trace_start(&in.o), EINVAL);
        in.o.size = 2;
        ASSERT_ERRNO(ward_trace_start(&in.o), EINVAL);
}

TEST(sizes_of_other_versions)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(older, dir), 0);
        ASSERT_EQ(in_child(newer_zero, dir), 0);
        ASSERT_EQ(in_child(newer_set, dir), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, 2);
        remove_dir(dir);
}

/* a rotate_bytes too small for a file's header and one SITE record would
 * rotate on every record: refused */
static void tiny_rotation(const char *dir)
{
        struct ward_trace_options o = {.size = sizeof(o), .dir = dir, .rotate_bytes = 300};
        ASSERT_ERRNO(ward_trace_start(&o), EINVAL);
        o.rotate_bytes = 8192;
        ASSERT_OK(ward_trace_start(&o));
        ward_trace_stop();
}

TEST(a_rotation_too_small_is_refused)
{
        char *dir = make_temp_dir();
        ASSERT_EQ(in_child(tiny_rotation, dir), 0);
        remove_dir(dir);
}

TEST_MAIN()
