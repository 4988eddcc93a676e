# bash completion for ward                                  -*- shell-script -*-
#
# Everything it offers is read from the ward being completed, so it cannot
# drift from the command: the subcommands from `ward help --commands`, a
# group's subcommands (trace, bench) from the "Subcommands:" section of
# `ward GROUP --help`, the options of a subcommand from the "Options:"
# section of its --help, and what an option's value or an argument is from
# the names the help gives it: PID (live processes, the ward-aware ones
# first, from `ward ps --ward --json`), DIR (directories), FILE, OUT, CORE,
# REPORT, PATH, *.so, *.pem (files). Answers are cached for the shell's
# life, per ward binary.
#
# Installed as share/bash-completion/completions/ward (bash-completion loads
# it on the first `ward <TAB>`); or: source tools/ward/completion/ward.bash

declare -gA _ward_cache

# _ward_help BIN WORDS...: the --help of `BIN WORDS...` (cached; empty when
# it fails)
_ward_help()
{
	local bin=$1
	shift
	local key="help|$bin|$*"
	if [[ -z ${_ward_cache[$key]+set} ]]; then
		_ward_cache[$key]=$("$bin" "$@" --help 2>/dev/null)
	fi
	printf '%s\n' "${_ward_cache[$key]}"
}

# _ward_section TEXT NAME: the lines of section "NAME:" of a help text
_ward_section()
{
	local in=0 line
	while IFS= read -r line; do
		if [[ $line == "$2:" ]]; then
			in=1
		elif ((in)) && [[ $line =~ ^[^[:space:]] ]]; then
			break
		elif ((in)); then
			printf '%s\n' "$line"
		fi
	done <<<"$1"
}

# _ward_commands BIN: the subcommands
_ward_commands()
{
	local key="commands|$1"
	if [[ -z ${_ward_cache[$key]+set} ]]; then
		_ward_cache[$key]=$("$1" help --commands 2>/dev/null)
	fi
	printf '%s\n' "${_ward_cache[$key]}"
}

# _ward_subcommands BIN GROUP: the subcommands of a group (ward trace),
# nothing for a command that has none
_ward_subcommands()
{
	_ward_section "$(_ward_help "$1" "$2")" Subcommands |
		sed -n 's/^[[:space:]]\{1,\}\([a-z][a-z0-9-]*\)[[:space:]].*/\1/p'
}

# _ward_options BIN WORDS...: one line per option, "NAME VALUE" (VALUE "-"
# for a flag): "--output FILE", "-o FILE", "--json -"
_ward_options()
{
	local line tok value
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		[[ $line == -* ]] || continue
		# the option part ends where two spaces start the help text
		line=${line%%  *}
		value=-
		if [[ $line =~ [=\ ]([^-][^\ =]*)$ ]]; then
			value=${BASH_REMATCH[1]}
		fi
		for tok in ${line//,/ }; do
			tok=${tok%%=*}
			[[ $tok == -* ]] && printf '%s %s\n' "$tok" "$value"
		done
	done < <(_ward_section "$(_ward_help "$@")" Options)
}

# _ward_usage BIN WORDS...: the usage lines
_ward_usage()
{
	_ward_help "$@" | grep -i -E '^ *(usage|or):'
}

# _ward_pids CUR BIN: live pids starting with CUR, the ward-aware ones first
_ward_pids()
{
	local cur=$1 bin=$2 p seen=" " out=()
	for p in $("$bin" ps --ward --json 2>/dev/null |
		sed -n 's/^{"pid":\([0-9]*\),.*"ward":"[a-z,]\{1,\}".*/\1/p'); do
		[[ $p == "$cur"* ]] && out+=("$p") && seen+="$p "
	done
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ $p == "$cur"* && $seen != *" $p "* ]] && out+=("$p")
	done
	COMPREPLY=("${out[@]}")
	compopt -o nosort 2>/dev/null
}

# _ward_value CUR KIND BIN: complete a value of kind KIND (PID, DIR, FILE...)
_ward_value()
{
	local cur=$1 kind=$2 bin=$3
	case $kind in
	PID | *PID) _ward_pids "$cur" "$bin" ;;
	*DIR*)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		;;
	*FILE* | OUT* | CORE* | REPORT* | PATH* | PROG* | *.so | *.pem | *.json | *.proto)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	*)
		# a choice: "no|on-failure|always"
		if [[ $kind =~ ^[a-z0-9-]+(\|[a-z0-9-]+)+$ ]]; then
			mapfile -t COMPREPLY < <(compgen -W "${kind//|/ }" -- "$cur")
		else
			COMPREPLY=()
		fi
		;;
	esac
}

_ward()
{
	local cur=${COMP_WORDS[COMP_CWORD]} bin=${COMP_WORDS[0]}
	local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	COMPREPLY=()
	bin=${bin/#\~/$HOME}
	[[ $bin == */* ]] || bin=$(type -P "$bin" 2>/dev/null)
	[[ -n $bin && -x $bin ]] || return 0

	# --opt=VALUE: bash splits at '=' (COMP_WORDBREAKS): words ... --opt = cur
	local prev=${words[-1]} eq=0
	if [[ $cur == "=" ]]; then
		eq=1 prev=${words[-1]} cur=""
	elif [[ $prev == "=" ]]; then
		eq=1 prev=${words[-2]}
	fi

	# the subcommand (and a group's subcommand): the first words not options
	local cmd=() n=1
	while ((n < ${#words[@]})); do
		case ${words[n]} in
		-*) ;;
		*)
			if ((${#cmd[@]} == 0)); then
				cmd=("${words[n]}")
			elif ((${#cmd[@]} == 1)) &&
				_ward_subcommands "$bin" "${cmd[0]}" | grep -qx -- "${words[n]}"; then
				cmd+=("${words[n]}")
			else
				break
			fi
			;;
		esac
		((n++))
	done

	if ((${#cmd[@]} == 0)); then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_ward_commands "$bin")" -- "$cur")
		fi
		return 0
	fi
	if [[ ${cmd[0]} == help ]]; then
		((COMP_CWORD == 2)) &&
			mapfile -t COMPREPLY < <(compgen -W "$(_ward_commands "$bin")" -- "$cur")
		return 0
	fi
	if ((${#cmd[@]} == 1)); then
		local subs
		subs=$(_ward_subcommands "$bin" "${cmd[0]}")
		if [[ -n $subs ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
			return 0
		fi
	fi

	local opts
	opts=$(_ward_options "$bin" "${cmd[@]}")
	# the value of the option before: "--output FILE" or "--output=FILE"
	if [[ $prev == -* ]]; then
		local kind
		kind=$(awk -v o="$prev" '$1 == o { print $2; exit }' <<<"$opts")
		if [[ -n $kind && $kind != - ]]; then
			_ward_value "$cur" "$kind" "$bin"
			return 0
		fi
	fi
	((eq)) && return 0
	if [[ $cur == -* ]]; then
		local longs
		longs=$(printf '%s\n--help\n' "$(awk '$1 ~ /^--/ { print $1 }' <<<"$opts")" | awk 'NF && !seen[$1]++')
		mapfile -t COMPREPLY < <(compgen -W "$longs" -- "$cur")
		return 0
	fi
	# an argument: what the usage line names (PID, FILE, DIR...)
	local usage
	usage=$(_ward_usage "$bin" "${cmd[@]}")
	if [[ $usage =~ (^|[^A-Za-z])PID([^A-Za-z]|$) ]]; then
		_ward_pids "$cur" "$bin"
	elif [[ $usage =~ (FILE|DIR|REPORT|PROG) ]]; then
		_ward_value "$cur" "${BASH_REMATCH[1]}" "$bin"
	fi
	return 0
}

complete -F _ward ward
