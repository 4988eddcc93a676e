/* Starting and stopping the tracer: the buffers file, the options, the
 * WARD_TRACE environment variable, levels, and fork. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/host.h"
#include "core/options.h"
#include "core/procstat.h"
#include "trace/tracer.h"

#define MIB (1024u * 1024u)

int ward__trace_level;
__thread struct ward__trace_thread *ward__trace_self __attribute__((tls_model("initial-exec")));
struct ward__tracer *ward__tracer;

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ward_trace_options fork_opts; /* to start again in a fork child */
static char fork_dir[PATH_MAX];
static char fork_name[64];
static int restart_in_child;

int ward_trace_parse_level(const char *s)
{
        static const char *const names[] = {"off", "error", "warn", "info", "debug", "verbose"};
        if (!s) {
                return -EINVAL;
        }
        for (int i = 0; i <= WARD_TRACE_VERBOSE; i++) {
                if (strcasecmp(s, names[i]) == 0 || (s[0] == '0' + i && s[1] == '\0')) {
                        return i;
                }
        }
        return -EINVAL;
}

static int check_options(struct ward_trace_options *o)
{
        o->level = o->level ? o->level : WARD_TRACE_INFO;
        o->buffer_size = o->buffer_size ? o->buffer_size : 32u * MIB; /* docs/trace.md: why */
        o->max_threads = o->max_threads ? o->max_threads : 256;
        o->rotate_bytes = o->rotate_bytes ? o->rotate_bytes : 64ull * MIB;
        o->rotate_keep = o->rotate_keep ? o->rotate_keep : 4;
        o->flush_interval_ns = o->flush_interval_ns ? o->flush_interval_ns : 10000000u;
        int pow2 = (o->buffer_size & (o->buffer_size - 1)) == 0;
        if (o->level < 0 || o->level > WARD_TRACE_VERBOSE || !pow2 || o->buffer_size < 64u * 1024 ||
            o->buffer_size > 1024u * MIB || o->max_threads > 65536 || o->rotate_keep > 1000 ||
            o->rotate_bytes < WARD__TRACE_ROTATE_MIN ||
            (o->policy != WARD_TRACE_DROP && o->policy != WARD_TRACE_BLOCK)) {
                return -EINVAL;
        }
        return 0;
}

/* process_start_time: field 22 of /proc/self/stat (0 if unreadable). */
static uint64_t process_start_time(void)
{
        uint64_t start = 0;
        return ward__proc_stat(0, NULL, &start) == 0 ? start : 0;
}

static void program_name(char *out, size_t size)
{
        char buf[64]; /* a comm is at most 16 bytes */
        int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0) {
                close(fd);
        }
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n/")] = '\0';
        snprintf(out, size, "%s", buf[0] ? buf : "ward");
}

/* create_buffers: the shared file, sized for every slot (tmpfs keeps it
 * sparse: a slot costs memory only once a thread uses it), and mapped. */
static int create_buffers(struct ward__tracer *tr)
{
        const struct ward_trace_options *o = &tr->opts;
        uint64_t dict_size = MIB;
        uint64_t slot_size = WARD__TRACE_PAGE + o->buffer_size;
        uint64_t size = WARD__TRACE_PAGE + dict_size + (uint64_t)o->max_threads * slot_size;
        snprintf(tr->shm_path, sizeof(tr->shm_path), "/dev/shm/ward-trace.%d", tr->pid);
        unlink(tr->shm_path); /* a stale file of an earlier process with our pid */
        tr->fd = open(tr->shm_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (tr->fd < 0) {
                return -errno;
        }
        if (ftruncate(tr->fd, (off_t)size) < 0) {
                return -errno;
        }
        void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, tr->fd, 0);
        if (map == MAP_FAILED) {
                return -errno;
        }
        tr->map = map;
        tr->map_size = size;
        tr->shm = map;
        struct ward__trace_shm *h = tr->shm;
        h->version = WARD__TRACE_VERSION;
        h->pid = (uint32_t)tr->pid;
        h->start_time = process_start_time();
        ward__clock_pair(&h->tsc_base, &h->ns_base);
        h->real_base = ward__clock_real_ns() - (ward_now_ns() - h->ns_base);
        h->level = o->level;
        h->nslots = o->max_threads;
        h->slot_size = slot_size;
        h->dict_off = WARD__TRACE_PAGE;
        h->dict_size = dict_size;
        h->slots_off = WARD__TRACE_PAGE + dict_size;
        memcpy(h->name, tr->name, sizeof(h->name));
        uint64_t magic;
        memcpy(&magic, WARD__TRACE_SHM_MAGIC, sizeof(magic));
        __atomic_store_n(&h->magic, magic, __ATOMIC_RELEASE); /* last: readers check it */
        return 0;
}

static void tracer_free(struct ward__tracer *tr)
{
        if (!tr) {
                return;
        }
        for (uint32_t i = 0; tr->slots && i < tr->opts.max_threads; i++) {
                if (tr->slots[i].fd >= 0) {
                        close(tr->slots[i].fd);
                }
        }
        if (tr->map) {
                munmap(tr->map, tr->map_size);
        }
        if (tr->fd >= 0) {
                close(tr->fd);
        }
        free(tr->slots);
        pthread_mutex_destroy(&tr->lock);
        free(tr);
}

/* lane_count: flusher lanes, one per CPU the process may run on (its
 * affinity: a container's cpuset, taskset), within [1,
 * WARD__TRACE_LANES_MAX] and no more than there are slots. */
static uint32_t lane_count(uint32_t max_threads)
{
        cpu_set_t set;
        long cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                 : sysconf(_SC_NPROCESSORS_ONLN);
        uint32_t n = cpus < 1                       ? 1
                     : cpus > WARD__TRACE_LANES_MAX ? WARD__TRACE_LANES_MAX
                                                    : (uint32_t)cpus;
        return n < max_threads ? n : max_threads;
}

static int tracer_new(const struct ward_trace_options *o, struct ward__tracer **ret)
{
        struct ward__tracer *tr = calloc(1, sizeof(*tr));
        if (!tr) {
                return -ENOMEM;
        }
        tr->fd = -1;
        tr->pid = getpid();
        pthread_mutex_init(&tr->lock, NULL);
        tr->opts = *o;
        snprintf(tr->dir, sizeof(tr->dir), "%s", o->dir ? o->dir : ".");
        tr->opts.dir = tr->dir;
        if (o->name) {
                snprintf(tr->name, sizeof(tr->name), "%s", o->name);
        } else {
                program_name(tr->name, sizeof(tr->name));
        }
        tr->opts.name = tr->name;
        tr->nlanes = lane_count(o->max_threads);
        ward__host_identity(tr->host, tr->boot_id); /* empty what cannot be read */
        tr->slots = calloc(o->max_threads, sizeof(*tr->slots));
        int r = tr->slots ? 0 : -ENOMEM;
        for (uint32_t i = 0; r == 0 && i < o->max_threads; i++) {
                tr->slots[i].fd = -1;
        }
        if (r == 0 && mkdir(tr->dir, 0700) < 0 && errno != EEXIST) {
                r = -errno;
        }
        r = r ? r : create_buffers(tr);
        if (r < 0) {
                if (tr->shm_path[0] && tr->map) {
                        unlink(tr->shm_path);
                }
                tracer_free(tr);
                return r;
        }
        tr->last_level = o->level;
        ward__trace_register_known_sites(tr);
        *ret = tr;
        return 0;
}

static void on_fork_child(void)
{
        struct ward__tracer *tr = ward__tracer;
        ward__trace_self = NULL; /* our slot is the parent's */
        if (!tr) {
                return;
        }
        /* the parent's buffers and files stay the parent's; the flusher
         * threads did not survive the fork */
        for (uint32_t i = 0; i < tr->nlanes; i++) {
                atomic_store(&tr->lanes[i].running, 0);
        }
        ward__trace_reaper_forget(tr);
        for (uint32_t i = 0; i < tr->opts.max_threads; i++) {
                tr->slots[i].fd >= 0 ? close(tr->slots[i].fd) : 0;
                tr->slots[i].fd = -1;
        }
        munmap(tr->map, tr->map_size);
        tr->map = NULL;
        close(tr->fd);
        tr->fd = -1;
        free(tr->slots);
        tr->slots = NULL;
        free(tr);
        ward__tracer = NULL;
        restart_in_child = 1; /* the first event in the child starts tracing anew */
        pthread_mutex_init(&start_lock, NULL);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void)
{
        pthread_atfork(NULL, NULL, on_fork_child);
        atexit(ward_trace_stop); /* the last events reach the files; the buffers file goes */
}

int ward_trace_start(const struct ward_trace_options *opts)
{
        struct ward_trace_options o = {.size = sizeof(o)}; /* zero: every default */
        struct ward__tracer *tr;
        if (opts && ward__options_copy(&o, sizeof(o), opts) < 0) {
                return -EINVAL;
        }
        int r = check_options(&o);
        if (r < 0) {
                return r;
        }
        pthread_once(&atfork_once, register_atfork);
        pthread_mutex_lock(&start_lock);
        if (ward__tracer) {
                pthread_mutex_unlock(&start_lock);
                return -EALREADY;
        }
        r = tracer_new(&o, &tr);
        if (r == 0 && (r = ward__trace_flusher_start(tr)) < 0) {
                unlink(tr->shm_path);
                tracer_free(tr);
        }
        if (r == 0) {
                fork_opts = tr->opts;
                snprintf(fork_dir, sizeof(fork_dir), "%s", tr->dir);
                fork_opts.dir = fork_dir;
                snprintf(fork_name, sizeof(fork_name), "%s", tr->name);
                fork_opts.name = fork_name; /* files of parent and child sort together */
                __atomic_store_n(&ward__tracer, tr, __ATOMIC_RELEASE);
                __atomic_store_n(&ward__trace_level, o.level, __ATOMIC_RELAXED);
        }
        pthread_mutex_unlock(&start_lock);
        return r;
}

struct ward__tracer *ward__trace_restart_in_child(void)
{
        if (restart_in_child) {
                restart_in_child = 0;
                struct ward_trace_options o = fork_opts;
                o.level = ward__trace_level > 0 ? ward__trace_level : o.level;
                ward_trace_start(&o);
        }
        return __atomic_load_n(&ward__tracer, __ATOMIC_ACQUIRE);
}

void ward_trace_stop(void)
{
        pthread_mutex_lock(&start_lock);
        struct ward__tracer *tr = ward__tracer;
        /* A child made without fork() (a raw clone) still sees its parent's
         * tracer: the rings and the buffers file are the parent's to flush
         * and remove, never the child's. */
        if (!tr || tr->pid != getpid()) {
                pthread_mutex_unlock(&start_lock);
                return;
        }
        __atomic_store_n(&ward__trace_level, 0, __ATOMIC_RELAXED);
        ward__trace_flusher_stop(tr);
        ward__trace_flush_all(tr, 1, -1); /* a signal handler's flush ends */
        ward__trace_reaper_stop(tr);
        unlink(tr->shm_path);
        /* The mapping stays: a thread may still be inside an event that
         * passed the level check before we turned it off. Tracing does not
         * start again in this process. */
        pthread_mutex_unlock(&start_lock);
}

int ward_trace_set_level(int level)
{
        if (level < 0 || level > WARD_TRACE_VERBOSE) {
                return -EINVAL;
        }
        struct ward__tracer *tr = __atomic_load_n(&ward__tracer, __ATOMIC_ACQUIRE);
        if (tr) {
                __atomic_store_n(&tr->shm->level, level, __ATOMIC_RELAXED);
                tr->last_level = level;
                __atomic_store_n(&ward__trace_level, level, __ATOMIC_RELAXED);
        } else if (level > 0) {
                return -ENOTCONN;
        }
        return 0;
}

int ward_trace_get_level(void)
{
        return __atomic_load_n(&ward__trace_level, __ATOMIC_RELAXED);
}

uint64_t ward_trace_dropped(void)
{
        struct ward__tracer *tr = __atomic_load_n(&ward__tracer, __ATOMIC_ACQUIRE);
        uint64_t n = tr ? __atomic_load_n(&tr->dropped_retired, __ATOMIC_RELAXED) : 0;
        for (uint32_t i = 0; tr && i < tr->opts.max_threads; i++) {
                struct ward__trace_slot *h = ward__trace_slot_hdr(tr, i);
                if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != WARD__TRACE_SLOT_FREE) {
                        n += __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
                }
        }
        return n;
}

/* from_environment: WARD_TRACE=LEVEL[:DIR] starts tracing with the program. */
__attribute__((constructor)) static void from_environment(void)
{
        const char *env = getenv("WARD_TRACE");
        char level[32];
        if (!env || !env[0]) {
                return;
        }
        const char *colon = strchr(env, ':');
        size_t n = colon ? (size_t)(colon - env) : strlen(env);
        if (n >= sizeof(level)) {
                return;
        }
        memcpy(level, env, n);
        level[n] = '\0';
        struct ward_trace_options o = {.size = sizeof(o), .dir = colon ? colon + 1 : NULL};
        o.level = ward_trace_parse_level(level);
        if (o.level > 0) {
                ward_trace_start(&o);
        }
}
