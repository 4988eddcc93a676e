/* The simulated hardware of demo-hal: sensors on a shared bus, a calibration
 * table and a camera's exposure, each behind an instrumented lock
 * (ward_mutex: `ward locks --report` ranks them by contention). */
#ifndef WARD_DEMO_HAL_DEVICES_H
#define WARD_DEMO_HAL_DEVICES_H

#include <stdint.h>

/* hal_devices_start: the device threads (two bus pollers, a calibrator).
 * 0 or -errno. Call once, from the main thread. */
int hal_devices_start(void);

/* hal_devices_stop: stop and join them. */
void hal_devices_stop(void);

/* hal_read_sensor: sensor id's calibrated value and update count, read over
 * the bus (it takes the bus lock as the pollers do). 0 or -EINVAL. */
int hal_read_sensor(uint32_t id, int64_t *value, uint64_t *seq);

/* hal_exposure: the camera's current exposure (the frame lock). */
uint64_t hal_exposure(void);

#endif
