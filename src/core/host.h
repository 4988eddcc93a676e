/* Which machine and which boot of it this is: written into trace files so
 * that a merge can tell files of several hosts (or reboots) apart. */
#ifndef WARD_CORE_HOST_H
#define WARD_CORE_HOST_H

#include <stddef.h>

#define WARD__HOST_NAME_MAX 64u /* bytes, NUL padding included */
#define WARD__HOST_BOOT_MAX 40u /* a boot id is 36 characters */

/* ward__host_identity: this machine's host name (uname's nodename) into
 * name[WARD__HOST_NAME_MAX] and the kernel's boot id
 * (/proc/sys/kernel/random/boot_id, 36 characters) into
 * boot[WARD__HOST_BOOT_MAX], both NUL-padded to their size. What cannot be
 * read is left empty. Returns 0, or -errno when the boot id could not be
 * read. Thread class: any-thread (not async-signal-safe: it opens a file). */
int ward__host_identity(char *name, char *boot);

#endif
