#!/bin/sh
# smoke.sh BENCH ARGS...: run ward-bench-locks and check that its output is one
# JSON object with a row for every variant and case, and the ward scans.
# No timing assertions.
set -eu
bench=$1
shift
out=$("$bench" "$@")
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
have = {(r["variant"], r["case"]) for r in rows}
for v in ("pthread", "ward", "ward-order", "preload"):
    for c in ("uncontended", "contended", "nested"):
        assert (v, c) in have, (v, c, have)
for v in ("ward-locks-scan", "ward-locks-stacks"):
    assert (v, "scan100") in have, (v, have)
for r in rows:
    key = "ms_median" if r["case"] == "scan100" else "ns_per_op_median"
    assert r[key] > 0, r
print("smoke: %d rows" % len(rows))
'
else
	case $out in
	'{"rows":['*) echo "smoke: JSON not parsed (no python3)" ;;
	*) echo "smoke: output is not the expected JSON" >&2; exit 1 ;;
	esac
fi
