/* Rescans: /proc compared with what the watcher knows. The proc back-end is
 * nothing else; the pidfd back-end finds forks and execs this way; the
 * connector after it lost events. A process is the same one while its pid
 * and start time are; it exec'd when the addresses where its code, stack
 * and arguments start moved (or, where those are hidden, its name changed). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/proc/pidfd.h"
#include "inspect/proc/scan.h"
#include "inspect/proc/watch-internal.h"

struct queue {
        struct ward_watch_event *v;
        uint64_t *start; /* of each event's process (exits: to order them) */
        size_t n, cap;
        int failed;
};

static void push_start(struct queue *q, const struct ward_watch_event *ev, uint64_t start)
{
        if (q->n == q->cap) {
                size_t cap = q->cap ? 2 * q->cap : 32;
                struct ward_watch_event *v = realloc(q->v, cap * sizeof(*v));
                uint64_t *st = v ? realloc(q->start, cap * sizeof(*st)) : NULL;
                if (v) {
                        q->v = v;
                }
                if (!v || !st) {
                        q->failed = 1;
                        return;
                }
                q->start = st;
                q->cap = cap;
        }
        q->start[q->n] = start;
        q->v[q->n++] = *ev;
}

static void push(struct queue *q, const struct ward_watch_event *ev)
{
        push_start(q, ev, 0);
}

static void queue_free(struct queue *q)
{
        free(q->v);
        free(q->start);
}

/* newest_first: the children's exits before their parents' (a parent
 * started before its children) */
static void newest_first(struct queue *q)
{
        for (size_t i = 1; i < q->n; i++) {
                struct ward_watch_event ev = q->v[i];
                uint64_t start = q->start[i];
                size_t k = i;
                for (; k > 0 && q->start[k - 1] < start; k--) {
                        q->v[k] = q->v[k - 1];
                        q->start[k] = q->start[k - 1];
                }
                q->v[k] = ev;
                q->start[k] = start;
        }
}

static int by_pid(const void *key, const void *elem)
{
        int pid = *(const int *)key, other = ((const struct ward__pstat *)elem)->pid;
        return (pid > other) - (pid < other);
}

static int dead(const struct ward__pstat *s)
{
        return s->state == 'Z' || s->state == 'X';
}

/* execd: does now look like a different program than before (sig, comm)? */
static int execd(uint64_t sig_before, const char *comm_before, const struct ward__pstat *now)
{
        uint64_t sig = ward__pstat_exec_sig(now);
        if (sig && sig_before) {
                return sig != sig_before;
        }
        return strncmp(comm_before, now->comm, 16) != 0;
}

static struct ward_watch_event event(enum ward_watch_kind kind, uint32_t flags, int pid, int ppid,
                                     const char *comm, uint64_t ns)
{
        struct ward_watch_event ev = {
            .kind = kind, .flags = flags, .pid = pid, .ppid = ppid, .status = -1, .ns = ns};
        memcpy(ev.comm, comm, sizeof(ev.comm));
        ev.comm[sizeof(ev.comm) - 1] = '\0';
        return ev;
}

/* keeps_zombies: does the table keep a process told ended while it is a
 * zombie (so the next rescan does not take it for a new one)? The pidfd and
 * proc back-ends do; the connector, which rescans only after a loss, drops
 * it at once and passes zombies over instead. */
static int keeps_zombies(const struct ward_watch *w)
{
        return w->backend != WARD_WATCH_BACKEND_CONNECTOR;
}

/* exit_of: the EXIT event of e, which ended (s: its zombie, or NULL) */
static struct ward_watch_event exit_of(const struct ward__pentry *e, const struct ward__pstat *s,
                                       uint32_t flags, uint64_t ns)
{
        struct ward_watch_event ev = event(WARD_WATCH_EXIT, flags, e->pid, e->ppid, e->comm, ns);
        /* the stat of a pid that is someone else's now says nothing */
        if (ward__pidfd_exit_status(e->pidfd, s ? e->pid : 0, e->start, &ev.status) < 0) {
                ev.status = -1;
        }
        return ev;
}

/* known: what became of the processes in the table. Entries to take out
 * go to *gone (room for the whole table). */
static int known(struct ward_watch *w, const struct ward__pstat *v, size_t n, uint32_t flags,
                 uint64_t ns, struct queue *changes, struct queue *exits,
                 struct ward__pentry **gone, size_t *n_gone)
{
        for (size_t i = 0; i < w->tab.cap; i++) {
                struct ward__pentry *e = w->tab.slot[i];
                if (!e) {
                        continue;
                }
                const struct ward__pstat *s = bsearch(&e->pid, v, n, sizeof(*v), by_pid);
                int same = s && (!e->start || s->start == e->start);
                if (e->ended) { /* told already: kept while its zombie is there */
                        if (!same) {
                                gone[(*n_gone)++] = e;
                        }
                        continue;
                }
                if (!same || dead(s)) {
                        struct ward_watch_event ev = exit_of(e, same ? s : NULL, flags, ns);
                        push_start(exits, &ev, e->start);
                        if (same && keeps_zombies(w)) {
                                ward__watch_entry_end(w, e);
                        } else {
                                gone[(*n_gone)++] = e;
                        }
                        continue;
                }
                e->gen = w->gen;
                e->ppid = s->ppid; /* reparented, maybe */
                if (!e->start) {
                        e->start = s->start;
                }
                if (execd(e->sig, e->comm, s)) {
                        struct ward_watch_event ev =
                            event(WARD_WATCH_EXEC, flags, e->pid, e->ppid, s->comm, ns);
                        push(changes, &ev);
                } else if (strncmp(e->comm, s->comm, sizeof(e->comm)) != 0) {
                        struct ward_watch_event ev =
                            event(WARD_WATCH_COMM, flags, e->pid, e->ppid, s->comm, ns);
                        push(changes, &ev);
                }
                e->sig = ward__pstat_exec_sig(s);
                memcpy(e->comm, s->comm, sizeof(e->comm));
        }
        return 0;
}

/* new: processes the table does not have and should: the children of
 * watched ones (everything, watching everything), parents first */
static int new_ones(struct ward_watch *w, const struct ward__pstat *v, size_t n, uint32_t flags,
                    uint64_t ns, int silent, struct queue *forks)
{
        for (int changed = 1; changed;) {
                changed = 0;
                for (size_t i = 0; i < n; i++) {
                        const struct ward__pstat *s = &v[i];
                        if (ward__ptable_get(&w->tab, s->pid) ||
                            !ward__watch_wants_child(w, s->ppid) ||
                            (dead(s) && (silent || !keeps_zombies(w)))) {
                                continue;
                        }
                        struct ward__pentry *parent = ward__ptable_get(&w->tab, s->ppid);
                        struct ward__pentry *e = ward__watch_entry_new(w, s);
                        if (!e) {
                                return -ENOMEM;
                        }
                        e->gen = w->gen;
                        changed = 1;
                        if (silent) {
                                continue;
                        }
                        struct ward_watch_event ev = event(
                            WARD_WATCH_FORK, flags, s->pid, s->ppid,
                            parent && execd(parent->sig, parent->comm, s) ? parent->comm : s->comm,
                            ns);
                        push(forks, &ev);
                        if (parent && execd(parent->sig, parent->comm, s)) {
                                ev = event(WARD_WATCH_EXEC, flags, s->pid, s->ppid, s->comm, ns);
                                push(forks, &ev);
                        }
                        if (dead(s)) { /* started and ended between two looks */
                                ev = exit_of(e, s, flags, ns);
                                push(forks, &ev);
                                ward__watch_entry_end(w, e);
                        }
                }
        }
        return 0;
}

static int deliver(struct ward_watch *w, struct queue *q)
{
        for (size_t i = 0; i < q->n; i++) {
                if (ward__watch_emit(w, &q->v[i])) {
                        return 1;
                }
        }
        return 0;
}

/* collect: the stat of what may concern us: every process (watching
 * everything), or the watched ones and their children (through the
 * children files: no walk over the system) */
static int collect(struct ward_watch *w, struct ward__pstat **v, size_t *n)
{
        if (!w->all) {
                int *pids = malloc((w->tab.n ? w->tab.n : 1) * sizeof(*pids));
                size_t k = 0;
                if (!pids) {
                        return -ENOMEM;
                }
                for (size_t i = 0; i < w->tab.cap; i++) {
                        if (w->tab.slot[i]) {
                                pids[k++] = w->tab.slot[i]->pid;
                        }
                }
                int r = ward__proc_scan_tree(pids, k, v, n);
                free(pids);
                if (r != -EOPNOTSUPP) {
                        return r;
                }
        }
        return ward__proc_scan(v, n);
}

int ward__watch_rescan(struct ward_watch *w, uint32_t flags, int silent)
{
        struct ward__pstat *v;
        size_t n, n_gone = 0;
        struct queue forks = {0}, changes = {0}, exits = {0};
        int r = collect(w, &v, &n);
        if (r < 0) {
                return r;
        }
        struct ward__pentry **gone = malloc((w->tab.n ? w->tab.n : 1) * sizeof(*gone));
        if (!gone) {
                free(v);
                return -ENOMEM;
        }
        uint64_t ns = ward_now_ns();
        w->gen++;
        r = known(w, v, n, flags, ns, &changes, &exits, gone, &n_gone);
        /* out before the new ones come in: a pid that ended may be a new
         * process's already */
        for (size_t i = 0; i < n_gone; i++) {
                ward__watch_entry_drop(w, gone[i]);
        }
        free(gone);
        if (r == 0) {
                r = new_ones(w, v, n, flags, ns, silent, &forks);
        }
        free(v);
        if (r == 0 && !silent && (forks.failed || changes.failed || exits.failed)) {
                r = -ENOMEM;
        }
        if (r == 0 && !silent) {
                /* when is not known: the likely order. A process that ended
                 * was gone before what is new started (a script's commands),
                 * unless it is the parent of something new. */
                struct queue early = {0};
                size_t late = 0;
                newest_first(&exits);
                for (size_t i = 0; i < exits.n; i++) {
                        int parent = 0;
                        for (size_t k = 0; k < forks.n && !parent; k++) {
                                parent = forks.v[k].kind == WARD_WATCH_FORK &&
                                         forks.v[k].ppid == exits.v[i].pid;
                        }
                        if (parent) {
                                exits.start[late] = exits.start[i];
                                exits.v[late++] = exits.v[i];
                        } else {
                                push(&early, &exits.v[i]);
                        }
                }
                exits.n = late;
                r = early.failed ? -ENOMEM
                                 : deliver(w, &early) || deliver(w, &changes) ||
                                       deliver(w, &forks) || deliver(w, &exits);
                queue_free(&early);
        }
        queue_free(&forks);
        queue_free(&changes);
        queue_free(&exits);
        return r;
}
