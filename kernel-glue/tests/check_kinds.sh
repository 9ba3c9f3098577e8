#!/bin/sh
# `ferry check` names every descriptor it cannot checkpoint, with its kind,
# and changes nothing: run as PID 1 of a private PID namespace by run.sh.
#
# Usage: check_kinds.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-kinds.XXXXXX)
label=check-names-unsupported-kinds

# fail shows ferry's log only
fail_report() {
	show_tails 20 "    " "$dir/log"
}

start_program unsupported
"$ferry" check --pid "$pid" >"$dir/log" 2>&1 && fail "check says it can be checkpointed"
for kind in "eventpoll.*closed or replaced" "fanotify.*fanotify" "socket:.*sockets"; do
	grep -q "pid $pid fd [0-9]*: .*$kind.*not supported" "$dir/log" ||
		fail "the check does not name /$kind/"
done
grep -q "pid $pid fd [0-9]*: .*pidfd.*: a pidfd of a process outside the checkpoint" "$dir/log" ||
	fail "the check does not name the pidfd of a process outside"
kill -USR1 "$pid"
wait "$pid"
grep -q "^PASS: " "$dir/out" || fail "the program did not run on after the check"
echo "PASS: $label"
rm -rf "$dir"
