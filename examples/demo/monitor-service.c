/* libdemo-monitor.so: the demo.Monitor platform service, loaded by `ward
 * serve` next to demo.Sensors. Scan reads every sensor's latest value through
 * demo.Sensors on the loader's own address: the client is opened here, on
 * the thread of the server that hosts both, so each call is short-circuited
 * (a function call with the messages packed and unpacked; no socket, no
 * ring). It times each call and returns the round trips. */
#include <errno.h>

#include <ward/ward.h>

#include "demo-common.h"
#include "demo.pb-c.h"

int ward_service_init(ward_rpc_server *srv, const char *address);
void ward_service_fini(void);

#define MAX_SCAN 4096 /* calls in one Scan */

static ward_rpc_client *sensors;
static uint64_t rtt[MAX_SCAN];

static void monitor_scan(Demo__Monitor_Service *svc, const Demo__ScanRequest *in,
                         Demo__ScanResult_Closure done, void *closure_data)
{
        Demo__ScanResult out = DEMO__SCAN_RESULT__INIT;
        Demo__SensorId id = DEMO__SENSOR_ID__INIT;
        (void)svc;
        if (in->sensors > DEMO_SENSORS || in->rounds == 0 ||
            (uint64_t)in->sensors * in->rounds > MAX_SCAN) {
                ward_rpc_fail(closure_data, "scan: 1..4 sensors, at most 4096 calls");
                return;
        }
        size_t n = 0;
        for (uint32_t round = 0; round < in->rounds; round++) {
                for (id.id = 0; id.id < in->sensors; id.id++) {
                        ProtobufCMessage *reply = NULL;
                        uint64_t t0 = ward_now_ns();
                        int r =
                            ward_rpc_call(sensors, 1 /* Latest */, &id.base, DEMO_SECOND, &reply);
                        rtt[n++] = ward_now_ns() - t0;
                        if (r < 0) {
                                ward_rpc_fail(closure_data, ward_strerror(r));
                                return;
                        }
                        out.total += ((Demo__Reading *)reply)->value;
                        protobuf_c_message_free_unpacked(reply, NULL);
                }
        }
        out.rtt_ns = rtt;
        out.n_rtt_ns = n;
        done(&out, closure_data);
}

static Demo__Monitor_Service monitor_service = DEMO__MONITOR__INIT(monitor_);

int ward_service_init(ward_rpc_server *srv, const char *address)
{
        int r = ward_rpc_client_open(address, &demo__sensors__descriptor, NULL, &sensors);
        if (r >= 0) {
                r = ward_rpc_server_add(srv, &monitor_service.base);
        }
        return r;
}

void ward_service_fini(void)
{
        sensors = ward_rpc_client_free(sensors);
}
