#!/bin/sh
# Verify after restore: a restore whose processes come out different from
# the image fails before they run, names the difference, removes them and
# keeps the image. A restorer started with no_new_privs set (as a service
# with NoNewPrivileges=yes is) gives it to every process it makes, and no
# process can clear it, where the image's process had it clear; then a
# plain restore of the same image brings the program back. Run as PID 1 of
# a private PID namespace.
#
# Usage: verify_differs.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-verify.XXXXXX)
label=restore-verify-refuses-a-difference

start_program counter
checkpoint_kill 1
setpriv --no-new-privs "$ferry" restore "$dir/image" >>"$dir/log" 2>&1 &&
	fail "a restore under no_new_privs passed its verify"
grep -q "restored pid $pid differs from the image: tid $pid: its NoNewPrivs is '1', not '0'" \
	"$dir/log" || fail "the failed verify does not name NoNewPrivs"
grep -q "restore of .* failed; the processes it had begun were removed" "$dir/log" ||
	fail "the failed verify does not say the processes were removed"
[ -e "/proc/$pid" ] && fail "pid $pid runs after the failed verify"
"$ferry" verify "$dir/image" >>"$dir/log" 2>&1 || fail "the image no longer verifies"
"$ferry" restore --json "$dir/image" >"$dir/json" 2>>"$dir/log" || fail "the plain restore failed"
jq -e '.processes[0].verify_ms >= 0' "$dir/json" >/dev/null 2>&1 ||
	fail "the JSON report has no verify_ms: $(cat "$dir/json")"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label"
rm -rf "$dir"
