/* libdemo-sensors.so: the demo.Sensors platform service, loaded by `ward
 * serve` next to demo.Monitor. Read asks the HAL process (a ward RPC call to
 * another process, from inside a handler); Latest answers from the last
 * reading.
 *
 * ON PURPOSE, Read crashes the process after WARD_DEMO_CRASH_AFTER calls:
 * abort(), once per demo run (the file WARD_DEMO_CRASH_MARK says it
 * happened, so the restarted host does not crash again). Co-hosted services
 * share their host's fate: demo.Monitor goes down with it, and both come back
 * when the guardian restarts `ward serve`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ward/ward.h>

#include "demo-common.h"
#include "demo.pb-c.h"

int ward_service_init(ward_rpc_server *srv, const char *address);
void ward_service_fini(void);

static struct {
        ward_rpc_client *hal;
        unsigned long calls, crash_after;
        const char *crash_mark;
        Demo__Reading latest[DEMO_SENSORS];
} sensors;

/* crash_on_purpose: the demo's fault, where the crash report points */
__attribute__((noinline, noreturn)) static void crash_on_purpose(unsigned long calls)
{
        WARD_TRACE(WARD_TRACE_ERROR, "sensors: call %lu: crashing on purpose (abort)", calls);
        ward_trace_flush();
        abort();
}

/* crash_due: the call that crashes, once per run */
static int crash_due(void)
{
        if (sensors.crash_after == 0 || sensors.calls != sensors.crash_after ||
            !sensors.crash_mark) {
                return 0;
        }
        int fd = open(sensors.crash_mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                return 0; /* crashed already (or cannot tell): not again */
        }
        close(fd);
        return 1;
}

static void sensors_read(Demo__Sensors_Service *svc, const Demo__SensorId *in,
                         Demo__Reading_Closure done, void *closure_data)
{
        ProtobufCMessage *out = NULL;
        (void)svc;
        sensors.calls++;
        if (crash_due()) {
                crash_on_purpose(sensors.calls);
        }
        if (in->id >= DEMO_SENSORS) {
                ward_rpc_fail(closure_data, "no such sensor");
                return;
        }
        int r = ward_rpc_call(sensors.hal, 0 /* ReadSensor */, &in->base, 5 * DEMO_SECOND, &out);
        if (r < 0) {
                ward_rpc_fail(closure_data, ward_strerror(r));
                return;
        }
        Demo__Reading *reading = (Demo__Reading *)out;
        Demo__Reading *keep = &sensors.latest[in->id];
        demo__reading__init(keep);
        keep->id = in->id;
        keep->value = reading->value;
        keep->seq = reading->seq;
        keep->server_pid = (uint32_t)getpid();
        protobuf_c_message_free_unpacked(out, NULL);
        done(keep, closure_data);
}

static void sensors_latest(Demo__Sensors_Service *svc, const Demo__SensorId *in,
                           Demo__Reading_Closure done, void *closure_data)
{
        (void)svc;
        if (in->id >= DEMO_SENSORS) {
                ward_rpc_fail(closure_data, "no such sensor");
                return;
        }
        sensors.latest[in->id].server_pid = (uint32_t)getpid();
        done(&sensors.latest[in->id], closure_data);
}

static Demo__Sensors_Service sensors_service = DEMO__SENSORS__INIT(sensors_);

int ward_service_init(ward_rpc_server *srv, const char *address)
{
        const char *hal = getenv(DEMO_ENV_HAL);
        const char *after = getenv(DEMO_ENV_CRASH_AFTER);
        struct ward_ipc_options o;
        (void)address;
        for (unsigned i = 0; i < DEMO_SENSORS; i++) {
                demo__reading__init(&sensors.latest[i]);
                sensors.latest[i].id = i;
        }
        if (!hal) {
                return -EINVAL; /* ward serve says: ward_service_init() failed */
        }
        sensors.crash_after = after ? strtoul(after, NULL, 10) : 0;
        sensors.crash_mark = getenv(DEMO_ENV_CRASH_MARK);
        ward_ipc_options_init(&o);
        o.wait = WARD_IPC_WAIT_BLOCK; /* two cores: do not spin */
        o.reconnect = 1;
        int r = ward_rpc_client_open(hal, &demo__hal__descriptor, &o, &sensors.hal);
        if (r >= 0) {
                r = ward_rpc_client_set_idempotent(sensors.hal, WARD_RPC_ALL_METHODS, 1);
        }
        if (r >= 0) {
                r = ward_rpc_server_add(srv, &sensors_service.base);
        }
        return r;
}

void ward_service_fini(void)
{
        sensors.hal = ward_rpc_client_free(sensors.hal);
}
