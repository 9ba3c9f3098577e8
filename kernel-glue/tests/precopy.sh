#!/bin/sh
# checkpoint --pre-copy of t_precopy, whose memory keeps changing while it
# is copied: checkpoint --pre-copy --kill, restore, the same again, then
# the program checks every page. The summary line must name pages written
# before the freeze (at least its 32 MiB that never change, but for the two
# chunks at its ends, shared with the areas next to it) and during it (the
# hot part it keeps rewriting), and two rounds of copies at least; the
# image must verify. On a kernel without soft-dirty pages
# (CONFIG_MEM_SOFT_DIRTY) ferry must say so and copy every page at the
# freeze: the run is then precopy-no-soft-dirty-restored-2x, which checks
# that path only (the QEMU
# scenario precopy-generic runs this program on a kernel that has them).
#
# Usage: precopy.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
label=precopy-restored-2x
dir=$(mktemp -d /tmp/ferry-precopy.XXXXXX)

# precopy_kill ROUND: checkpoint --pre-copy --kill of $pid, its summary
# checked
precopy_kill() {
	sleep 0.3 # the writer well under way
	"$ferry" checkpoint --pid "$pid" -o "$dir/image" --kill --pre-copy >"$dir/summary" \
		2>>"$dir/log" || { cat "$dir/summary" >>"$dir/log"; fail "checkpoint $1 failed"; }
	cat "$dir/summary" >>"$dir/log"
	wait "$pid" 2>/dev/null
	wait_gone 50 "$pid" || fail "pid $pid still exists after checkpoint $1 with --kill"
	if grep -q "tracks no soft-dirty" "$dir/log"; then
		label=precopy-no-soft-dirty-restored-2x
		grep -q "pages written before the freeze" "$dir/summary" &&
			fail "checkpoint $1: pre-copy numbers without soft-dirty pages"
		"$ferry" verify "$dir/image" >>"$dir/log" 2>&1 ||
			fail "checkpoint $1: the image does not verify"
		return
	fi
	before=$(sed -n 's/.*: \([0-9]*\) pages written before the freeze.*/\1/p' "$dir/summary")
	during=$(sed -n 's/.*), \([0-9]*\) during it$/\1/p' "$dir/summary")
	[ -n "$before" ] && [ -n "$during" ] || fail "checkpoint $1: no pre-copy numbers in its summary"
	[ "$before" -ge 8000 ] || fail "checkpoint $1: only $before pages written before the freeze"
	[ "$during" -ge 1 ] || fail "checkpoint $1: no page written during the freeze"
	rounds=$(sed -n 's/.* copied in \([0-9]*\) rounds*), .*/\1/p' "$dir/summary")
	[ "${rounds:-0}" -ge 2 ] || fail "checkpoint $1: $rounds rounds of pre-copy, not 2 or more"
	grep -q '^pre-copy: pages copied by round: [0-9]' "$dir/summary" ||
		fail "checkpoint $1: no pages by round in its summary"
	"$ferry" verify "$dir/image" >>"$dir/log" 2>&1 || fail "checkpoint $1: the image does not verify"
}

start_program precopy
precopy_kill 1
restore_back 1
precopy_kill 2
restore_back 2
kill -USR1 "$pid"
wait_gone 300 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label"
rm -rf "$dir"
