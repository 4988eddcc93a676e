/* The calling process's pid without a syscall. */
#ifndef WARD_CORE_PID_H
#define WARD_CORE_PID_H

#include <sys/types.h>

/* ward__pid: getpid(), cached and refreshed in the child by a pthread_atfork
 * handler. glibc's getpid() is a real syscall (about 1 µs on a VM), and ward
 * checks "used after fork?" on every call of its fast paths. A child made by a
 * raw clone() syscall, bypassing glibc's fork, is not seen.
 * Thread class: any-thread, async-signal-safe once initialised. */
pid_t ward__pid(void);

#endif
