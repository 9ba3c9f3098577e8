#!/bin/sh
# A TCP client keeps its connection across checkpoint (--kill) and restore
# of its server, with data in flight both ways. The server runs in a network
# namespace of its own as PID 1's child of a private PID namespace; the
# client in a second network namespace; a veth pair joins them
# (10.200.N.1/24 and fd00:200::1/64 on the server side, .2 / ::2 on the
# client's). Both namespaces are made and removed here. The link stays up:
# while the server is away the client goes on reading and sending, and
# ferry's network lock (blackhole rules of protocol 70 in the server's
# namespace) must drop what reaches the server's side silently, so that the
# client sees no RST; the rules are there while the server is away and gone
# after the restore, and the catch-all "lookup local" rule is still there.
# With ROUNDS 2 the restored server is checkpointed and restored again.
#
# Usage: tcp_netns.sh BUILD 4|6 [ROUNDS]
# host-test: run 4 1
# host-test: run 4 2
# host-test: run 6 1
# host-test: run 6 2
set -u
build="$1" fam="$2" rounds="${3:-1}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
rounds_label "tcp-ipv$fam-data-in-flight-both-ways" "$rounds"
ferry="$build/bin/ferry"
t_tcp="$build/tests/glue/t_tcp"

if [ "${4:-}" = --inner ]; then
	# PID 1 of the server's PID namespace, inside its network namespace
	dir="$5" addr="$6"
	# fail shows the tails of ferry's log and the server's output; the
	# outer run cleans up
	fail_report() {
		show_tails 15 "    " "$dir/log" "$dir/out"
	}
	cleanup() {
		:
	}
	lock_rules() { ip "-$fam" rule show | grep -c ' blackhole proto 70'; }
	"$t_tcp" server "$addr" "$dir" >"$dir/out" 2>&1 </dev/null &
	pid=$!
	wait_for 200 "server and client did not fill their queues" \
		exists "$dir/ready" "$dir/client-filled"
	sleep 0.5
	ss -tni state established >>"$dir/log" 2>&1
	round=1
	while [ "$round" -le "$rounds" ]; do
		checkpoint_kill "$round"
		touch "$dir/killed"
		ip "-$fam" rule show >>"$dir/log" 2>&1
		[ "$(lock_rules)" = 1 ] || fail "not one lock rule while the server is away ($round)"
		# the client's kernel sends to the absent server meanwhile
		sleep 1.5
		restore_back "$round"
		touch "$dir/restored"
		ip "-$fam" rule show >>"$dir/log" 2>&1
		[ "$(lock_rules)" = 0 ] || fail "the lock rule is still there after restore $round"
		ip "-$fam" rule show | grep -q '^0:.*from all lookup local' ||
			fail "the 'lookup local' rule of priority 0 is gone"
		sleep 0.3
		ss -tni state established >>"$dir/log" 2>&1
		round=$((round + 1))
	done
	touch "$dir/go"
	kill -USR1 "$pid"
	wait_gone 900 "$pid" || fail "the restored server did not finish"
	grep -q '^PASS: ' "$dir/out" || fail "the server says: $(grep '^FAIL: ' "$dir/out")"
	exit 0
fi

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, ptrace)"
command -v ip >/dev/null || skip "no ip(8) (iproute2)"

n=$(( ($$ % 200) + 20 ))
srv="ferry-srv-$$" peer="ferry-peer-$$"
dir=$(mktemp -d /tmp/ferry-tcp.XXXXXX)
saddr="10.200.$n.1"
[ "$fam" = 6 ] && saddr="fd00:200::1"

cleanup() {
	[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$peer" 2>/dev/null
	rm -rf "$dir"
}
fail_report() {
	show_tails 10 "    client: " "$dir/client-out"
}

netns_pair "$n" "$srv" "$peer"

ip netns exec "$peer" "$t_tcp" client "$saddr" "$dir" >"$dir/client-out" 2>&1 </dev/null &
cpid=$!
ip netns exec "$srv" unshare --pid --fork --mount-proc \
	sh "$here/tcp_netns.sh" "$build" "$fam" "$rounds" --inner "$dir" "$saddr" >"$dir/inner" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
	grep -E '^FAIL: ' "$dir/inner" | head -n 1
	tail -n 20 "$dir/inner" | grep -v '^FAIL: ' | sed 's/^/  /'
	abort
fi
wait_for 300 "the client did not finish" gone "$cpid"
wait "$cpid"
grep -q '^PASS: ' "$dir/client-out" || fail "the client says: $(grep '^FAIL: ' "$dir/client-out")"
echo "PASS: $label ($(grep '^sent' "$dir/client-out" | head -n 1 | sed 's/^/client /');" \
	"client $(grep '^while the server was away' "$dir/client-out"))"
cpid=
cleanup
exit 0
