/* ward locks: the text output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "locks.h"

static void fmt_ns(uint64_t ns, char *buf, size_t size)
{
        if (ns >= 1000000000u) {
                snprintf(buf, size, "%.2f s", (double)ns / 1e9);
        } else if (ns >= 1000000u) {
                snprintf(buf, size, "%.2f ms", (double)ns / 1e6);
        } else if (ns >= 1000u) {
                snprintf(buf, size, "%.1f us", (double)ns / 1e3);
        } else {
                snprintf(buf, size, "%llu ns", (unsigned long long)ns);
        }
}

static void print_entry(const struct locks_ctx *c, const struct ward_lock_entry *e)
{
        char total[32], max[32], hold[32], last[128], name[160];
        const char *kind = e->kind == WARD_LOCK_ENTRY_RWLOCK ? "rwlock" : "mutex";
        const char *type = e->flags & WARD_LOCK_RECURSIVE    ? " recursive"
                           : e->flags & WARD_LOCK_ERRORCHECK ? " errorcheck"
                                                             : "";
        locks_entry_name(c, e, name, sizeof(name));
        printf("  %s%s %s 0x%llx created at %s\n", kind, type, name, (unsigned long long)e->addr,
               e->site[0] ? e->site : "?");
        if (e->owner) {
                printf("      held by thread %u", e->owner);
                if (e->recursion > 1) {
                        printf(" (recursion %u)", e->recursion);
                }
        } else if (e->readers) {
                printf("      read-held by %u thread(s)", e->readers);
        } else {
                printf("      free");
        }
        printf(", %u waiting\n", e->waiters);
        fmt_ns(e->wait_ns_total, total, sizeof(total));
        fmt_ns(e->wait_ns_max, max, sizeof(max));
        fmt_ns(e->hold_ns_max, hold, sizeof(hold));
        locks_last_site(c, e, last, sizeof(last));
        uint64_t acq = e->acquisitions + e->read_acquisitions;
        printf("      %llu acquisitions, %llu contended (%.1f%%), wait %s total / %s max, "
               "hold max %s, last acquired at %s\n",
               (unsigned long long)acq, (unsigned long long)e->contentions,
               acq ? 100.0 * (double)e->contentions / (double)acq : 0.0, total, max, hold, last);
}

static void print_registry(const struct locks_ctx *c)
{
        const struct ward_lock_registry *r = &c->reg;
        if (c->reg_status == -ESTALE) {
                printf("(ignored a stale lock registry left by an earlier process %d)\n",
                       c->scan.pid);
        } else if (c->reg_status == -EPROTO) {
                printf("(the lock registry of process %d is damaged: ignored)\n", c->scan.pid);
        }
        if (c->reg_status < 0) {
                return;
        }
        printf("instrumented locks (%zu%s%s):\n", r->n,
               r->order_checking ? ", lock-order checking on" : "",
               r->busy ? ", some changing too fast to read" : "");
        for (size_t i = 0; i < r->n; i++) {
                if (!locks_skip_entry(c, &r->entries[i])) {
                        print_entry(c, &r->entries[i]);
                }
        }
        if (r->untracked) {
                printf("  (%u more locks: the registry was full)\n", r->untracked);
        }
        for (size_t i = 0; i < r->n_inv; i++) {
                const struct ward_lock_inversion *v = &r->inv[i];
                printf("LOCK ORDER INVERSION (thread %u): takes \"%s\" at %s while holding \"%s\" "
                       "(taken at %s); earlier \"%s\" was taken at %s before the way to \"%s\" "
                       "at %s\n",
                       v->tid, v->wanted, v->wanted_site, v->held, v->held_site, v->wanted,
                       v->earlier_first_site, v->held, v->earlier_second_site);
        }
        if (r->inversions > r->n_inv) {
                printf("(%zu more inversions not kept)\n", (size_t)r->inversions - r->n_inv);
        }
}

static void print_globals(const struct locks_ctx *c)
{
        if (!c->o.all) {
                return;
        }
        printf("held global locks (%zu):\n", c->n_globals);
        for (size_t i = 0; i < c->n_globals; i++) {
                const struct locks_held_global *g = &c->globals[i];
                if (g->owner > 0) {
                        printf("  %s %s 0x%llx held by thread %d\n",
                               g->g.rwlock ? "rwlock" : "mutex", g->g.name,
                               (unsigned long long)g->g.addr, g->owner);
                } else {
                        printf("  rwlock %s 0x%llx held by %d reader%s\n", g->g.name,
                               (unsigned long long)g->g.addr, g->readers,
                               g->readers == 1 ? "" : "s");
                }
        }
}

static void describe(const struct locks_ctx *c, const struct ward_lock_thread *t, char *buf,
                     size_t size)
{
        char kind[48] = "", name[256], sym[272] = "";
        locks_object_name(c, t->addr, name, sizeof(name));
        if (name[0]) {
                snprintf(sym, sizeof(sym), " (%s)", name);
        }
        if (t->kind == WARD_LOCK_WAIT_MUTEX) {
                ward_lock_mutex_kind_name(t->mutex_kind, kind, sizeof(kind));
        }
        if (t->kind == WARD_LOCK_WAIT_NONE) {
                snprintf(buf, size, "not waiting (state %c)", t->state);
        } else if (t->kind == WARD_LOCK_WAIT_RESTARTED) {
                snprintf(buf, size, "in an interrupted timed wait");
        } else if (t->kind == WARD_LOCK_WAIT_FOREVER) {
                snprintf(buf, size,
                         "waits forever: the kernel refused its PI mutex lock "
                         "(deadlock)");
        } else if (t->kind == WARD_LOCK_WAIT_JOIN) {
                snprintf(buf, size, "joins thread %d", t->owner);
        } else if (t->kind == WARD_LOCK_WAIT_RWLOCK && !t->owner && t->readers) {
                snprintf(buf, size, "waits on rwlock 0x%llx%s held by %u reader%s",
                         (unsigned long long)t->addr, sym, t->readers, t->readers == 1 ? "" : "s");
        } else if (t->kind == WARD_LOCK_WAIT_COND) {
                snprintf(buf, size, "waits on cond 0x%llx%s (%u waiting)",
                         (unsigned long long)t->addr, sym, t->waiters);
        } else if (t->kind == WARD_LOCK_WAIT_SEM) {
                snprintf(buf, size, "waits on semaphore 0x%llx%s value %u (%u waiting)",
                         (unsigned long long)t->addr, sym, t->value, t->waiters);
        } else if (t->kind == WARD_LOCK_WAIT_BARRIER) {
                snprintf(buf, size, "waits on barrier 0x%llx%s: %u of %u arrived",
                         (unsigned long long)t->addr, sym, t->arrived, t->needed);
        } else if (t->owner) {
                snprintf(buf, size, "waits on %s %s%s0x%llx%s held by thread %d",
                         ward_lock_wait_name(t->kind), kind, kind[0] ? " " : "",
                         (unsigned long long)t->addr, sym, t->owner);
        } else {
                snprintf(buf, size, "waits on %s 0x%llx%s (no owner known)",
                         ward_lock_wait_name(t->kind), (unsigned long long)t->addr, sym);
        }
}

static void print_stack(const struct locks_stack *s)
{
        for (size_t i = 0; i < s->n; i++) {
                const struct ward_stack_frame *f = &s->frames[i];
                printf("    #%-2zu 0x%016llx %s", i, (unsigned long long)f->pc,
                       f->func[0] ? f->func : "??");
                if (f->file[0]) {
                        const char *base = strrchr(f->file, '/');
                        printf(" (%s:%d)", base ? base + 1 : f->file, f->line);
                } else if (f->module[0]) {
                        printf(" (%s)", f->module);
                }
                printf("\n");
        }
}

void locks_print_text(const struct locks_ctx *c)
{
        const struct ward_lock_scan *s = &c->scan;
        size_t blocked = 0;
        print_registry(c);
        print_globals(c);
        for (size_t i = 0; i < s->n; i++) {
                const struct ward_lock_thread *t = &s->threads[i];
                char what[1024];
                if (t->kind == WARD_LOCK_WAIT_NONE && !c->o.verbose) {
                        continue;
                }
                blocked += t->kind != WARD_LOCK_WAIT_NONE;
                describe(c, t, what, sizeof(what));
                printf("thread %d (%s)%s %s\n", t->tid, t->name,
                       locks_in_cycle(c, t->tid) ? " [deadlock]" : "", what);
                if (c->stacks) {
                        print_stack(&c->stacks[i]);
                } else if (c->o.verbose && t->kind != WARD_LOCK_WAIT_NONE) {
                        printf("    sp 0x%llx pc 0x%llx\n", (unsigned long long)t->sp,
                               (unsigned long long)t->pc);
                }
        }
        if (c->deadlock) {
                printf("DEADLOCK: ");
                for (size_t i = 0; i < s->cycle_len; i++) {
                        printf("thread %d -> ", s->cycle[i]);
                }
                printf("thread %d\n", s->cycle[0]);
        } else {
                printf("no deadlock (%zu of %zu threads waiting)\n", blocked, s->n);
        }
}
