#!/bin/sh
# A network lock left behind, and `ferry netlock` that lists and removes it.
# Three TCP connections from a peer namespace to a server namespace (veth
# 10.200.N.2 -> .1, fd00:200::2 -> ::1), each with its own python3 server:
#
# - "real": its server is checkpointed with --kill; ferry takes the lock for
#   real and keeps it (as for an image that waits for its restore);
# - "v4", "v6": their lock is what a ferry killed while holding it leaves:
#   the rule netlock_take() adds (priority 0, from peer to local, ipproto
#   tcp, sport, dport, protocol 70, blackhole), and the catch-all "lookup
#   local" rule moved behind it (copied with another rule protocol, as
#   ip(8) refuses an identical one, then the first removed).
#
# Two unrelated rules, blackhole of protocol 99 and otherwise like ferry's,
# one per family, must survive. Checked: ferry warns at the checkpoint that
# rules of protocol 70 were already there; what the peers send meanwhile
# does not get through (no data, no reset); `ferry netlock` lists exactly
# the three connections; `--release` removes exactly their rules and leaves
# "lookup local" first; then the peers' retransmissions get through: the
# live servers receive the data, and the real connection, whose socket
# went with its server, is reset.
#
# Usage: netlock_stale.sh BUILD
# host-test: run
set -u
build="$1"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
label=netlock-stale
ferry="$build/bin/ferry"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, ptrace)"
for tool in ip python3; do
	command -v "$tool" >/dev/null || skip "no $tool"
done

n=$(( ($$ % 200) + 20 ))
srv="ferry-nls-$$" peer="ferry-nlp-$$"
dir=$(mktemp -d /tmp/ferry-netlock.XXXXXX)
pids=""

cleanup() {
	for p in $pids; do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$srv" 2>/dev/null
	ip netns del "$peer" 2>/dev/null
	rm -rf "$dir"
}
fail_report() {
	show_tails 20 "    " "$dir/log" "$dir/rules"
}
pass() { echo "PASS: $label-$1"; }

# inns NS CMD...: run in a network namespace (in the foreground: a function
# run with & is a shell of its own, whose pid $! would be)
inns() {
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# has_line FILE [LINE]: FILE exists (and has the whole line LINE)
# shellcheck disable=SC2317 # called through poll
has_line() {
	[ -e "$1" ] && { [ -z "${2:-}" ] || grep -qx "$2" "$1"; }
}

cat >"$dir/tcp.py" <<'PY'
# serve|connect HOST PORT DIR NAME: one TCP connection; what happens to it
# is left in DIR/NAME.* files.
import os, socket, sys, time

# descriptors inherited from whoever runs the test: a pipe to a process
# outside the checkpoint would make it refuse the real server
os.closerange(3, 65536)
mode, host, port, d, name = sys.argv[1:6]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET

def note(what, text=""):
    with open(os.path.join(d, name + "." + what), "a") as f:
        f.write(text)

if mode == "serve":
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.bind((host, int(port)))
    ls.listen(1)
    note("listening")
    s, _ = ls.accept()
    ls.close()
    while True:
        data = s.recv(4096)
        if not data:
            break
        note("recv", data.decode())
else:
    s = socket.create_connection((host, int(port)), timeout=10)
    note("port", "%d\n" % s.getsockname()[1])
    s.sendall(b"before\n")
    # the second line when DIR/NAME.send appears, under the lock
    while not os.path.exists(os.path.join(d, name + ".send")):
        time.sleep(0.05)
    s.sendall(b"during\n")
    s.settimeout(60)
    try:
        note("eof" if not s.recv(4096) else "answered")
    except ConnectionResetError:
        note("reset")
    except socket.timeout:
        note("timeout")
PY

netns_pair "$n" "$srv" "$peer"

# conn NAME: local_addr, peer_addr and port of connection NAME
conn() {
	name=$1
	case $1 in
	real) local_addr="10.200.$n.1" peer_addr="10.200.$n.2" port=7401 ;;
	v4) local_addr="10.200.$n.1" peer_addr="10.200.$n.2" port=7402 ;;
	v6) local_addr="fd00:200::1" peer_addr="fd00:200::2" port=7403 ;;
	esac
}

for c in real v4 v6; do
	conn "$c"
	ip netns exec "$srv" python3 "$dir/tcp.py" serve "$local_addr" "$port" "$dir" "$name" \
		>>"$dir/log" 2>&1 </dev/null &
	pids="$pids $!"
	[ "$name" = real ] && server_real=$!
	poll 200 has_line "$dir/$name.listening" || fail "the $name server does not listen"
	ip netns exec "$peer" python3 "$dir/tcp.py" connect "$local_addr" "$port" "$dir" "$name" \
		>>"$dir/log" 2>&1 </dev/null &
	pids="$pids $!"
	poll 200 has_line "$dir/$name.recv" before || fail "the $name server did not receive its first line"
done

# the stale lock of v4 and v6, and an unrelated rule of each family
for c in v4 v6; do
	conn "$c"
	fam=${name#v}
	cport=$(cat "$dir/$name.port")
	inns "$srv" ip "-$fam" rule add priority 0 from "$peer_addr" to "$local_addr" ipproto tcp \
		sport "$cport" dport "$port" protocol 70 blackhole ||
		fail "cannot add the $name rule of protocol 70"
	inns "$srv" ip "-$fam" rule add priority 5 from "$peer_addr" to "$local_addr" ipproto tcp \
		sport "$cport" dport 7499 protocol 99 blackhole ||
		fail "cannot add the unrelated $name rule of protocol 99"
	inns "$srv" ip "-$fam" rule add priority 0 lookup local protocol static &&
		inns "$srv" ip "-$fam" rule del priority 0 lookup local protocol kernel ||
		fail "cannot move the $name 'lookup local' rule behind the lock"
done
inns "$srv" ip -4 rule show >"$dir/rules" 2>&1
inns "$srv" ip -6 rule show >>"$dir/rules" 2>&1

# the real lock, taken by a checkpoint that finds the others already there
inns "$srv" "$ferry" checkpoint --pid "$server_real" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
	fail "checkpoint --kill of the real server failed"
wait "$server_real" 2>/dev/null
pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$server_real")
grep -q "ferry netlock --release" "$dir/log" ||
	fail "the checkpoint did not warn about the rules of protocol 70 already there"
pass warned-at-checkpoint

for name in real v4 v6; do
	touch "$dir/$name.send"
done
sleep 2
for name in v4 v6; do
	! grep -qx during "$dir/$name.recv" || fail "the $name server received data under the lock"
done
[ -e "$dir/real.reset" ] && fail "the real connection was reset under the lock"
pass blocks

expected=$(for c in real v4 v6; do
	conn "$c"
	case $name in
	v6) echo "[$peer_addr]:$(cat "$dir/$name.port") -> [$local_addr]:$port" ;;
	*) echo "$peer_addr:$(cat "$dir/$name.port") -> $local_addr:$port" ;;
	esac
done | sort)
listed=$(inns "$srv" "$ferry" netlock 2>&1) || fail "ferry netlock failed: $listed"
[ "$(echo "$listed" | sort)" = "$expected" ] ||
	fail "ferry netlock listed '$(echo "$listed" | tr '\n' ';')', expected '$(echo "$expected" |
		tr '\n' ';')'"
pass lists-the-connections

released=$(inns "$srv" "$ferry" netlock --release 2>&1) || fail "--release failed: $released"
[ "$released" = "3 rules of the network lock removed" ] ||
	fail "--release said '$released', expected 3 rules removed"
for fam in 4 6; do
	inns "$srv" ip "-$fam" rule show >"$dir/rules" 2>&1
	grep -q 'proto 70' "$dir/rules" && fail "a rule of protocol 70 is still there (IPv$fam)"
	grep -q 'dport 7499 blackhole' "$dir/rules" ||
		fail "the unrelated IPv$fam blackhole rule was removed"
	head -n 1 "$dir/rules" | grep -Eq '^0:\s+from all lookup local( proto \S+)?$' ||
		fail "the IPv$fam 'lookup local' rule is not first"
done
pass releases-only-ferrys-rules

for name in v4 v6; do
	poll 200 has_line "$dir/$name.recv" during ||
		fail "the $name server did not receive the data sent under the lock after the release"
done
poll 200 has_line "$dir/real.reset" ||
	fail "the real connection, its socket gone, was not reset after the release"
pass data-flows-after-release

listed=$(inns "$srv" "$ferry" netlock 2>&1)
[ "$listed" = "no network lock held" ] || fail "after the release, ferry netlock says '$listed'"
released=$(inns "$srv" "$ferry" netlock --release 2>&1)
[ "$released" = "no network lock held" ] || fail "a second --release says '$released'"
pass nothing-left
cleanup
exit 0
