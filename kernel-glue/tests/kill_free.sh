#!/bin/sh
# `checkpoint --kill` returns only once the killed pids are free: a child
# whose parent reaps it half a second late is checkpointed with --kill and
# restored at once, which needs its pid and its thread's. Run as PID 1 of
# a private PID namespace.
#
# Usage: kill_free.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-kill-free.XXXXXX)
label=checkpoint-kill-waits-until-pids-are-free

cleanup() {
	[ -n "${child:-}" ] && kill -9 "$child" 2>/dev/null
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
}

start_program kill_free
child=$(cat "$dir/child")
"$ferry" checkpoint --pid "$child" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
	fail "the checkpoint failed"
[ -e "/proc/$child" ] && fail "ferry returned while pid $child was still there"
"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "the restore right after the kill failed"
kill -USR1 "$child"
wait_gone 100 "$child" || fail "the restored child did not finish"
wait "$pid"
grep -q '^PASS: kill-free' "$dir/out" || fail "the restored child did not pass"
echo "PASS: $label"
rm -rf "$dir"
