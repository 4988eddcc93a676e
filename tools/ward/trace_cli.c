/* What the ward trace subcommands share: see trace_cli.h. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "core/buf.h"
#include "core/json-write.h"
#include "trace_cli.h"

int trace_process_gone(int pid)
{
        return kill(pid, 0) < 0 && errno == ESRCH;
}

int trace_open_error(const struct cli *c, int pid, const char *path, int code, const char *msg)
{
        if (pid > 0 && code == -ENOENT) {
                if (trace_process_gone(pid)) {
                        return cli_error(c, CLI_USAGE,
                                         "no such process %d, and no trace buffers it left in "
                                         "/dev/shm (see 'ward ps --ward')",
                                         pid);
                }
                return cli_error(c, CLI_USAGE,
                                 "process %d does not trace (no /dev/shm/ward-trace.%d; start it "
                                 "with WARD_TRACE=LEVEL[:DIR] or ward_trace_start)",
                                 pid, pid);
        }
        if (pid > 0 && (code == -EACCES || code == -EPERM)) {
                return cli_process_error(c, pid, code);
        }
        if (code == -ESTALE) {
                return cli_error(c, CLI_USAGE, "%s (process %d does not trace now)", msg, pid);
        }
        if (code == -ENOENT || code == -ENOTDIR || code == -EACCES || code == -EPERM) {
                return cli_error(c, CLI_USAGE, "%s", msg[0] ? msg : strerror(-code));
        }
        (void)path;
        return cli_error(c, CLI_PROBLEM, "%s", msg[0] ? msg : strerror(-code));
}

void trace_json_line(FILE *f, uint64_t ns, const char *line, size_t len)
{
        struct ward__buf b = {0};
        ward__buf_printf(&b, "{\"ns\":%" PRIu64 ",\"text\":", ns);
        ward__json_put_string(&b, line, len && line[len - 1] == '\n' ? len - 1 : len);
        ward__buf_putc(&b, '}');
        fwrite(b.p, 1, b.len, f);
        ward__buf_free(&b);
}
