#!/bin/sh
# ferry adopt, as systemd runs it on the boot after ferry update --unit: in
# the unit's cgroup (a cgroup ferry-adopt-N of the cgroup2 hierarchy
# stands in for it), with a record of restored processes as ferry-init
# writes it (here a sleep outside that cgroup as the main PID, and its
# child). ferry adopt must move both into its own cgroup, write the main
# PID into the PID file, remove the record and exit 0. A record whose
# process has another start time (not the restored one) is refused with
# exit status 1, and removed all the same.
#
# Usage: adopt.sh BUILD
# host-test: run
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
label=adopt
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-adopt.XXXXXX)
base=""
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
	[ -n "${kid:-}" ] && kill "$kid" 2>/dev/null
	wait 2>/dev/null
	[ -n "$base" ] && [ -d "$base" ] && { poll 50 rmdir "$base" 2>/dev/null || echo "cannot remove $base"; }
	rm -rf "$dir"
}

cg2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg2" ] || skip "no cgroup2 hierarchy is mounted whole here"
base="$cg2/ferry-adopt-$$"
mkdir "$base" 2>"$dir/mkdir" || { base=""; skip "cannot make a cgroup in $cg2: $(cat "$dir/mkdir")"; }
unit="test-$$.service"
orig=$(sed -n 's/^0:://p' /proc/self/cgroup)

# the restored processes: a sleep and its child, in this script's cgroup
sh -c 'sleep 60 & echo $! >"$1"; wait' sh "$dir/kid" </dev/null >/dev/null 2>&1 &
pid=$!
poll 50 test -s "$dir/kid" || fail "the child did not start"
kid=$(cat "$dir/kid")
start_of() { cut -d')' -f2 "/proc/$1/stat" | awk '{ print $20 }'; }
printf 'MAINPID=%s\nPID=%s %s\nPID=%s %s\n' "$pid" "$pid" "$(start_of "$pid")" \
	"$kid" "$(start_of "$kid")" >"$dir/$unit.adopt"

# ferry adopt in the unit's cgroup, as its ExecStart
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" adopt --dir "$3" "$4"' sh "$base" "$ferry" \
	"$dir" "$unit" >"$dir/out" 2>&1 || fail "ferry adopt failed: $(cat "$dir/out")"
own="/${base#"$cg2"/}"
for p in "$pid" "$kid"; do
	[ "$(sed -n 's/^0:://p' "/proc/$p/cgroup")" = "$own" ] ||
		fail "pid $p is in $(sed -n 's/^0:://p' "/proc/$p/cgroup"), not the unit's cgroup $own"
done
[ "$(cat "$dir/$unit.pid")" = "$pid" ] || fail "the PID file holds '$(cat "$dir/$unit.pid")', not $pid"
[ ! -e "$dir/$unit.adopt" ] || fail "the record is still there"
grep -q "main PID $pid" "$dir/out" || fail "ferry adopt did not say what it adopted: $(cat "$dir/out")"
echo "PASS: $label"

label=adopt-other-process-refused
printf 'MAINPID=%s\nPID=%s %s\n' "$pid" "$pid" "$(($(start_of "$pid") + 1))" >"$dir/$unit.adopt"
"$ferry" adopt --dir "$dir" "$unit" >"$dir/out" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "ferry adopt of a record with another start time: exit status $rc, not 1"
grep -q "restored pid $pid is gone (or another process has its pid)" "$dir/out" ||
	fail "not the refusal wanted: $(cat "$dir/out")"
[ ! -e "$dir/$unit.adopt" ] || fail "the refused record is still there"
echo "PASS: $label"

# the processes back where they were, so that the cgroup can go
for p in "$pid" "$kid"; do echo "$p" >"$cg2$orig/cgroup.procs"; done
cleanup
