/* The guardian's wire: the records a worker (libward, src/guard) and its
 * guardian (libward-inspect, src/inspect/guard) exchange over their
 * SOCK_SEQPACKET pair. One record per packet, one fixed layout for every
 * type, host byte order (both ends are on one machine). Whatever arrives is
 * untrusted: ward__guard_msg_check() before any field is used.
 *
 * The conversation:
 *   worker   HELLO    pid, start time, heartbeat period asked (value);
 *                     sent with SCM_CREDENTIALS (the guardian checks the
 *                     kernel's pid against its child and the claim)
 *   guardian READY    the worker may install its handlers; value: the
 *                     heartbeat deadline in ns the guardian enforces (0: none)
 *   worker   STARTED  the application says it is ready (sd_notify READY=1)
 *   worker   BEAT     a heartbeat; value: its sequence number
 *   worker   CRASH    tid, signo, code, addr; siginfo_addr and ucontext_addr:
 *                     where the crashing thread's siginfo_t and ucontext_t
 *                     are in the worker's memory (the guardian reads them
 *                     with process_vm_readv; never trusts them further)
 *   guardian ACK      captured (or given up): the worker may die now;
 *                     value: WARD__GUARD_ACK_CORE when the guardian wrote a
 *                     core (the worker then leaves the kernel none of its own)
 * Anything else, or a record out of this order, ends the conversation. */
#ifndef WARD_CORE_GUARD_WIRE_H
#define WARD_CORE_GUARD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WARD__GUARD_MAGIC 0x64726177u /* "ward" */
#define WARD__GUARD_VERSION 1u
/* ACK's value bit: the guardian wrote the worker's core */
#define WARD__GUARD_ACK_CORE 1u

/* The environment variable naming the worker's end of the pair (a decimal
 * fd the worker inherits); the worker removes it from its environment. */
#define WARD__GUARD_ENV_FD "WARD_GUARD_FD"
/* The argument (argv[1]) that tells a re-executed program it is the guardian. */
#define WARD__GUARD_ROLE_ARG "--ward-role=guardian"

enum ward__guard_type {
        WARD__GUARD_HELLO = 1,
        WARD__GUARD_READY = 2,
        WARD__GUARD_STARTED = 3,
        WARD__GUARD_BEAT = 4,
        WARD__GUARD_CRASH = 5,
        WARD__GUARD_ACK = 6,
};

struct ward__guard_msg {
        uint32_t magic;         /* WARD__GUARD_MAGIC */
        uint16_t version;       /* WARD__GUARD_VERSION */
        uint16_t type;          /* enum ward__guard_type */
        int32_t pid;            /* the sender's process */
        int32_t tid;            /* CRASH: the crashing thread */
        uint64_t start;         /* HELLO: the sender's start time (/proc/PID/stat 22) */
        int32_t signo;          /* CRASH: the signal */
        int32_t code;           /* CRASH: its si_code */
        uint64_t addr;          /* CRASH: si_addr */
        uint64_t siginfo_addr;  /* CRASH: &siginfo_t in the worker */
        uint64_t ucontext_addr; /* CRASH: &ucontext_t in the worker */
        uint64_t value;         /* HELLO, READY: heartbeat ns; BEAT: sequence; ACK: bits */
};

/* ward__guard_msg_make: a record of type t from pid, the other fields zero. */
struct ward__guard_msg ward__guard_msg_make(enum ward__guard_type t, int32_t pid);

/* ward__guard_msg_check: is buf (len bytes, as received) one well-formed
 * record? Checks the size, magic, version and type, and the fields the type
 * uses (a CRASH names a thread, a catchable signal, a non-null ucontext; a
 * HELLO a pid and a start time). Copies it to *ret. Returns 0, -EPROTO
 * (wrong size, magic or type), -EPROTONOSUPPORT (another version) or -EINVAL
 * (a field out of range). Async-signal-safe; any thread. */
int ward__guard_msg_check(const void *buf, size_t len, struct ward__guard_msg *ret);

#endif
