/* Listening sockets a server inherits instead of creating them. */
#ifndef WARD_IPC_INHERIT_H
#define WARD_IPC_INHERIT_H

#include "core/address.h"

/* ward__inherit_check: is fd a listening AF_UNIX SOCK_SEQPACKET socket bound
 * to addr? 0, -ENOTSOCK (not a socket, or not open) or -EBADF (another kind of
 * socket, not listening, or bound elsewhere). */
int ward__inherit_check(int fd, const struct ward__address *addr);

/* ward__inherit_listener: the listening socket for address (addr, parsed)
 * that this process inherited, made non-blocking and close-on-exec:
 *   - WARD_LISTEN_FD=<n> with WARD_LISTEN_ADDRESS equal to address (ward's
 *     guardian, `ward run --listen`); both are removed from the environment
 *     once the descriptor is adopted;
 *   - else systemd socket activation: LISTEN_PID our pid, LISTEN_FDS=<n>,
 *     descriptors from 3: the first bound to addr (the variables are removed
 *     when n is 1, as sd_listen_fds(1) does).
 * Returns the descriptor, -ENOENT when nothing was handed down for address,
 * or -EBADF/-ENOTSOCK when WARD_LISTEN_FD names no listening socket of
 * address (the guardian meant one: the caller fails rather than bind).
 * Thread class: the environment is read and changed: call it before other
 * threads use getenv/setenv (as with any unsetenv). */
int ward__inherit_listener(const char *address, const struct ward__address *addr);

#endif
