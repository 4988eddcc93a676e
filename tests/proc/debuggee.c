/* proc-debuggee: the program test-proc-debug follows. With no argument it
 * starts and joins a thread, forks a child that execs this program again
 * with "exit3" (which exits 3), waits for it, dlopens and dlcloses a library
 * (WARD_PROC_DL_MODULE), writes a line to stderr and faults at address 0x10.
 * Built without sanitizers even in sanitizer builds: it stands for any
 * program (and libtsan cannot get its static TLS under LD_AUDIT). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *quick_thread(void *arg)
{
        return arg;
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "exit3") == 0) {
                return 3;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, quick_thread, NULL) != 0 || pthread_join(t, NULL) != 0) {
                return 101;
        }
        pid_t child = fork();
        if (child == 0) {
                execl("/proc/self/exe", "proc-debuggee", "exit3", (char *)NULL);
                _exit(102);
        }
        int status;
        if (child < 0 || waitpid(child, &status, 0) != child) {
                return 103;
        }
        void *h = dlopen(WARD_PROC_DL_MODULE, RTLD_NOW);
        if (!h || dlclose(h) != 0) {
                return 104;
        }
        fputs("debuggee: about to fault\n", stderr);
        volatile uintptr_t fault = 16; /* opaque to the compiler */
        *(volatile int *)fault = 1;
        return 105;
}
