/* ward trace recover [-o DIR] [--keep] PID: the events a process left in its
 * trace buffers and never flushed (it was killed, or crashed in a way no
 * handler saw). As text, or as trace files that `ward trace merge` reads
 * together with the ones the process did write. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ward/trace-read.h>

#include "commands.h"

struct recover_opts {
        const char *dir; /* -o: write files here; else print text */
        int keep;        /* keep the buffers file */
        int pid;
        const char *file; /* a buffers file named by path instead of a pid */
};

static int parse_args(int argc, char **argv, struct recover_opts *o)
{
        *o = (struct recover_opts){.pid = -1};
        for (int i = 1; i < argc; i++) {
                char *end;
                if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
                        o->dir = argv[++i];
                } else if (strcmp(argv[i], "--keep") == 0) {
                        o->keep = 1;
                } else if (o->pid < 0 && !o->file && strchr(argv[i], '/')) {
                        o->file = argv[i];
                } else if (o->pid < 0 && !o->file &&
                           (o->pid = (int)strtol(argv[i], &end, 10)) > 0 && !*end) {
                        continue;
                } else {
                        o->pid = -1;
                        break;
                }
        }
        if (o->pid <= 0 && !o->file) {
                fprintf(stderr, "usage: ward trace recover [-o DIR] [--keep] PID|FILE\n");
                return -1;
        }
        return 0;
}

static void print_line(void *arg, uint64_t ns, const char *line, size_t len)
{
        (void)arg, (void)ns;
        fwrite(line, 1, len, stdout);
}

int cmd_trace_recover(int argc, char **argv)
{
        struct recover_opts o;
        ward_trace_reader *r;
        char err[512];
        if (parse_args(argc, argv, &o) < 0) {
                return 2;
        }
        int e = o.file ? ward_trace_reader_open_file(o.file, 0, &r, err, sizeof(err))
                       : ward_trace_reader_open(o.pid, 0, &r, err, sizeof(err));
        if (e < 0) {
                fprintf(stderr, "ward trace recover: %s\n", err);
                return 1;
        }
        int pid = ward_trace_reader_pid(r), alive = ward_trace_reader_alive(r);
        if (alive) {
                fprintf(stderr,
                        "ward trace recover: process %d is still running; "
                        "showing the events it has not flushed yet\n",
                        pid);
        }
        long total = o.dir ? ward_trace_reader_recover_files(r, o.dir, err, sizeof(err))
                           : ward_trace_reader_recover_text(r, print_line, NULL);
        fflush(stdout);
        if (total < 0) {
                fprintf(stderr, "ward trace recover: %s\n", o.dir ? err : strerror((int)-total));
        } else {
                fprintf(stderr, "ward trace recover: %ld %s from process %d\n", total,
                        o.dir ? "events" : "lines", pid);
        }
        if (total >= 0 && !o.keep && !alive) {
                unlink(ward_trace_reader_path(r));
        }
        ward_trace_reader_close(r);
        return total >= 0 ? 0 : 1;
}
