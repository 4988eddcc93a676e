/* ward clean [-n|--dry-run] [-v] [--json] [--all-users] [PID...]: list and
 * remove the /dev/shm files (trace buffers, lock registries) of ward
 * processes that are gone, judged by start time (ward/shm.h), and say how
 * many bytes that freed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/shm.h>

#include "cli.h"
#include "commands.h"
#include "core/buf.h"
#include "core/json-write.h"

#define MAX_PIDS 64

enum { OPT_DRY_RUN = 1, OPT_VERBOSE, OPT_JSON, OPT_ALL_USERS };

static const struct cli_command clean_cmd = {
    .name = "clean",
    .synopsis = "[-n|--dry-run] [-v] [--json] [--all-users] [PID...]",
    .summary = "List and remove the shared-memory files of dead ward processes.",
    .description =
        "A ward process keeps its trace buffers in /dev/shm/ward-trace.PID and its lock\n"
        "registry in /dev/shm/ward-locks.PID, and removes them when it exits normally.\n"
        "One that was killed leaves them behind. ward clean removes those whose process\n"
        "is gone: no process has the pid, or the process that has it now started at\n"
        "another time than the one in the file (a pid is reused), or, for a file without\n"
        "a start time, started after the file was made; and those of a process that\n"
        "replaced its program with exec and no longer maps them. A file that a running\n"
        "process maps is kept, and so is every file of a running owner. Only regular\n"
        "files named exactly ward-trace.PID, ward-locks.PID or ward-guard.PID and owned\n"
        "by you are looked at; links are never followed.\n"
        "\n"
        "With PIDs, only the files of those pids. A dead process's trace buffers hold\n"
        "the events it never flushed: run 'ward trace recover PID' first to keep them.",
    .options =
        (const struct cli_option[]){
            {OPT_DRY_RUN, "dry-run", 'n', NULL, "list what would be removed, remove nothing"},
            {OPT_VERBOSE, "verbose", 'v', NULL, "also list the files that are kept, and why"},
            {OPT_JSON, "json", 0, NULL, "one JSON object: every ward file, what was done"},
            {OPT_ALL_USERS, "all-users", 0, NULL, "every user's files, not only yours (root)"},
            {0},
        },
    .args = "PID",
    .min_args = 0,
    .max_args = MAX_PIDS,
    .exit_status = "0   done (also when there was nothing to remove)\n"
                   "1   a stale file could not be removed (the message says why)\n"
                   "2   bad usage, or /dev/shm cannot be read",
    .examples = "ward clean -n\n"
                "ward clean\n"
                "ward clean --json 4242",
};

static const char *state_name(int state)
{
        static const char *const names[] = {"live", "in-use", "gone", "reused", "older", "exec"};
        return state >= 0 && state <= WARD_SHM_STALE_EXEC ? names[state] : "?";
}

/* human: bytes as "812 B", "68.0 KiB", "16.2 MiB" */
static void human(uint64_t bytes, char *out, size_t size)
{
        static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
        double v = (double)bytes;
        int u = -1;
        while (v >= 1024 && u < 3) {
                v /= 1024;
                u++;
        }
        if (u < 0) {
                snprintf(out, size, "%llu B", (unsigned long long)bytes);
        } else {
                snprintf(out, size, "%.1f %s", v, units[u]);
        }
}

struct tally {
        size_t shown; /* JSON objects written */
        size_t removed, failed, kept, live;
        uint64_t freed;
};

static void put_json_file(struct ward__buf *b, const struct ward_shm_file *f, const char *action,
                          int err, int first)
{
        ward__buf_printf(b, "%s{\"name\":", first ? "" : ",");
        ward__json_put_string(b, f->name, strlen(f->name));
        ward__buf_printf(b,
                         ",\"kind\":\"%s\",\"pid\":%d,\"uid\":%u,\"bytes\":%llu,\"length\":%llu,"
                         "\"state\":\"%s\",\"owner_start\":%llu,\"pid_start\":%llu",
                         ward_shm_kind_name(f->kind), f->pid, f->uid, (unsigned long long)f->bytes,
                         (unsigned long long)f->length, state_name(f->state),
                         (unsigned long long)f->owner_start, (unsigned long long)f->pid_start);
        if (f->user) {
                ward__buf_printf(b, ",\"user\":%d", f->user);
        }
        ward__buf_puts(b, ",\"why\":");
        ward__json_put_string(b, f->why, strlen(f->why));
        ward__buf_printf(b, ",\"action\":\"%s\"", action);
        if (err) {
                const char *e = strerror(-err);
                ward__buf_puts(b, ",\"error\":");
                ward__json_put_string(b, e, strlen(e));
        }
        ward__buf_puts(b, "}");
}

static void put_text_file(struct ward__buf *b, const struct ward_shm_file *f, const char *action,
                          int err)
{
        char size[32];
        human(f->bytes, size, sizeof(size));
        ward__buf_printf(b, "%s %s (%s of pid %d, %s): %s", action, f->name,
                         ward_shm_kind_name(f->kind), f->pid, size, f->why);
        if (err) {
                ward__buf_printf(b, ": %s",
                                 err == -EBUSY    ? "its process made it meanwhile"
                                 : err == -ESTALE ? "another file has the name now"
                                                  : strerror(-err));
        }
        ward__buf_puts(b, "\n");
}

/* act: remove f (or not), count it, and say so in text or JSON */
static void act(const struct ward_shm_options *o, const struct ward_shm_file *f, int dry_run,
                int verbose, int json, struct ward__buf *b, struct tally *t)
{
        const char *action = "kept";
        int err = 0;
        if (ward_shm_is_stale(f->state)) {
                err = dry_run ? 0 : ward_shm_remove(o, f);
                action = dry_run          ? "would remove"
                         : err == 0       ? "removed"
                         : err == -ENOENT ? "already gone:"
                                          : "could not remove";
                if (err == 0) {
                        t->removed++;
                        t->freed += f->bytes;
                } else if (err != -ENOENT) {
                        t->failed++;
                }
        } else if (f->state == WARD_SHM_IN_USE) {
                t->kept++;
        } else {
                t->live++;
        }
        if (json) {
                put_json_file(b, f,
                              dry_run && err == 0 && ward_shm_is_stale(f->state) ? "would-remove"
                              : err == -ENOENT                                   ? "gone"
                              : err                                              ? "failed"
                                                                                 : action,
                              err == -ENOENT ? 0 : err, t->shown++ == 0);
        } else if (ward_shm_is_stale(f->state) || f->state == WARD_SHM_IN_USE || verbose) {
                put_text_file(b, f, action, err);
        }
}

static void put_summary(struct ward__buf *b, const struct tally *t, int dry_run, int json)
{
        char size[32];
        human(t->freed, size, sizeof(size));
        if (json) {
                ward__buf_printf(b,
                                 "],\"dry_run\":%s,\"removed\":%zu,\"bytes_freed\":%llu,"
                                 "\"failed\":%zu,\"kept\":%zu,\"live\":%zu}\n",
                                 dry_run ? "true" : "false", t->removed,
                                 (unsigned long long)t->freed, t->failed, t->kept, t->live);
                return;
        }
        ward__buf_printf(b, "%zu file%s %s, %s %s", t->removed, t->removed == 1 ? "" : "s",
                         dry_run ? "would be removed" : "removed", size,
                         dry_run ? "would be freed" : "freed");
        ward__buf_printf(b, "; %zu file%s of running processes kept", t->live + t->kept,
                         t->live + t->kept == 1 ? "" : "s");
        if (t->failed) {
                ward__buf_printf(b, "; %zu could not be removed", t->failed);
        }
        ward__buf_puts(b, "\n");
}

int cmd_clean(int argc, char **argv)
{
        int dry_run = 0, verbose = 0, json = 0, pids[MAX_PIDS], n_pids = 0;
        struct ward_shm_options o = {.size = sizeof(o)};
        struct cli c;
        cli_init(&c, &clean_cmd, argc, argv);
        for (int r; (r = cli_next(&c)) != CLI_END;) {
                switch (r) {
                case OPT_DRY_RUN:
                        dry_run = 1;
                        break;
                case OPT_VERBOSE:
                        verbose = 1;
                        break;
                case OPT_JSON:
                        json = 1;
                        break;
                case OPT_ALL_USERS:
                        o.flags |= WARD_SHM_ALL_USERS;
                        break;
                case CLI_ARG:
                        if (cli_arg_pid(&c, &pids[n_pids]) != 0) {
                                return CLI_USAGE;
                        }
                        n_pids++;
                        break;
                default:
                        return r == CLI_HELP ? CLI_OK : CLI_USAGE;
                }
        }
        if ((o.flags & WARD_SHM_ALL_USERS) && geteuid() != 0) {
                return cli_usage_error(&c, "--all-users: other users' files are theirs to "
                                           "remove; run it as root, or leave --all-users out");
        }
        o.pids = n_pids ? pids : NULL;
        o.n_pids = (size_t)n_pids;
        struct ward_shm_file *files;
        size_t n;
        int r = ward_shm_list(&o, &files, &n);
        if (r < 0) {
                return r == -ENOMEM ? cli_error(&c, CLI_PROBLEM, "out of memory")
                                    : cli_file_error(&c, "/dev/shm", r);
        }
        struct ward__buf b = {0};
        struct tally t = {0};
        if (json) {
                ward__buf_puts(&b, "{\"dir\":\"/dev/shm\",\"files\":[");
        }
        for (size_t i = 0; i < n; i++) {
                act(&o, &files[i], dry_run, verbose, json, &b, &t);
        }
        put_summary(&b, &t, dry_run, json);
        fwrite(b.p, 1, b.len, stdout);
        ward__buf_free(&b);
        ward_shm_list_free(files);
        return t.failed ? CLI_PROBLEM : CLI_OK;
}
