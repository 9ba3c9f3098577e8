#!/bin/sh
# host-test: helper, the host tier's runner (make test runs it)
#
# Host integration tier of checkpoint/restore: live processes checkpointed
# and restored on this machine's kernel, each in a private PID namespace.
# Every test of this folder says in its header comment how it is run, one
# line a run (kernel-glue/tests/README.md):
#
#   host-test: run [VAR=VALUE]... TRIGGER ROUNDS
#       a program t_NAME.c: scenario.sh starts it in a private PID
#       namespace, ROUNDS times checkpoints it with --kill and restores it
#       (0: the checkpoint must be refused), then lets it check itself
#       (TRIGGER usr1: after a SIGUSR1; none: on its own); VAR=VALUE goes
#       into the environment
#   host-test: run [pidns] [VAR=VALUE]... [ARG]...
#       a script NAME.sh: sh NAME.sh BUILD ARG..., with pidns as PID 1 of
#       a private PID namespace
#   host-test: by SCRIPT      a program the test script SCRIPT runs itself
#   host-test: helper WHAT    a script that is no test (sourced, or run by
#                             the others)
#
# A t_*.c or *.sh without such a line or with a malformed one, a program
# that does not build and a run that ends without a verdict are FAILs of
# their own: nothing is left out silently.
#
# Usage: kernel-glue/tests/run.sh BUILD_DIR [--plan [DIR]]   (from the top of the tree)
#   --plan  find, check and build the tests of DIR (default: this folder)
#           and print each run ("RUN: ...") instead of running it; no root
# HOST_TESTS="name ..." runs only the tests of those files (t_pipe, locks.sh:
# the file's name, with or without its extension), while working on one area;
# a program a script runs (host-test: by) names the runs of that script that
# name it (t_shared: scenario_tree.sh's runs of "shared"); every test is
# still found and checked, and each one left out is listed.
set -u
build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
plan=0 dir=$here
if [ "${2:-}" = --plan ]; then
	plan=1 dir=$(cd "${3:-$here}" && pwd) || exit 1
fi
# shellcheck source=mk/verdict.sh
. "$here/../../mk/verdict.sh"

if [ "$plan" = 0 ] && [ "$(id -u)" != 0 ]; then
	verdict_skip checkpoint-restore "needs root (ptrace of any process, clone3 set_tid, PR_SET_MM_MAP)"
	exit 0
fi

status=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/runs"
: >"$tmp/by"
: >"$tmp/programs"

bad() {
	verdict_fail "$1" "$2"
	status=1
}

# host_test_lines FILE: what follows "host-test:" in FILE's comment lines
# ("# host-test: ...", "/* host-test: ... */", " * host-test: ...")
host_test_lines() {
	sed -n 's,^\(#\|/\*\| \*\) host-test:[[:space:]]*\(.*\)$,\2,p' "$1" |
		sed 's,[[:space:]]*\*/$,,'
}

is_assignment() {
	case "${1:-}" in
	[A-Za-z_]*=*) case "${1%%=*}" in *[!A-Za-z0-9_]*) return 1 ;; esac ;;
	*) return 1 ;;
	esac
}

# check_run FILE WORD...: the words of one "run" line of FILE, or why they
# are wrong (status 1)
check_run() {
	_file=$1
	shift
	case "$_file" in
	*.sh) [ "${1:-}" = pidns ] && shift ;;
	esac
	while is_assignment "${1:-}"; do shift; done
	case "$_file" in
	*.c)
		[ $# = 2 ] || { echo "a program's run is [VAR=VALUE]... TRIGGER ROUNDS"; return 1; }
		case "$1" in usr1 | none) ;; *) echo "TRIGGER '$1' is neither usr1 nor none"; return 1 ;; esac
		case "$2" in "" | *[!0-9]*) echo "ROUNDS '$2' is not a number"; return 1 ;; esac
		;;
	esac
	return 0
}

# Find the tests: each file's lines, checked; its runs into $tmp/runs,
# the programs to build into $tmp/programs.
for f in "$dir"/t_*.c "$dir"/*.sh; do
	[ -e "$f" ] || continue
	base=${f##*/}
	host_test_lines "$f" >"$tmp/lines"
	if [ ! -s "$tmp/lines" ]; then
		bad "$base" "no 'host-test:' line in its header comment (kernel-glue/tests/README.md)"
		continue
	fi
	: >"$tmp/file-runs"
	ok=1 helper=0
	while read -r verb rest <&3; do
		case "$base:$verb" in
		*:run)
			# shellcheck disable=SC2086 # the words of the line
			why=$(set -f; check_run "$base" $rest) || { bad "$base" "'host-test: run $rest': $why"; ok=0; }
			echo "$base $rest" >>"$tmp/file-runs"
			;;
		t_*.c:by)
			case "$rest" in
			*.sh) echo "$base $rest" >>"$tmp/by" ;;
			*) bad "$base" "'host-test: by $rest' does not name a test script (NAME.sh)"; ok=0 ;;
			esac
			;;
		*.sh:helper*) helper=1 ;;
		*) bad "$base" "'host-test: $verb $rest': not a run, by or helper line (kernel-glue/tests/README.md)"; ok=0 ;;
		esac
	done 3<"$tmp/lines"
	if [ "$helper" = 1 ] && [ "$(wc -l <"$tmp/lines")" != 1 ]; then
		bad "$base" "a helper has no other 'host-test:' line"
		ok=0
	fi
	[ "$ok" = 1 ] || continue
	cat "$tmp/file-runs" >>"$tmp/runs"
	case "$base" in t_*.c) echo "${base%.c}" >>"$tmp/programs" ;; esac
done
# a program run by a script names a script of this folder that runs
while read -r prog script <&3; do
	grep -q "^$script " "$tmp/runs" ||
		bad "$prog" "'host-test: by $script': $script is no test script of $dir with a run line"
done 3<"$tmp/by"

# Build each program on its own: one that does not build is a FAIL, and
# neither it nor an older binary of it runs.
mkdir -p "$build/tests/glue"
while read -r prog <&3; do
	blog="$build/tests/glue/$prog.build.log"
	if ! make --no-print-directory -s BUILD="$build" GLUE_TEST_DIR="$dir" \
		"$build/tests/glue/$prog" >"$blog" 2>&1; then
		verdict_fail_log "$prog" "$dir/$prog.c does not build" "$blog"
		status=1
		rm -f "$build/tests/glue/$prog"
		grep -v "^$prog.c " "$tmp/runs" >"$tmp/runs.new"
		mv "$tmp/runs.new" "$tmp/runs"
	fi
done 3<"$tmp/programs"

# run_test FILE WORD...: one run; its verdict lines pass through, and a FAIL
# of its own if it ends without one (or fails without saying so)
run_test() {
	_file=$1
	shift
	_label="${_file%.*}${*:+ ($*)}"
	_envs="" _pidns=0
	case "$_file" in *.sh) [ "${1:-}" = pidns ] && { _pidns=1; shift; } ;; esac
	while is_assignment "${1:-}"; do
		_envs="$_envs $1"
		shift
	done
	case "$_file" in
	t_*.c)
		_name=${_file#t_}
		set -- unshare --pid --fork --mount-proc sh "$here/scenario.sh" "$build" "${_name%.c}" "$@"
		;;
	*)
		set -- sh "$dir/$_file" "$build" "$@"
		[ "$_pidns" = 1 ] && set -- unshare --pid --fork --mount-proc "$@"
		;;
	esac
	if [ "$plan" = 1 ]; then
		echo "RUN: $_label:${_envs} $*"
		return 0
	fi
	# shellcheck disable=SC2086 # one word per assignment
	env $_envs "$@" >"$tmp/out" 2>&1
	_rc=$?
	cat "$tmp/out"
	verdict_of "$_label" "$_rc" "$tmp/out" || status=1
}

# selected FILE: whether HOST_TESTS names FILE (or asks for every test)
selected() {
	[ -z "${HOST_TESTS:-}" ] && return 0
	printf ' %s ' "$HOST_TESTS" | grep -q -e " $1 " -e " ${1%.*} "
}

# selected_run FILE WORD...: whether HOST_TESTS names FILE, or a program
# t_WORD.c that FILE runs (its "host-test: by FILE")
selected_run() {
	selected "$1" && return 0
	_script=$1
	shift
	for _word in "$@"; do
		grep -qx "t_$_word.c $_script" "$tmp/by" && selected "t_$_word.c" && return 0
	done
	return 1
}

# a name HOST_TESTS gives that is no test of this folder is a FAIL: a typo
# must not pass by running nothing
for name in ${HOST_TESTS:-}; do
	cut -d' ' -f1 "$tmp/runs" "$tmp/by" | grep -qx -e "$name" -e "$name.c" -e "$name.sh" ||
		bad "$name" "HOST_TESTS names no test of $dir"
done

left_out=""
while read -r file words <&3; do
	# shellcheck disable=SC2086 # the words of the line
	set -f && set -- $words && set +f
	if ! selected_run "$file" "$@"; then
		left_out="$left_out ${file%.*}"
		continue
	fi
	run_test "$file" "$@"
done 3<"$tmp/runs"
[ -n "$left_out" ] && echo "HOST_TESTS left out: $(printf '%s\n' $left_out | sort -u | tr '\n' ' ')"
exit "$status"
