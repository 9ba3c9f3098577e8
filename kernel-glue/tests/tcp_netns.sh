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
#
# Usage: tcp_netns.sh BUILD 4|6
set -u
build="$1" fam="$2"
here=$(cd "$(dirname "$0")" && pwd)
label="tcp-ipv$fam-data-in-flight-both-ways"
ferry="$build/bin/ferry"
t_tcp="$build/tests/glue/t_tcp"

if [ "${3:-}" = --inner ]; then
	# PID 1 of the server's PID namespace, inside its network namespace
	dir="$4" addr="$5"
	inner_fail() {
		echo "FAIL: $label: $*"
		for f in "$dir/log" "$dir/out"; do
			[ -s "$f" ] && tail -n 15 "$f" | sed 's/^/    /'
		done
		exit 1
	}
	lock_rules() { ip "-$fam" rule show | grep -c ' blackhole proto 70'; }
	"$t_tcp" server "$addr" "$dir" >"$dir/out" 2>&1 </dev/null &
	pid=$!
	i=0
	while [ ! -e "$dir/ready" ] || [ ! -e "$dir/client-filled" ]; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && inner_fail "server and client did not fill their queues"
		sleep 0.1
	done
	sleep 0.5
	ss -tni state established >>"$dir/log" 2>&1
	"$ferry" checkpoint --pid "$pid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
		inner_fail "checkpoint failed"
	wait "$pid" 2>/dev/null
	touch "$dir/killed"
	ip "-$fam" rule show >>"$dir/log" 2>&1
	[ "$(lock_rules)" = 1 ] || inner_fail "not one lock rule while the server is away"
	# the client's kernel sends to the absent server meanwhile
	sleep 1.5
	"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || inner_fail "restore failed"
	[ -e "/proc/$pid" ] || inner_fail "pid $pid is not there after the restore"
	touch "$dir/restored"
	ip "-$fam" rule show >>"$dir/log" 2>&1
	[ "$(lock_rules)" = 0 ] || inner_fail "the lock rule is still there after the restore"
	ip "-$fam" rule show | grep -q '^0:.*from all lookup local' ||
		inner_fail "the 'lookup local' rule of priority 0 is gone"
	sleep 0.3
	ss -tni state established >>"$dir/log" 2>&1
	touch "$dir/go"
	kill -USR1 "$pid"
	i=0
	while [ -e "/proc/$pid" ]; do
		i=$((i + 1))
		[ "$i" -gt 900 ] && inner_fail "the restored server did not finish"
		sleep 0.1
	done
	grep -q '^PASS: ' "$dir/out" || inner_fail "the server says: $(grep '^FAIL: ' "$dir/out")"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $label: needs root (network namespaces, ptrace)"
	exit 0
fi
command -v ip >/dev/null || { echo "SKIP: $label: no ip(8) (iproute2)"; exit 0; }

n=$(( ($$ % 200) + 20 ))
srv="ferry-srv-$$" peer="ferry-peer-$$" vs="fsv$$" vp="fpv$$"
dir=$(mktemp -d /tmp/ferry-tcp.XXXXXX)
if [ "$fam" = 6 ]; then
	saddr="fd00:200::1" caddr="fd00:200::2"
else
	saddr="10.200.$n.1" caddr="10.200.$n.2"
fi

cleanup() {
	[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$peer" 2>/dev/null
	rm -rf "$dir"
}
fail() {
	echo "FAIL: $label: $*"
	[ -s "$dir/client-out" ] && tail -n 10 "$dir/client-out" | sed 's/^/    client: /'
	cleanup
	exit 1
}

ip netns add "$srv" && ip netns add "$peer" || fail "cannot create network namespaces"
ip link add "$vs" type veth peer name "$vp" || fail "cannot create a veth pair"
ip link set "$vs" netns "$srv" && ip link set "$vp" netns "$peer" || fail "cannot move the veth"
for ns in "$srv" "$peer"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1
	ip -n "$ns" link set lo up
done
ip -n "$srv" addr add "10.200.$n.1/24" dev "$vs"
ip -n "$srv" addr add "fd00:200::1/64" dev "$vs" nodad
ip -n "$peer" addr add "10.200.$n.2/24" dev "$vp"
ip -n "$peer" addr add "fd00:200::2/64" dev "$vp" nodad
ip -n "$srv" link set "$vs" up && ip -n "$peer" link set "$vp" up || fail "cannot bring the veth up"

ip netns exec "$peer" "$t_tcp" client "$saddr" "$dir" >"$dir/client-out" 2>&1 </dev/null &
cpid=$!
ip netns exec "$srv" unshare --pid --fork --mount-proc \
	sh "$here/tcp_netns.sh" "$build" "$fam" --inner "$dir" "$saddr" >"$dir/inner" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
	grep -E '^FAIL: ' "$dir/inner" | head -n 1
	tail -n 20 "$dir/inner" | grep -v '^FAIL: ' | sed 's/^/  /'
	[ -s "$dir/client-out" ] && tail -n 10 "$dir/client-out" | sed 's/^/    client: /'
	cleanup
	exit 1
fi
i=0
while kill -0 "$cpid" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -gt 300 ] && fail "the client did not finish"
	sleep 0.1
done
wait "$cpid"
grep -q '^PASS: ' "$dir/client-out" || fail "the client says: $(grep '^FAIL: ' "$dir/client-out")"
echo "PASS: $label ($(grep '^sent' "$dir/client-out" | head -n 1 | sed 's/^/client /');" \
	"client $(grep '^while the server was away' "$dir/client-out"))"
cpid=
cleanup
exit 0
