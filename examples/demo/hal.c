/* demo-hal RPC_ADDRESS FRAME_ADDRESS: the hardware-abstraction process of
 * ward-demo. It serves demo.Hal (sensor readings) over ward RPC on
 * RPC_ADDRESS (the socket its guardian hands down, `ward run --listen`) and
 * camera frames over raw ward IPC on FRAME_ADDRESS: each frame is written in
 * place into a buffer of the connection's shared pool and read in place by
 * the caller (zero-copy). Runs until SIGTERM or SIGINT, then exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ward/ward.h>

#include "demo-common.h"
#include "demo.pb-c.h"
#include "hal-devices.h"

static void hal_rpc_read_sensor(Demo__Hal_Service *svc, const Demo__SensorId *in,
                                Demo__Reading_Closure done, void *closure_data)
{
        Demo__Reading out = DEMO__READING__INIT;
        (void)svc;
        if (hal_read_sensor(in->id, &out.value, &out.seq) < 0) {
                ward_rpc_fail(closure_data, "no such sensor");
                return;
        }
        out.id = in->id;
        out.server_pid = (uint32_t)getpid();
        done(&out, closure_data);
}

static Demo__Hal_Service hal_service = DEMO__HAL__INIT(hal_rpc_);

/* on_frame: a frame request; the frame is built in the pool, in place */
static void on_frame(ward_ipc_conn *c, const ward_ipc_msg *m, void *arg)
{
        struct demo_frame_req q;
        uint64_t id = ward_ipc_msg_call_id(m);
        ward_ipc_buf *b;
        (void)arg;
        if (id == 0) {
                return; /* a one-way message: nothing is sent one way here */
        }
        /* the request lives in memory the peer can write: copy, then check */
        if (ward_ipc_msg_len(m) != sizeof(q)) {
                ward_ipc_reply(c, id, -EINVAL, NULL, 0);
                return;
        }
        memcpy(&q, ward_ipc_msg_data(m), sizeof(q));
        if (q.magic != DEMO_FRAME_MAGIC || q.bytes < sizeof(struct demo_frame_hdr) ||
            q.bytes > ward_ipc_conn_get_max_len(c)) {
                ward_ipc_reply(c, id, -EINVAL, NULL, 0);
                return;
        }
        int r = ward_ipc_buf_alloc(c, q.bytes, DEMO_SECOND, &b);
        if (r < 0) {
                ward_ipc_reply(c, id, r, NULL, 0);
                return;
        }
        uint8_t *p = ward_ipc_buf_data(b);
        struct demo_frame_hdr h = {DEMO_FRAME_MAGIC, q.seq, hal_exposure()};
        memcpy(p, &h, sizeof(h));
        memset(p + sizeof(h), (int)(q.seq & 0xff), q.bytes - sizeof(h)); /* the "sensor's DMA" */
        ward_ipc_reply_buf(c, id, 0, b); /* takes b, success or not */
}

static void on_stop(ward_source *s, const struct signalfd_siginfo *si, void *arg)
{
        (void)si, (void)arg;
        ward_loop_stop(ward_source_get_loop(s));
}

/* serve: the servers on loop, the devices, then the loop until a signal */
static int serve(ward_loop *loop, const char *rpc_address, const char *frame_address)
{
        ward_rpc_server *rpc = NULL;
        ward_ipc_server *frames = NULL;
        int r = ward_rpc_server_new(loop, rpc_address, NULL, &rpc);
        if (r >= 0) {
                r = ward_rpc_server_add(rpc, &hal_service.base);
        }
        if (r >= 0) {
                r = ward_ipc_server_new(loop, frame_address, NULL, on_frame, NULL, &frames);
        }
        if (r >= 0) {
                r = hal_devices_start();
        }
        if (r >= 0) {
                printf("demo-hal: pid %d serving demo.Hal on %s, frames on %s\n", (int)getpid(),
                       rpc_address, frame_address);
                fflush(stdout);
                WARD_TRACE(WARD_TRACE_INFO, "hal: ready");
                r = ward_loop_run(loop);
                hal_devices_stop();
        }
        ward_ipc_server_free(frames);
        ward_rpc_server_free(rpc);
        return r;
}

int main(int argc, char **argv)
{
        ward_loop *loop = NULL;
        sigset_t set;
        if (argc != 3) {
                fprintf(stderr, "usage: demo-hal RPC_ADDRESS FRAME_ADDRESS\n");
                return 2;
        }
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL); /* before any thread: the loop takes them */
        int r = ward_loop_new(&loop);
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGTERM, on_stop, NULL, NULL);
        }
        if (r >= 0) {
                r = ward_loop_add_signal(loop, SIGINT, on_stop, NULL, NULL);
        }
        if (r >= 0) {
                r = serve(loop, argv[1], argv[2]);
        }
        if (r < 0) {
                fprintf(stderr, "demo-hal: %s\n", ward_strerror(r));
        }
        ward_loop_free(loop);
        return r < 0 ? 1 : 0;
}
