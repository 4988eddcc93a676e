#!/usr/bin/env bash
# run-fuzz.sh BINDIR SECONDS: run each libFuzzer harness briefly, starting from its
# seed corpus in fuzz/corpus/NAME. Any crash fails the run.
set -euo pipefail
bindir=$1
secs=$2
top=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
n=0
for f in "$bindir"/fuzz-*; do
	name=$(basename "$f")
	work=$(mktemp -d)
	seeds=()
	[ -d "$top/fuzz/corpus/$name" ] && seeds=("$top/fuzz/corpus/$name")
	echo "fuzz: $name for ${secs}s"
	"$f" -max_total_time="$secs" -artifact_prefix="$work.crash-" "$work" "${seeds[@]}" >"$work.log" 2>&1 || {
		tail -n 40 "$work.log"
		echo "fuzz: $name FAILED (reproducer: $work.crash-*)"
		exit 1
	}
	rm -rf "$work" "$work.log"
	n=$((n + 1))
done
echo "fuzz: $n harnesses ran clean"
