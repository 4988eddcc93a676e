/* The simulated hardware of demo-hal. Two poller threads refresh the sensors
 * over a shared bus, holding it for a transfer; a calibrator thread rewrites
 * the calibration table and the camera's exposure. The RPC handlers read
 * through the same locks, so the locks are really contended, as on a device
 * whose bus is shared: `ward locks --report` shows which one costs most. */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <ward/lock.h>
#include <ward/trace.h>

#include "demo-common.h"
#include "hal-devices.h"

static ward_mutex bus = WARD_MUTEX_INIT("hal.bus");
static ward_mutex calibration = WARD_MUTEX_INIT("hal.calibration");
static ward_mutex frame = WARD_MUTEX_INIT("hal.frame");

static struct {
        int64_t raw[DEMO_SENSORS];    /* under bus */
        uint64_t seq[DEMO_SENSORS];   /* under bus */
        int64_t offset[DEMO_SENSORS]; /* under calibration */
        uint64_t exposure;            /* under frame */
        int stop;                     /* atomic */
        pthread_t threads[3];
        int started;
} dev;

/* hold: what a device transfer takes, spent holding the lock */
static void hold(long us)
{
        struct timespec ts = {0, us * 1000};
        nanosleep(&ts, NULL);
}

static int stopping(void)
{
        return __atomic_load_n(&dev.stop, __ATOMIC_RELAXED);
}

/* poller: refresh the sensors of one half of the bus, one at a time */
static void *poller(void *arg)
{
        unsigned first = (unsigned)(uintptr_t)arg;
        for (uint64_t n = 0; !stopping(); n++) {
                unsigned id = first + (unsigned)(n % (DEMO_SENSORS / 2));
                ward_mutex_lock(&bus);
                hold(150); /* the bus transfer */
                dev.raw[id] = (int64_t)(20000 + 37 * id + n % 100);
                dev.seq[id]++;
                ward_mutex_unlock(&bus);
                ward_mutex_lock(&calibration);
                int64_t off = dev.offset[id];
                ward_mutex_unlock(&calibration);
                if (n % 500 == 0) {
                        WARD_TRACE(WARD_TRACE_DEBUG, "poller: sensor %u raw %lld offset %lld", id,
                                   (long long)dev.raw[id], (long long)off);
                }
                hold(400);
        }
        return NULL;
}

/* calibrator: rewrite the calibration table and the exposure now and then */
static void *calibrator(void *arg)
{
        (void)arg;
        for (uint64_t n = 0; !stopping(); n++) {
                ward_mutex_lock(&calibration);
                hold(300); /* a table that takes time to compute */
                for (unsigned i = 0; i < DEMO_SENSORS; i++) {
                        dev.offset[i] = (int64_t)(n % 7) - 3;
                }
                ward_mutex_unlock(&calibration);
                ward_mutex_lock(&frame);
                hold(200); /* the sensor's registers */
                dev.exposure = 1000 + n % 50;
                ward_mutex_unlock(&frame);
                hold(1500);
        }
        return NULL;
}

int hal_devices_start(void)
{
        void *(*fn[3])(void *) = {poller, poller, calibrator};
        void *args[3] = {(void *)0, (void *)(uintptr_t)(DEMO_SENSORS / 2), NULL};
        for (int i = 0; i < 3; i++) {
                int r = pthread_create(&dev.threads[i], NULL, fn[i], args[i]);
                if (r != 0) {
                        hal_devices_stop();
                        return -r;
                }
                dev.started = i + 1;
        }
        return 0;
}

void hal_devices_stop(void)
{
        __atomic_store_n(&dev.stop, 1, __ATOMIC_RELAXED);
        for (int i = 0; i < dev.started; i++) {
                pthread_join(dev.threads[i], NULL);
        }
        dev.started = 0;
}

int hal_read_sensor(uint32_t id, int64_t *value, uint64_t *seq)
{
        if (id >= DEMO_SENSORS) {
                return -EINVAL;
        }
        ward_mutex_lock(&bus);
        int64_t raw = dev.raw[id];
        *seq = dev.seq[id];
        ward_mutex_unlock(&bus);
        ward_mutex_lock(&calibration);
        *value = raw + dev.offset[id];
        ward_mutex_unlock(&calibration);
        return 0;
}

uint64_t hal_exposure(void)
{
        ward_mutex_lock(&frame);
        uint64_t e = dev.exposure;
        ward_mutex_unlock(&frame);
        return e;
}
