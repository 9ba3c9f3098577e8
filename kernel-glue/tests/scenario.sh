#!/bin/sh
# One scenario, run as PID 1 of a private PID namespace by run.sh:
# start build/tests/glue/t_NAME, wait until it is ready, ROUNDS times
# checkpoint it with --kill and restore it, then let it check itself.
#
# ROUNDS 0: the checkpoint must be refused, leave no image and the program
# running untouched.
#
# Usage: scenario.sh BUILD NAME TRIGGER ROUNDS
set -u
build="$1" name="$2" trigger="$3" rounds="$4"
label="$name"
[ "$rounds" -gt 1 ] && label="$name-restored-${rounds}x"
[ "$rounds" -eq 0 ] && label="$name-checkpoint-refused"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-cr.XXXXXX)

fail() {
	echo "FAIL: $label: $*"
	for f in "$dir/log" "$dir/out"; do
		[ -s "$f" ] && tail -n 20 "$f" | sed 's/^/    /'
	done
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
	exit 1
}

# Wait (reaping what we adopted: every foreground command does) until
# /proc/$1 is gone, at most $2 tenths of a second.
wait_gone() {
	i=0
	while [ -e "/proc/$1" ]; do
		i=$((i + 1))
		[ "$i" -gt "$2" ] && return 1
		sleep 0.1
	done
	return 0
}

"$build/tests/glue/t_$name" "$dir" >"$dir/out" 2>&1 </dev/null &
pid=$!
i=0
while [ ! -e "$dir/ready" ]; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && fail "the program did not get ready"
	sleep 0.1
done
sleep 0.2 # into its blocking call

if [ "$rounds" -eq 0 ]; then
	"$ferry" checkpoint --pid "$pid" -o "$dir/image" >>"$dir/log" 2>&1 &&
		fail "the checkpoint was not refused"
	grep -q "fd [0-9]*: socket:.*not supported" "$dir/log" ||
		fail "the refusal does not name the socket"
	[ -e "$dir/image" ] || [ -e "$dir/image.partial" ] && fail "an image was left behind"
	"$ferry" check --pid "$pid" >>"$dir/log" 2>&1 && fail "check says it can be checkpointed"
fi

round=1
while [ "$round" -le "$rounds" ]; do
	"$ferry" checkpoint --pid "$pid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
		fail "checkpoint $round failed"
	wait "$pid" 2>/dev/null
	wait_gone "$pid" 50 || fail "pid $pid still exists after checkpoint --kill"
	"$ferry" verify "$dir/image" >>"$dir/log" 2>&1 || fail "image $round does not verify"
	"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "restore $round failed"
	[ -e "/proc/$pid" ] || fail "pid $pid is not there after restore $round"
	sleep 0.2
	round=$((round + 1))
done

[ "$trigger" = usr1 ] && kill -USR1 "$pid"
wait_gone "$pid" 200 || fail "the restored program did not finish"

verdict=$(grep -E '^(PASS|FAIL): ' "$dir/out" | head -n 1)
starts=$(grep -c '^started ' "$dir/out")
case "$verdict" in
PASS:*)
	[ "$starts" -eq 1 ] || fail "the program started $starts times"
	echo "PASS: $label"
	;;
FAIL:*) fail "the program says: ${verdict#FAIL: }" ;;
*) fail "the program gave no verdict" ;;
esac
rm -rf "$dir"
