#!/usr/bin/env bash
# The bash completion (tools/ward/completion/ward.bash), called as bash
# calls it: COMP_WORDS and COMP_CWORD set, _ward run, COMPREPLY read.
#   test-completion.sh WARD COMPLETION_FILE
# With the real ward: `ward p<TAB>` offers ps, `ward ps --<TAB>` --tree,
# `ward stack <TAB>` a live process of ours. With a stand-in ward that
# prints help in the parser's format (tools/common/cli.c): option values
# (FILE, DIR, PID, a|b choices, --opt=VALUE), a group's subcommands and their
# options.
set -euo pipefail
ward=$(realpath "$1")
completion=$2
if [ ! -r /usr/share/bash-completion/bash_completion ]; then
	echo "SKIP: bash-completion is not installed (scripts/deps.sh installs it)"
	exit 77
fi
tmp=$(mktemp -d)
sleeper=
cleanup() {
	[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "test-completion: $*" >&2
	exit 1
}

# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion
# shellcheck disable=SC1090
source "$completion"
complete -p ward | grep -q -- '-F _ward' || fail "the file does not register _ward for ward"

# comp WORDS...: what _ward offers for the last word
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_ward
	printf '%s\n' "${COMPREPLY[@]}"
}

# offers WORD WORDS...: WORD is among what _ward offers for WORDS
offers() {
	local want=$1 got
	shift
	got=$(comp "$@")
	grep -qxF -- "$want" <<<"$got" ||
		fail "'${*:2}<TAB>' does not offer '$want' (got: $(head -20 <<<"$got" | tr '\n' ' '))"
}

# never WORD WORDS...: WORD is not among what _ward offers
never() {
	local no=$1 got
	shift
	got=$(comp "$@")
	! grep -qxF -- "$no" <<<"$got" || fail "'${*:2}<TAB>' offers '$no'"
}

# 1. the real ward
offers ps "$ward" p
never help "$ward" p
offers --tree "$ward" ps --
offers --json "$ward" ps --j
sleep 300 &
sleeper=$!
offers "$sleeper" "$ward" stack ""
offers "$sleeper" "$ward" stack "${sleeper:0:2}"
offers stack "$ward" help st
echo "real ward: ok"

# 2. a stand-in, for what no subcommand migrated yet shows on every branch
stub=$tmp/ward
cat >"$stub" <<'EOF'
#!/bin/sh
case "$*" in
"help --commands") printf 'ps\nfake\ntrace\n' ;;
"fake --help")
	cat <<'HELP'
Usage: ward fake [options] FILE

Does nothing, with options of every kind.

Options:
  -o, --output=FILE         where it goes
  -C DIR                    a directory
      --mode=fast|slow|off  how
  -p, --pid=PID             a process
      --json                JSON
  -h, --help                show this help and exit

Exit status:
  0  ok
HELP
	;;
"trace --help")
	cat <<'HELP'
Usage: ward trace SUBCOMMAND [options]

Read, follow, merge and control ward traces.

Subcommands:
  merge         merge trace files by time
  tail          follow a live process's events

'ward trace SUBCOMMAND --help' tells more of each.
HELP
	;;
"trace merge --help")
	printf 'Usage: ward trace merge [options] FILE|DIR...\n\nMerge.\n\nOptions:\n  -o, --output=OUT          the merged file\n      --ctf=DIR             CTF\n  -h, --help                show this help and exit\n'
	;;
"trace tail --help")
	printf 'Usage: ward trace tail [options] PID\n\nFollow.\n\nOptions:\n      --all                 every level\n  -h, --help                show this help and exit\n'
	;;
"ps --ward --json")
	printf '{"pid":1,"ppid":0,"state":"S","rss":1,"cpu_ns":1,"comm":"init","ward":""}\n'
	printf '{"pid":%s,"ppid":1,"state":"S","rss":1,"cpu_ns":1,"comm":"sleep","ward":"traced,locks"}\n' "$WARD_STUB_PID"
	;;
*) exit 2 ;;
esac
EOF
chmod +x "$stub"
export WARD_STUB_PID=$sleeper
mkdir -p "$tmp/dir.d"
touch "$tmp/file.txt"
cd "$tmp"
offers fake "$stub" f
offers --output "$stub" fake --o
offers --mode "$stub" fake --
never -C "$stub" fake --
offers file.txt "$stub" fake -o f
offers file.txt "$stub" fake --output = f
offers file.txt "$stub" fake --output = ""
offers dir.d "$stub" fake -C d
never file.txt "$stub" fake -C ""
offers slow "$stub" fake --mode = s
never fast "$stub" fake --mode = s
offers "$sleeper" "$stub" fake --pid ""
offers file.txt "$stub" fake ""
# the ward-aware process first
[ "$(comp "$stub" fake -p "" | head -1)" = "$sleeper" ] || fail "the ward-aware pid is not first"
offers merge "$stub" trace ""
offers tail "$stub" trace t
offers --ctf "$stub" trace merge --
never --all "$stub" trace merge --
offers dir.d "$stub" trace merge --ctf = d
offers "$sleeper" "$stub" trace tail ""
echo "stand-in ward: ok"
