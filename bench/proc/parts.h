/* Running the other process-tool benchmarks from `ward bench proc` (parts.c). */
#ifndef BENCH_PROC_PARTS_H
#define BENCH_PROC_PARTS_H

/* Rows and targets gathered from the parts, each list led by a comma. */
struct parts_json {
        char rows[16384];
        char targets[4096];
};

/* parts_run: run ward-bench-NAME from bindir with extra (NULL-terminated):
 * with json, its --json rows and targets appended to acc; else its table
 * printed on our stdout. Returns 0, or -1 when it failed. */
int parts_run(const char *bindir, const char *name, char *const extra[], int json,
              struct parts_json *acc);

#endif
