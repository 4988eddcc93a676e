#!/bin/sh
# smoke.sh BENCH ARGS...: run ward-bench-trace and check that its output is one
# JSON object whose rows and targets have the documented fields, that the ward
# cost rows lost nothing (their buffers are sized for the run), and that every
# paced ward row accounts exactly (kept + lost == emitted). No timing
# assertions, and none on how much a paced run loses.
set -eu
bench=$1
shift
out=$("$bench" "$@")
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
rows, targets = doc["rows"], doc["targets"]
methods = {r["method"] for r in rows}
for m in ("floor", "ward", "ward-disabled", "fprintf", "snprintf", "ward-paced"):
    assert m in methods, (m, methods)
for r in rows:
    if r["method"] in ("merge", "babeltrace2"):
        assert r["events_per_s_median"] > 0, r
        continue
    assert r["threads"] in (1, 2), r
    if r["method"].endswith("-paced"):
        assert r["rate"] > 0 and r["emitted_median"] > 0, r
        if r["method"] == "ward-paced":
            assert r["exact"], r
        continue
    assert r["ns_per_event_median"] > 0, r
    if r["method"] == "ward":
        assert r["lost"] == 0, r
names = {t["name"] for t in targets}
for t in targets:
    assert isinstance(t["ratio"], (int, float)) and isinstance(t["limit"], (int, float)), t
for n in ("ward / floor, 1 thread", "lost fraction, ward, 10 M/s, 1 thread",
          "lost fraction, ward, 10 M/s, 2 threads"):
    assert n in names, (n, names)
if "babeltrace2" in methods:
    assert "ward merge / babeltrace2, text of 1 thread" in names, names
print("smoke: %d rows, %d targets" % (len(rows), len(targets)))
'
else
	case $out in
	'{"rows":['*) echo "smoke: JSON not parsed (no python3)" ;;
	*) echo "smoke: output is not the expected JSON" >&2; exit 1 ;;
	esac
fi
