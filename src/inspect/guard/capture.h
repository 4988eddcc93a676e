/* The state of one capture (core.c), shared with the report (report.c). */
#ifndef WARD_INSPECT_GUARD_CAPTURE_H
#define WARD_INSPECT_GUARD_CAPTURE_H

#include <signal.h>
#include <stdio.h>
#include <sys/user.h>

#include <ward/core.h>

#include "core/procstat.h"

#include "parse.h"

struct ward__core_thread {
        int tid;
        int seized;      /* ours to detach (else the caller traces it) */
        int stopped;     /* registers are valid */
        int pending_sig; /* a signal-delivery-stop's signal, given back on detach */
        int late;        /* did not stop in time (uninterruptible sleep): no registers */
        int have_fp;
        struct user_regs_struct regs;
        struct user_fpregs_struct fp;
};

struct ward__capture {
        int pid;
        int mm_tid; /* a live thread, to read the memory, maps and auxv through */
        struct ward_core_options o;
        struct ward__core_thread *t; /* the crashing thread first */
        size_t n, cap;
        struct ward__maps maps;
        unsigned char *auxv;
        size_t auxv_len;
        struct ward__proc_statline ps; /* read before the threads were stopped */
        siginfo_t si;                  /* valid with o.signo */
        int mem_fd;                    /* /proc/PID/mem, -1 if it did not open */
};

/* ward__capture_read: n bytes of the target at addr (process_vm_readv, then
 * /proc/PID/mem); 0 or -EFAULT. */
int ward__capture_read(void *capture, uint64_t addr, void *out, size_t n);

/* ward__core_report_write: the report of a stopped capture into text and
 * json (either may be NULL). 0 or -errno. */
int ward__core_report_write(struct ward__capture *c, const char *core_path, FILE *text, FILE *json);

#endif
