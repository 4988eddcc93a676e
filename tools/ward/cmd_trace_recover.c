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

#include "commands.h"
#include "trace/live.h"
#include "trace/print.h"

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

/* open_out: DIR/<name>.trace.<tid>.recovered with its file header. */
static FILE *open_out(struct ward__trace_live *l, const char *dir, uint32_t tid)
{
        char path[4096];
        char name[sizeof(l->hdr.name) + 1] = {0};
        memcpy(name, l->hdr.name, sizeof(l->hdr.name));
        name[strcspn(name, "/")] = '\0';
        snprintf(path, sizeof(path), "%s/%s.trace.%u.recovered", dir, name[0] ? name : "ward", tid);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!f) {
                fprintf(stderr, "ward trace recover: %s: %s\n", path, strerror(errno));
                return NULL;
        }
        struct ward__trace_file_hdr h = {.version = WARD__TRACE_VERSION,
                                         .hdr_size = sizeof(h),
                                         .pid = l->hdr.pid,
                                         .tid = tid,
                                         .tsc_hz = ward__trace_live_hz(l),
                                         .tsc_base = l->hdr.tsc_base,
                                         .ns_base = l->hdr.ns_base,
                                         .seq = UINT32_MAX, /* after every flushed file */
                                         .real_base = l->hdr.real_base};
        memcpy(h.magic, WARD__TRACE_FILE_MAGIC, sizeof(WARD__TRACE_FILE_MAGIC));
        memcpy(h.name, l->hdr.name, sizeof(h.name));
        fwrite(&h, sizeof(h), 1, f);
        return f;
}

/* recover_slot: slot i's unflushed records, to f (with the SITE records
 * they need) or as text lines into lines. Returns the number of events. */
static long recover_slot(struct ward__trace_live *l, uint32_t i, const struct recover_opts *o,
                         struct ward__buf *lines)
{
        struct ward__trace_live_slot st;
        struct ward__buf copy = {0}, line = {0};
        ward__trace_live_slot(l, i, &st);
        uint64_t start = st.read;
        uint64_t end = ward__trace_live_copy(l, i, &start, &copy);
        uint64_t p = start;
        uint8_t *written = calloc(WARD__TRACE_MAX_SITES + 1, 1);
        FILE *f = NULL;
        long events = 0;
        const struct ward__trace_rec *rec;
        while (written && (rec = ward__trace_live_next(l, &copy, start, end, &p))) {
                size_t site_len = 0;
                const uint8_t *site = rec->kind == WARD__REC_EVENT
                                          ? ward__trace_live_site(l, rec->site, &site_len)
                                          : NULL;
                events += rec->kind == WARD__REC_EVENT;
                if (!o->dir) {
                        ward__trace_print_record(lines, ward__trace_live_ns(l, rec->tsc),
                                                 l->hdr.pid, st.tid, site, site_len,
                                                 (const uint8_t *)rec, rec->size);
                        continue;
                }
                if (!f && !(f = open_out(l, o->dir, st.tid))) {
                        events = -1;
                        break;
                }
                if (site && !written[rec->site]) {
                        fwrite(site, site_len, 1, f);
                        written[rec->site] = 1;
                }
                fwrite(rec, rec->size, 1, f);
        }
        if (f && fclose(f) != 0) {
                events = -1;
        }
        free(written);
        ward__buf_free(&copy);
        ward__buf_free(&line);
        return events;
}

int cmd_trace_recover(int argc, char **argv)
{
        struct recover_opts o;
        struct ward__trace_live l;
        struct ward__buf lines = {0};
        char err[256];
        long total = 0;
        if (parse_args(argc, argv, &o) < 0) {
                return 2;
        }
        int r = o.file ? ward__trace_live_open_path(o.file, 0, 0, &l, err, sizeof(err))
                       : ward__trace_live_open(o.pid, 0, &l, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "ward trace recover: %s\n", err);
                return 1;
        }
        if (l.alive) {
                fprintf(stderr,
                        "ward trace recover: process %u is still running; "
                        "showing the events it has not flushed yet\n",
                        l.hdr.pid);
        }
        ward__trace_live_index_sites(&l);
        for (uint32_t i = 0; i < l.hdr.nslots && total >= 0; i++) {
                long n = recover_slot(&l, i, &o, &lines);
                total = n < 0 ? -1 : total + n;
        }
        if (!o.dir && lines.len) {
                ward__trace_sort_lines(&lines);
                fwrite(lines.p, 1, lines.len, stdout);
                fflush(stdout);
        }
        fprintf(stderr, "ward trace recover: %ld events from process %u\n", total, l.hdr.pid);
        if (total >= 0 && !o.keep && !l.alive) {
                unlink(l.path);
        }
        ward__trace_live_close(&l);
        ward__buf_free(&lines);
        return total >= 0 ? 0 : 1;
}
