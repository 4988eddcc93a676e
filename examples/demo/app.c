/* demo-app PLATFORM_ADDRESS FRAME_ADDRESS CALLS: the application process of
 * ward-demo. It calls the platform services co-hosted by `ward serve`
 * (demo.Sensors, demo.Monitor) and takes camera frames from demo-hal over
 * the zero-copy path, CALLS rounds, timing every call. Its clients reconnect
 * (options.reconnect) and every method is idempotent, so the crash and
 * restart of `ward serve` in the middle costs one slow call, not a failed
 * one. Prints its numbers on stdout:
 *   demo-app: path NAME CALLS MEDIAN_NS
 *   demo-app: servers FIRST_PID LAST_PID restarts N slowest_ns NS failed N
 *   demo-app: done
 * then waits for SIGTERM or SIGINT and exits 0 (1 if a call failed). A
 * signal during the calls ends them early. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>

#include "demo-common.h"
#include "demo.pb-c.h"

#define FRAME_BYTES (256u * 1024u)
#define CALL_TIMEOUT (30 * DEMO_SECOND)

enum path { P_SHM, P_SHM2, P_SC, P_ZC, P_COUNT };
static const char *const path_name[P_COUNT] = {"shm", "shm-2-hops", "short-circuit", "zero-copy"};

struct samples {
        uint64_t *v;
        size_t n, cap;
};

static struct {
        ward_rpc_client *sensors, *monitor;
        ward_ipc_conn *frames;
        struct samples path[P_COUNT];
        uint32_t first_pid, last_pid;
        unsigned restarts, failed;
        uint64_t slowest;
        ward_loop *loop;
        int stop; /* SIGTERM or SIGINT came */
} app;

static void add_sample(enum path p, uint64_t ns)
{
        struct samples *s = &app.path[p];
        if (s->n == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 1024;
                uint64_t *v = realloc(s->v, cap * sizeof(*v));
                if (!v) {
                        return;
                }
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = ns;
}

/* saw_server: which ward serve answered; a new pid is a restart */
static void saw_server(uint32_t pid)
{
        if (!app.first_pid) {
                app.first_pid = pid;
        } else if (pid != app.last_pid) {
                app.restarts++;
                WARD_TRACE(WARD_TRACE_WARN, "app: the platform restarted: pid %u -> %u",
                           app.last_pid, pid);
        }
        app.last_pid = pid;
}

/* read_sensor: Sensors.Read (method 0, through the HAL) or Latest (1) */
static void read_sensor(unsigned method, uint32_t sensor)
{
        Demo__SensorId id = DEMO__SENSOR_ID__INIT;
        ProtobufCMessage *out = NULL;
        id.id = sensor;
        uint64_t t0 = ward_now_ns();
        int r = ward_rpc_call(app.sensors, method, &id.base, CALL_TIMEOUT, &out);
        uint64_t ns = ward_now_ns() - t0;
        if (r < 0) {
                fprintf(stderr, "demo-app: Sensors.%s: %s\n", method ? "Latest" : "Read",
                        ward_strerror(r));
                app.failed++;
                return;
        }
        add_sample(method ? P_SHM : P_SHM2, ns);
        app.slowest = ns > app.slowest ? ns : app.slowest;
        saw_server(((Demo__Reading *)out)->server_pid);
        protobuf_c_message_free_unpacked(out, NULL);
}

/* scan: Monitor.Scan, whose handler makes the short-circuit calls */
static void scan(void)
{
        Demo__ScanRequest q = DEMO__SCAN_REQUEST__INIT;
        ProtobufCMessage *out = NULL;
        q.sensors = DEMO_SENSORS;
        q.rounds = 4;
        int r = ward_rpc_call(app.monitor, 0 /* Scan */, &q.base, CALL_TIMEOUT, &out);
        if (r < 0) {
                fprintf(stderr, "demo-app: Monitor.Scan: %s\n", ward_strerror(r));
                app.failed++;
                return;
        }
        const Demo__ScanResult *res = (const Demo__ScanResult *)out;
        for (size_t i = 0; i < res->n_rtt_ns; i++) {
                add_sample(P_SC, res->rtt_ns[i]);
        }
        protobuf_c_message_free_unpacked(out, NULL);
}

/* frame: a camera frame, read in place in the connection's shared pool */
static void frame(uint64_t seq)
{
        struct demo_frame_req q = {DEMO_FRAME_MAGIC, seq, FRAME_BYTES, 0};
        struct demo_frame_hdr h;
        const ward_ipc_msg *rep;
        WARD_SPAN_BEGIN("frame");
        uint64_t t0 = ward_now_ns();
        int r = ward_ipc_call(app.frames, &q, sizeof(q), CALL_TIMEOUT, &rep);
        uint64_t ns = ward_now_ns() - t0;
        if (r == 0 && ward_ipc_msg_status(rep) == 0 && ward_ipc_msg_len(rep) == FRAME_BYTES) {
                const uint8_t *p = ward_ipc_msg_data(rep);
                memcpy(&h, p, sizeof(h));
                uint8_t want = (uint8_t)(seq & 0xff);
                if (h.magic != DEMO_FRAME_MAGIC || h.seq != seq || p[sizeof(h)] != want ||
                    p[FRAME_BYTES / 2] != want || p[FRAME_BYTES - 1] != want) {
                        r = -EPROTO;
                }
        } else if (r == 0) {
                r = ward_ipc_msg_status(rep) < 0 ? ward_ipc_msg_status(rep) : -EPROTO;
        }
        if (r == 0) {
                ward_ipc_msg_release(app.frames, rep); /* the buffer goes back to the HAL */
                add_sample(P_ZC, ns);
        } else {
                fprintf(stderr, "demo-app: frame %llu: %s\n", (unsigned long long)seq,
                        ward_strerror(r));
                app.failed++;
        }
        WARD_SPAN_END("frame");
}

static int connect_all(const char *platform, const char *frames)
{
        struct ward_ipc_options o;
        ward_ipc_options_init(&o);
        o.wait = WARD_IPC_WAIT_BLOCK; /* two cores shared by everyone: never spin */
        o.connect_timeout_ns = CALL_TIMEOUT;
        int r = ward_ipc_connect(frames, &o, &app.frames);
        o.reconnect = 1; /* follow `ward serve` across its restart */
        if (r >= 0) {
                r = ward_rpc_client_open(platform, &demo__sensors__descriptor, &o, &app.sensors);
        }
        if (r >= 0) {
                r = ward_rpc_client_open(platform, &demo__monitor__descriptor, &o, &app.monitor);
        }
        if (r >= 0) {
                r = ward_rpc_client_set_idempotent(app.sensors, WARD_RPC_ALL_METHODS, 1);
        }
        if (r >= 0) {
                r = ward_rpc_client_set_idempotent(app.monitor, WARD_RPC_ALL_METHODS, 1);
        }
        return r;
}

static void run(unsigned long calls)
{
        WARD_TRACE(WARD_TRACE_INFO, "app: %lu rounds", calls);
        for (unsigned long i = 0; i < calls && !app.stop; i++) {
                if (i % 16 == 0) {
                        ward_loop_run_once(app.loop, 0); /* a signal stops the work */
                }
                read_sensor(0, (uint32_t)(i % DEMO_SENSORS));
                read_sensor(1, (uint32_t)(i % DEMO_SENSORS));
                if (i % 8 == 0) {
                        frame(i);
                }
                if (i % 16 == 0) {
                        scan();
                }
        }
        for (int p = 0; p < P_COUNT; p++) {
                size_t n = app.path[p].n;
                printf("demo-app: path %s %zu %llu\n", path_name[p], n,
                       (unsigned long long)demo_median(app.path[p].v, n));
        }
        printf("demo-app: servers %u %u restarts %u slowest_ns %llu failed %u\n", app.first_pid,
               app.last_pid, app.restarts, (unsigned long long)app.slowest, app.failed);
        printf("demo-app: done\n");
        fflush(stdout);
        WARD_TRACE(WARD_TRACE_INFO, "app: done, %u failed", app.failed);
}

static void on_stop(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        app.stop = 1;
        ward_loop_stop(ward_source_get_loop(s));
}

int main(int argc, char **argv)
{
        ward_loop *loop = NULL;
        sigset_t set;
        if (argc != 4 || atol(argv[3]) <= 0) {
                fprintf(stderr, "usage: demo-app PLATFORM_ADDRESS FRAME_ADDRESS CALLS\n");
                return 2;
        }
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL); /* the loop takes them when the work is done */
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_stop, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGINT, on_stop, NULL, NULL);
        }
        if (r >= 0) {
                r = connect_all(argv[1], argv[2]);
        }
        if (r >= 0) {
                app.loop = loop;
                run(strtoul(argv[3], NULL, 10));
                r = app.stop ? 0 : ward_loop_run(loop); /* until ward-demo has looked at us */
        }
        if (r < 0) {
                fprintf(stderr, "demo-app: %s\n", ward_strerror(r));
        }
        ward_rpc_client_free(app.monitor);
        ward_rpc_client_free(app.sensors);
        ward_ipc_conn_close(app.frames);
        ward_loop_free(loop);
        for (int p = 0; p < P_COUNT; p++) {
                free(app.path[p].v);
        }
        return r < 0 || app.failed ? 1 : 0;
}
