/* SCM_RIGHTS send/receive that never leaks a descriptor the peer forced on us. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fdpass.h"

int ward__send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * WARD_FDPASS_MAX)];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (nfds < 0 || nfds > WARD_FDPASS_MAX) {
                return -EINVAL;
        }
        if (nfds > 0) {
                memset(&ctl, 0, sizeof(ctl));
                mh.msg_control = ctl.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
        }
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n < 0) {
                return -errno;
        }
        return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* take_cmsg_fds: store the first `keep` descriptors of the SCM_RIGHTS messages
 * in fds and close the rest (counted across messages). Returns how many
 * descriptors arrived in all. */
static int take_cmsg_fds(struct msghdr *mh, int *fds, int keep)
{
        int n = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
                        continue;
                }
                size_t cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < cnt; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (n < keep) {
                                fds[n] = fd;
                        } else {
                                close(fd);
                        }
                        n++;
                }
        }
        return n;
}

/* fd_room: after MSG_CTRUNC, tell "we had no room for the descriptors" (the
 * kernel truncates then too) from "the peer sent too many": probe for n. */
static int fd_room(int sock, int n)
{
        int probe[WARD_FDPASS_MAX * 2], got = 0, err = 0;
        for (; got < n && got < WARD_FDPASS_MAX * 2; got++) {
                probe[got] = fcntl(sock, F_DUPFD_CLOEXEC, 0);
                if (probe[got] < 0) {
                        err = errno;
                        break;
                }
        }
        for (int i = 0; i < got; i++) {
                close(probe[i]);
        }
        return (err == EMFILE || err == ENFILE) ? -err : -EPROTO;
}

ssize_t ward__recv_fds(int sock, void *buf, size_t cap, int *fds, int maxfds, int *ret_nfds,
                       int flags)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * WARD_FDPASS_MAX * 2)];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = cap};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
        if (n < 0) {
                return -errno;
        }
        int got = take_cmsg_fds(&mh, fds, (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? 0 : maxfds);
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                return (mh.msg_flags & MSG_CTRUNC) ? fd_room(sock, maxfds) : -EPROTO;
        }
        if (got > maxfds) {
                for (int i = 0; i < maxfds; i++) {
                        close(fds[i]);
                }
                return -EPROTO;
        }
        *ret_nfds = got;
        return n;
}
