/* ward-demo: what our processes left in /dev/shm. Each ward process keeps
 * its trace buffers (ward-trace.PID) and lock registry (ward-locks.PID)
 * there, removed at a clean exit; the guardian removes those of a worker
 * that crashed. Whatever is still there of a process of ours is judged by
 * libward-inspect (ward/shm.h, what `ward clean` uses): a stale one is
 * removed, and said; one still live or in use is said as left. */
#include <stdio.h>
#include <string.h>

#include <ward/shm.h>

#include "demo.h"

void demo_shm_check(struct demo *d)
{
        struct ward_shm_options o = {
            .size = sizeof(o), .pids = d->pids, .n_pids = (size_t)d->npids};
        struct ward_shm_file *files = NULL;
        size_t n = 0;
        char path[300];
        if (d->npids <= 0 || ward_shm_list(&o, &files, &n) < 0) {
                return;
        }
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "/dev/shm/%s", files[i].name);
                if (ward_shm_is_stale(files[i].state) && ward_shm_remove(&o, &files[i]) == 0) {
                        demo_lines_add(&d->shm_removed, path, strlen(path));
                } else {
                        demo_lines_add(&d->shm_left, path, strlen(path));
                }
        }
        ward_shm_list_free(files);
}
