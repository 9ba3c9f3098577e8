#!/bin/sh
# `ferry check` names every descriptor it cannot checkpoint, with its kind,
# and changes nothing: run as PID 1 of a private PID namespace by run.sh.
#
# Usage: check_kinds.sh BUILD
set -u
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-kinds.XXXXXX)
label=check-names-unsupported-kinds

fail() {
	echo "FAIL: $label: $*"
	[ -s "$dir/log" ] && tail -n 20 "$dir/log" | sed 's/^/    /'
	kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
	exit 1
}

"$build/tests/glue/t_unsupported" "$dir" >"$dir/out" 2>&1 </dev/null &
pid=$!
i=0
while [ ! -e "$dir/ready" ]; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && fail "the program did not get ready"
	sleep 0.1
done
"$ferry" check --pid "$pid" >"$dir/log" 2>&1 && fail "check says it can be checkpointed"
for kind in "eventpoll.*closed or replaced" "fanotify.*fanotify" "socket:.*sockets" \
	"pidfd.*pidfd"; do
	grep -q "pid $pid fd [0-9]*: .*$kind.*not supported" "$dir/log" ||
		fail "the check does not name /$kind/"
done
kill -USR1 "$pid"
wait "$pid"
grep -q "^PASS: " "$dir/out" || fail "the program did not run on after the check"
echo "PASS: $label"
rm -rf "$dir"
