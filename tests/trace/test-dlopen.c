/* A library loaded with dlopen traces: WARD_TRACE in the environment starts
 * tracing when libward arrives with the library, and its events reach the
 * files. (This test uses no ward function itself: the library brings
 * libward.so, as in a program that only loads plugins.) */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "trace-count.h"

TEST(a_dlopened_library_traces)
{
        char *dir = make_temp_dir(), env[128];
        snprintf(env, sizeof(env), "info:%s", dir);
        setenv("WARD_TRACE", env, 1);
        void *h = dlopen(WARD_TRACE_PLUGIN, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                TEST_FAIL("dlopen: %s", dlerror());
        }
        int (*run)(int) = (int (*)(int))dlsym(h, "plugin_trace");
        ASSERT_TRUE(run != NULL);
        ASSERT_EQ(run(300), 0);
        struct trace_count c;
        ASSERT_EQ(count_dir(dir, &c), 0);
        ASSERT_EQ(c.events, 300);
        remove_dir(dir);
}

TEST_MAIN()
