#!/bin/sh
# smoke.sh BENCH ARGS...: run ward-bench-memory and check that it succeeds and
# that its standard output is exactly one JSON object with positive
# "separate_pss_kb" and "cohosted_pss_kb". Which is smaller is not asserted:
# that is what the benchmark reports, not a test.
set -eu
bench=$1
shift
out=$("$bench" "$@")
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
for k in ("separate_pss_kb", "cohosted_pss_kb"):
    assert isinstance(doc[k], (int, float)) and doc[k] > 0, (k, doc)
print("smoke: separate %d kB, cohosted %d kB" % (doc["separate_pss_kb"], doc["cohosted_pss_kb"]))
'
else
	case $out in
	'{"separate_pss_kb":'*'"cohosted_pss_kb":'*'}') echo "smoke: JSON not parsed (no python3)" ;;
	*) echo "smoke: output is not the expected JSON" >&2; exit 1 ;;
	esac
fi
