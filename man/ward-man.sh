#!/usr/bin/env bash
# ward-man.sh WARD OUTDIR SRCDIR [--pending "CMD..."] [--skip "CMD..."]
#
# The man pages of the ward command, made by help2man from the command's own
# --help, so that they say what `ward CMD --help` says:
#   ward.1             from `ward --help` and `ward --version`
#   ward-CMD.1         for every name `ward help --commands` prints
#   ward-CMD-SUB.1     for every subcommand a group lists under
#                      "Subcommands:" (ward trace merge, ward bench ipc)
# into OUTDIR (stale ward*.1 pages there are removed first).
#
# Every --help must exit 0 and print its help on stdout (tools/common/cli.h):
# one that fails stops the build, naming the command. --pending names those
# (CMD, or CMD-SUB for a group's subcommand; shell patterns such as
# "trace-*") whose --help is known not to do so yet: they get no page and a
# warning instead. --skip names those not built here ("bench-*", the
# benchmarks of a -DWARD_BENCH=OFF build): no page, no warning.
set -euo pipefail

ward=$1
out=$2
src=$3
shift 3
pending=" "
skip=" "
while [ $# -gt 0 ]; do
	case $1 in
	--pending) pending+="$2 " ;;
	--skip) skip+="$2 " ;;
	*)
		echo "ward-man.sh: unknown argument '$1'" >&2
		exit 2
		;;
	esac
	shift 2
done

# a sanitizer build's ward reports leaks at exit; they are not the help's
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/ward.1 "$out"/ward-*.1

failed=()
warned=()

# help_of PAGE WORDS...: `ward WORDS --help` into $tmp/PAGE.help; 0 when it
# exited 0 and printed something on stdout, else 1 with the reason in $why
help_of() {
	local page=$1 rc=0
	shift
	"$ward" "$@" --help >"$tmp/$page.help" 2>"$tmp/$page.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		why="'ward $* --help' exited $rc"
	elif [ ! -s "$tmp/$page.help" ]; then
		why="'ward $* --help' printed nothing on stdout"
	else
		return 0
	fi
	local err
	err=$(head -c 200 "$tmp/$page.err" | head -2 | tr '\n' ' ')
	[ -z "$err" ] || why+=" (stderr: $err)"
	return 1
}

# section TEXTFILE NAME: the indented lines of section "NAME:"
section() {
	awk -v s="$2:" '$0 == s { on = 1; next } on && /^[^ \t]/ { exit } on' "$1"
}

# summary_of TEXTFILE NAME: NAME's one-line summary in a "  name  summary" list
summary_of() {
	section "$1" Subcommands | awk -v n="$2" '$1 == n { $1 = ""; sub(/^ +/, ""); print; exit }'
}

# man_page PAGE NAME_LINE SEEALSO WORDS...: help2man on `ward WORDS --help`,
# into OUTDIR/PAGE.1, titled PAGE
man_page() {
	local page=$1 name=$2 seealso=$3
	shift 3
	local helpopt="--help"
	[ $# -eq 0 ] || helpopt="$* --help"
	{
		echo "[SEE ALSO]"
		echo "$seealso"
		echo ".PP"
		echo "The guide: docs/ward.md in ward's sources, and the guide of each part beside it."
	} >"$tmp/$page.h2m"
	help2man --no-info --no-discard-stderr --section=1 --manual="ward manual" \
		--source="ward" --name="$name" --help-option="$helpopt" --version-option=--version \
		--include="$tmp/$page.h2m" ${extra_include:+--include="$extra_include"} \
		--output="$tmp/$page.1" "$ward" 2>"$tmp/$page.h2m-err" || {
		failed+=("$page: help2man failed: $(head -3 "$tmp/$page.h2m-err" | tr '\n' ' ')")
		return 0
	}
	# help2man names the page after the program (WARD); a subcommand's page
	# is ward-CMD, in its title and in NAME (what whatis and apropos read)
	local upper
	upper=$(tr '[:lower:]' '[:upper:]' <<<"$page")
	# and the help's other headings ("Exit status:", "Subcommands:"), which
	# help2man makes subsections of the one before, are sections of their own;
	# examples are one command a line, not a paragraph to fill
	sed -e "s/^\.TH WARD /.TH $upper /" \
		-e "/^\.SH NAME/{n;s/^ward \\\\- /$page \\\\- /;}" \
		-e 's/^\.SS "\([^"]*\):"$/.SH "\U\1"/' "$tmp/$page.1" |
		awk '/^\.S[HS] / { if (ex) print ".fi"; ex = ($0 == ".SH EXAMPLES") }
			{ print }
			ex && /^\.IP$/ { print ".nf" }
			END { if (ex) print ".fi" }' >"$out/$page.1"
	[ -s "$out/$page.1" ] || failed+=("$page: empty page")
}

# refs PAGE...: ".BR a (1), .BR b (1)" lines for SEE ALSO
refs() {
	local p sep=""
	for p in "$@"; do
		printf '%s.BR %s (1)' "$sep" "$p"
		sep=$',\n'
	done
	echo
}

# matches KEY PATTERNS: KEY (CMD or CMD-SUB) matches one of PATTERNS
matches() {
	local pat pats
	read -ra pats <<<"$2" # no glob expansion of the patterns
	for pat in "${pats[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

# skipped KEY: KEY is not built here (--skip)
skipped() {
	matches "$1" "$skip"
}

# not_made PAGE WHY: a pending command warns, any other fails the build
not_made() {
	if matches "${1#ward-}" "$pending"; then
		warned+=("$1: $2")
	else
		failed+=("$1: $2")
	fi
}

why=""
help_of ward || {
	echo "ward-man.sh: $why" >&2
	exit 1
}
"$ward" --version | grep -q '^ward [0-9]' || {
	echo "ward-man.sh: 'ward --version' does not print 'ward VERSION'" >&2
	exit 1
}
mapfile -t commands < <("$ward" help --commands)
[ ${#commands[@]} -gt 0 ] || {
	echo "ward-man.sh: 'ward help --commands' printed no subcommand" >&2
	exit 1
}

extra_include=""
made=()
for cmd in "${commands[@]}"; do
	page=ward-$cmd
	skipped "$cmd" && continue
	if ! help_of "$page" "$cmd"; then
		not_made "$page" "$why"
		continue
	fi
	name=$(summary_of "$tmp/ward.help" "$cmd")
	[ -n "$name" ] || name="ward $cmd"
	subs=()
	# a group (ward trace, ward bench): "Usage: ward CMD SUBCOMMAND ..." and
	# its subcommands listed under "Subcommands:"
	if head -1 "$tmp/$page.help" | grep -q "^Usage: *ward $cmd SUBCOMMAND"; then
		mapfile -t subs < <(section "$tmp/$page.help" Subcommands | awk '$1 ~ /^[a-z]/ { print $1 }')
	fi
	subpages=()
	for sub in "${subs[@]}"; do
		subpages+=("$page-$sub")
	done
	man_page "$page" "$name" "$(refs ward "${subpages[@]}")" "$cmd"
	made+=("$page")
	for sub in "${subs[@]}"; do
		subpage=$page-$sub
		skipped "$cmd-$sub" && continue
		if ! help_of "$subpage" "$cmd" "$sub"; then
			not_made "$subpage" "$why"
			continue
		fi
		subname=$(summary_of "$tmp/$page.help" "$sub")
		[ -n "$subname" ] || subname="ward $cmd $sub"
		man_page "$subpage" "$subname" "$(refs ward "$page")" "$cmd" "$sub"
	done
done

# ward.1 last: its SEE ALSO names the pages made
extra_include=$src/ward.h2m
man_page ward "look at and run multi-process, multi-threaded Linux programs" "$(refs "${made[@]}")"

for w in "${warned[@]}"; do
	echo "ward-man.sh: warning: no man page $w (pending in man/CMakeLists.txt)" >&2
done
if [ ${#failed[@]} -gt 0 ]; then
	for f in "${failed[@]}"; do
		echo "ward-man.sh: error: no man page $f" >&2
	done
	echo "ward-man.sh: every 'ward CMD --help' must exit 0 and print its help on stdout" \
		"(tools/common/cli.h); the man pages are made from it" >&2
	exit 1
fi
echo "ward-man.sh: $(find "$out" -name 'ward*.1' | wc -l) pages in $out"
