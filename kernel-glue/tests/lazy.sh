#!/bin/sh
# ferry restore --lazy, run as PID 1 of a private PID namespace by run.sh:
#   lazy-faults: the pager serves touches only (FERRY_TEST_LAZY_FAULTS_ONLY),
#     so every page t_lazy checks after the restore is still missing when
#     it forks, drops, moves, and has the kernel read and write its pages;
#   lazy: with the background pass, the pager and its guard go once every
#     page is home, and the restored process checkpoints and restores again;
#   lazy-pager-killed: the pager killed while pages are missing: the guard
#     ends the restored process, which never runs on missing pages, and
#     says so.
#
# Usage: lazy.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
label=lazy
guard=

cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$guard" ] && kill -9 "$guard" $(pager_of "$guard") 2>/dev/null
	rm -rf "${dir:-}"
}

# pager_of GUARD: the pid of the pager, the guard's child
pager_of() {
	# shellcheck disable=SC2046 # the list, split
	set -- $(cat "/proc/$1/task/$1/children" 2>/dev/null)
	echo "${1:-}"
}

# restore_lazy [VAR=VALUE...]: checkpoint t_lazy with --kill, restore it
# with --lazy in that environment; guard is the pid the report names
restore_lazy() {
	dir=$(mktemp -d /tmp/ferry-lazy.XXXXXX)
	start_program lazy
	checkpoint_kill 1
	env "$@" "$ferry" restore --lazy "$dir/image" >"$dir/report" 2>>"$dir/log" ||
		fail "restore --lazy failed"
	cat "$dir/report" >>"$dir/log"
	[ -e "/proc/$pid" ] || fail "pid $pid is not there after the restore"
	grep -q "left to the pager" "$dir/report" || fail "the report names no lazy pages"
	guard=$(sed -n 's/.*the pager.s guard is pid \([0-9]*\).*/\1/p' "$dir/report")
	[ -n "$guard" ] || fail "the report names no guard"
	left=$(sed -n 's/.*(\([0-9]*\) left to the pager).*/\1/p' "$dir/report")
	[ "${left:-0}" -gt 4096 ] || fail "only ${left:-0} pages were left to the pager"
}

label=lazy-faults
restore_lazy FERRY_TEST_LAZY_FAULTS_ONLY=1
pager=$(pager_of "$guard")
[ -n "$pager" ] || fail "the guard $guard has no pager"
grep -q '^ferry-pager$' "/proc/$pager/comm" || fail "pid $pager is not the pager"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
# its work done, the pager (serving touches only) is ended by hand
kill "$pager"
wait_gone 50 "$guard" "$pager" || fail "the pager and its guard did not go"
echo "PASS: $label"
rm -rf "$dir"
guard=

label=lazy
restore_lazy
kill -USR1 "$pid"
wait_gone 200 "$guard" || fail "the pager's guard did not go (pages never all home?)"
grep -q "pager.*failed\|pager.*killed" "$dir/log" && fail "the pager failed"
# every page home and the uffd gone: the process checkpoints again
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label"
rm -rf "$dir"
guard=

label=lazy-restored-2x
restore_lazy
wait_gone 200 "$guard" || fail "the pager's guard did not go"
guard=
"$ferry" checkpoint --pid "$pid" -o "$dir/image2" --kill >>"$dir/log" 2>&1 ||
	fail "the second checkpoint failed"
wait_gone 50 "$pid" || fail "pid $pid still exists after checkpoint --kill"
"$ferry" restore "$dir/image2" >>"$dir/log" 2>&1 || fail "the second restore failed"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label"
rm -rf "$dir"

label=lazy-pager-killed
# the guard waits 1.5 s before it ends the process: meanwhile the process,
# told to check its memory, must wait on its first missing page
restore_lazy FERRY_TEST_LAZY_FAULTS_ONLY=1 FERRY_TEST_LAZY_GUARD_DELAY_MS=1500
pager=$(pager_of "$guard")
[ -n "$pager" ] || fail "the guard $guard has no pager"
kill -9 "$pager"
kill -USR1 "$pid"
sleep 0.5
[ -e "/proc/$pid" ] || fail "the restored process ended before its guard ended it"
grep -qE '^(PASS|FAIL)' "$dir/out" && fail "the process ran on after its pager was killed"
wait_gone 50 "$pid" || fail "the restored process still runs after its pager was killed"
wait_gone 50 "$guard" || fail "the guard did not go"
grep -q "pager (pid $pager) was killed by signal 9 .*restored processes were ended" \
	"$dir/log" || fail "the guard did not say why it ended the processes"
grep -qE '^(PASS|FAIL)' "$dir/out" && fail "the process ran on after its pager was killed"
echo "PASS: $label"
rm -rf "$dir"
guard=
exit 0
