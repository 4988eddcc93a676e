/* A client connection that outlives its server: reconnecting in place. */
#ifndef WARD_IPC_RECONNECT_H
#define WARD_IPC_RECONNECT_H

#include <stdint.h>

#include <ward/ipc.h>

/* ward__ipc_revive: if c is a client connection made with options.reconnect
 * whose server has gone (-ECONNRESET), no callback of it is on the stack and
 * no synchronous call waits on it, complete its pending calls with
 * -ECONNRESET and connect it again to the same address, trying until
 * deadline with a bounded back-off. c keeps its handler, userdata and loop.
 * Returns 0 when c is usable (it was, or is again), else the error that
 * stands: c's own (-ECONNRESET, -EPROTO, ...), -ETIMEDOUT (no server
 * answered by deadline), -EACCES and the like from the new server,
 * -ECANCELED when a callback closed c meanwhile (c is gone then), -ECHILD
 * after fork, -EINVAL for NULL. Thread class: owner-thread of c. */
int ward__ipc_revive(ward_ipc_conn *c, uint64_t deadline);

/* ward__ipc_generation: how many times c reconnected (0 for NULL): a caller
 * that learned something of the old server (an RPC service id) asks again
 * when it changes. */
uint64_t ward__ipc_generation(ward_ipc_conn *c);

/* ward__ipc_revive_explicitly: from now on c reconnects only when its owner
 * calls ward__ipc_revive, never inside a call or send: for a caller whose
 * messages carry what it learned of one server (an RPC service id), which
 * must not reach the next one. Thread class: owner-thread of c. */
void ward__ipc_revive_explicitly(ward_ipc_conn *c);

#endif
