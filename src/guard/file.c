/* Which open file a descriptor is: the guardian's socket and the fallback
 * note's file are checked before each use, since the program may have
 * closed them and got the numbers back for files of its own. */
#include <sys/stat.h>

#include "guard/guard.h"

void ward__guard_file_note(int fd, struct ward__guard_file *f)
{
        struct stat st;
        *f = (struct ward__guard_file){0, 0};
        if (fd >= 0 && fstat(fd, &st) == 0) {
                *f = (struct ward__guard_file){(uint64_t)st.st_dev, (uint64_t)st.st_ino};
        }
}

int ward__guard_file_same(int fd, const struct ward__guard_file *f)
{
        struct stat st; /* fstat is async-signal-safe */
        return fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_dev == f->dev &&
               (uint64_t)st.st_ino == f->ino;
}
