#!/usr/bin/env bash
# fuzz-long.sh BINDIR SECONDS [NAME...]: run each libFuzzer harness (or the
# named ones) for SECONDS, starting from its checked-in corpus fuzz/corpus/NAME,
# then minimize what it found together with that corpus (-merge=1) and put
# the result back in fuzz/corpus/NAME, to be committed. Any crash fails the
# run and leaves its reproducer. `make fuzz` (CI) starts from these corpora.
set -euo pipefail
bindir=$1
secs=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$bindir"/fuzz-*; do names+=("$(basename "$f")"); done
fi
for name in "${names[@]}"; do
	bin=$bindir/$name
	corpus=$top/fuzz/corpus/$name
	work=$(mktemp -d)
	mkdir -p "$corpus" "$work/found" "$work/min"
	echo "fuzz-long: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -artifact_prefix="$work/crash-" "$work/found" "$corpus" \
		>"$work/log" 2>&1; then
		tail -n 40 "$work/log"
		echo "fuzz-long: $name FAILED (reproducer: $(ls "$work"/crash-* 2>/dev/null | head -1))"
		exit 1
	fi
	grep -E '^Done|DONE' "$work/log" | tail -1 || true
	"$bin" -merge=1 "$work/min" "$corpus" "$work/found" >"$work/merge.log" 2>&1
	before=$(ls "$corpus" | wc -l)
	rm -rf "$corpus"
	mv "$work/min" "$corpus"
	echo "fuzz-long: $name corpus $before -> $(ls "$corpus" | wc -l) files"
	rm -rf "$work"
done
