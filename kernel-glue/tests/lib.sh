# shellcheck shell=sh disable=SC2154 # label, build, dir, ferry, pid: set by the sourcing script
# Scaffolding shared by the host test scripts of kernel-glue/tests, sourced
# by them (POSIX sh: they run under /bin/sh, which is dash on Debian).
#
# A script sets label, the name its PASS/FAIL/SKIP lines carry, and usually
# build, ferry and dir (its temp dir); pid is the program it started. fail
# calls fail_report and cleanup: a script that needs other than the defaults
# below defines its own after sourcing this file.
# host-test: helper, sourced by the test scripts

# rounds_label NAME ROUNDS: label is NAME, and NAME-restored-ROUNDSx for a
# test that restores more than once.
rounds_label() {
	label=$1
	[ "$2" -gt 1 ] && label="$1-restored-${2}x"
	return 0
}

# fail WHY: print "FAIL: $label: WHY", then abort.
fail() {
	echo "FAIL: $label: $*"
	abort
}

# After a FAIL line: show what fail_report shows, undo what cleanup undoes,
# exit 1.
abort() {
	fail_report
	cleanup
	exit 1
}

# skip WHY: print "SKIP: $label: WHY", remove $dir if made, exit 0.
skip() {
	echo "SKIP: $label: $*"
	[ -n "${dir:-}" ] && rm -rf "$dir"
	exit 0
}

# What fail shows by default: the last 20 lines of $dir/log and $dir/out.
fail_report() {
	show_tails 20 "    " "$dir/log" "$dir/out"
}

# What fail undoes by default: kill $pid, remove $dir.
cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "${dir:-}"
}

# show_tails N PREFIX FILE...: the last N lines of each FILE that is not
# empty, each line after PREFIX (which holds no '|', '&' or '\').
show_tails() {
	_tail_n=$1 _tail_prefix=$2
	shift 2
	for _tail_f; do
		[ -s "$_tail_f" ] && tail -n "$_tail_n" "$_tail_f" | sed "s|^|$_tail_prefix|"
	done
	return 0
}

# poll TENTHS COMMAND...: run COMMAND every tenth of a second until it
# succeeds; false if it still fails after TENTHS waits.
poll() {
	_poll_n=$1 _poll_i=0
	shift
	until "$@"; do
		_poll_i=$((_poll_i + 1))
		[ "$_poll_i" -gt "$_poll_n" ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_for TENTHS WHY COMMAND...: poll, and fail WHY if it times out.
wait_for() {
	_wait_n=$1 _wait_why=$2
	shift 2
	poll "$_wait_n" "$@" || fail "$_wait_why"
}

# exists FILE...: true when every FILE exists.
exists() {
	for _f; do
		[ -e "$_f" ] || return 1
	done
	return 0
}

# gone PID...: true when none of the processes is in /proc any more (a zombie
# still is). Polled by PID 1 of a namespace, this also lets it reap what it
# adopted: every foreground command (the sleep between polls) does.
gone() {
	for _p; do
		[ -e "/proc/$_p" ] && return 1
	done
	return 0
}

# wait_gone TENTHS PID...: true once the processes are gone, false if any is
# still there after TENTHS tenths of a second.
wait_gone() {
	_gone_n=$1
	shift
	poll "$_gone_n" gone "$@"
}

# start_program NAME [ARG...]: run $build/tests/glue/t_NAME with $dir and
# ARG..., its output in $dir/out and its pid in pid, and wait until it has
# made $dir/ready.
start_program() {
	_sp_name=$1
	shift
	[ -x "$build/tests/glue/t_$_sp_name" ] ||
		fail "$build/tests/glue/t_$_sp_name is not built (run.sh builds it; see its FAIL line)"
	"$build/tests/glue/t_$_sp_name" "$dir" "$@" >"$dir/out" 2>&1 </dev/null &
	pid=$!
	wait_for 100 "the program did not get ready" exists "$dir/ready"
}

# checkpoint_kill ROUND: `ferry checkpoint --kill` of $pid into $dir/image
# (ferry's output in $dir/log), then wait until $pid is gone (reaped, when
# it is this shell's child); fail, naming ROUND, if either does not happen.
checkpoint_kill() {
	"$ferry" checkpoint --pid "$pid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
		fail "checkpoint $1 failed"
	wait "$pid" 2>/dev/null
	wait_gone 50 "$pid" || fail "pid $pid still exists after checkpoint $1 with --kill"
}

# restore_back ROUND [OPTION...]: `ferry restore [OPTION...] $dir/image`
# (its output in $dir/log); fail naming ROUND unless it succeeds and $pid
# is there again.
restore_back() {
	_rb_round=$1
	shift
	"$ferry" restore "$@" "$dir/image" >>"$dir/log" 2>&1 || fail "restore $_rb_round failed"
	[ -e "/proc/$pid" ] || fail "pid $pid is not there after restore $_rb_round"
}

# program_passed: fail unless the program's first verdict in $dir/out is
# PASS and it started once (no "started" line again after a restore).
program_passed() {
	_verdict=$(grep -E '^(PASS|FAIL): ' "$dir/out" | head -n 1)
	_starts=$(grep -c '^started ' "$dir/out")
	case "$_verdict" in
	PASS:*) [ "$_starts" -eq 1 ] || fail "the program started $_starts times" ;;
	FAIL:*) fail "the program says: ${_verdict#FAIL: }" ;;
	*) fail "the program gave no verdict" ;;
	esac
}

# netns_pair N SRV PEER: network namespaces SRV and PEER joined by a veth
# pair, lo up in both; SRV has 10.200.N.1/24 and fd00:200::1/64, PEER
# 10.200.N.2/24 and fd00:200::2/64 (no duplicate address detection, and
# IPv6 addresses kept on link down). fail if any step fails; the caller's
# cleanup deletes the namespaces (the veth goes with them).
netns_pair() {
	_np_n=$1 _np_srv=$2 _np_peer=$3
	ip netns add "$_np_srv" && ip netns add "$_np_peer" ||
		fail "cannot create network namespaces"
	ip -n "$_np_srv" link add veth0 type veth peer name veth0 netns "$_np_peer" ||
		fail "cannot create a veth pair"
	for _np_ns in "$_np_srv" "$_np_peer"; do
		ip netns exec "$_np_ns" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1
		ip -n "$_np_ns" link set lo up
	done
	ip -n "$_np_srv" addr add "10.200.$_np_n.1/24" dev veth0 &&
		ip -n "$_np_srv" addr add "fd00:200::1/64" dev veth0 nodad &&
		ip -n "$_np_peer" addr add "10.200.$_np_n.2/24" dev veth0 &&
		ip -n "$_np_peer" addr add "fd00:200::2/64" dev veth0 nodad ||
		fail "cannot give the veth its addresses"
	ip -n "$_np_srv" link set veth0 up && ip -n "$_np_peer" link set veth0 up ||
		fail "cannot bring the veth up"
}
