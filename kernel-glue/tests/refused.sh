#!/bin/sh
# States ferry does not carry are refused by name, and left untouched: for
# each line of the table, t_refused sets the state up, `ferry check` and
# `ferry checkpoint` must fail naming it (before the freeze, or at it for
# what only a frozen thread can tell), leave no image, and the program
# must find its state as it was. Run as PID 1 of a private PID namespace.
# The refusal names the program, or the process whose pid it writes into
# DIR/named (a zombie it made).
#
# A kind that comes to carry one of these claims it (inventory/inventory.h):
# its line goes from this table to a test of its own that restores it.
#
# Usage: refused.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
here=$(cd "$(dirname "$0")" && pwd)
ferry="$build/bin/ferry"
status=0

# STATE WHEN PATTERN: WHEN is "inventory" (refused before anything is
# frozen), "freeze" (asked inside the frozen process) or "kill" (refused
# only by checkpoint --kill, before the kill: what a restore here would
# meet once the processes are gone), with "/-CAP,..." when ferry runs
# without those capabilities, "/cpu0" when it runs in a cpuset of CPU 0
# alone, "/loginUID" with that login uid and without CAP_AUDIT_CONTROL
# (what a restorer like it could not give back), "/tree" when ferry
# selects the program with --tree, "/named" when it selects the named
# process; PATTERN an ERE the refusal matches
table='
io_uring inventory fd [0-9]+: anon_inode:\[io_uring\]: an io_uring instance .* not supported
perf_event inventory fd [0-9]+: anon_inode:\[perf_event\]: a perf event is not supported
bpf_map inventory fd [0-9]+: anon_inode:bpf-map: a BPF object is not supported
socket_ebpf inventory fd [0-9]+: socket:\[[0-9]+\]: an eBPF socket filter .SO_ATTACH_BPF. cannot be read back.*\(fd .socket filter.: eBPF\)
userfaultfd inventory fd [0-9]+: anon_inode:\[userfaultfd\]: a userfaultfd .* not supported
fanotify inventory fd [0-9]+: anon_inode:\[fanotify\]: a fanotify instance .* not supported
nice inventory/-sys_nice a restorer with ferry.s privileges could not give it back .*\(sched .nice.: -5\)
sched_fifo inventory/-sys_nice a restorer with ferry.s privileges could not give it back .*\(sched .policy.: 1\)
affinity_cpu1 inventory/cpu0 a restorer with ferry.s CPUs could not give it back .*\(status .Cpus_allowed.: 2\)
loginuid inventory/login2000 a restorer with ferry.s privileges could not set it again: ferry.s own login uid is set.*\(proc .loginuid.: 1000\)
ioprio_rt inventory/-sys_admin,sys_nice a restorer with ferry.s privileges could not set it again .*\(sched .ioprio.: 8192\)
posix_timer_other_cpu inventory a POSIX timer whose clock or target a restore cannot make again.*ID 0, clock -[0-9]+,
sigio_owner freeze fd [0-9]+: its owner for signal-driven I/O, process [0-9]+, is not in the checkpoint
mlock inventory area 0x[0-9a-f]+-0x[0-9a-f]+: being locked in memory \(mlock\)
net_two inventory/tree a network namespace other than the first process.s is not carried .*\(ns .net.: net:\[[0-9]+\]\)
net_two_own inventory/tree a network namespace other than the first process.s is not carried .*\(ns .net.: net:\[[0-9]+\]\)
net_veth inventory its network namespace has the veth .v-ferry[01]. whose peer is in the same namespace: only a veth whose peer is in ferry.s network namespace is carried yet.*\(ns .net.: net:\[[0-9]+\]\)
net_veth_bridge inventory the host end .fvref0. of its veth .eth0. is a port of bridge .fbrref0. in ferry.s network namespace: not carried yet
net_route inventory its network namespace has the route to 10\.1\.0\.0/16 in table 254 .protocol [0-9]+., which no address made, through lo: only the main table.s unicast routes through its veth are carried yet
net_iptables inventory its network namespace has the iptables table .filter. .legacy netfilter.: netfilter rules are not carried yet
net_nftables inventory its network namespace has the nftables table .ferry-refused. .family 1.: netfilter rules are not carried yet
net_peer_outside freeze fd [0-9]+: socket:\[[0-9]+\]: its TCP connection .* in the processes. own network namespace, has its other end in no process of the checkpoint
timens_children inventory a time namespace made for its children is not carried
mqueue_unlinked_twice freeze fd [0-9]+: /ferry-refused-[0-9]+ \(deleted\): an unlinked message queue opened more than once
mqueue_notify freeze fd [0-9]+: /ferry-refused-[0-9]+ \(deleted\): a message queue with an mq_notify\(\) registration is not carried
tmpfile_named freeze fd [0-9]+: .*#[0-9]+ \(deleted\): a file whose name is no longer the one it was opened by
sysv_shm_outside freeze System V shared memory segment [0-9]+ .key 0.: attached 2 times, 1 of them by the processes of the checkpoint: a process outside it uses the segment too
sysv_sem_undo inventory its list of System V semaphore adjustments .SEM_UNDO. is tid [0-9]+: the adjustments .semadj. its exit would undo cannot be read from user space
sysv_shm_partial freeze area 0x[0-9a-f]+-0x[0-9a-f]+: an attachment of System V shared memory segment [0-9]+ that no longer maps all of it
unix_passcred freeze fd [0-9]+: socket:\[[0-9]+\]: it reads its senders. credentials \(SO_PASSCRED: SCM_CREDENTIALS\) with what is queued
unix_rights_kind freeze fd [0-9]+: socket:\[[0-9]+\]: descriptor 1 in flight \(SCM_RIGHTS\) in its queue, timerfd[^,]*, is of a kind that is restored or checked only in a process that holds it
unix_rights_nested freeze fd [0-9]+: socket:\[[0-9]+\]: descriptor 1 in flight \(SCM_RIGHTS\) in its queue, socket[^,]*, is a Unix socket whose own queue carries descriptors in flight
unix_empty_peeked freeze fd [0-9]+: socket:\[[0-9]+\]: 1 empty datagram of its queue was already peeked .MSG_PEEK
unix_pending_outside freeze fd [0-9]+: socket:\[[0-9]+\]: its connection 1 of 1 not accepted yet comes from socket:\[[0-9]+\], held by pid [0-9]+ \(t_refused\) outside the checkpoint
unix_pending_bytes freeze fd [0-9]+: socket:\[[0-9]+\]: what it sent on its connection, not accepted yet by socket:\[[0-9]+\], cannot be read before it is accepted
unix_connecting_outside freeze fd [0-9]+: socket:\[[0-9]+\]: its connection is not accepted yet by socket:\[[0-9]+\], held by pid [0-9]+ \(t_refused\) outside the checkpoint
pipe_outside freeze fd [0-9]+: pipe:\[[0-9]+\]: its write end is held outside the checkpoint
group_outside kill it leads the process group of pid [0-9]+, which is outside the checkpoint
tcp_port_outside kill fd [0-9]+: its listening socket on port [0-9]+ shares the port with a socket of a process outside the checkpoint.*EADDRINUSE
posix_timer_held freeze POSIX timer 0: its signal [0-9]+ .* is pending behind every thread.s signal mask
itimer_held freeze ITIMER_REAL \(period 10000 us\) waits for its SIGALRM, held behind every thread.s mask
seccomp_strict inventory tid [0-9]+: seccomp strict mode .*is not carried
seccomp_notify freeze tid [0-9]+: its seccomp filter 0 sends system calls to a listener
zombie_core inventory/tree a zombie is carried as the child of a process of the selection, .*and not when it dumped core .*\(state .zombie.: Z\)
zombie_threads inventory/tree a zombie is carried as the child of a process of the selection, alone \(not a main thread whose other threads run\).*\(state .zombie.: Z\)
zombie_session freeze/tree a zombie in session [0-9]+ and process group [0-9]+, which cannot be made again under its parent [0-9]+ \(session [0-9]+\)
cwd_hidden inventory its working directory .*its path leads elsewhere in its mount namespace
uts_two inventory/tree a UTS namespace other than the first process.s is not carried .*\(ns .uts.: uts:\[[0-9]+\]\)
ipc_two inventory/tree an IPC namespace other than the first process.s is not carried .*\(ns .ipc.: ipc:\[[0-9]+\]\)
userns_owned inventory its uts namespace is owned by its user namespace .*\(ns .user.: user:\[[0-9]+\]\)
userns_nested inventory its user namespace is nested, in one that is not ferry.s
userns_nomap inventory its user namespace has no uid_map: a map that cannot be written again
userns_unmapped inventory its group id 4200 is not mapped in its user namespace
userns_two inventory/tree a user namespace other than the first process.s is not carried .*\(ns .user.: user:\[[0-9]+\]\)
userns_beside inventory/tree a user namespace other than the first process.s is not carried .*\(ns .user.: user:\[[0-9]+\]\)
zombie_root inventory/named a zombie is carried as the child of a process of the selection.*\(state .zombie.: Z\)
'

# fail and skip end one state, not the script
fail() {
	echo "FAIL: $label: $*"
	fail_report
	cleanup
	[ -n "${cpuset:-}" ] && rmdir "$cpuset"
	cpuset=
	status=1
}

one_state() {
	state=$1 when=${2%%/*} pattern=$3
	label="refused-$state"
	select=--pid
	# ferry, without the capability the line names, or on CPU 0 alone
	run_ferry="$ferry"
	case $2 in
	*/-*)
		caps=$(echo "${2#*/-}" | sed 's/,/,-/g')
		run_ferry="setpriv --bounding-set=-$caps --inh-caps=-$caps -- $ferry"
		;;
	*/cpu0)
		if [ "$(nproc)" -lt 2 ]; then
			echo "SKIP: $label: one CPU: no affinity can lie outside ferry's"
			return 0
		fi
		cpuset=/sys/fs/cgroup/cpuset/ferry-refused-$$
		if ! mkdir "$cpuset" 2>/dev/null || ! echo 0 >"$cpuset/cpuset.cpus" ||
			! cat /sys/fs/cgroup/cpuset/cpuset.mems >"$cpuset/cpuset.mems"; then
			[ -d "$cpuset" ] && rmdir "$cpuset"
			echo "SKIP: $label: no cgroup v1 cpuset here to run ferry on CPU 0 alone"
			return 0
		fi
		run_ferry="sh $here/in_cpuset.sh $cpuset $ferry"
		;;
	*/login*)
		if [ ! -e /proc/self/loginuid ]; then
			echo "SKIP: $label: this kernel has no audit login uid"
			return 0
		fi
		run_ferry="sh $here/as_login_uid.sh ${2#*/login} $ferry"
		;;
	*/tree)
		select=--tree
		;;
	esac
	dir=$(mktemp -d /tmp/ferry-refused.XXXXXX)
	pid=
	"$build/tests/glue/t_refused" "$dir" "$state" >"$dir/out" 2>&1 </dev/null &
	pid=$!
	if ! poll 100 exists "$dir/ready"; then
		if grep -q "cannot set up $state: \(Function not implemented\|Operation not permitted\)" \
			"$dir/out"; then
			echo "SKIP: $label: this machine does not let it: $(tail -n 1 "$dir/out")"
			cleanup
			return 0
		fi
		fail "the program did not get ready"
		return 0
	fi
	named=$pid
	[ -s "$dir/named" ] && named=$(cat "$dir/named")
	selected=$pid
	[ "${2#*/}" = named ] && selected=$named
	if [ "$when" = kill ]; then
		$run_ferry check "$select" "$selected" >"$dir/log" 2>&1 ||
			{ fail "check refuses what only --kill must"; return 0; }
		if $run_ferry checkpoint "$select" "$selected" -o "$dir/image" --kill >>"$dir/log" 2>&1; then
			fail "checkpoint --kill was not refused"
			return 0
		fi
		grep -Eq "cannot checkpoint pid ${named}[ :].*$pattern" "$dir/log" ||
			{ fail "checkpoint --kill does not name it as /$pattern/"; return 0; }
		kill -0 "$pid" 2>/dev/null || { fail "checkpoint --kill killed it"; return 0; }
	else
		if $run_ferry check "$select" "$selected" >"$dir/log" 2>&1; then
			fail "check says it can be checkpointed"
			return 0
		fi
		grep -Eq "cannot checkpoint pid ${named}[ :].*$pattern" "$dir/log" ||
			{ fail "the check does not name it as /$pattern/"; return 0; }
		if [ "$when" = inventory ] && ! grep -q "nothing was frozen" "$dir/log"; then
			fail "it was refused only after the freeze"
			return 0
		fi
		if $run_ferry checkpoint "$select" "$selected" -o "$dir/image" >>"$dir/log" 2>&1; then
			fail "the checkpoint was not refused"
			return 0
		fi
	fi
	if [ -e "$dir/image" ] || [ -e "$dir/image.partial" ]; then
		fail "an image was left behind"
		return 0
	fi
	kill -USR1 "$pid"
	wait "$pid"
	pid=
	case "$(grep -E '^(PASS|FAIL): ' "$dir/out" | head -n 1)" in
	PASS:*) ;;
	FAIL:*) fail "after the refusals the program says: $(grep -m1 '^FAIL: ' "$dir/out")"; return 0 ;;
	*) fail "the program gave no verdict"; return 0 ;;
	esac
	echo "PASS: $label"
	rm -rf "$dir"
	[ -n "${cpuset:-}" ] && rmdir "$cpuset"
	cpuset=
}

while read -r state when pattern; do
	[ -n "$state" ] && one_state "$state" "$when" "$pattern"
done <<END
$table
END
exit "$status"
