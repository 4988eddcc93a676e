/* The netlink process connector's messages (<linux/cn_proc.h>): netlink
 * headers around a cn_msg around a proc_event. Bytes from the kernel are
 * checked like any other input: every length against what is there, every
 * pid against the kernel's range. */
#ifndef WARD_INSPECT_PROC_CNMSG_H
#define WARD_INSPECT_PROC_CNMSG_H

#include <stddef.h>
#include <stdint.h>

/* proc_event.what (the kernel's values) */
enum {
        WARD__CN_NONE = 0x00000000, /* the answer to a LISTEN/IGNORE: err */
        WARD__CN_FORK = 0x00000001,
        WARD__CN_EXEC = 0x00000002,
        WARD__CN_COMM = 0x00000200,
        WARD__CN_EXIT = 0x80000000,
};

struct ward__cn_event {
        uint32_t what;
        uint32_t cpu;
        uint64_t ns;                     /* the kernel's timestamp: CLOCK_MONOTONIC */
        uint32_t seq, ack;               /* of the cn_msg: NONE answers our ack + 1 */
        int pid, tgid;                   /* FORK: the child; others: the task */
        int ppid, ptgid;                 /* FORK: the parent; EXIT: the parent (0 when absent) */
        uint32_t exit_code, exit_signal; /* EXIT */
        uint32_t err;                    /* NONE */
        char comm[16];                   /* COMM: NUL-terminated */
};

/* Called for each process event; nonzero stops the parse. */
typedef int ward__cn_fn(void *arg, const struct ward__cn_event *ev);

/* ward__cn_parse: the events in one datagram (n bytes). Messages of other
 * connectors and netlink types are passed over; events of other kinds
 * (uid, gid, sid, ptrace, coredump) are delivered with what and cpu, ns,
 * pid, tgid. Returns how many events were delivered, or -EPROTO for damage
 * (after the good ones before it). */
int ward__cn_parse(const void *buf, size_t n, ward__cn_fn *fn, void *arg);

/* ward__cn_listen_msg: the LISTEN (listen != 0) or IGNORE request with
 * ack = cookie into buf (room for 64 bytes). Returns its length. */
size_t ward__cn_listen_msg(void *buf, uint32_t cookie, int listen);

#endif
