/* The spawn of ward/spawn.h with a choice its public API does not offer. */
#ifndef WARD_INSPECT_PROC_SPAWN_INTERNAL_H
#define WARD_INSPECT_PROC_SPAWN_INTERNAL_H

#include <ward/spawn.h>

/* ward__proc_spawn: ward_proc_spawn; with shared_vm the child is started
 * vfork-style (CLONE_VM | CLONE_VFORK, a stack of its own) instead of as a
 * copy of this process: no page tables are copied at the clone nor torn down
 * at the exec, which is what a spawn from a process with a large heap or
 * many mappings costs, and the calling thread is suspended until the exec.
 * Not with WARD_PROC_SPAWN_CGROUP (clone3's CLONE_INTO_CGROUP needs the
 * copy), nor in a TSan build, nor on a kernel without CLONE_PIDFD: then
 * the child is a copy, as with ward_proc_spawn. Errors, ownership and
 * thread class: ward_proc_spawn's. */
int ward__proc_spawn(const struct ward_proc_spawn_options *options, int shared_vm, ward_proc **ret);

#endif
