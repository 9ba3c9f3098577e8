#!/bin/sh
# A restore that fails after the root of a tree already runs, run as PID 1
# of a private PID namespace by run.sh: the t_tree program is checkpointed
# with --tree --kill and restored with FERRY_TEST_RESTORE_FAIL_AFTER=1 (the
# restore fails once its first process, the root, has been let go). The
# restore must fail saying so, and leave no process of the image behind,
# the running root included; the image must then restore as if nothing had
# happened, and the tree check itself. With NAME net_veth (t_net_veth, a
# network namespace with a veth to ferry's), the failed restore must also
# have removed the pair it made: the host end fveth0 is gone at once, not
# left for the kernel to dismantle with the namespace.
#
# Usage: scenario_restore_fails.sh BUILD [NAME]
# host-test: run pidns
# host-test: run pidns net_veth
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" name="${2:-tree}"
label=restore-fails-after-root-runs
[ "$name" = tree ] || label="$label-$name"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-fail.XXXXXX)

cleanup() {
	[ -n "${members:-}" ] && kill -9 $members 2>/dev/null
	rm -rf "$dir"
}

# The pids of the image's processes, one per line.
image_pids() {
	"$ferry" inspect --json "$1" | jq -r '.processes[].pid'
}

start_program "$name"
sleep 0.3
"$ferry" checkpoint --tree "$pid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
	fail "checkpoint failed"
wait "$pid" 2>/dev/null
members=$(image_pids "$dir/image")
[ "$(echo "$members" | wc -l)" -ge 3 ] || fail "the image has fewer than 3 processes"
wait_gone 50 $members || fail "the tree is still there after checkpoint --kill"

FERRY_TEST_RESTORE_FAIL_AFTER=1 "$ferry" restore "$dir/image" >"$dir/failed" 2>&1 &&
	fail "the restore did not fail"
cat "$dir/failed" >>"$dir/log"
grep -q "the restore fails here, after 1 process let go" "$dir/failed" ||
	fail "the failure is not the one asked for: $(tail -n 3 "$dir/failed")"
grep -q "the processes it had begun were removed" "$dir/failed" ||
	fail "the failure does not say the processes were removed"
for p in $members; do
	[ -e "/proc/$p" ] && fail "pid $p is still there after the failed restore: $(cat /proc/$p/stat)"
done
if [ "$name" = net_veth ] && ip link show fveth0 >/dev/null 2>&1; then
	fail "the host end fveth0 of the veth is still there after the failed restore"
fi

"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "the restore after the failed one failed"
for p in $members; do
	[ -e "/proc/$p" ] || fail "pid $p is missing after the second restore"
done
sleep 0.3
kill -USR1 "$pid"
wait_gone 200 $members || fail "the restored tree did not finish"
program_passed
echo "PASS: $label"
rm -rf "$dir"
