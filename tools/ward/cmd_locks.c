/* ward locks [--json] [-v] PID: the threads of a live process that wait on a
 * lock or a thread, who holds what they wait for, and any deadlock (a cycle
 * that is still there ~100 ms later). Never stops the process.
 * Exit status: 0 no deadlock, 1 deadlock, 2 error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "lock/scan.h"
#include "lock/symbol.h"

#define CONFIRM_NS 100000000

struct locks_opts {
        int json, verbose, pid;
};

static int parse(int argc, char **argv, struct locks_opts *o)
{
        *o = (struct locks_opts){.pid = -1};
        for (int i = 1; i < argc; i++) {
                char *end;
                if (strcmp(argv[i], "--json") == 0) {
                        o->json = 1;
                } else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
                        o->verbose = 1;
                } else if (o->pid < 0 && (o->pid = (int)strtol(argv[i], &end, 10)) > 0 && !*end) {
                        continue;
                } else {
                        o->pid = -1;
                        break;
                }
        }
        if (o->pid <= 0) {
                fprintf(stderr, "usage: ward locks [--json] [-v] PID\n");
                return -1;
        }
        return 0;
}

static int in_cycle(const struct ward__lock_scan *s, int tid)
{
        for (size_t i = 0; i < s->cycle_len; i++) {
                if (s->cycle[i] == tid) {
                        return 1;
                }
        }
        return 0;
}

/* object_name: " (app!mutex_a)" for an object a symbol covers, else "". */
static void object_name(int pid, uint64_t addr, char *buf, size_t size)
{
        char sym[512];
        buf[0] = '\0';
        if (ward__lock_symbolize(pid, addr, sym, sizeof(sym)) == 0) {
                snprintf(buf, size, " (%s)", sym);
        }
}

static void describe(int pid, const struct ward__lock_thread *t, char *buf, size_t size)
{
        char kind[48] = "", sym[560];
        object_name(pid, t->addr, sym, sizeof(sym));
        if (t->kind == WARD__WAIT_MUTEX) {
                ward__lock_mutex_kind_name(t->mutex_kind, kind, sizeof(kind));
        }
        if (t->kind == WARD__WAIT_FOREVER) {
                snprintf(buf, size,
                         "waits forever: the kernel refused its PI mutex lock "
                         "(deadlock)");
        } else if (t->kind == WARD__WAIT_JOIN) {
                snprintf(buf, size, "joins thread %d", t->owner);
        } else if (t->owner) {
                snprintf(buf, size, "waits on %s %s%s0x%llx%s held by thread %d",
                         ward__lock_kind_name(t->kind), kind, kind[0] ? " " : "",
                         (unsigned long long)t->addr, sym, t->owner);
        } else {
                snprintf(buf, size, "waits on %s 0x%llx (no owner known)",
                         ward__lock_kind_name(t->kind), (unsigned long long)t->addr);
        }
}

static void print_text(const struct ward__lock_scan *s, int deadlock, int verbose)
{
        size_t blocked = 0;
        for (size_t i = 0; i < s->n; i++) {
                const struct ward__lock_thread *t = &s->threads[i];
                char what[1024];
                if (t->kind == WARD__WAIT_NONE && !verbose) {
                        continue;
                }
                blocked += t->kind != WARD__WAIT_NONE;
                if (t->kind == WARD__WAIT_NONE) {
                        snprintf(what, sizeof(what), "not waiting (state %c)", t->state);
                } else if (t->kind == WARD__WAIT_RESTARTED) {
                        snprintf(what, sizeof(what), "in an interrupted timed wait");
                } else {
                        describe(s->pid, t, what, sizeof(what));
                }
                printf("thread %d (%s)%s %s\n", t->tid, t->name,
                       deadlock && in_cycle(s, t->tid) ? " [deadlock]" : "", what);
                if (verbose && t->kind != WARD__WAIT_NONE) {
                        printf("    sp 0x%llx pc 0x%llx\n", (unsigned long long)t->sp,
                               (unsigned long long)t->pc);
                }
        }
        if (deadlock) {
                printf("DEADLOCK: ");
                for (size_t i = 0; i < s->cycle_len; i++) {
                        printf("thread %d -> ", s->cycle[i]);
                }
                printf("thread %d\n", s->cycle[0]);
        } else {
                printf("no deadlock (%zu of %zu threads waiting)\n", blocked, s->n);
        }
}

static void print_json(const struct ward__lock_scan *s, int deadlock)
{
        printf("{\"pid\":%d,\"deadlock\":%s,\"threads\":[", s->pid, deadlock ? "true" : "false");
        int first = 1;
        for (size_t i = 0; i < s->n; i++) {
                const struct ward__lock_thread *t = &s->threads[i];
                if (t->kind == WARD__WAIT_NONE) {
                        continue;
                }
                char sym[512] = "";
                ward__lock_symbolize(s->pid, t->addr, sym, sizeof(sym));
                sym[strcspn(sym, "\"\\")] = '\0'; /* symbol names need no escaping */
                printf("%s{\"tid\":%d,\"waits_on\":\"%s\",\"object\":\"0x%llx\",\"name\":\"%s\","
                       "\"owner\":%d,\"in_cycle\":%s}",
                       first ? "" : ",", t->tid, ward__lock_kind_name(t->kind),
                       (unsigned long long)t->addr, sym, t->owner,
                       deadlock && in_cycle(s, t->tid) ? "true" : "false");
                first = 0;
        }
        printf("],\"cycle\":[");
        for (size_t i = 0; deadlock && i < s->cycle_len; i++) {
                printf("%s%d", i ? "," : "", s->cycle[i]);
        }
        printf("]}\n");
}

int cmd_locks(int argc, char **argv)
{
        struct locks_opts o;
        struct ward__lock_scan first, second;
        if (parse(argc, argv, &o) < 0) {
                return 2;
        }
        int r = ward__lock_scan(o.pid, &first);
        if (r < 0) {
                fprintf(stderr, "ward locks: process %d: %s\n", o.pid,
                        r == -ESRCH                   ? "no such process"
                        : r == -EACCES || r == -EPERM ? "permission denied (another user's "
                                                        "process? run as its user or root)"
                                                      : strerror(-r));
                return 2;
        }
        int deadlock = 0;
        if (first.cycle) { /* confirm: a deadlock does not move */
                struct timespec ts = {0, CONFIRM_NS};
                nanosleep(&ts, NULL);
                if (ward__lock_scan(o.pid, &second) == 0) {
                        deadlock = ward__lock_scan_same_cycle(&first, &second);
                        ward__lock_scan_free(&second);
                }
        }
        if (o.json) {
                print_json(&first, deadlock);
        } else {
                print_text(&first, deadlock, o.verbose);
        }
        ward__lock_scan_free(&first);
        return deadlock ? 1 : 0;
}
