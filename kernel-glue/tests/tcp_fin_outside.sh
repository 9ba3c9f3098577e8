#!/bin/sh
# Connections whose FIN is not acknowledged (FIN_WAIT1, LAST_ACK) with a
# peer outside the checkpoint, over loopback (t_tcp_fin_outside.c): ROUNDS
# times the server is checkpointed with --kill, a restore is made to fail
# right before its connections would leave repair mode
# (FERRY_TEST_RESTORE_FAIL_AFTER=0), the peer, taking what comes meanwhile,
# checks it had nothing from that restore (no byte, no FIN, no reset), then
# the server is restored. Then both check that the connections end as they
# would have: the peer reads the bytes and end of file, every end closes.
# Run as PID 1 of a private PID namespace (by run.sh).
#
# Usage: tcp_fin_outside.sh BUILD ROUNDS
# host-test: run pidns 1
# host-test: run pidns 2
set -u
build="$1" rounds="$2"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
rounds_label tcp-fin-outside-peer-failed-restore-sends-nothing "$rounds"
ferry="$build/bin/ferry"
prog="$build/tests/glue/t_tcp_fin_outside"
dir=$(mktemp -d /tmp/ferry-tcpfin.XXXXXX)

[ "$(id -u)" = 0 ] || skip "needs root (ptrace, TCP_REPAIR)"
cleanup() {
	kill -9 ${pid:-} ${peer:-} 2>/dev/null
	rm -rf "$dir"
}
fail_report() {
	show_tails 20 "    " "$dir/log" "$dir/out" "$dir/peer"
}

"$prog" peer "$dir" "$rounds" >"$dir/peer" 2>&1 </dev/null &
peer=$!
wait_for 50 "the peer did not listen" exists "$dir/port"
"$prog" server "$dir" "$(cat "$dir/port")" >"$dir/out" 2>&1 </dev/null &
pid=$!
wait_for 100 "the server did not get to FIN_WAIT1 and LAST_ACK" exists "$dir/ready"
sleep 0.2

round=1
while [ "$round" -le "$rounds" ]; do
	checkpoint_kill "$round"
	touch "$dir/killed-$round"
	wait_for 50 "the peer did not take what comes again ($round)" exists "$dir/open-$round"
	FERRY_TEST_RESTORE_FAIL_AFTER=0 "$ferry" restore "$dir/image" >>"$dir/log" 2>&1 &&
		fail "restore $round did not fail as asked"
	grep -q "the restore fails here, before anything is let go" "$dir/log" ||
		fail "restore $round failed, but not as asked: $(tail -n 1 "$dir/log")"
	[ -e "/proc/$pid" ] && fail "pid $pid is there after the failed restore $round"
	touch "$dir/failed-$round"
	wait_for 50 "the peer did not check the failed restore $round" exists "$dir/closed-$round"
	restore_back "$round"
	sleep 0.3
	round=$((round + 1))
done

touch "$dir/go"
kill -USR1 "$pid"
wait_gone 200 "$pid" "$peer" || fail "the server or the peer did not finish"
program_passed
grep -q '^PASS: ' "$dir/peer" || fail "the peer says: $(grep '^FAIL: ' "$dir/peer" || echo nothing)"
echo "PASS: $label"
rm -rf "$dir"
