#!/bin/sh
# Host integration tier of checkpoint/restore: every test program runs in a
# private PID namespace, is checkpointed with --kill and restored with its
# original PID (once, and again after a second checkpoint of the restored
# process), then checks its own state.
#
# Usage: kernel-glue/tests/run.sh BUILD_DIR
set -u
build="${1:-build}"
here=$(dirname "$0")

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: checkpoint-restore: needs root (ptrace of any process, clone3 set_tid, PR_SET_MM_MAP)"
	exit 0
fi

status=0
# program:how it is told to check (usr1: SIGUSR1 after the restore; none)
for t in counter:usr1 memory:usr1 advice:usr1 pipe_read:usr1 nanosleep:none \
	deleted:usr1 fifo:usr1 memfd:usr1 eventfd:usr1 \
	pty:usr1 epoll:usr1 timerfd:usr1 signalfd:usr1 inotify:usr1 unix:usr1 udp:usr1; do
	name=${t%%:*}
	trigger=${t#*:}
	for rounds in 1 2; do
		unshare --pid --fork --mount-proc \
			sh "$here/scenario.sh" "$build" "$name" "$trigger" "$rounds" || status=1
	done
done
unshare --pid --fork --mount-proc sh "$here/scenario.sh" "$build" socket usr1 0 || status=1
# TCP connections keep their peer (in another network namespace) and the
# data in flight both ways, over IPv4 and IPv6, restored once and twice
for fam in 4 6; do
	for rounds in 1 2; do
		sh "$here/tcp_netns.sh" "$build" "$fam" "$rounds" || status=1
	done
done
# a network lock left behind (a ferry killed holding it) is listed and
# removed by `ferry netlock`, which leaves every other rule alone
sh "$here/netlock_stale.sh" "$build" || status=1
# real servers keep their clients: memcached, redis-server, python3 http.server
sh "$here/servers.sh" "$build" memcached redis http || status=1
unshare --pid --fork --mount-proc sh "$here/check_kinds.sh" "$build" || status=1
# the inventory: states ferry does not carry refused by name, before the
# freeze, and left untouched; and nothing this kernel shows unknown to it
unshare --pid --fork --mount-proc sh "$here/refused.sh" "$build" || status=1
sh "$here/inventory_complete.sh" "$build" || status=1
# clock continuity, also where the restoring kernel's clocks start near zero
for rounds in 1 2; do
	unshare --pid --fork --mount-proc sh "$here/scenario.sh" "$build" clock usr1 "$rounds" ||
		status=1
	FERRY_TEST_CLOCK_SHIFT=1 unshare --pid --fork --mount-proc \
		sh "$here/scenario.sh" "$build" clock_shift usr1 "$rounds" || status=1
done
# cached vDSO entry points, also redirected to a vDSO mapped elsewhere
for rounds in 1 2; do
	unshare --pid --fork --mount-proc sh "$here/scenario.sh" "$build" vdso usr1 "$rounds" ||
		status=1
	FERRY_FORCE_VDSO_REDIRECT=1 unshare --pid --fork --mount-proc \
		sh "$here/scenario.sh" "$build" vdso_redirect usr1 "$rounds" || status=1
done
# unmodified Debian binaries; python3 also as if onto a new kernel
for t in python busybox; do
	for rounds in 1 2; do
		unshare --pid --fork --mount-proc sh "$here/scenario.sh" "$build" "$t" usr1 "$rounds" ||
			status=1
	done
done
FERRY_FORCE_VDSO_REDIRECT=1 FERRY_TEST_CLOCK_SHIFT=1 unshare --pid --fork --mount-proc \
	sh "$here/scenario.sh" "$build" python_newkernel usr1 2 || status=1
# threads; signal and privilege state; process trees checkpointed with
# --tree (members, ids, pipes between them), one of them an unmodified
# busybox shell pipeline
for rounds in 1 2; do
	for t in threads sigstate; do
		unshare --pid --fork --mount-proc sh "$here/scenario.sh" "$build" "$t" usr1 "$rounds" ||
			status=1
	done
	for t in tree busybox-pipeline; do
		unshare --pid --fork --mount-proc sh "$here/scenario_tree.sh" "$build" "$t" "$rounds" ||
			status=1
	done
done
# an interactive bash in a tmux pane keeps its variables, functions,
# history, cwd, terminal settings and size, and answers new input
for rounds in 1 2; do
	unshare --pid --fork --mount-proc sh "$here/interactive_shell.sh" "$build" "$rounds" ||
		status=1
done
# restore --pidns: original pid in a new PID namespace with ferry as its
# init, the process's exit status passed on, a valid --json report
for rounds in 1 2; do
	unshare --pid --fork --mount-proc sh "$here/scenario_pidns.sh" "$build" "$rounds" ||
		status=1
done
# a thread in uninterruptible sleep: named after a bound, everyone thawed
unshare --pid --fork --mount-proc sh "$here/scenario_dstate.sh" "$build" || status=1
exit $status
