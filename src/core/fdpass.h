/* Packets with file descriptors over UNIX sockets (SCM_RIGHTS). */
#ifndef WARD_CORE_FDPASS_H
#define WARD_CORE_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define WARD_FDPASS_MAX 4

/* ward__send_fds: send one packet of len bytes with nfds (<= WARD_FDPASS_MAX)
 * descriptors. Returns 0 or -errno (-EMSGSIZE on a short send). */
int ward__send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/* ward__recv_fds: receive one packet into buf (cap bytes) and up to maxfds
 * descriptors (O_CLOEXEC). Descriptors beyond maxfds, and all descriptors of a
 * truncated packet, are closed. Returns the packet length (0 = peer closed) and
 * *ret_nfds, or -errno (-EPROTO for a truncated packet or control data). */
ssize_t ward__recv_fds(int sock, void *buf, size_t cap, int *fds, int maxfds, int *ret_nfds,
                       int flags);

#endif
