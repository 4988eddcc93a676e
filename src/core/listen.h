/* The listening socket of a ward address: what an IPC server binds, and what
 * a guardian (`ward run --listen`) creates once to hand to each worker. */
#ifndef WARD_CORE_LISTEN_H
#define WARD_CORE_LISTEN_H

#include "core/address.h"

/* ward__listen: an AF_UNIX SOCK_SEQPACKET socket bound to addr and
 * listening (backlog 128), with sock_flags (SOCK_CLOEXEC, SOCK_NONBLOCK, or
 * 0 for a descriptor a child inherits). A unix: socket file that nobody
 * listens on any more (connect refused) is replaced; a live one gives
 * -EADDRINUSE. Returns the descriptor or -errno. Any thread. */
int ward__listen(const struct ward__address *addr, int sock_flags);

#endif
