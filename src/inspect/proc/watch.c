/* The process watcher: the object, its table of watched processes, event
 * delivery and the rescan timer (ward/watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/proc/pidfd.h"
#include "inspect/proc/scan.h"
#include "inspect/proc/watch-internal.h"

#define ALL_KINDS                                                                                  \
        (WARD_WATCH_FORK | WARD_WATCH_EXEC | WARD_WATCH_EXIT | WARD_WATCH_COMM | WARD_WATCH_LOST)

int ward__watch_emit(struct ward_watch *w, struct ward_watch_event *ev)
{
        if (w->freed) {
                return 1;
        }
        if (ev->kind != WARD_WATCH_LOST && w->kinds && !(w->kinds & ev->kind)) {
                return 0;
        }
        ev->exe = NULL;
        if (ev->kind == WARD_WATCH_EXEC) {
                char path[32];
                snprintf(path, sizeof(path), "/proc/%d/exe", ev->pid);
                ssize_t n = readlink(path, w->exe, sizeof(w->exe) - 1);
                if (n > 0) {
                        w->exe[n] = '\0';
                        ev->exe = w->exe;
                }
        }
        w->cb(ev, w->arg);
        return w->freed;
}

struct ward__pentry *ward__watch_entry_new(struct ward_watch *w, const struct ward__pstat *s)
{
        struct ward__pentry *e = calloc(1, sizeof(*e));
        if (!e) {
                return NULL;
        }
        e->pid = s->pid;
        e->ppid = s->ppid;
        e->start = s->start;
        e->sig = ward__pstat_exec_sig(s);
        memcpy(e->comm, s->comm, sizeof(e->comm));
        e->pidfd = -1;
        e->w = w;
        if (ward__ptable_put(&w->tab, e) < 0) {
                free(e);
                return NULL;
        }
        if (w->backend == WARD_WATCH_BACKEND_PIDFD && s->state != 'Z' && s->state != 'X') {
                /* no pidfd (it ended meanwhile, no fds left): the next rescan
                 * finds it gone */
                ward__watch_pidfd_add(w, e);
        }
        return e;
}

void ward__watch_entry_end(struct ward_watch *w, struct ward__pentry *e)
{
        if (!e->ended) {
                e->ended = 1;
                w->n_ended++;
                ward__watch_pidfd_remove(e);
        }
}

void ward__watch_entry_drop(struct ward_watch *w, struct ward__pentry *e)
{
        if (e->ended) {
                w->n_ended--;
        }
        ward__ptable_del(&w->tab, e->pid);
        ward__watch_pidfd_remove(e);
        free(e);
}

int ward__watch_wants_child(const struct ward_watch *w, int ppid)
{
        return w->all ||
               (!(w->flags & WARD_WATCH_NO_DESCENDANTS) && ward__ptable_get(&w->tab, ppid));
}

void ward__watch_arm(struct ward_watch *w)
{
        if (!w->timer || w->freed) {
                return;
        }
        uint32_t kinds = w->kinds ? w->kinds : ALL_KINDS;
        size_t live = w->tab.n - w->n_ended;
        int want = 0;
        if (w->backend == WARD_WATCH_BACKEND_PROC) {
                want = w->all || live > 0;
        } else if (w->backend == WARD_WATCH_BACKEND_PIDFD) {
                /* pidfds tell exits only: forks, execs and names are looked for */
                want =
                    live > 0 && (!(w->flags & WARD_WATCH_NO_DESCENDANTS) ||
                                 (kinds & (WARD_WATCH_FORK | WARD_WATCH_EXEC | WARD_WATCH_COMM)));
        }
        if (want != w->timer_armed) {
                ward_source_set_timer(w->timer, want ? w->rescan_ns : 0, want ? w->rescan_ns : 0);
                w->timer_armed = want;
        }
        for (size_t i = 0; !want && w->n_ended && i < w->tab.cap;) {
                /* no more rescans: zombies kept for them are kept for nothing */
                struct ward__pentry *e = w->tab.slot[i];
                if (e && e->ended) {
                        ward__watch_entry_drop(w, e); /* the table shifts: look at i again */
                } else {
                        i++;
                }
        }
}

static void destroy(struct ward_watch *w)
{
        for (size_t i = 0; i < w->tab.cap; i++) {
                struct ward__pentry *e = w->tab.slot[i];
                if (e) {
                        ward__watch_pidfd_remove(e);
                        free(e);
                }
        }
        ward__ptable_free(&w->tab);
        ward__watch_connector_close(w);
        ward_source_free(w->timer);
        free(w);
}

void ward__watch_enter(struct ward_watch *w)
{
        w->busy++;
}

int ward__watch_leave(struct ward_watch *w)
{
        if (--w->busy == 0 && w->freed) {
                destroy(w);
                return 1;
        }
        return 0;
}

static void on_timer(ward_source *s, uint64_t expirations, void *arg)
{
        struct ward_watch *w = arg;
        (void)s, (void)expirations;
        ward__watch_enter(w);
        if (ward__watch_rescan(w, WARD_WATCH_RESCANNED, 0) == 0) {
                ward__watch_arm(w);
        }
        ward__watch_leave(w);
}

/* add_tree: pid's descendants now, without events */
static int add_tree(struct ward_watch *w, int pid)
{
        struct ward__pstat *v;
        size_t n;
        int r = ward__proc_scan(&v, &n);
        if (r < 0) {
                return r;
        }
        size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
        if (!idx) {
                free(v);
                return -ENOMEM;
        }
        size_t got = ward__proc_tree_of(v, n, &pid, 1, idx);
        for (size_t i = 0; i < got && r >= 0; i++) {
                const struct ward__pstat *s = &v[idx[i]];
                if (!ward__ptable_get(&w->tab, s->pid) && s->state != 'Z' && s->state != 'X' &&
                    !ward__watch_entry_new(w, s)) {
                        r = -ENOMEM;
                }
        }
        free(idx);
        free(v);
        return r < 0 ? r : 0;
}

int ward_watch_add_pid(ward_watch *w, int pid)
{
        if (!w || pid <= 0) {
                return -EINVAL;
        }
        struct ward__pentry *e = ward__ptable_get(&w->tab, pid);
        if (e && e->ended) { /* a zombie told ended: the pid may be a new process's */
                ward__watch_entry_drop(w, e);
                e = NULL;
        }
        if (w->all || e) {
                if (e && !w->all) {
                        e->root = 1;
                }
                return 0;
        }
        int fd = ward__pidfd_open(pid);
        if (fd < 0) {
                return fd;
        }
        struct ward__pstat s;
        int r = ward__pstat_read(pid, &s);
        /* alive now (the pidfd says): the stat read was of this process */
        if (r == 0 && (ward__pidfd_exited(fd, 0) == 1 || s.state == 'Z' || s.state == 'X')) {
                r = -ESRCH;
        }
        close(fd);
        if (r < 0) {
                return r == -ENOENT ? -ESRCH : r;
        }
        e = ward__watch_entry_new(w, &s);
        if (!e) {
                return -ENOMEM;
        }
        e->root = 1;
        if (!(w->flags & WARD_WATCH_NO_DESCENDANTS)) {
                r = add_tree(w, pid);
        }
        ward__watch_arm(w);
        return r;
}

size_t ward_watch_count(const ward_watch *w)
{
        return w ? w->tab.n - w->n_ended : 0;
}

enum ward_watch_backend ward_watch_backend(const ward_watch *w)
{
        return w ? w->backend : WARD_WATCH_BACKEND_AUTO;
}

const char *ward_watch_backend_name(enum ward_watch_backend b)
{
        switch (b) {
        case WARD_WATCH_BACKEND_AUTO:
                return "auto";
        case WARD_WATCH_BACKEND_CONNECTOR:
                return "connector";
        case WARD_WATCH_BACKEND_PIDFD:
                return "pidfd";
        case WARD_WATCH_BACKEND_PROC:
                return "proc";
        }
        return NULL;
}

const char *ward_watch_kind_name(enum ward_watch_kind k)
{
        switch (k) {
        case WARD_WATCH_FORK:
                return "fork";
        case WARD_WATCH_EXEC:
                return "exec";
        case WARD_WATCH_EXIT:
                return "exit";
        case WARD_WATCH_COMM:
                return "comm";
        case WARD_WATCH_LOST:
                return "lost";
        }
        return NULL;
}

static int start(struct ward_watch *w, const struct ward_watch_options *o)
{
        int r = -EPROTONOSUPPORT;
        if (o->backend == WARD_WATCH_BACKEND_AUTO || o->backend == WARD_WATCH_BACKEND_CONNECTOR) {
                r = ward__watch_connector_open(w);
                if (r == 0) {
                        w->backend = WARD_WATCH_BACKEND_CONNECTOR;
                } else if (o->backend == WARD_WATCH_BACKEND_CONNECTOR) {
                        return r;
                }
        }
        if (r < 0) {
                w->backend = o->backend == WARD_WATCH_BACKEND_AUTO
                                 ? (o->n_pids ? WARD_WATCH_BACKEND_PIDFD : WARD_WATCH_BACKEND_PROC)
                                 : (enum ward_watch_backend)o->backend;
                r = 0;
        }
        /* subscribed first, then read: nothing falls between */
        if (w->all) {
                r = ward__watch_rescan(w, 0, 1);
        }
        for (size_t i = 0; i < o->n_pids && r >= 0; i++) {
                r = ward_watch_add_pid(w, o->pids[i]);
        }
        if (r < 0) {
                return r;
        }
        if (w->backend == WARD_WATCH_BACKEND_CONNECTOR) {
                return ward__watch_connector_attach(w);
        }
        r = ward_loop_add_timer(w->loop, w->rescan_ns, w->rescan_ns, on_timer, w, &w->timer);
        if (r < 0) {
                return r;
        }
        w->timer_armed = 1;
        ward__watch_arm(w);
        return 0;
}

int ward_watch_new(ward_loop *loop, const struct ward_watch_options *options, ward_watch_fn *cb,
                   void *arg, ward_watch **ret)
{
        struct ward_watch_options o;
        if (!ret) {
                return -EINVAL;
        }
        *ret = NULL;
        memset(&o, 0, sizeof(o));
        if (options) {
                if (options->size < sizeof(o)) {
                        return -EINVAL;
                }
                memcpy(&o, options, sizeof(o));
        }
        if (!loop || !cb || o.backend > WARD_WATCH_BACKEND_PROC || (o.kinds & ~ALL_KINDS) ||
            (o.flags & ~(uint32_t)WARD_WATCH_NO_DESCENDANTS) || (o.n_pids && !o.pids) ||
            (o.backend == WARD_WATCH_BACKEND_PIDFD && !o.n_pids)) {
                return -EINVAL;
        }
        for (size_t i = 0; i < o.n_pids; i++) {
                if (o.pids[i] <= 0) {
                        return -EINVAL;
                }
        }
        struct ward_watch *w = calloc(1, sizeof(*w));
        if (!w) {
                return -ENOMEM;
        }
        w->loop = loop;
        w->cb = cb;
        w->arg = arg;
        w->kinds = o.kinds;
        w->flags = o.flags;
        w->all = o.n_pids == 0;
        w->rescan_ns = o.rescan_ns ? o.rescan_ns : WARD__WATCH_RESCAN_NS;
        w->sock = -1;
        int r = start(w, &o);
        if (r < 0) {
                destroy(w);
                return r;
        }
        *ret = w;
        return 0;
}

ward_watch *ward_watch_free(ward_watch *w)
{
        if (!w) {
                return NULL;
        }
        if (w->busy) {
                w->freed = 1; /* from a callback: destroyed when the dispatch ends */
                if (w->timer) {
                        ward_source_set_timer(w->timer, 0, 0);
                }
                return NULL;
        }
        destroy(w);
        return NULL;
}
