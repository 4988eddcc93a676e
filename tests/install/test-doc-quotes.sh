#!/usr/bin/env bash
# The code a guide quotes is the code the build compiles: every fenced block
# that follows a line "<!-- quoted from PATH -->" in the given pages must
# appear, line for line, in PATH (relative to the source tree).
#   test-doc-quotes.sh SOURCE_DIR PAGE...
set -euo pipefail
src=$1
shift
exec python3 - "$src" "$@" <<'PY'
import re, sys
src, pages = sys.argv[1], sys.argv[2:]
bad = 0
checked = 0
for page in pages:
    lines = open(page).read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"<!-- quoted from (\S+) -->$", line.strip())
        if not m:
            continue
        j = i + 1
        if j >= len(lines) or not lines[j].startswith("```"):
            print(f"{page}:{i + 1}: no code block after the marker")
            bad += 1
            continue
        end = j + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        block = "\n".join(lines[j + 1:end]) + "\n"
        try:
            text = open(f"{src}/{m.group(1)}").read()
        except OSError as e:
            print(f"{page}:{i + 1}: {e}")
            bad += 1
            continue
        checked += 1
        if block not in text:
            print(f"{page}:{i + 1}: the block is not in {m.group(1)} as it is quoted")
            bad += 1
print(f"test-doc-quotes: {checked} quoted blocks checked, {bad} wrong")
sys.exit(1 if bad or not checked else 0)
PY
