#!/bin/sh
# smoke.sh BENCH ARGS...: run ward-bench-proc and check that its output is one
# JSON object with the rows and targets of all its parts (ps, stack, watch). No timing
# assertions.
set -eu
bench=$1
shift
out=$("$bench" "$@")
printf '%s\n' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = d["rows"]
assert any(r.get("name") == "ward-ps" and r["ms"] > 0 for r in rows), rows
names = [t["name"] for t in d["targets"]]
for want in ("ward-ps/procps-ps", "ward_watch pidfd / pidfd+poll"):
    assert want in names, (want, names)
assert any(n.startswith("ward-stack") for n in names), names
for t in d["targets"]:
    assert set(t) == {"name", "ratio", "limit"}, t
print("smoke: %d rows, %d targets" % (len(rows), len(d["targets"])))
'
