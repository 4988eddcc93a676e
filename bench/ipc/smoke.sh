#!/bin/sh
# smoke.sh BENCH ARGS...: run the benchmark and check that it succeeds and that
# its standard output is exactly one JSON object with a non-empty "rows" list,
# and a "targets" list of {name, ratio, limit} when it has one (or when
# SMOKE_TARGETS=1 says it must).
set -eu
bench=$1
shift
out=$("$bench" "$@")
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" | python3 -c '
import json, os, sys
doc = json.load(sys.stdin)
rows = doc["rows"]
assert isinstance(rows, list) and rows, "no rows"
for r in rows:
    assert {"mechanism", "size", "rtt_us_median", "runs"} <= set(r), r
targets = doc.get("targets")
if os.environ.get("SMOKE_TARGETS") == "1":
    assert isinstance(targets, list) and targets, "no targets"
for t in targets or []:
    assert {"name", "ratio", "limit"} <= set(t), t
    assert isinstance(t["ratio"], (int, float)) and isinstance(t["limit"], (int, float)), t
print("smoke: %d rows, %d targets" % (len(rows), len(targets or [])))
'
else
	case $out in
	'{"rows":['*'}') echo "smoke: JSON not parsed (no python3)" ;;
	*) echo "smoke: output is not the expected JSON" >&2; exit 1 ;;
	esac
fi
