/* A table of processes by pid (open addressing, linear probing, deletion by
 * shifting back): what the watcher knows of each process it watches. */
#ifndef WARD_INSPECT_PROC_PTABLE_H
#define WARD_INSPECT_PROC_PTABLE_H

#include <stddef.h>
#include <stdint.h>

struct ward_source;

struct ward__pentry {
        int pid, ppid;
        uint64_t start; /* /proc start time (clock ticks), 0 unknown */
        uint64_t sig;   /* ward__pstat_exec_sig, 0 unknown */
        char comm[16];
        unsigned gen; /* the last rescan that saw it; 0: none yet */
        int root;     /* given by the caller */
        int ended;    /* its exit was told; kept while it is a zombie */
        int pidfd;    /* pidfd back-end: its pidfd, else -1 */
        struct ward_source *src;
        struct ward_watch *w;
};

struct ward__ptable {
        struct ward__pentry **slot;
        size_t cap, n; /* cap: 0 or a power of two */
};

/* ward__ptable_get: the entry of pid, or NULL */
struct ward__pentry *ward__ptable_get(const struct ward__ptable *t, int pid);

/* ward__ptable_put: add e (its pid must not be in t). 0 or -ENOMEM. */
int ward__ptable_put(struct ward__ptable *t, struct ward__pentry *e);

/* ward__ptable_del: take pid's entry out of t and return it (NULL: none) */
struct ward__pentry *ward__ptable_del(struct ward__ptable *t, int pid);

/* ward__ptable_free: free the slots (not the entries) */
void ward__ptable_free(struct ward__ptable *t);

#endif
