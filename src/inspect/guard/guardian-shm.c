/* A dead worker's shared-memory files: its ward trace buffers, lock
 * registry and whatever else ward made for it (/dev/shm/ward-NAME.PID) go
 * once it is reaped, so a crash leaves nothing stale in /dev/shm. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/guard/guardian-internal.h"

/* for_pid: is name "ward-SOMETHING.PID", exactly pid? */
static int for_pid(const char *name, const char *suffix, size_t suffix_len)
{
        size_t n = strlen(name);
        if (strncmp(name, "ward-", 5) != 0 || n <= 5 + suffix_len) {
                return 0;
        }
        return strcmp(name + n - suffix_len, suffix) == 0;
}

int ward__shm_cleanup(int pid)
{
        char suffix[24];
        int len = snprintf(suffix, sizeof(suffix), ".%d", pid);
        DIR *d = opendir("/dev/shm");
        if (!d || pid <= 0) {
                if (d) {
                        closedir(d);
                }
                return 0;
        }
        int removed = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                struct stat st;
                if (!for_pid(e->d_name, suffix, (size_t)len) ||
                    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
                        continue;
                }
                if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
                        removed++;
                }
        }
        closedir(d);
        return removed;
}
