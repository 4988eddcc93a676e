/* The connector back-end of the watcher: a NETLINK_CONNECTOR socket in the
 * process-events group. The kernel sends every fork, exec, exit and name
 * change of the system; threads' forks and exits are dropped here, and with
 * given pids everything outside their trees. Subscribing (LISTEN) needs
 * CAP_NET_ADMIN; the kernel's answer says whether it took it. */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inspect/proc/cnmsg.h"
#include "inspect/proc/watch-internal.h"

#define CN_IDX_PROC_ 1
#define RCVBUF (4 << 20)
#define ACK_WAIT_MS 1000
#define BATCH 64 /* datagrams per dispatch: the loop's other sources get their turn */
#define VLEN 16
#define DATAGRAM 512

struct ack_wait {
        uint32_t want;
        int got, err;
};

static int on_ack(void *arg, const struct ward__cn_event *ev)
{
        struct ack_wait *a = arg;
        if (ev->what == WARD__CN_NONE && ev->ack == a->want) {
                a->got = 1;
                a->err = (int)ev->err;
                return 1;
        }
        return 0; /* an event from before we listened, or another listener's answer */
}

static int subscribe(int fd, uint32_t cookie, int listen)
{
        _Alignas(8) uint8_t msg[64];
        size_t len = ward__cn_listen_msg(msg, cookie, listen);
        return send(fd, msg, len, 0) == (ssize_t)len ? 0 : -errno;
}

/* wait_ack: the kernel answers a LISTEN in the send itself; a process in
 * another pid or user namespace gets no answer (and no events) */
static int wait_ack(int fd, uint32_t cookie)
{
        struct ack_wait a = {cookie + 1, 0, 0};
        _Alignas(8) uint8_t buf[8192];
        uint64_t deadline = ward_now_ns() + (uint64_t)ACK_WAIT_MS * 1000000;
        while (!a.got) {
                uint64_t now = ward_now_ns();
                if (now >= deadline) {
                        return -EOPNOTSUPP;
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, (int)((deadline - now) / 1000000) + 1) < 0 && errno != EINTR) {
                        return -errno;
                }
                struct sockaddr_nl from;
                socklen_t flen = sizeof(from);
                ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
                if (n < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS) {
                        return -errno;
                }
                if (n > 0 && from.nl_pid == 0) {
                        ward__cn_parse(buf, (size_t)n, on_ack, &a);
                }
        }
        return a.err ? -a.err : 0;
}

int ward__watch_connector_open(struct ward_watch *w)
{
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
        if (fd < 0) {
                return errno == EINVAL || errno == EAFNOSUPPORT ? -EPROTONOSUPPORT : -errno;
        }
        struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC_};
        int size = RCVBUF;
        uint32_t cookie = (uint32_t)(ward_now_ns() >> 10) | 1;
        int r = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -errno : 0;
        if (r == 0) {
                /* room for bursts (capped by net.core.rmem_max); overflow is
                 * survived all the same, by a rescan */
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
                r = subscribe(fd, cookie, 1);
        }
        if (r == 0) {
                r = wait_ack(fd, cookie);
        }
        if (r < 0) {
                close(fd);
                return r;
        }
        w->sock = fd;
        return 0;
}

void ward__watch_connector_close(struct ward_watch *w)
{
        if (w->sock < 0) {
                return;
        }
        ward_source_free(w->sock_src);
        w->sock_src = NULL;
        /* the kernel counts listeners and makes events while any is left */
        subscribe(w->sock, 0, 0);
        close(w->sock);
        w->sock = -1;
}

int ward__watch_connector_fd(const ward_watch *w)
{
        return w && w->sock >= 0 ? w->sock : -EINVAL;
}

static int emit_exec(struct ward_watch *w, const struct ward__cn_event *ev)
{
        struct ward__pentry *e = ward__ptable_get(&w->tab, ev->tgid);
        struct ward__pstat s;
        if (!e && !w->all) {
                return 0; /* not watched: nothing read */
        }
        int have = ward__pstat_read(ev->tgid, &s) == 0;
        if (!e && have && !(e = ward__watch_entry_new(w, &s))) {
                return 0; /* out of memory: the event is still told below */
        }
        struct ward_watch_event out = {
            .kind = WARD_WATCH_EXEC, .pid = ev->tgid, .ns = ev->ns, .status = -1};
        if (e) {
                out.ppid = e->ppid;
                if (have) {
                        memcpy(e->comm, s.comm, sizeof(e->comm));
                        e->sig = ward__pstat_exec_sig(&s);
                        e->start = s.start;
                } else {
                        e->comm[0] = '\0'; /* ended already: its new name is lost */
                }
                memcpy(out.comm, e->comm, sizeof(out.comm));
        }
        return ward__watch_emit(w, &out);
}

static int on_event(void *arg, const struct ward__cn_event *ev)
{
        struct ward_watch *w = arg;
        struct ward_watch_event out = {.pid = ev->tgid, .ns = ev->ns, .status = -1};
        struct ward__pentry *e;
        switch (ev->what) {
        case WARD__CN_FORK: {
                if (ev->pid != ev->tgid || ev->pid <= 0 || !ward__watch_wants_child(w, ev->ptgid)) {
                        return 0; /* a thread, or not ours to watch */
                }
                struct ward__pentry *parent = ward__ptable_get(&w->tab, ev->ptgid);
                struct ward__pstat s = {.pid = ev->pid, .ppid = ev->ptgid, .state = 'R'};
                if (parent) { /* a child starts with its parent's name */
                        memcpy(s.comm, parent->comm, sizeof(s.comm));
                }
                if ((e = ward__ptable_get(&w->tab, ev->pid))) {
                        if (e->gen) {
                                return 0; /* a rescan found it (and told) already */
                        }
                        ward__watch_entry_drop(w, e); /* a pid that ended unseen */
                }
                ward__watch_entry_new(w, &s);
                out.kind = WARD_WATCH_FORK;
                out.ppid = ev->ptgid;
                memcpy(out.comm, s.comm, sizeof(out.comm));
                return ward__watch_emit(w, &out);
        }
        case WARD__CN_EXEC:
                return ev->tgid > 0 ? emit_exec(w, ev) : 0;
        case WARD__CN_COMM:
                e = ward__ptable_get(&w->tab, ev->tgid);
                if (ev->pid != ev->tgid || ev->pid <= 0 || (!e && !w->all)) {
                        return 0;
                }
                if (e) {
                        memcpy(e->comm, ev->comm, sizeof(e->comm));
                        out.ppid = e->ppid;
                }
                out.kind = WARD_WATCH_COMM;
                memcpy(out.comm, ev->comm, sizeof(out.comm));
                return ward__watch_emit(w, &out);
        case WARD__CN_EXIT:
                e = ward__ptable_get(&w->tab, ev->tgid);
                if (ev->pid != ev->tgid || ev->pid <= 0 || (!e && !w->all)) {
                        return 0; /* a thread, or not watched (or told already by a rescan) */
                }
                out.kind = WARD_WATCH_EXIT;
                out.status = (int)(ev->exit_code & 0xffff);
                out.ppid = ev->ptgid ? ev->ptgid : e ? e->ppid : 0;
                if (e) {
                        memcpy(out.comm, e->comm, sizeof(out.comm));
                        ward__watch_entry_drop(w, e);
                }
                return ward__watch_emit(w, &out);
        default:
                return 0;
        }
}

static void on_readable(ward_source *s, int fd, uint32_t events, void *arg)
{
        struct ward_watch *w = arg;
        /* a datagram holds one event (76 bytes): VLEN of them per syscall */
        _Alignas(8) uint8_t buf[VLEN][DATAGRAM];
        struct mmsghdr mm[VLEN];
        struct iovec iov[VLEN];
        struct sockaddr_nl from[VLEN];
        int drained = 0;
        (void)s, (void)events;
        ward__watch_enter(w);
        for (int round = 0; round < BATCH / VLEN && !w->freed && !drained; round++) {
                memset(mm, 0, sizeof(mm));
                for (int k = 0; k < VLEN; k++) {
                        iov[k] = (struct iovec){buf[k], sizeof(buf[k])};
                        mm[k].msg_hdr.msg_iov = &iov[k];
                        mm[k].msg_hdr.msg_iovlen = 1;
                        mm[k].msg_hdr.msg_name = &from[k];
                        mm[k].msg_hdr.msg_namelen = sizeof(from[k]);
                }
                int got = recvmmsg(fd, mm, VLEN, MSG_DONTWAIT, NULL);
                if (got < 0) {
                        if (errno == ENOBUFS) {
                                w->lost = 1; /* the socket overflowed: events are gone */
                        } else if (errno != EINTR) {
                                drained = 1; /* EAGAIN (or an error reading cannot mend) */
                        }
                        continue;
                }
                for (int k = 0; k < got && !w->freed; k++) {
                        if ((mm[k].msg_hdr.msg_flags & MSG_TRUNC) || from[k].nl_pid != 0) {
                                continue; /* not whole, or not from the kernel */
                        }
                        ward__cn_parse(buf[k], mm[k].msg_len, on_event, w);
                }
                drained = got < VLEN; /* fewer than asked for: none left just now */
        }
        if (drained && w->lost && !w->freed) {
                struct ward_watch_event lost = {
                    .kind = WARD_WATCH_LOST, .ns = ward_now_ns(), .status = -1};
                w->lost = 0;
                if (ward__watch_emit(w, &lost) == 0) {
                        ward__watch_rescan(w, WARD_WATCH_RESCANNED, 0);
                }
        }
        ward__watch_leave(w);
}

int ward__watch_connector_attach(struct ward_watch *w)
{
        return ward_loop_add_io(w->loop, w->sock, EPOLLIN, on_readable, w, &w->sock_src);
}
