#!/bin/sh
# smoke.sh BENCH ARGS...: run ward-bench-trace and check that its output is one
# JSON object whose rows have the documented fields, and that the ward rows
# lost nothing (their buffers are sized for the run). No timing assertions.
set -eu
bench=$1
shift
out=$("$bench" "$@")
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
methods = {r["method"] for r in rows}
for m in ("floor", "ward", "ward-disabled", "fprintf", "snprintf"):
    assert m in methods, (m, methods)
for r in rows:
    if r["method"] == "merge":
        assert r["events_per_s_median"] > 0, r
        continue
    assert r["threads"] in (1, 2) and r["ns_per_event_median"] > 0, r
    if r["method"] == "ward":
        assert r["lost"] == 0, r
print("smoke: %d rows" % len(rows))
'
else
	case $out in
	'{"rows":['*) echo "smoke: JSON not parsed (no python3)" ;;
	*) echo "smoke: output is not the expected JSON" >&2; exit 1 ;;
	esac
fi
