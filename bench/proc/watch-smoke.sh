#!/bin/sh
# watch-smoke.sh BENCH ARGS...: run ward-bench-proc-watch and check that its output
# is one JSON object with a pidfd-poll row, a ward-watch row for the pidfd
# back-end at least, and a target for it. No timing assertions.
set -eu
bench=$1
shift
out=$("$bench" "$@")
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
rows = {(r["observer"], r["backend"]): r for r in doc["rows"]}
assert ("pidfd-poll", "-") in rows, rows
assert ("ward-watch", "pidfd") in rows, rows
for r in doc["rows"]:
    assert r["us_median"] > 0, r
names = [t["name"] for t in doc["targets"]]
assert "ward_watch pidfd / pidfd+poll" in names, names
for t in doc["targets"]:
    assert t["ratio"] > 0 and t["limit"] == 1.5, t
print("smoke: %d rows, %d targets" % (len(doc["rows"]), len(doc["targets"])))
'
else
	case $out in
	'{"rows":['*) echo "smoke: JSON not parsed (no python3)" ;;
	*) echo "smoke: output is not the expected JSON" >&2; exit 1 ;;
	esac
fi
