#!/bin/sh
# check-headers.sh CC CXX INCLUDE_DIR: every public header compiles on its own,
# as C (C99, pedantic) and as C++ (C++11, pedantic), each once on this
# machine's trace clock and once on the portable one (WARD_TRACE_NO_TSC), so
# the path non-x86 machines take is compiled here too. Only declarations are
# checked: trace.h's macros are C (_Generic) and are not expanded.
set -u
cc=$1
cxx=$2
inc=$3
if [ -z "$cxx" ] || ! command -v "$cxx" >/dev/null 2>&1; then
	echo "check-headers: no C++ compiler found (scripts/deps.sh installs g++)" >&2
	exit 1
fi
warn="-Wall -Wextra -Wundef -Werror"
fail=0
n=0
for h in "$inc"/ward/*.h; do
	name=ward/${h##*/}
	for clock in "" -DWARD_TRACE_NO_TSC; do
		# a typedef after the include: ISO C forbids an empty translation unit
		tu=$(printf '#include <%s>\ntypedef int ward_check_headers_tu;\n' "$name")
		# _GNU_SOURCE: loop.h's signalfd and siginfo_t are not ISO C
		if ! printf '%s\n' "$tu" | "$cc" -std=c99 -pedantic-errors -D_GNU_SOURCE $warn \
			-Wshadow -Wstrict-prototypes $clock -I"$inc" -fsyntax-only -x c -; then
			echo "check-headers: $name fails as C99 ${clock}" >&2
			fail=1
		fi
		if ! printf '%s\n' "$tu" | "$cxx" -std=c++11 -pedantic-errors $warn $clock -I"$inc" \
			-fsyntax-only -x c++ -; then
			echo "check-headers: $name fails as C++11 ${clock}" >&2
			fail=1
		fi
		n=$((n + 2))
	done
done
[ $fail -eq 0 ] && echo "check-headers: $n compilations of $((n / 4)) headers, all fine"
exit $fail
