/* tools/ward/locks.h: what `ward locks` gathered about one process, shared by
 * its printers (locks_text.c, locks_json.c, locks_report.c). */
#ifndef WARD_TOOLS_LOCKS_H
#define WARD_TOOLS_LOCKS_H

#include <stddef.h>

#include <ward/lock-inspect.h>

#include "lock/layout.h"
#include <ward/lock-inspect.h>
#include <ward/stack.h>

#define LOCKS_MAX_FRAMES 32

struct locks_opts {
        int json, verbose, all, held, report, stacks, pid;
};

struct locks_stack {
        struct ward_stack_frame frames[LOCKS_MAX_FRAMES];
        size_t n;
};

struct locks_held_global { /* -a: a global lock that is held */
        struct ward_lock_global g;
        int readers; /* a rwlock held by readers (owner 0) */
        int owner;
};

struct locks_ctx {
        struct locks_opts o;
        struct ward_lock_scan scan;
        int deadlock;
        struct ward_lock_registry reg;
        int reg_status;             /* 0, or why there is no registry (-ENOENT, -ESTALE...) */
        struct ward_stack *dwfl;    /* the target's modules (NULL with --no-stacks) */
        struct locks_stack *stacks; /* per scan thread, NULL without stacks */
        struct locks_held_global *globals;
        size_t n_globals;
};

/* locks_in_cycle: is tid one of the deadlock's threads? */
int locks_in_cycle(const struct locks_ctx *c, int tid);

/* locks_entry_at: the registry entry of the lock at addr, or NULL */
const struct ward_lock_entry *locks_entry_at(const struct locks_ctx *c, uint64_t addr);

/* locks_object_name: a lock's name: the registry's, else the covering
 * symbol's ("app!mutex_a"), else "" */
void locks_object_name(const struct locks_ctx *c, uint64_t addr, char *buf, size_t size);

/* locks_entry_name: a registry entry's name in quotes ("cache"), else
 * (a lock the preload shim found) the symbol covering it, else its address */
void locks_entry_name(const struct locks_ctx *c, const struct ward_lock_entry *e, char *buf,
                      size_t size);

/* locks_last_site: where a registry entry was last acquired, read from the
 * live process ("?" if unreadable) */
void locks_last_site(const struct locks_ctx *c, const struct ward_lock_entry *e, char *buf,
                     size_t size);

/* locks_resolve_registry: rewrite the registry's code addresses ("0xPC
 * ...", as the preload shim records creation and inversion sites) as
 * "function (file:line)", and lock names that are addresses ("0x...", the
 * shim's) as the symbol covering them. Needs c->dwfl for sites. */
void locks_resolve_registry(struct locks_ctx *c);

/* locks_skip_entry: does -e/--held leave this registry entry out? */
int locks_skip_entry(const struct locks_ctx *c, const struct ward_lock_entry *e);

void locks_print_text(const struct locks_ctx *c);
void locks_print_json(const struct locks_ctx *c);
void locks_print_report(const struct locks_ctx *c);

#endif
