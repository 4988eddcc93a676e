/* tools/common/cli.h: the one option parser of the ward command and its
 * helper programs (ward-serve, ward-gateway, the benchmarks). A subcommand
 * describes itself once (struct cli_command: synopsis, options, exit
 * status); the same description parses its arguments, prints its --help
 * (which the man pages are generated from) and formats its errors, as
 * text or, under --json, as one JSON object on stderr.
 *
 * Accepted forms: --name, --name VALUE, --name=VALUE, -x, -x VALUE, -xVALUE,
 * -abc (flags), "--" (everything after it is an argument), "-" (an
 * argument), "-5" (an argument when no option letter is a digit).
 * -h and --help print the help on stdout; the caller returns 0.
 *
 * Exit status, the same in every subcommand (CLI_OK, CLI_PROBLEM,
 * CLI_USAGE): 0 ok; 1 the thing looked at has a problem (a deadlock, a
 * crash, a failed call); 2 bad usage, or nothing to look at (no such
 * process, file or address, or no permission to look).
 *
 * Single-threaded: a command's main thread only. Nothing here allocates. */
#ifndef WARD_TOOLS_CLI_H
#define WARD_TOOLS_CLI_H

#include <stdio.h>

enum {
        CLI_OK = 0,
        CLI_PROBLEM = 1,
        CLI_USAGE = 2,
};

/* what cli_next returns besides an option's id (ids are > 0) */
enum {
        CLI_END = 0,   /* no more arguments (counts checked) */
        CLI_HELP = -1, /* --help printed on stdout: return CLI_OK */
        CLI_BAD = -2,  /* the error is printed: return CLI_USAGE */
        CLI_ARG = -3,  /* a positional argument, in c->value */
};

struct cli_option {
        int id;            /* > 0: what cli_next returns for it */
        const char *name;  /* the long name without "--" ("json"), or NULL */
        char letter;       /* the short name ('v'), or 0 */
        const char *value; /* NULL: a flag; else the value's name ("DIR") */
        const char *help;  /* one line for --help; NULL: not shown */
};

/* cli_command flags */
enum {
        CLI_REST_ARE_ARGS = 1, /* from the first argument on, every token is
                                * an argument (ward run PROG ARGS...) */
};

struct cli_command {
        const char *name;                 /* "locks", "trace merge" */
        const char *synopsis;             /* "[options] PID"; lines of alternatives
                                           * separated by '\n' */
        const char *summary;              /* one line: what it does */
        const char *description;          /* paragraphs, or NULL */
        const struct cli_option *options; /* ends with {0}; -h/--help are
                                           * implied */
        const char *args;                 /* the arguments' names for errors ("PID") */
        int min_args, max_args;           /* positional arguments; max -1: any */
        unsigned flags;                   /* CLI_REST_ARE_ARGS */
        const char *exit_status;          /* NULL: the standard three lines */
        const char *examples;             /* lines, or NULL */
        const char *program;              /* a program of its own ("ward-demo"),
                                           * or NULL: "ward NAME" */
};

/* cli_title: how cmd is called in its help and errors: "ward locks", or its
 * program's name */
void cli_title(const struct cli_command *cmd, char *buf, size_t size);

struct cli {
        const struct cli_command *cmd;
        int argc;
        char **argv;
        int i;              /* the next token's index */
        int json;           /* --json is among the options: errors are JSON */
        int nargs;          /* positional arguments seen so far */
        const char *value;  /* an option's value, or the positional argument */
        const char *token;  /* the token (as given) cli_next just read */
        const char *shorts; /* the rest of a group of short flags (-abc) */
        int rest_are_args;
};

/* cli_init: ready to parse argv[1..argc-1] of cmd (argv[0] is the
 * subcommand's name). Sets c->json when --json appears among the options,
 * so that even an error about an earlier token is JSON. */
void cli_init(struct cli *c, const struct cli_command *cmd, int argc, char **argv);

/* cli_next: the next option's id (its value, if it takes one, in c->value),
 * CLI_ARG (c->value the argument), CLI_END, CLI_HELP (help printed) or
 * CLI_BAD (an unknown option, a missing or unexpected value, too many or too
 * few arguments: the error, naming the token, is printed). */
int cli_next(struct cli *c);

/* cli_help: the help of cmd, as `ward CMD --help` prints it */
void cli_help(const struct cli_command *cmd, FILE *f);

/* cli_error: "ward CMD: MESSAGE" on stderr, or under --json the object
 * {"error":MESSAGE,"command":"ward CMD","exit":code}. Returns code. */
int cli_error(const struct cli *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* cli_usage_error: cli_error with CLI_USAGE and a pointer to --help */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cli_bad_value: "bad VALUE 'TOKEN' for --NAME (what: WHAT)", CLI_USAGE.
 * option: the option's name as given ("--grace"), or an argument's ("PID") */
int cli_bad_value(const struct cli *c, const char *option, const char *value, const char *what);

/* cli_pid: a pid (1 .. 2^22) from s, or -1 */
int cli_pid(const char *s);

/* cli_arg_pid: the argument c->value as a pid into *pid: 0, or CLI_USAGE
 * after naming it ("bad value 'abc' for PID") */
int cli_arg_pid(const struct cli *c, int *pid);

/* cli_process_error: why the command cannot act on process pid (err:
 * -errno): no such process (see ward ps), the real reason for a permission
 * error (another user's process, yama ptrace_scope, no CAP_SYS_PTRACE in a
 * container, already traced by another debugger) or the error's text.
 * Returns the exit status: CLI_USAGE for ESRCH/EPERM/EACCES/ENOENT,
 * CLI_PROBLEM otherwise. */
int cli_process_error(const struct cli *c, int pid, int err);

/* cli_eperm_reason: into buf, why this process may not trace or read pid */
void cli_eperm_reason(int pid, char *buf, size_t size);

/* cli_address_error: a ward address that does not parse or does not answer
 * (err: -errno), with the accepted forms. CLI_USAGE. */
int cli_address_error(const struct cli *c, const char *address, int err);

/* cli_file_error: a file that cannot be read or written (err: -errno).
 * CLI_USAGE for a missing file, CLI_PROBLEM otherwise. */
int cli_file_error(const struct cli *c, const char *path, int err);

/* cli_json_string: s as a JSON string (quotes, escapes) on f */
void cli_json_string(FILE *f, const char *s);

/* A command with subcommands (ward trace, ward bench). */
struct cli_subcommand {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
};

/* cli_dispatch: run the subcommand argv[1] of group ("trace") from subs
 * (ends with {0}); --help, -h and "help" list them on stdout; a missing or
 * unknown one is named, with the list, and CLI_USAGE. */
int cli_dispatch(const char *group, const char *summary, const struct cli_subcommand *subs,
                 int argc, char **argv);

/* cli_dispatch_help: the list cli_dispatch prints for --help */
void cli_dispatch_help(const char *group, const char *summary, const struct cli_subcommand *subs,
                       FILE *f);

#endif
