/* tools/ward/run_events.h: how ward run prints the guardian's events. */
#ifndef WARD_TOOLS_RUN_EVENTS_H
#define WARD_TOOLS_RUN_EVENTS_H

#include <ward/guardian.h>

/* run_print_event: the guardian's event callback; arg points to an int,
 * nonzero for JSON lines on stdout, else text lines on stderr. */
void run_print_event(void *arg, const struct ward_guardian_event *ev);

#endif
