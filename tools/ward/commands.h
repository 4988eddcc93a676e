/* tools/ward/commands.h: the subcommands of the ward command, one file each. */
#ifndef WARD_TOOLS_COMMANDS_H
#define WARD_TOOLS_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

struct ward_command {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
};

int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_gateway(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_locks(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_stack(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_core(int argc, char **argv);
int cmd_symbolize(int argc, char **argv);
int cmd_trace_tail(int argc, char **argv);
int cmd_trace_merge(int argc, char **argv);
int cmd_trace_level(int argc, char **argv);
int cmd_trace_recover(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_nice(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* exec_sibling: exec prog (a program of ward's: next to this binary, or in
 * ../libexec/ward) with argv. Returns only on failure: -errno, with what was
 * tried in tried. */
int exec_sibling(const char *prog, char **argv, char *tried, size_t tried_size);

/* sibling_library: the path of a library of ward's (libward-crash.so): in
 * the build tree in lib/ beside bin/; installed in LIBDIR/ward. 0, or
 * -ENOENT. */
int sibling_library(const char *name, char *out, size_t size);

extern const struct ward_command ward_commands[];

/* ward_command_named: the subcommand called name, or NULL */
const struct ward_command *ward_command_named(const char *name);

/* ward_usage: what `ward --help` prints */
void ward_usage(FILE *f);

#endif
