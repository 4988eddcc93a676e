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

struct ward__calls {
        struct ward__call *tab;
        uint32_t cap, count;
        struct ward__deadline *heap;
        uint32_t heap_len, heap_cap;
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
void ward__calls_free(struct ward__calls *cs);

#endif
