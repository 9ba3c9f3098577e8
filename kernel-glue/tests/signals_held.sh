#!/bin/sh
# Signals that come during checkpoints without --kill, run as PID 1 of a
# private PID namespace by run.sh: t_signals_held (a sender's tgkill()s
# and a 1 ms POSIX timer, both to its main thread, the one the hold of
# ferry drives, and real-time signals sigqueue()d by a second sender with
# the values 1, 2, 3, ...) is checkpointed ROUNDS times in a row, then
# checks that every signal came as sent, with its si_code, si_pid, si_uid,
# timer id and value, the queued ones in order, and that none was lost or
# came twice.
#
# Usage: signals_held.sh BUILD ROUNDS
# host-test: run pidns 12
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" rounds="$2"
label="signals-held-${rounds}x"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-sigheld.XXXXXX)

cleanup() {
	: >"$dir/check" # the sender ends
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	sleep 0.2
	rm -rf "$dir"
}

start_program signals_held
sleep 0.2
round=1
while [ "$round" -le "$rounds" ]; do
	"$ferry" checkpoint --pid "$pid" -o "$dir/image" >>"$dir/log" 2>&1 ||
		fail "checkpoint $round (without --kill) failed"
	[ -e "/proc/$pid" ] || fail "pid $pid ended after checkpoint $round"
	round=$((round + 1))
done
: >"$dir/check"
wait_gone 100 "$pid" || fail "the program did not finish"
grep '^sent ' "$dir/out" | sed 's/^/    /'
program_passed
echo "PASS: $label"
rm -rf "$dir"
