/* Whose a ward file is: the process that has its pid now, told apart from
 * an earlier one by its start time (field 22 of /proc/PID/stat, through
 * core/procstat), compared with the start time in the file's header or,
 * for a file without one, with the file's change time. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "core/procstat.h"
#include "inspect/proc/shm.h"

#define NS 1000000000ll

static int64_t tick_ns(void)
{
        long hz = sysconf(_SC_CLK_TCK);
        return NS / (hz > 0 ? hz : 100);
}

static int64_t clock_ns(clockid_t id)
{
        struct timespec t;
        clock_gettime(id, &t);
        return (int64_t)t.tv_sec * NS + t.tv_nsec;
}

/* older_than_process: is a file changed at ctime_ns (CLOCK_REALTIME) older
 * than a process started at start_ticks (since boot)? The wall clock may
 * have been slewed since the file changed (NTP: at most 500 ppm), and both
 * times are coarse (a clock tick): only a file older by more than a second,
 * and a thousandth of its age, counts. A clock stepped forward can still
 * make a new file look old; the mapping check (shm-users.c) backs it up. */
static int older_than_process(int64_t ctime_ns, uint64_t start_ticks)
{
        int64_t real = clock_ns(CLOCK_REALTIME), boot = clock_ns(CLOCK_BOOTTIME);
        int64_t file_boot = ctime_ns - (real - boot); /* the change, since boot */
        int64_t started = (int64_t)start_ticks * tick_ns();
        int64_t age = real > ctime_ns ? real - ctime_ns : 0;
        return file_boot + NS + age / 1000 < started;
}

void ward__shm_judge_owner(struct ward_shm_file *f)
{
        char state = 0;
        uint64_t start = 0;
        int r = ward__proc_stat(f->pid, &state, &start);
        f->pid_start = r == 0 ? start : 0;
        f->state = WARD_SHM_LIVE;
        if (r == -ENOENT) {
                f->state = WARD_SHM_STALE_GONE;
                snprintf(f->why, sizeof(f->why), "no process %d", f->pid);
        } else if (r < 0) {
                snprintf(f->why, sizeof(f->why), "kept: cannot read /proc/%d/stat (%d)", f->pid,
                         -r);
        } else if (f->owner_start && f->owner_start != start) {
                f->state = WARD_SHM_STALE_REUSED;
                snprintf(f->why, sizeof(f->why),
                         "pid %d is another process now (started at tick %llu, not %llu)", f->pid,
                         (unsigned long long)start, (unsigned long long)f->owner_start);
        } else if (!f->owner_start && older_than_process(f->ctime_ns, start)) {
                f->state = WARD_SHM_STALE_OLDER;
                snprintf(f->why, sizeof(f->why), "older than process %d, which has the pid now",
                         f->pid);
        } else if (state == 'Z' || state == 'X') {
                snprintf(f->why, sizeof(f->why), "kept: process %d ended, not yet reaped", f->pid);
        } else {
                snprintf(f->why, sizeof(f->why), "kept: process %d runs", f->pid);
        }
}
