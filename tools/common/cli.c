/* The one option parser of the ward command: see cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char standard_exit_status[] =
    "0  ok\n"
    "1  what was looked at has a problem (a deadlock, a crash, a failed call)\n"
    "2  bad usage, or nothing to look at (no such process, file or address)\n";

static const struct cli_option *by_name(const struct cli_command *cmd, const char *name,
                                        size_t len);
static const struct cli_option *by_letter(const struct cli_command *cmd, char letter);

/* takes_next: does option token tok (no '=' value, no attached value) take
 * the next token as its value? */
static int takes_next(const struct cli_command *cmd, const char *tok)
{
        if (tok[1] == '-') {
                const struct cli_option *o = by_name(cmd, tok + 2, strlen(tok + 2));
                return !strchr(tok, '=') && o && o->value;
        }
        for (const char *p = tok + 1; *p; p++) {
                const struct cli_option *o = by_letter(cmd, *p);
                if (!o) {
                        return 0;
                }
                if (o->value) {
                        return p[1] == '\0'; /* -dVALUE carries its value */
                }
        }
        return 0;
}

void cli_init(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
        *c = (struct cli){.cmd = cmd, .argc = argc, .argv = argv, .i = 1};
        /* a group (no options of its own) passes --json on to its subcommands */
        int takes_json = !cmd->options || by_name(cmd, "json", 4);
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                const char *tok = argv[i];
                if (strcmp(tok, "--json") == 0 && takes_json) {
                        c->json = 1;
                } else if (tok[0] == '-' && tok[1] != '\0' && takes_next(cmd, tok)) {
                        i++; /* its value, whatever it looks like */
                } else if ((cmd->flags & CLI_REST_ARE_ARGS) && tok[0] != '-') {
                        break; /* PROG: its arguments are not ours */
                }
        }
}

void cli_json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        fprintf(f, "\\%c", *p);
                } else if (*p == '\n') {
                        fputs("\\n", f);
                } else if (*p < 0x20 || *p == 0x7f) {
                        fprintf(f, "\\u%04x", *p);
                } else {
                        fputc(*p, f);
                }
        }
        fputc('"', f);
}

__attribute__((format(printf, 3, 0))) static int verror(const struct cli *c, int code,
                                                        const char *fmt, va_list ap)
{
        char msg[1024];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        char cmd[128] = "ward";
        if (c && c->cmd) {
                cli_title(c->cmd, cmd, sizeof(cmd));
        }
        if (c && c->json) {
                fputs("{\"error\":", stderr);
                cli_json_string(stderr, msg);
                fputs(",\"command\":", stderr);
                cli_json_string(stderr, cmd);
                fprintf(stderr, ",\"exit\":%d}\n", code);
        } else {
                fprintf(stderr, "%s: %s\n", cmd, msg);
        }
        return code;
}

int cli_error(const struct cli *c, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        verror(c, code, fmt, ap);
        va_end(ap);
        return code;
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
        char msg[900];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        char title[128];
        cli_title(c->cmd, title, sizeof(title));
        return cli_error(c, CLI_USAGE, "%s (see '%s --help')", msg, title);
}

int cli_bad_value(const struct cli *c, const char *option, const char *value, const char *what)
{
        return cli_usage_error(c, "bad value '%s' for %s: %s", value, option, what);
}

int cli_pid(const char *s)
{
        char *end;
        if (!s || *s < '0' || *s > '9') {
                return -1;
        }
        long v = strtol(s, &end, 10);
        return *end || v < 1 || v > (1 << 22) ? -1 : (int)v;
}

int cli_arg_pid(const struct cli *c, int *pid)
{
        int v = cli_pid(c->value);
        if (v < 0) {
                return cli_bad_value(c, "PID", c->value, "a process id, as ward ps lists them");
        }
        *pid = v;
        return 0;
}

/* help */

static void help_option(const struct cli_option *o, FILE *f)
{
        char left[64];
        int n = 0;
        if (o->letter && o->name) {
                n = snprintf(left, sizeof(left), "-%c, --%s", o->letter, o->name);
        } else if (o->letter) {
                n = snprintf(left, sizeof(left), "-%c", o->letter);
        } else {
                n = snprintf(left, sizeof(left), "    --%s", o->name);
        }
        if (o->value && n > 0 && (size_t)n < sizeof(left)) {
                snprintf(left + n, sizeof(left) - (size_t)n, o->name ? "=%s" : " %s", o->value);
        }
        if (strlen(left) <= 24) {
                fprintf(f, "  %-24s  %s\n", left, o->help);
        } else {
                fprintf(f, "  %s\n  %-24s  %s\n", left, "", o->help);
        }
}

/* indented: each line of text after indent */
static void indented(const char *text, const char *indent, FILE *f)
{
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                fprintf(f, "%s%.*s\n", len ? indent : "", (int)len, p);
                p += len + (nl ? 1 : 0);
        }
}

void cli_title(const struct cli_command *cmd, char *buf, size_t size)
{
        if (cmd->program) {
                snprintf(buf, size, "%s", cmd->program);
        } else {
                snprintf(buf, size, "ward%s%s", cmd->name && cmd->name[0] ? " " : "",
                         cmd->name ? cmd->name : "");
        }
}

void cli_help(const struct cli_command *cmd, FILE *f)
{
        char title[128];
        cli_title(cmd, title, sizeof(title));
        const char *p = cmd->synopsis;
        const char *first = "Usage:";
        do {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                fprintf(f, "%-6s %s %.*s\n", first, title, (int)len, p);
                first = "  or:";
                p += len + (nl ? 1 : 0);
        } while (*p);
        fprintf(f, "\n%s\n", cmd->summary);
        if (cmd->description) {
                fputc('\n', f);
                indented(cmd->description, "", f);
        }
        fputs("\nOptions:\n", f);
        for (const struct cli_option *o = cmd->options; o && o->id; o++) {
                if (o->help) {
                        help_option(o, f);
                }
        }
        fprintf(f, "  %-24s  %s\n", "-h, --help", "show this help and exit");
        if (cmd->examples) {
                fputs("\nExamples:\n", f);
                indented(cmd->examples, "  ", f);
        }
        fputs("\nExit status:\n", f);
        indented(cmd->exit_status ? cmd->exit_status : standard_exit_status, "  ", f);
}

/* parsing */

static const struct cli_option *by_name(const struct cli_command *cmd, const char *name, size_t len)
{
        for (const struct cli_option *o = cmd->options; o && o->id; o++) {
                if (o->name && strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
                        return o;
                }
        }
        return NULL;
}

static const struct cli_option *by_letter(const struct cli_command *cmd, char letter)
{
        for (const struct cli_option *o = cmd->options; o && o->id; o++) {
                if (o->letter == letter) {
                        return o;
                }
        }
        return NULL;
}

static int digits_are_letters(const struct cli_command *cmd)
{
        for (const struct cli_option *o = cmd->options; o && o->id; o++) {
                if (o->letter >= '0' && o->letter <= '9') {
                        return 1;
                }
        }
        return 0;
}

static int end_of_args(struct cli *c)
{
        const struct cli_command *cmd = c->cmd;
        if (c->nargs < cmd->min_args) {
                return cli_usage_error(c, "missing %s", cmd->args ? cmd->args : "an argument"),
                       CLI_BAD;
        }
        return CLI_END;
}

static int argument(struct cli *c, const char *tok)
{
        const struct cli_command *cmd = c->cmd;
        c->token = c->value = tok;
        if (cmd->max_args >= 0 && c->nargs >= cmd->max_args) {
                if (cmd->max_args == 0) {
                        cli_usage_error(c, "unexpected argument '%s'", tok);
                } else {
                        cli_usage_error(c, "unexpected argument '%s' (takes %s)", tok,
                                        cmd->args ? cmd->args : "fewer arguments");
                }
                return CLI_BAD;
        }
        c->nargs++;
        if (cmd->flags & CLI_REST_ARE_ARGS) {
                c->rest_are_args = 1;
        }
        return CLI_ARG;
}

/* value_of: the value of option o given as tok (attached: after '=' or the
 * letter, or NULL) */
static int value_of(struct cli *c, const struct cli_option *o, const char *attached,
                    const char *tok)
{
        if (!o->value) {
                if (attached) {
                        return cli_usage_error(c, "option '%s' takes no value", tok), CLI_BAD;
                }
                c->value = NULL;
                return o->id;
        }
        if (attached) {
                c->value = attached;
                return o->id;
        }
        if (c->i >= c->argc) {
                return cli_usage_error(c, "option '%s' needs a value (%s)", tok, o->value), CLI_BAD;
        }
        c->value = c->argv[c->i++];
        return o->id;
}

static int long_option(struct cli *c, const char *tok)
{
        const char *name = tok + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (len == 4 && strncmp(name, "help", 4) == 0 && !eq) {
                cli_help(c->cmd, stdout);
                return CLI_HELP;
        }
        const struct cli_option *o = by_name(c->cmd, name, len);
        if (!o) {
                return cli_usage_error(c, "unknown option '%.*s'", (int)(len + 2), tok), CLI_BAD;
        }
        return value_of(c, o, eq ? eq + 1 : NULL, tok);
}

static int short_option(struct cli *c)
{
        char letter = *c->shorts++;
        char tok[3] = {'-', letter, 0};
        if (letter == 'h') {
                c->shorts = NULL;
                cli_help(c->cmd, stdout);
                return CLI_HELP;
        }
        const struct cli_option *o = by_letter(c->cmd, letter);
        if (!o) {
                c->shorts = NULL;
                return cli_usage_error(c, "unknown option '%s'", tok), CLI_BAD;
        }
        const char *attached = NULL;
        if (o->value && *c->shorts) {
                attached = c->shorts;
        }
        if (o->value || !*c->shorts) {
                c->shorts = NULL;
        }
        return value_of(c, o, attached, tok);
}

int cli_next(struct cli *c)
{
        if (c->shorts && *c->shorts) {
                return short_option(c);
        }
        c->shorts = NULL;
        if (c->i >= c->argc) {
                return end_of_args(c);
        }
        const char *tok = c->argv[c->i++];
        c->token = tok;
        if (c->rest_are_args) {
                return argument(c, tok);
        }
        if (strcmp(tok, "--") == 0) {
                c->rest_are_args = 1;
                return cli_next(c);
        }
        if (tok[0] != '-' || tok[1] == '\0') {
                return argument(c, tok);
        }
        if (tok[1] >= '0' && tok[1] <= '9' && !digits_are_letters(c->cmd)) {
                return argument(c, tok); /* a negative number */
        }
        if (tok[1] == '-') {
                return long_option(c, tok);
        }
        c->shorts = tok + 1;
        return short_option(c);
}

/* subcommands */

void cli_dispatch_help(const char *group, const char *summary, const struct cli_subcommand *subs,
                       FILE *f)
{
        fprintf(f, "Usage: ward %s SUBCOMMAND [options]\n\n%s\n\nSubcommands:\n", group, summary);
        for (const struct cli_subcommand *s = subs; s->name; s++) {
                fprintf(f, "  %-12s  %s\n", s->name, s->summary);
        }
        fprintf(f, "\n'ward %s SUBCOMMAND --help' tells more of each.\n\nExit status:\n", group);
        indented(standard_exit_status, "  ", f);
}

int cli_dispatch(const char *group, const char *summary, const struct cli_subcommand *subs,
                 int argc, char **argv)
{
        struct cli_command cmd = {.name = group};
        struct cli c = {.cmd = &cmd};
        cli_init(&c, &cmd, argc, argv);
        if (argc < 2) {
                cli_error(&c, CLI_USAGE, "which one? (see 'ward %s --help')", group);
                return CLI_USAGE;
        }
        const char *name = argv[1];
        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
                cli_dispatch_help(group, summary, subs, stdout);
                return CLI_OK;
        }
        for (const struct cli_subcommand *s = subs; s->name; s++) {
                if (strcmp(s->name, name) == 0) {
                        return s->run(argc - 1, argv + 1);
                }
        }
        return cli_error(&c, CLI_USAGE, "unknown subcommand '%s' (see 'ward %s --help')", name,
                         group);
}
