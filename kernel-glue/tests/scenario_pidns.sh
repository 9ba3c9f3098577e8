#!/bin/sh
# ferry restore --pidns, run as PID 1 of a private PID namespace by run.sh:
# checkpoint t_pidns with --kill, restore it with --pidns --json into a new
# PID namespace (ferry its init), ROUNDS times (the next checkpoint made
# from inside that namespace, of the restored process). Checks: the JSON
# report is valid and names the process (pid, comm); ferry stays while the
# process lives; the process has its original pid there and works; ferry
# exits with the process's status (23 from t_pidns; 137 when the checkpoint
# kills it), once no process is left in the namespace: a checkpoint run
# from inside, and a process that entered it, end their own way.
#
# Usage: scenario_pidns.sh BUILD ROUNDS
# host-test: run pidns 1
# host-test: run pidns 2
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" rounds="$2"
rounds_label restore-pidns "$rounds"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-pidns.XXXXXX)

fail_report() {
	show_tails 20 "    " "$dir/log" "$dir/out" "$dir/json"
}

cleanup() {
	[ -n "${inner:-}" ] && kill -9 "$inner" 2>/dev/null
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "${visitor:-}" ] && kill -9 "$visitor" 2>/dev/null
	rm -rf "$dir"
}

# Our pid of the process that has pid $1 in a PID namespace below ours.
pid_outside() {
	for s in /proc/[0-9]*/status; do
		awk -v want="$1" '$1 == "NSpid:" && NF == 3 && $3 == want { print $2 }' "$s" 2>/dev/null
	done | head -n 1
}

# Whether restore $round has printed its report; fail if it ended without.
report_printed() {
	[ -s "$dir/json" ] && return 0
	kill -0 "$restorer" 2>/dev/null || fail "restore $round ended before its report"
	return 1
}

start_program pidns
checkpoint_kill 1

round=1
while :; do
	rm -f "$dir/json"
	"$ferry" restore --pidns --json "$dir/image" >"$dir/json" 2>>"$dir/log" &
	restorer=$!
	wait_for 100 "restore $round printed no report" report_printed
	sleep 0.1 # the whole line
	jq -e --arg image "$dir/image" --argjson pid "$pid" \
		'.image == $image and (.processes | length) == 1 and
		.processes[0].pid == $pid and .processes[0].comm == "t_pidns \"q\\" and
		.processes[0].threads == 1 and .processes[0].fds >= 3' "$dir/json" >/dev/null 2>>"$dir/log" ||
		fail "restore $round: the JSON report is not valid or does not name pid $pid: $(cat "$dir/json")"
	inner=$(pid_outside "$pid")
	[ -n "$inner" ] || fail "restore $round: no process has pid $pid in a namespace below ours"
	[ "$inner" != "$pid" ] || fail "restore $round: pid $pid is in our own namespace"
	sleep 0.2
	kill -0 "$restorer" 2>/dev/null || fail "ferry did not stay as the namespace's init"
	[ "$round" -ge "$rounds" ] && break
	# the restored process checkpointed again, from its namespace
	nsenter --target "$inner" --pid --mount "$(realpath "$ferry")" checkpoint --pid "$pid" \
		-o "$dir/image" --kill >>"$dir/log" 2>&1 || fail "checkpoint $((round + 1)) failed"
	wait "$restorer"
	rc=$?
	[ "$rc" -eq 137 ] || fail "after the process was killed ferry exited with $rc, not 137"
	round=$((round + 1))
done

# a process that entered the namespace outlives the restored one: ferry,
# the namespace's init, waits for it instead of taking it down
nsenter --target "$inner" --pid --mount sh -c 'echo in; sleep 1; echo out' >"$dir/visitor" 2>&1 &
visitor=$!
visitor_in() { grep -q in "$dir/visitor"; }
wait_for 100 "the visitor did not enter the namespace" visitor_in
kill -USR1 "$inner"
wait "$restorer"
rc=$?
wait "$visitor"
visitor_rc=$?
program_passed
[ "$rc" -eq 23 ] || fail "ferry restore --pidns exited with $rc, not the process's 23"
[ "$visitor_rc" -eq 0 ] && grep -q out "$dir/visitor" ||
	fail "a process that had entered the namespace was killed when the restored one ended (exit $visitor_rc)"
echo "PASS: $label"
rm -rf "$dir"
