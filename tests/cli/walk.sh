#!/bin/sh
# tests/cli/walk.sh WARD [PYTHON3]: walks every subcommand of the ward command
# (those `ward help --commands` lists, and the subcommands `ward trace --help`
# and `ward bench --help` list) and checks what every one of them must do
# alike (docs/ward.md, tools/common/cli.h):
#   - `ward CMD --help` prints on stdout, starts with "Usage:", exits 0, and
#     `ward help CMD` prints the same;
#   - an unknown option (--bogus-option) exits 2 and names it on stderr;
#     with --json (where the command takes it) that error is one JSON object
#     on stderr with an "error" key;
#   - a missing process (a pid just reaped, so free), a missing file or a
#     bad address exits 2 (ward run: 127, its own status for a program not
#     found) and says so;
#   - --json output parses as JSON where a result is cheap to make.
# And `ward` alone, `ward --version`, `ward help nosuch`.
#
# The expectations are the tables below, one row per command: fixing a row is
# changing one line. Every failed check is listed, then the count; exit 1 if
# any failed, 0 otherwise. JSON is parsed by PYTHON3 (Debian's /usr/bin/python3
# by default: another python3 may come first on PATH).
WARD=${1:?usage: walk.sh WARD [PYTHON3]}
PY=${2:-/usr/bin/python3}

# What each command takes, one row per check of a missing thing (a command
# with two rows gets both). Columns:
#   command   the subcommand; "trace+merge": merge of the group trace
#   json      yes: it takes --json (its bad-option error must be JSON)
#   missing   the arguments naming something that is not there, "-" for none:
#             @PID a free pid, @FILE a missing file, @ADDR a bad address,
#             @TMP a scratch directory ("," separates arguments)
#   exit      the exit status for it
#   says      what its stderr must contain (@PID, @FILE as above)
COMMANDS='
help           no   -                          -    -
version        no   -                          -    -
ps             yes  -                          -    -
info           yes  @PID                       2    no such process
stack          yes  @PID                       2    no such process
locks          yes  @PID                       2    no such process
trace          no   -                          -    -
run            yes  @FILE                      127  @FILE
core           yes  -o,@TMP,@PID               2    no such process
symbolize      yes  --debug-dir=@TMP,@FILE     2    @FILE
debug          yes  --,@FILE                   2    @FILE
debug          yes  -p,@PID                    2    no such process
watch          yes  --pid=@PID                 2    no such process
stop           yes  @PID                       2    no such process
nice           yes  @PID                       2    no such process
serve          no   -                          -    -
gateway        no   -                          -    -
list           yes  @ADDR                      2    unix:
call           yes  @ADDR,calc.Calculator.Add  2    unix:
bench          no   -                          -    -
clean          yes  -                          -    -
trace+merge    yes  @FILE                      2    @FILE
trace+tail     yes  @PID                       2    no such process
trace+level    yes  @PID                       2    no such process
trace+recover  yes  @PID                       2    no such process
trace+recover  yes  @FILE                      2    @FILE
bench+ipc      yes  -                          -    -
bench+rpc      yes  -                          -    -
bench+memory   yes  -                          -    -
bench+trace    yes  -                          -    -
bench+locks    yes  -                          -    -
bench+proc     yes  -                          -    -
bench+proc-watch yes -                         -    -
bench+proc-stack yes -                         -    -
bench+guard    yes  -                          -    -
bench+grpc     yes  -                          -    -
'

# The --json results checked to parse (cheap ones; watch and debug follow
# events and are left out). @SELF: this shell's pid, @SLEEPER: a sleeping
# child of it.
JSON_RESULTS='
ps --json
ps --tree --ward --json
info --json @SELF
stack --json @SLEEPER
stack --live --json @SLEEPER
nice --json @SLEEPER
core --json -o @TMP @SLEEPER
stop --json @VICTIM
'

tmp=$(mktemp -d /tmp/ward-cli-walk.XXXXXX) || exit 1
sleeper=
victim=
cleanup() {
        [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
        [ -n "$victim" ] && kill "$victim" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

runs=0
failures=0
fail() {
        failures=$((failures + 1))
        echo "FAIL: $*"
}

# run ARGS...: ward ARGS with stdin empty; $rc, and stdout/stderr in files
run() {
        "$WARD" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
        rc=$?
        runs=$((runs + 1))
}

# check WHAT CONDITION...: a failure named WHAT unless CONDITION holds
check() {
        what=$1
        shift
        if ! "$@"; then
                fail "$what (exit $rc; stdout: $(head -c 160 "$tmp/out" | tr '\n' ' ');" \
                        "stderr: $(head -c 160 "$tmp/err" | tr '\n' ' '))"
        fi
}

has() { grep -qF -- "$2" "$1"; }
starts_usage() { [ "$(head -c 6 "$tmp/out")" = "Usage:" ]; }
is_json_error() {
        "$PY" -c '
import json, sys
lines = [l for l in open(sys.argv[1]).read().split("\n") if l.strip()]
assert len(lines) == 1, "not one line"
o = json.loads(lines[0])
assert isinstance(o, dict) and "error" in o, "no error key"
' "$tmp/err" 2>/dev/null
}
# one JSON document, or JSON lines (one object each)
is_json() {
        "$PY" -c '
import json, sys
text = open(sys.argv[1]).read()
try:
    json.loads(text)
except ValueError:
    lines = [l for l in text.split("\n") if l.strip()]
    assert lines
    for l in lines:
        json.loads(l)
' "$tmp/out" 2>/dev/null
}

# a free pid: a child that was started and reaped
sh -c 'exit 0' &
free_pid=$!
wait "$free_pid"
missing_file=/nonexistent-ward-cli-walk/no-such-file
bad_address=not-a-ward-address

# expand ARGS: the placeholders of a table cell, "," to spaces
expand() {
        echo "$1" | sed -e "s|@PID|$free_pid|g" -e "s|@FILE|$missing_file|g" \
                -e "s|@ADDR|$bad_address|g" -e "s|@TMP|$tmp|g" -e "s|@SELF|$$|g" \
                -e "s|@SLEEPER|$sleeper|g" -e "s|@VICTIM|$victim|g" -e 's|,| |g'
}

# The command lines themselves
if [ ! -x "$PY" ]; then
        echo "SKIP: no $PY to parse JSON"
        exit 77
fi
run
check "ward alone exits 2" [ "$rc" = 2 ]
check "ward alone prints its usage on stderr" has "$tmp/err" "Usage:"
check "ward alone prints nothing on stdout" [ ! -s "$tmp/out" ]
run --version
check "ward --version exits 0" [ "$rc" = 0 ]
check "ward --version prints the version" has "$tmp/out" "ward "
run help nosuch
check "ward help nosuch exits 2" [ "$rc" = 2 ]
check "ward help nosuch names it" has "$tmp/err" "nosuch"

# The subcommands: ward help --commands, and the groups' --help lists
run help --commands
check "ward help --commands exits 0" [ "$rc" = 0 ]
cp "$tmp/out" "$tmp/commands"
: >"$tmp/all"
while read -r cmd; do
        echo "$cmd" >>"$tmp/all"
done <"$tmp/commands"
for group in trace bench; do
        run "$group" --help # (its exit and Usage: are walked below)
        # the lines under "Subcommands:", indented: "  NAME  summary"
        sed -n '/^Subcommands:/,/^$/p' "$tmp/out" | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p' \
                >"$tmp/subs"
        check "ward $group --help lists its subcommands under 'Subcommands:'" [ -s "$tmp/subs" ]
        if [ "$group" = trace ] && [ ! -s "$tmp/subs" ]; then
                printf 'merge\ntail\nlevel\nrecover\n' >"$tmp/subs" # walk them all the same
        fi
        while read -r sub; do
                echo "$group $sub" >>"$tmp/all"
        done <"$tmp/subs"
done

# walk CMD...: the checks every subcommand gets
walk() {
        name="$*"
        run "$@" --help
        check "ward $name --help exits 0" [ "$rc" = 0 ]
        check "ward $name --help starts with Usage:" starts_usage
        check "ward $name --help prints nothing on stderr" [ ! -s "$tmp/err" ]
        cp "$tmp/out" "$tmp/help"
        if [ $# = 1 ]; then
                run help "$1"
                check "ward help $name exits 0" [ "$rc" = 0 ]
                check "ward help $name prints what ward $name --help does" cmp -s "$tmp/out" \
                        "$tmp/help"
        fi
        run "$@" --bogus-option
        check "ward $name --bogus-option exits 2" [ "$rc" = 2 ]
        check "ward $name --bogus-option names it on stderr" has "$tmp/err" "--bogus-option"
}

# walk_json CMD...: --json makes the bad-option error JSON
walk_json() {
        run "$@" --json --bogus-option
        check "ward $* --json --bogus-option exits 2" [ "$rc" = 2 ]
        check "ward $* --json --bogus-option: one JSON object with \"error\" on stderr" \
                is_json_error
}

# walk_missing CMD ARGS EXIT SAYS: nothing to look at
walk_missing() {
        cmd=$1 args=$(expand "$2") want=$3 says=$(expand "$4")
        # shellcheck disable=SC2086 # the arguments are words
        run $cmd $args
        check "ward $cmd $args exits $want" [ "$rc" = "$want" ]
        check "ward $cmd $args says '$says'" has "$tmp/err" "$says"
}

echo "$COMMANDS" | awk 'NF >= 5' >"$tmp/table"
while read -r cmd; do
        [ -n "$cmd" ] || continue
        key=$(echo "$cmd" | tr ' ' '+')
        awk -v key="$key" '$1 == key' "$tmp/table" >"$tmp/rows"
        if [ ! -s "$tmp/rows" ]; then
                fail "no row for 'ward $cmd' in the table of tests/cli/walk.sh: add one"
                continue
        fi
        # shellcheck disable=SC2086 # the command's words
        if [ "${cmd%% *}" = bench ] && [ "$cmd" != bench ] &&
                ! "$WARD" $cmd --help >/dev/null 2>&1 &&
                "$WARD" $cmd --help 2>&1 | grep -q "cannot run benchmark"; then
                echo "note: ward $cmd: its program is not built (-DWARD_BENCH=OFF?); not walked"
                continue
        fi
        # shellcheck disable=SC2086
        walk $cmd
        first=1
        while read -r _ json args code says; do
                if [ "$json" = yes ] && [ "$first" = 1 ]; then
                        # shellcheck disable=SC2086
                        walk_json $cmd
                fi
                first=0
                if [ "$args" != - ]; then
                        walk_missing "$cmd" "$args" "$code" "$says"
                fi
        done <"$tmp/rows"
done <"$tmp/all"

# Rows of commands this ward does not list (yet): said, not failed
awk '{ print $1 }' "$tmp/table" | sort -u >"$tmp/keys"
tr ' ' '+' <"$tmp/all" | sort -u >"$tmp/listed"
for key in $(comm -23 "$tmp/keys" "$tmp/listed"); do
        echo "note: the table has a row for 'ward $(echo "$key" | tr '+' ' ')', which this ward does not list"
done

# --json results that parse
sleep 600 &
sleeper=$!
sleep 600 &
victim=$!
echo "$JSON_RESULTS" | awk 'NF' >"$tmp/results"
while read -r line; do
        # shellcheck disable=SC2046 # the command's words
        run $(expand "$line")
        if [ "$rc" = 2 ] && grep -q "ptrace\|CAP_SYS_PTRACE\|not allowed" "$tmp/err"; then
                echo "note: ward $line: not permitted here ($(head -1 "$tmp/err")); not checked"
                continue
        fi
        check "ward $line exits 0" [ "$rc" = 0 ]
        check "ward $line prints JSON" is_json
done <"$tmp/results"
victim=

echo "$runs runs of ward for $(wc -l <"$tmp/all") subcommands: $failures checks failed"
[ "$failures" = 0 ]
