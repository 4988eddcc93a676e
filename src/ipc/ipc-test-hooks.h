/* Internal hooks for ward's own tests (linked from the static library only). */
#ifndef WARD_IPC_TEST_HOOKS_H
#define WARD_IPC_TEST_HOOKS_H

#include <stddef.h>

#include <ward/ipc.h>

/* ward__ipc_conn_shm: the connection's shared mapping (both rings and pools), for
 * tests that play a misbehaving peer by writing into it. Errors: -EINVAL. */
int ward__ipc_conn_shm(ward_ipc_conn *c, void **ret_base, size_t *ret_len);

#endif
