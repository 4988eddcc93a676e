/* Pending asynchronous calls of one connection: a table by call id and a
 * min-heap of deadlines (entries of finished calls are dropped lazily). */
#ifndef WARD_IPC_CALLS_H
#define WARD_IPC_CALLS_H

#include <stdint.h>

#include <ward/ipc.h>

struct ward__call {
        uint64_t id; /* 0 marks an empty table slot */
        uint64_t deadline;
        ward_ipc_reply_fn fn;
        void *arg;
};

struct ward__deadline {
        uint64_t when;
        uint64_t id;
};

/* Calls that stopped waiting (timed out) may still be answered, and such a
 * late answer is dropped quietly, while an answer to a call that was never
 * made, or was answered already, breaks the protocol. The ids of the last
 * WARD__CALLS_LATE_MAX calls that timed out are kept for that; when more time
 * out, the oldest are forgotten and every id up to theirs is given the benefit
 * of the doubt (late_below). */
#define WARD__CALLS_LATE_MAX 1024u

struct ward__calls {
        struct ward__call *tab;
        uint32_t cap, count;
        struct ward__deadline *heap;
        uint32_t heap_len, heap_cap;
        uint64_t *late; /* WARD__CALLS_LATE_MAX ids, 0 = none; allocated at the first */
        uint32_t late_next;
        uint64_t late_below; /* an answer to an id below this may be a forgotten late one */
};

/* ward__calls_add: remember a call. Errors: -ENOMEM. */
int ward__calls_add(struct ward__calls *cs, const struct ward__call *call);
/* ward__calls_take: remove call id into *ret. Returns 1, or 0 when unknown. */
int ward__calls_take(struct ward__calls *cs, uint64_t id, struct ward__call *ret);
/* ward__calls_take_expired: remove one call whose deadline <= now. Returns 1 or 0. */
int ward__calls_take_expired(struct ward__calls *cs, uint64_t now, struct ward__call *ret);
/* ward__calls_take_any: remove some call (for cancelling all). Returns 1 or 0. */
int ward__calls_take_any(struct ward__calls *cs, struct ward__call *ret);
/* ward__calls_next_deadline: earliest live deadline, or UINT64_MAX. */
uint64_t ward__calls_next_deadline(struct ward__calls *cs);
/* ward__calls_abandon: call id, sent, stopped waiting (timed out): its answer
 * may still come. */
void ward__calls_abandon(struct ward__calls *cs, uint64_t id);
/* ward__calls_take_late: is id (not pending) an abandoned call whose answer is
 * due? 1 (and it is due no longer) or 0. */
int ward__calls_take_late(struct ward__calls *cs, uint64_t id);
void ward__calls_free(struct ward__calls *cs);

#endif
