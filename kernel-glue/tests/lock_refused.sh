#!/bin/sh
# Locks ferry cannot carry exactly (t_lock_refused.c: held or awaited by a
# process outside the selection, kept by a mapping alone, on a pipe, a
# lease being broken) are each named by `ferry check` and the checkpoint,
# which leave no image and the process running with all its locks: run as
# PID 1 of a private PID namespace by run.sh.
#
# Usage: lock_refused.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-locks.XXXXXX)
label=lock-refused-by-name

start_program lock_refused
"$ferry" check --pid "$pid" >"$dir/log" 2>&1 && fail "check says it can be checkpointed"
for what in "outside.data: a POSIX read lock on bytes 0-9 held by pid [0-9]*, outside the selection" \
	"waiting.data: pid [0-9]*, outside the selection, waits for a POSIX write lock on bytes 0-9" \
	"fd [0-9]*: .*shared.data: its flock lock belongs to its open file description, which pid [0-9]*, outside the selection, has too" \
	"pid $pid: an exclusive flock lock on inode .*none of its descriptors has" \
	"fd [0-9]*: pipe: an exclusive flock lock on a file of kind pipe is not carried" \
	"fd [0-9]*: .*lease.data: a lease being broken"; do
	grep -q "$what" "$dir/log" || fail "the check does not name /$what/"
done
"$ferry" checkpoint --pid "$pid" -o "$dir/image" >"$dir/log2" 2>&1 &&
	fail "the checkpoint was not refused"
grep -q "outside.data: a POSIX read lock" "$dir/log2" ||
	fail "the checkpoint's refusal does not name the lock"
[ -e "$dir/image" ] || [ -e "$dir/image.partial" ] && fail "an image was left behind"
kill -USR1 "$pid"
wait "$pid"
program_passed
echo "PASS: $label"
rm -rf "$dir"
