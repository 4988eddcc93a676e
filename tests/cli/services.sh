#!/bin/sh
# ward call, list, locks, serve, gateway and bench on the command line, as a
# user meets them: --help on stdout with exit 0, bad options and values named
# with exit 2, bad addresses naming the accepted forms, a handler's own error
# text reaching `ward call`, `ward serve` refusing a second --listen and a
# library or service loaded twice, and --json output and JSON errors that
# parse. Real processes: calc-server, ward serve, examples/locks/deadlock.
#
#   services.sh BIN_DIR LIB_DIR
set -u
BIN=$1
LIB=$2
WARD=$BIN/ward
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
        echo "SKIP: no $PY to check the JSON"
        exit 77
fi
T=$(mktemp -d /tmp/ward-test-cli-services.XXXXXX)
ADDR="@ward-test-cli-services-$$"
PIDS=""
cleanup() {
        for p in $PIDS; do
                kill -9 "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT
FAILS=0

fail() {
        echo "FAIL: $*"
        echo "  stdout: $(head -c 600 "$T/out")"
        echo "  stderr: $(head -c 600 "$T/err")"
        FAILS=$((FAILS + 1))
}

# run EXPECTED_RC CMD...: run it, stdout in $T/out, stderr in $T/err
run() {
        want=$1
        shift
        "$@" >"$T/out" 2>"$T/err"
        rc=$?
        if [ "$rc" != "$want" ]; then
                fail "'$*' exited $rc, not $want"
                return 1
        fi
        return 0
}

# has FILE TEXT: FILE contains TEXT
has() {
        if ! grep -qF -- "$2" "$1"; then
                fail "no '$2' in $(basename "$1") of the last command"
        fi
}

# json FILE: FILE is one JSON document
json() {
        if ! "$PY" -c 'import json,sys; json.load(sys.stdin)' <"$1" 2>/dev/null; then
                fail "$(basename "$1") of the last command is not JSON"
        fi
}

echo "== --help: stdout, exit 0"
for cmd in call list locks serve bench; do
        if run 0 "$WARD" "$cmd" --help; then
                has "$T/out" "Usage: ward $cmd"
                [ ! -s "$T/err" ] || fail "ward $cmd --help wrote on stderr"
        fi
        run 0 "$WARD" "$cmd" -h && has "$T/out" "Usage: ward $cmd"
done
if [ -x "$BIN/ward-gateway" ]; then
        run 0 "$WARD" gateway --help && has "$T/out" "Usage: ward gateway"
fi
run 0 "$WARD" bench --help && has "$T/out" "proc-watch"
if [ -x "$BIN/ward-bench-ipc" ]; then
        run 0 "$WARD" bench ipc --help && has "$T/out" "--mechanisms=LIST"
        run 2 "$WARD" bench ipc --runs=0 && has "$T/err" "bad value '0' for --runs"
        run 2 "$WARD" bench ipc --bogus && has "$T/err" "unknown option '--bogus'"
fi

echo "== bad options and values: named, exit 2"
run 2 "$WARD" locks abc && has "$T/err" "'abc'"
run 2 "$WARD" locks --bogus 1 && has "$T/err" "unknown option '--bogus'"
run 2 "$WARD" list --bogus @x && has "$T/err" "unknown option '--bogus'"
run 2 "$WARD" call --timeout=soon @x a.B.C && has "$T/err" "bad value 'soon' for --timeout"
run 2 "$WARD" call @x && has "$T/err" "missing"
run 2 "$WARD" serve --bogus && has "$T/err" "ward serve: unknown option '--bogus'"
run 2 "$WARD" bench nope && has "$T/err" "unknown subcommand 'nope'"
run 2 "$WARD" locks 4000000 && has "$T/err" "no such process 4000000"

echo "== bad addresses: the accepted forms"
run 2 "$WARD" call /tmp/x.sock calc.Calculator.Add && has "$T/err" "unix:/path/to.sock"
run 2 "$WARD" list ux-test && has "$T/err" "@abstract-name"
run 2 "$WARD" list @ward-test-cli-services-nobody && has "$T/err" "nothing listens"
run 2 "$WARD" call grpc:127.0.0.1:1 calc.Calculator.Add && has "$T/err" "is a gRPC address"
run 2 "$WARD" list grpcs:127.0.0.1:1 && has "$T/err" "is a gRPC address"
run 2 "$WARD" call /tmp/x.sock calc.Calculator.Add && has "$T/err" "grpcs:HOST:PORT over TLS"
run 2 "$WARD" serve --listen /tmp/x.sock --load "$LIB/libcalc.so" && has "$T/err" "unix:/path/to.sock"

echo "== a handler's own text reaches ward call"
"$BIN/calc-server" "$ADDR" >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0
until "$WARD" list "$ADDR" >/dev/null 2>&1 || [ $i -ge 500 ]; do
        sleep 0.01
        i=$((i + 1))
done
run 1 "$WARD" call "$ADDR" calc.Calculator.Div '{"a": 1, "b": 0}' &&
        has "$T/err" "ward call: calc.Calculator.Div failed: rpc: handler error: division by zero"
run 1 "$WARD" call --json "$ADDR" calc.Calculator.Div '{"a": 1, "b": 0}' && json "$T/err" &&
        has "$T/err" '"message":"division by zero"'
run 0 "$WARD" call --json "$ADDR" calc.Calculator.Add '{"a": 40, "b": 2}' && json "$T/out" &&
        has "$T/out" '{"value":"42"}'
run 2 "$WARD" call --json "$ADDR" calc.Calculator.Nope && json "$T/err" && has "$T/err" "no method 'Nope'"

echo "== --json output and errors parse"
run 0 "$WARD" list --json "$ADDR" && json "$T/out" && has "$T/out" '"input":"calc.BinaryOp"'
run 2 "$WARD" list --json ux-test && json "$T/err" && has "$T/err" '"exit":2'
run 2 "$WARD" locks --json abc && json "$T/err"

echo "== ward serve: one --listen, each library and service once"
run 2 "$WARD" serve --listen @a --listen @b --load "$LIB/libcalc.so" &&
        has "$T/err" "--listen given twice ('@a', then '@b')"
run 2 "$WARD" serve --listen "$ADDR-twice" --load "$LIB/libcalc.so" --load "$LIB/../lib/libcalc.so" &&
        has "$T/err" "the same library as --load $LIB/libcalc.so"
cp "$LIB/libcalc.so" "$T/libcalc-copy.so"
run 2 "$WARD" serve --listen "$ADDR-copy" --load "$LIB/libcalc.so" --load "$T/libcalc-copy.so" &&
        has "$T/err" "$LIB/libcalc.so hosts calc.Calculator"
if [ -x "$BIN/ward-gateway" ]; then
        run 2 "$WARD" gateway --grpc 0 --grpc 1 --to @x && has "$T/err" "--grpc given twice"
fi

echo "== ward locks on a deadlocked program: exit 1, JSON"
"$BIN/deadlock" >"$T/deadlock.out" 2>&1 &
DL=$!
PIDS="$PIDS $DL"
i=0
until grep -q deadlocked "$T/deadlock.out" || [ $i -ge 500 ]; do
        sleep 0.01
        i=$((i + 1))
done
run 1 "$WARD" locks --no-stacks "$DL" && has "$T/out" "DEADLOCK"
run 1 "$WARD" locks --json --no-stacks "$DL" && json "$T/out" && has "$T/out" '"deadlock":true'

echo "== a benchmark's progress: on a terminal only"
if [ -x "$BIN/ward-bench-proc-watch" ]; then
        run 0 "$WARD" bench proc-watch --quick --exits=5 --json && json "$T/out"
        if grep -q "run 1 of" "$T/err"; then
                fail "progress written to a stderr that is not a terminal"
        fi
        if command -v script >/dev/null 2>&1; then
                # script(1) gives the benchmark a terminal
                script -qec "'$WARD' bench proc-watch --quick --exits=5 --json" /dev/null \
                        >"$T/out" 2>"$T/err"
                has "$T/out" "run 1 of 1"
        fi
fi

if [ "$FAILS" -ne 0 ]; then
        echo "$FAILS failure(s)"
        exit 1
fi
echo "all passed"
