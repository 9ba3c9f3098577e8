#!/bin/sh
# A process in uninterruptible sleep (t_dstate: waiting in vfork()), run as
# PID 1 of a private PID namespace by run.sh: the checkpoint must fail after
# its bound, name the process and its state, leave no image, and the
# process must go on untouched.
#
# Usage: scenario_dstate.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
label="dstate-checkpoint-refused"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-dstate.XXXXXX)

start_program dstate
sleep 0.5 # into vfork()
grep -q '^State:.*D' "/proc/$pid/status" || fail "the program is not in state D: $(grep State /proc/$pid/status)"
start=$(date +%s)
"$ferry" checkpoint --pid "$pid" -o "$dir/image" >>"$dir/log" 2>&1 &&
	fail "the checkpoint did not fail"
took=$(($(date +%s) - start))
[ "$took" -le 7 ] || fail "the checkpoint took $took s to give up"
grep -q "pid $pid tid $pid: in uninterruptible sleep" "$dir/log" ||
	fail "the error does not name the process in uninterruptible sleep"
[ -e "$dir/image" ] || [ -e "$dir/image.partial" ] && fail "an image was left behind"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the program did not finish"
grep -q '^PASS: ' "$dir/out" || fail "the program says: $(grep -E '^(PASS|FAIL)' "$dir/out")"
echo "PASS: $label"
rm -rf "$dir"
