/* Process connector messages: see cnmsg.h. Everything is copied out with
 * memcpy: a datagram's bytes carry no alignment promise a parser may use. */
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>

#include "inspect/proc/cnmsg.h"

#define CN_IDX_PROC_ 1
#define CN_VAL_PROC_ 1
#define PID_LIMIT (1 << 22)
#define HDR_NL 16     /* struct nlmsghdr */
#define HDR_CN 20     /* struct cn_msg: idx, val, seq, ack, len (u16), flags (u16) */
#define HDR_EVENT 16  /* proc_event: what, cpu, timestamp_ns */
#define EVENT_DATA 24 /* the largest union member this parser reads (exit) */

static uint32_t u32_at(const uint8_t *p)
{
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static int pid_ok(uint32_t v)
{
        return v <= PID_LIMIT;
}

/* event: one proc_event of len bytes at p */
static int event(const uint8_t *p, size_t len, uint32_t seq, uint32_t ack, struct ward__cn_event *e)
{
        uint8_t data[EVENT_DATA] = {0};
        if (len < HDR_EVENT) {
                return -EPROTO;
        }
        memset(e, 0, sizeof(*e));
        e->what = u32_at(p);
        e->cpu = u32_at(p + 4);
        memcpy(&e->ns, p + 8, sizeof(e->ns));
        e->seq = seq;
        e->ack = ack;
        size_t have = len - HDR_EVENT < sizeof(data) ? len - HDR_EVENT : sizeof(data);
        memcpy(data, p + HDR_EVENT, have);
        size_t need;
        switch (e->what) {
        case WARD__CN_NONE:
                need = 4;
                e->err = u32_at(data);
                break;
        case WARD__CN_FORK:
                need = 16;
                e->ppid = (int)u32_at(data);
                e->ptgid = (int)u32_at(data + 4);
                e->pid = (int)u32_at(data + 8);
                e->tgid = (int)u32_at(data + 12);
                break;
        case WARD__CN_COMM:
                need = 8 + sizeof(e->comm);
                if (len - HDR_EVENT >= need) {
                        memcpy(e->comm, p + HDR_EVENT + 8, sizeof(e->comm));
                }
                e->comm[sizeof(e->comm) - 1] = '\0';
                e->pid = (int)u32_at(data);
                e->tgid = (int)u32_at(data + 4);
                break;
        case WARD__CN_EXIT:
                need = 16; /* the parent came later (4.18): 0 when absent */
                e->pid = (int)u32_at(data);
                e->tgid = (int)u32_at(data + 4);
                e->exit_code = u32_at(data + 8);
                e->exit_signal = u32_at(data + 12);
                e->ppid = (int)u32_at(data + 16);
                e->ptgid = (int)u32_at(data + 20);
                break;
        default: /* exec, uid, gid, sid, ptrace, coredump: the task first */
                need = 8;
                e->pid = (int)u32_at(data);
                e->tgid = (int)u32_at(data + 4);
                break;
        }
        if (len - HDR_EVENT < need || !pid_ok((uint32_t)e->pid) || !pid_ok((uint32_t)e->tgid) ||
            !pid_ok((uint32_t)e->ppid) || !pid_ok((uint32_t)e->ptgid)) {
                return -EPROTO;
        }
        return 0;
}

int ward__cn_parse(const void *buf, size_t n, ward__cn_fn *fn, void *arg)
{
        const uint8_t *p = buf;
        int count = 0;
        while (n >= HDR_NL) {
                struct nlmsghdr h;
                memcpy(&h, p, sizeof(h));
                if (h.nlmsg_len < HDR_NL || h.nlmsg_len > n) {
                        return -EPROTO;
                }
                if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_OVERRUN) {
                        return -EPROTO;
                }
                size_t body = h.nlmsg_len - HDR_NL;
                const uint8_t *cn = p + HDR_NL;
                if (h.nlmsg_type == NLMSG_DONE && body >= HDR_CN && u32_at(cn) == CN_IDX_PROC_ &&
                    u32_at(cn + 4) == CN_VAL_PROC_) {
                        uint16_t len;
                        memcpy(&len, cn + 16, sizeof(len));
                        if (len > body - HDR_CN) {
                                return -EPROTO;
                        }
                        struct ward__cn_event e;
                        if (event(cn + HDR_CN, len, u32_at(cn + 8), u32_at(cn + 12), &e) < 0) {
                                return -EPROTO;
                        }
                        count++;
                        if (fn(arg, &e)) {
                                return count;
                        }
                } else if (h.nlmsg_type == NLMSG_DONE && body < HDR_CN) {
                        return -EPROTO;
                }
                size_t step = NLMSG_ALIGN(h.nlmsg_len);
                if (step >= n) {
                        break;
                }
                p += step;
                n -= step;
        }
        return count;
}

size_t ward__cn_listen_msg(void *buf, uint32_t cookie, int listen)
{
        uint8_t *p = buf;
        struct nlmsghdr h;
        uint32_t cn[4] = {CN_IDX_PROC_, CN_VAL_PROC_, 0, cookie};
        uint16_t len = 4, flags = 0;
        uint32_t op = listen ? 1 : 2; /* PROC_CN_MCAST_LISTEN, _IGNORE */
        size_t total = HDR_NL + HDR_CN + sizeof(op);
        memset(&h, 0, sizeof(h));
        h.nlmsg_len = (uint32_t)total;
        h.nlmsg_type = NLMSG_DONE;
        memset(buf, 0, 64);
        memcpy(p, &h, sizeof(h));
        memcpy(p + HDR_NL, cn, sizeof(cn));
        memcpy(p + HDR_NL + 16, &len, sizeof(len));
        memcpy(p + HDR_NL + 18, &flags, sizeof(flags));
        memcpy(p + HDR_NL + HDR_CN, &op, sizeof(op));
        return total;
}
