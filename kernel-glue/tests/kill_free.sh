#!/bin/sh
# `checkpoint --kill` returns only once the killed pids are free, or
# refuses before the kill when they would not be: t_kill_free's child, a
# counter with a thread, is checkpointed with --kill and restored at once,
# which needs its pid and its thread's. MODE (t_kill_free.c):
#   late     its parent reaps it half a second late
#   init     its parent is PID 1 of the namespace, which reaps half a second
#            late (this script runs again under t_kill_free as that PID 1)
#   stopped  its parent is stopped: refused by name, left running
#   zombie   its parent leaves a child of its own a zombie: refused by
#            name, left running
# Run as PID 1 of a private PID namespace.
#
# Usage: kill_free.sh BUILD [MODE]
# host-test: run pidns
# host-test: run pidns init
# host-test: run pidns stopped
# host-test: run pidns zombie
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" mode="${2:-late}"
ferry="$build/bin/ferry"
label=checkpoint-kill-waits-until-pids-are-free dir=
[ "$mode" = late ] || label="$label-$mode"

cleanup() {
	[ -n "${child:-}" ] && kill -9 "$child" 2>/dev/null
	[ -n "${pid:-}" ] && kill -CONT "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	rm -rf "${dir:-}"
}

# the checkpoint and the restore at once, from a process of the namespace
checkpoint_and_restore() {
	"$ferry" checkpoint --pid "$child" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
		fail "the checkpoint failed"
	[ -e "/proc/$child" ] && fail "ferry returned while pid $child was still there"
	"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 ||
		fail "the restore right after the kill failed"
}

# the checkpoint --kill refused naming PATTERN, the child left running
refused() {
	"$ferry" checkpoint --pid "$child" -o "$dir/image" --kill >>"$dir/log" 2>&1 &&
		fail "checkpoint --kill was not refused"
	grep -Eq "cannot checkpoint pid $child: $1" "$dir/log" ||
		fail "the refusal does not name it as /$1/"
	[ -e "$dir/image" ] && fail "an image was left behind"
	kill -0 "$child" 2>/dev/null || fail "checkpoint --kill killed it"
}

case $mode in
init)
	if [ -z "${KILL_FREE_DIR:-}" ]; then
		[ -x "$build/tests/glue/t_kill_free" ] ||
			fail "$build/tests/glue/t_kill_free is not built (run.sh builds it)"
		dir=$(mktemp -d /tmp/ferry-kill-free.XXXXXX)
		# PID 1 becomes t_kill_free, which runs this script again
		KILL_FREE_DIR=$dir exec "$build/tests/glue/t_kill_free" "$dir" init \
			sh "$0" "$build" init
	fi
	dir=$KILL_FREE_DIR
	wait_for 100 "the program did not get ready" exists "$dir/ready"
	child=$(cat "$dir/child")
	[ "$(awk '{ print $4 }' "/proc/$child/stat")" = 1 ] || fail "the child's parent is not PID 1"
	checkpoint_and_restore
	kill -USR1 "$child"
	wait_gone 100 "$child" || fail "the restored child did not finish"
	;;
*)
	dir=$(mktemp -d /tmp/ferry-kill-free.XXXXXX)
	start_program kill_free "$mode"
	child=$(cat "$dir/child")
	case $mode in
	late) checkpoint_and_restore ;;
	stopped)
		kill -STOP "$pid"
		refused "its parent $pid, outside the checkpoint, is stopped"
		kill -CONT "$pid"
		;;
	zombie) refused "its parent $pid, outside the checkpoint, leaves its exited child [0-9]+ unreaped" ;;
	*) fail "no mode $mode" ;;
	esac
	kill -USR1 "$child"
	wait_gone 100 "$child" || fail "the child did not finish"
	wait "$pid"
	;;
esac
grep -q '^PASS: kill-free' "$dir/out" || fail "the child did not pass"
echo "PASS: $label"
rm -rf "$dir"
