#!/bin/sh
# A process in uninterruptible sleep (t_dstate: waiting in vfork()), run as
# PID 1 of a private PID namespace by run.sh: the checkpoint must fail after
# its bound, name the process and its state, leave no image, and the
# process must go on untouched.
#
# Usage: scenario_dstate.sh BUILD
set -u
build="$1"
label="dstate-checkpoint-refused"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-dstate.XXXXXX)

fail() {
	echo "FAIL: $label: $*"
	for f in "$dir/log" "$dir/out"; do
		[ -s "$f" ] && tail -n 20 "$f" | sed 's/^/    /'
	done
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
	exit 1
}

"$build/tests/glue/t_dstate" "$dir" >"$dir/out" 2>&1 </dev/null &
pid=$!
i=0
while [ ! -e "$dir/ready" ]; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && fail "the program did not get ready"
	sleep 0.1
done
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
i=0
while [ -e "/proc/$pid" ]; do
	i=$((i + 1))
	[ "$i" -gt 200 ] && fail "the program did not finish"
	sleep 0.1
done
grep -q '^PASS: ' "$dir/out" || fail "the program says: $(grep -E '^(PASS|FAIL)' "$dir/out")"
echo "PASS: $label"
rm -rf "$dir"
