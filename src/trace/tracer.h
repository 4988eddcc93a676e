/* The tracer's process state, shared by its files (start, threads, sites,
 * flush). One per process; reset in a fork child. */
#ifndef WARD_TRACE_TRACER_H
#define WARD_TRACE_TRACER_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/layout.h"

/* Per slot, in process memory: the producer's state and the flusher's file. */
struct ward__trace_slot_state {
        struct ward__trace_thread t; /* the owning thread's producer state */
        uint64_t lost_pending;       /* producer: drops not yet recorded in the ring */
        int touched;                 /* the ring's pages were faulted in once */
        int fd;                      /* the current trace file, -1 when none */
        uint32_t file_tid;           /* the thread the open file belongs to */
        uint32_t seq;                /* rotation number of the open file */
        uint64_t file_bytes;
        uint64_t lost_seen; /* flusher: drops the producer recorded in the ring */
        uint8_t site_written[WARD__TRACE_MAX_SITES / 8]; /* in the open file */
};

struct ward__tracer {
        int pid;      /* the process that started tracing (fork check) */
        int fd;       /* the buffers file */
        uint8_t *map; /* all of it */
        size_t map_size;
        struct ward__trace_shm *shm;
        struct ward__trace_slot_state *slots;
        uint32_t site_off[WARD__TRACE_MAX_SITES + 1]; /* id -> offset in the dictionary */
        pthread_mutex_t lock;                         /* slot claims, site registration */
        pthread_t flusher;
        int flusher_running;
        atomic_int stop;
        atomic_int flushing; /* one flush at a time (thread or signal handler) */
        struct ward_trace_options opts;
        char dir[PATH_MAX];
        char name[64];
        char shm_path[64];
        int last_level;           /* the level last seen in the shared header */
        uint64_t dropped_retired; /* drops of threads whose slots were freed */
};

/* The tracer of this process, or NULL when tracing is not started here. */
extern struct ward__tracer *ward__tracer;

/* ward__trace_restart_in_child (start.c): called by the first event of a fork
 * child whose parent traced (thread.c). Returns the new tracer or NULL. */
struct ward__tracer *ward__trace_restart_in_child(void);

/* ward__trace_slot_hdr / ring: slot i's shared header and ring. */
struct ward__trace_slot *ward__trace_slot_hdr(struct ward__tracer *tr, uint32_t i);
uint8_t *ward__trace_slot_ring(struct ward__tracer *tr, uint32_t i);

/* ward__trace_register_site: give site an id and copy it into the shared
 * dictionary (once). Returns the id, or 0 when the dictionary is full. */
uint32_t ward__trace_register_site(struct ward__tracer *tr, struct ward__trace_site *site);

/* ward__trace_register_known_sites: list again, with their ids, the sites
 * this process registered before (in a fork child's new dictionary). */
void ward__trace_register_known_sites(struct ward__tracer *tr);

/* ward__trace_flush_all: write every slot's pending records to its file;
 * free the slots of exited threads. With final (tracing stops), drops that
 * live threads have not yet recorded in their rings are recorded in their
 * files. Async-signal-safe; returns the number of events written, or -EBUSY
 * when another flush is running. */
int ward__trace_flush_all(struct ward__tracer *tr, int final);

/* ward__trace_calibrate: fill tsc_hz in the shared header from the time since
 * tracing started. Async-signal-safe. */
void ward__trace_calibrate(struct ward__tracer *tr);

/* ward__trace_flusher_start / stop: the background thread. */
int ward__trace_flusher_start(struct ward__tracer *tr);
void ward__trace_flusher_stop(struct ward__tracer *tr);

#endif
