#!/bin/sh
# smoke.sh BENCH ARGS...: run the benchmark and check that it succeeds and that
# its standard output is exactly one JSON object with a non-empty "rows" list.
set -eu
bench=$1
shift
out=$("$bench" "$@")
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
rows = doc["rows"]
assert isinstance(rows, list) and rows, "no rows"
for r in rows:
    assert {"mechanism", "size", "rtt_us_median", "runs"} <= set(r), r
print("smoke: %d rows" % len(rows))
'
else
	case $out in
	'{"rows":['*'}') echo "smoke: JSON not parsed (no python3)" ;;
	*) echo "smoke: output is not the expected JSON" >&2; exit 1 ;;
	esac
fi
