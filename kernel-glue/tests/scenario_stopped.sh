#!/bin/sh
# A stopped process, run as PID 1 of a private PID namespace by run.sh: the
# t_counter program is stopped with SIGSTOP once it is ready, and sent
# SIGSTOP again, which stays queued while it is stopped; then ROUNDS times
# checkpointed with --kill and restored. After each restore it must be
# stopped (state T) with that SIGSTOP still queued, its counter file must
# not grow, and `ferry inspect` shows the stop. SIGCONT then resumes it,
# its counter goes on, and SIGUSR1 lets it check itself.
#
# Usage: scenario_stopped.sh BUILD ROUNDS
# host-test: run pidns 1
# host-test: run pidns 2
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" rounds="$2"
rounds_label stopped "$rounds"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-stopped.XXXXXX)

# The state letter of $1 (proc(5)).
state() {
	sed 's/^.*) \([A-Za-z]\) .*/\1/' "/proc/$1/stat" 2>/dev/null
}

is_stopped() {
	[ "$(state "$pid")" = T ]
}

# Whether SIGSTOP (19) is queued to the process.
sigstop_queued() {
	mask=$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$pid/status")
	[ $((0x$mask & 0x40000)) -ne 0 ]
}

start_program counter
kill -STOP "$pid"
wait_for 50 "SIGSTOP did not stop the program" is_stopped
kill -STOP "$pid"
wait_for 50 "the second SIGSTOP is not queued" sigstop_queued

round=1
while [ "$round" -le "$rounds" ]; do
	checkpoint_kill "$round"
	"$ferry" inspect "$dir/image" | grep -q "^ *stop-signal 19$" ||
		fail "ferry inspect does not show the stop of image $round"
	[ "$("$ferry" inspect --json "$dir/image" | jq '.processes[0].kinds["stop-signal"]')" = 19 ] ||
		fail "ferry inspect --json does not show the stop of image $round"
	restore_back "$round"
	count=$(wc -l <"$dir/counter.txt")
	sleep 0.3
	is_stopped || fail "after restore $round the program is in state $(state "$pid"), not stopped"
	sigstop_queued || fail "after restore $round the queued SIGSTOP is gone"
	[ "$(wc -l <"$dir/counter.txt")" -eq "$count" ] ||
		fail "the stopped program counted on after restore $round"
	round=$((round + 1))
done

kill -CONT "$pid"
sleep 0.3
is_stopped && fail "SIGCONT did not resume the program"
[ "$(wc -l <"$dir/counter.txt")" -gt "$count" ] || fail "the program does not count after SIGCONT"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label"
rm -rf "$dir"
