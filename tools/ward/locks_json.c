/* ward locks --json: one JSON object.
 * {"pid","deadlock","registry":"ok"|"none"|"stale"|"damaged","locks":[...],
 *  "inversions":[...],"globals":[...],"threads":[{...,"stack":[...]}],"cycle":[...]} */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/json-write.h"
#include "locks.h"

/* field: ,"key":"v" (every object here starts with a number field) */
static void field(struct ward__buf *b, const char *key, const char *v)
{
        ward__buf_printf(b, ",\"%s\":", key);
        ward__json_put_string(b, v, strlen(v));
}

static void put_entry(struct ward__buf *b, const struct locks_ctx *c,
                      const struct ward_lock_entry *e)
{
        char last[128];
        locks_last_site(c, e, last, sizeof(last));
        ward__buf_printf(b, "{\"kind\":\"%s\",\"address\":\"0x%llx\"",
                         e->kind == WARD_LOCK_ENTRY_RWLOCK ? "rwlock" : "mutex",
                         (unsigned long long)e->addr);
        field(b, "name", e->name);
        field(b, "created_at", e->site);
        field(b, "last_acquired_at", last);
        ward__buf_printf(b,
                         ",\"owner\":%u,\"recursion\":%u,\"readers\":%u,\"waiters\":%u,"
                         "\"acquisitions\":%llu,\"read_acquisitions\":%llu,\"contentions\":%llu,"
                         "\"wait_ns_total\":%llu,\"wait_ns_max\":%llu,\"hold_ns_max\":%llu}",
                         e->owner, e->recursion, e->readers, e->waiters,
                         (unsigned long long)e->acquisitions,
                         (unsigned long long)e->read_acquisitions,
                         (unsigned long long)e->contentions, (unsigned long long)e->wait_ns_total,
                         (unsigned long long)e->wait_ns_max, (unsigned long long)e->hold_ns_max);
}

static void put_inversion(struct ward__buf *b, const struct ward_lock_inversion *v)
{
        ward__buf_printf(b, "{\"tid\":%u", v->tid);
        field(b, "held", v->held);
        field(b, "held_at", v->held_site);
        field(b, "wanted", v->wanted);
        field(b, "wanted_at", v->wanted_site);
        field(b, "earlier_first_at", v->earlier_first_site);
        field(b, "earlier_second_at", v->earlier_second_site);
        ward__buf_putc(b, '}');
}

static void put_stack(struct ward__buf *b, const struct locks_stack *s)
{
        ward__buf_puts(b, ",\"stack\":[");
        for (size_t i = 0; i < s->n; i++) {
                const struct ward_stack_frame *f = &s->frames[i];
                ward__buf_printf(b, "%s{\"pc\":\"0x%llx\"", i ? "," : "",
                                 (unsigned long long)f->pc);
                field(b, "function", f->func);
                field(b, "module", f->module);
                field(b, "file", f->file);
                ward__buf_printf(b, ",\"line\":%d}", f->line);
        }
        ward__buf_putc(b, ']');
}

/* put_wait_details: what a rwlock, cond, semaphore or barrier says. */
static void put_wait_details(struct ward__buf *b, const struct ward_lock_thread *t)
{
        if (t->kind == WARD_LOCK_WAIT_RWLOCK && t->readers) {
                ward__buf_printf(b, ",\"readers\":%u", t->readers);
        } else if (t->kind == WARD_LOCK_WAIT_COND) {
                ward__buf_printf(b, ",\"waiters\":%u", t->waiters);
        } else if (t->kind == WARD_LOCK_WAIT_SEM) {
                ward__buf_printf(b, ",\"value\":%u,\"waiters\":%u", t->value, t->waiters);
        } else if (t->kind == WARD_LOCK_WAIT_BARRIER) {
                ward__buf_printf(b, ",\"arrived\":%u,\"needed\":%u", t->arrived, t->needed);
        }
}

static void put_threads(struct ward__buf *b, const struct locks_ctx *c)
{
        const struct ward_lock_scan *s = &c->scan;
        int first = 1;
        ward__buf_puts(b, ",\"threads\":[");
        for (size_t i = 0; i < s->n; i++) {
                const struct ward_lock_thread *t = &s->threads[i];
                char name[256];
                if (t->kind == WARD_LOCK_WAIT_NONE && !c->o.verbose) {
                        continue;
                }
                locks_object_name(c, t->addr, name, sizeof(name));
                ward__buf_printf(b, "%s{\"tid\":%d", first ? "" : ",", t->tid);
                field(b, "thread_name", t->name);
                ward__buf_printf(b, ",\"waits_on\":\"%s\",\"object\":\"0x%llx\"",
                                 t->kind == WARD_LOCK_WAIT_NONE ? "none"
                                                                : ward_lock_wait_name(t->kind),
                                 (unsigned long long)t->addr);
                field(b, "name", name);
                ward__buf_printf(b, ",\"owner\":%d,\"in_cycle\":%s", t->owner,
                                 locks_in_cycle(c, t->tid) ? "true" : "false");
                put_wait_details(b, t);
                if (c->stacks) {
                        put_stack(b, &c->stacks[i]);
                }
                ward__buf_putc(b, '}');
                first = 0;
        }
        ward__buf_puts(b, "],\"cycle\":[");
        for (size_t i = 0; c->deadlock && i < s->cycle_len; i++) {
                ward__buf_printf(b, "%s%d", i ? "," : "", s->cycle[i]);
        }
        ward__buf_putc(b, ']');
}

void locks_print_json(const struct locks_ctx *c)
{
        struct ward__buf b = {0};
        const char *reg = c->reg_status == 0         ? "ok"
                          : c->reg_status == -ESTALE ? "stale"
                          : c->reg_status == -EPROTO ? "damaged"
                                                     : "none";
        ward__buf_printf(&b, "{\"pid\":%d,\"deadlock\":%s,\"registry\":\"%s\",\"locks\":[",
                         c->scan.pid, c->deadlock ? "true" : "false", reg);
        int first = 1;
        for (size_t i = 0; i < c->reg.n; i++) {
                if (!locks_skip_entry(c, &c->reg.entries[i])) {
                        ward__buf_puts(&b, first ? "" : ",");
                        put_entry(&b, c, &c->reg.entries[i]);
                        first = 0;
                }
        }
        ward__buf_printf(&b, "],\"inversions_total\":%u,\"inversions\":[", c->reg.inversions);
        for (size_t i = 0; i < c->reg.n_inv; i++) {
                ward__buf_puts(&b, i ? "," : "");
                put_inversion(&b, &c->reg.inv[i]);
        }
        ward__buf_puts(&b, "],\"globals\":[");
        for (size_t i = 0; i < c->n_globals; i++) {
                ward__buf_printf(&b, "%s{\"kind\":\"%s\",\"address\":\"0x%llx\"", i ? "," : "",
                                 c->globals[i].g.rwlock ? "rwlock" : "mutex",
                                 (unsigned long long)c->globals[i].g.addr);
                field(&b, "name", c->globals[i].g.name);
                ward__buf_printf(&b, ",\"owner\":%d,\"readers\":%d}", c->globals[i].owner,
                                 c->globals[i].readers);
        }
        ward__buf_putc(&b, ']');
        put_threads(&b, c);
        ward__buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.len, stdout);
        ward__buf_free(&b);
}
