#!/usr/bin/env bash
# The man page generator (man/ward-man.sh) and what it made in this build.
#   test-man.sh SOURCE_DIR MAN_DIR
# 1. The pages of this build: ward.1 and ward-ps.1 at least, each titled and
#    named after itself, rendering without a warning.
# 2. With a stand-in ward printing help in the parser's format: a page per
#    subcommand and per subcommand of a group, the help's headings as
#    sections, and a --help that fails stops the generator, naming it,
#    unless it is pending.
set -euo pipefail
src=$1
man1=$2
if ! command -v help2man >/dev/null; then
	echo "SKIP: help2man is not installed (scripts/deps.sh installs it)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "test-man: $*" >&2
	exit 1
}

# render PAGE_FILE: the page as man shows it; fails on any warning but
# "cannot adjust line" (a long token on a narrow line)
render() {
	local out
	out=$(MANWIDTH=80 man -l "$1" 2>"$tmp/err") || fail "man -l $1 failed"
	! grep -v 'cannot adjust line' "$tmp/err" | grep -q . ||
		fail "man -l $1: $(head -3 "$tmp/err")"
	printf '%s\n' "$out"
}

# 1. this build's pages
[ -d "$man1" ] || {
	echo "SKIP: no man pages in this build (-DWARD_MAN=OFF)"
	exit 77
}
for page in ward ward-ps; do
	[ -s "$man1/$page.1" ] || fail "no $page.1 in $man1"
done
for f in "$man1"/ward*.1; do
	page=$(basename "$f" .1)
	upper=$(tr '[:lower:]' '[:upper:]' <<<"$page")
	grep -q "^\.TH $upper " "$f" || fail "$page.1 is not titled $upper"
	text=$(render "$f")
	grep -qE "^ *$page +- +." <<<"$text" || fail "$page.1 is not named $page"
	grep -q '^SEE ALSO' <<<"$text" || fail "$page.1 has no SEE ALSO"
done
text=$(render "$man1/ward-ps.1")
for section in SYNOPSIS DESCRIPTION OPTIONS EXAMPLES "EXIT STATUS"; do
	grep -q "^$section" <<<"$text" || fail "ward-ps.1 has no $section"
done
grep -q -- '--tree' <<<"$text" || fail "ward-ps.1 does not show --tree"
grep -q '^ENVIRONMENT' <<<"$(render "$man1/ward.1")" || fail "ward.1 has no ENVIRONMENT"
echo "this build's pages: ok"

# 2. a stand-in ward
stub=$tmp/ward
cat >"$stub" <<'EOF'
#!/bin/sh
case "$*" in
"--version") echo "ward 9.8.7" ;;
"--help") printf 'Usage: ward SUBCOMMAND [options]\n\nIt does things.\n\nSubcommands:\n  ps          every process\n  trace       traces\n  broken      a help that fails\n' ;;
"help --commands") printf 'ps\ntrace\nbroken\n' ;;
"ps --help")
	printf 'Usage: ward ps [--tree]\n\nEvery process.\n\nOptions:\n      --tree                indented\n  -h, --help                show this help and exit\n\n'
	printf 'Examples:\n  ward ps --tree\n  ward ps --json\n\nExit status:\n  0  ok\n'
	;;
"trace --help") printf 'Usage: ward trace SUBCOMMAND [options]\n\nTraces.\n\nSubcommands:\n  merge         merge files\n  tail          follow\n\nExit status:\n  0  ok\n' ;;
"trace merge --help") printf 'Usage: ward trace merge [options] FILE...\n\nMerge.\n\nOptions:\n  -o, --output=OUT          the file\n  -h, --help                show this help and exit\n' ;;
"trace tail --help") exit 0 ;;
"broken --help")
	echo "usage: ward broken (on stderr)" >&2
	exit 2
	;;
*) exit 2 ;;
esac
EOF
chmod +x "$stub"
gen=$src/man/ward-man.sh
rc=0
bash "$gen" "$stub" "$tmp/a" "$src/man" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a failing --help did not stop the generator (exit $rc)"
grep -q "no man page ward-broken: 'ward broken --help' exited 2" "$tmp/out" ||
	fail "the generator does not name the failing --help: $(cat "$tmp/out")"
grep -q "no man page ward-trace-tail: 'ward trace tail --help' printed nothing" "$tmp/out" ||
	fail "an empty --help was not refused: $(cat "$tmp/out")"
rc=0
bash "$gen" "$stub" "$tmp/b" "$src/man" --pending "broken trace-t*" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "pending commands still stop the generator: $(cat "$tmp/out")"
grep -q "warning: no man page ward-broken" "$tmp/out" || fail "a pending command is not warned about"
for page in ward ward-ps ward-trace ward-trace-merge; do
	[ -s "$tmp/b/$page.1" ] || fail "the stand-in got no $page.1"
done
[ ! -e "$tmp/b/ward-broken.1" ] || fail "a failing --help got a page"
text=$(render "$tmp/b/ward-trace-merge.1")
grep -qE '^ *ward-trace-merge +- +merge files' <<<"$text" || fail "ward-trace-merge.1: $text"
grep -q 'ward-trace(1)' <<<"$text" || fail "ward-trace-merge.1 does not point at ward-trace(1)"
text=$(render "$tmp/b/ward-ps.1")
grep -q '^EXIT STATUS' <<<"$text" || fail "'Exit status:' is not a section"
grep -q '^ *ward ps --tree$' <<<"$text" || fail "the examples are not one a line: $text"
grep -q 'ward-trace-merge(1)' <<<"$(render "$tmp/b/ward-trace.1")" ||
	fail "ward-trace.1 does not list its subcommands' pages"
rc=0
bash "$gen" "$stub" "$tmp/c" "$src/man" --pending broken --skip "trace-*" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "--skip does not skip: $(cat "$tmp/out")"
[ ! -e "$tmp/c/ward-trace-merge.1" ] || fail "--skip trace-* made ward-trace-merge.1"
echo "generator: ok"
