#!/bin/sh
# smoke.sh BENCH ARGS...: run ward-bench-guard and check that its output is one
# JSON object with its rows and targets, ward's row measured. No timing
# assertions.
set -eu
bench=$1
shift
out=$("$bench" "$@")
printf '%s\n' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = {r["name"]: r for r in d["rows"]}
assert rows["ward-core"]["ms"] > 0 and rows["ward-core"]["bytes"] > 0, rows
for r in ("crash-to-main", "capture-in-restart", "restart-after-capture", "bare-spawn"):
    assert rows[r]["ms"] > 0, rows
for t in d["targets"]:
    assert set(t) == {"name", "ratio", "limit"}, t
print("smoke: %d rows, %d targets" % (len(rows), len(d["targets"])))
'
