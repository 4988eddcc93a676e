/* ward run's events: one text line each on stderr, or (--json) one JSON
 * object per line on stdout. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "core/buf.h"
#include "core/json-write.h"
#include "proc_args.h"
#include "run_events.h"

static const char *const kinds[] = {
    [WARD_GUARDIAN_STARTED] = "started",     [WARD_GUARDIAN_READY] = "ready",
    [WARD_GUARDIAN_CRASHED] = "crashed",     [WARD_GUARDIAN_HUNG] = "hung",
    [WARD_GUARDIAN_EXITED] = "exited",       [WARD_GUARDIAN_RESTARTING] = "restarting",
    [WARD_GUARDIAN_GIVING_UP] = "giving_up", [WARD_GUARDIAN_ON_CRASH_RAN] = "on_crash_ran",
    [WARD_GUARDIAN_WARNING] = "warning",
};

static const char *kind_name(enum ward_guardian_event_kind k)
{
        return (unsigned)k < sizeof(kinds) / sizeof(kinds[0]) && kinds[k] ? kinds[k] : "event";
}

/* how_ended: "exit 3", "SIGSEGV (core dumped)", "timed out" */
static void how_ended(int status, char *buf, size_t size)
{
        char sig[32];
        if (status < 0) {
                snprintf(buf, size, "timed out (stopped)");
        } else if (WIFEXITED(status)) {
                snprintf(buf, size, "exit %d", WEXITSTATUS(status));
        } else if (WIFSIGNALED(status)) {
                snprintf(buf, size, "%s", proc_signal_name(WTERMSIG(status), sig, sizeof(sig)));
        } else {
                snprintf(buf, size, "status 0x%x", (unsigned)status);
        }
}

static void put_str(struct ward__buf *b, const char *key, const char *v)
{
        if (v) {
                ward__buf_printf(b, ",\"%s\":", key);
                ward__json_put_string(b, v, strlen(v));
        }
}

static void print_json(const struct ward_guardian_event *ev)
{
        struct ward__buf b = {0};
        char sig[32], how[64];
        ward__buf_printf(&b, "{\"event\":\"%s\",\"pid\":%d", kind_name(ev->kind), ev->pid);
        if (ev->kind == WARD_GUARDIAN_CRASHED) {
                ward__buf_printf(&b, ",\"signal\":\"%s\",\"code\":%d,\"addr\":\"0x%llx\"",
                                 proc_signal_name(ev->signo, sig, sizeof(sig)), ev->code,
                                 (unsigned long long)ev->addr);
        }
        if (ev->kind == WARD_GUARDIAN_EXITED || ev->kind == WARD_GUARDIAN_ON_CRASH_RAN) {
                how_ended(ev->status, how, sizeof(how));
                ward__buf_printf(&b, ",\"status\":%d", ev->status);
                put_str(&b, "ended", how);
        }
        if (ev->kind == WARD_GUARDIAN_RESTARTING) {
                ward__buf_printf(&b, ",\"delay_ms\":%.3f", (double)ev->delay_ns / 1e6);
        }
        put_str(&b, "core", ev->core);
        put_str(&b, "report", ev->report);
        put_str(&b, "message", ev->message);
        ward__buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.len, stdout);
        fflush(stdout);
        ward__buf_free(&b);
}

static void print_text(const struct ward_guardian_event *ev)
{
        char sig[32], how[64];
        if (ev->kind == WARD_GUARDIAN_WARNING || ev->kind == WARD_GUARDIAN_GIVING_UP) {
                fprintf(stderr, "ward run: %s\n", ev->message ? ev->message : kind_name(ev->kind));
                return;
        }
        fprintf(stderr, "ward run: worker %d ", ev->pid);
        switch (ev->kind) {
        case WARD_GUARDIAN_CRASHED:
                fprintf(stderr, "crashed: %s at 0x%llx",
                        proc_signal_name(ev->signo, sig, sizeof(sig)),
                        (unsigned long long)ev->addr);
                break;
        case WARD_GUARDIAN_EXITED:
                how_ended(ev->status, how, sizeof(how));
                fprintf(stderr, "ended: %s", how);
                break;
        case WARD_GUARDIAN_ON_CRASH_RAN:
                how_ended(ev->status, how, sizeof(how));
                fprintf(stderr, "on-crash command: %s", how);
                break;
        case WARD_GUARDIAN_RESTARTING:
                fprintf(stderr, "restarting in %.3gs", (double)ev->delay_ns / 1e9);
                break;
        default:
                fprintf(stderr, "%s", kind_name(ev->kind));
                break;
        }
        if (ev->message) {
                fprintf(stderr, ": %s", ev->message);
        }
        if (ev->core) {
                fprintf(stderr, "\n  core   %s", ev->core);
        }
        if (ev->report && ev->kind != WARD_GUARDIAN_ON_CRASH_RAN) {
                fprintf(stderr, "\n  report %s", ev->report);
        }
        fputc('\n', stderr);
}

void run_print_event(void *arg, const struct ward_guardian_event *ev)
{
        const int *json = arg;
        if (*json) {
                print_json(ev);
        } else {
                print_text(ev);
        }
}
