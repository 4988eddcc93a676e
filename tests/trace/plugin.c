/* A library that traces, loaded with dlopen by test-dlopen.c. It links the
 * shared libward, as a user's plugin would. */
#include <ward/trace.h>

int plugin_trace(int n);
int plugin_trace(int n)
{
        for (int i = 0; i < n; i++) {
                WARD_TRACE(WARD_TRACE_INFO, "from the plugin %d", i);
        }
        ward_trace_stop(); /* flush now: the test counts the files next */
        return 0;
}
