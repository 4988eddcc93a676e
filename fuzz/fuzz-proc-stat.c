/* Fuzz the /proc/PID/stat parser (what spawn, stop and watch read of every
 * process): whatever the bytes, a parse that succeeds gives a terminated
 * name and numbers in the kernel's ranges. Seeds: real stat files (this
 * process, a kernel thread with a long name, a name with spaces and
 * parentheses, a zombie). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/proc/pstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__pstat s;
        if (ward__pstat_parse((const char *)data, size, &s) < 0) {
                return 0;
        }
        if (memchr(s.comm, '\0', sizeof(s.comm)) == NULL) {
                abort();
        }
        if (s.pid <= 0 || s.pid > (1 << 22) || s.ppid < 0 || s.ppid > (1 << 22) || s.pgrp < 0 ||
            s.sid < 0 || s.nice < -20 || s.nice > 19 || s.threads < 0 || s.fields < 22 ||
            s.fields > 52) {
                abort();
        }
        (void)ward__pstat_exec_sig(&s);
        return 0;
}
