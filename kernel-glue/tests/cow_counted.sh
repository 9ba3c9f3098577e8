#!/bin/sh
# Private pages a child still shares copy-on-write with its parent are
# counted and named, not copied silently: t_cow's child shares the first
# 512 pages of an area with its parent (and a few of its stack and
# libraries) and has rewritten the other 512. `ferry check --tree` and
# `ferry checkpoint --tree` warn with its pid and the number, which must be
# at least 512 and less than 1024. Checkpointed with --kill and restored,
# both find every page as before; and the restore made copies: a check of
# the restored tree counts fewer than 512. Before that, a checkpoint
# without --kill leaves the tree running as it was: counted from outside
# (their pagemaps), parent and child still share the 512 page frames of
# the area (reading a page must not give it a copy of its own). Run as
# PID 1 of a private PID namespace by run.sh.
#
# Usage: cow_counted.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-cow.XXXXXX)
label=cow-pages-counted

cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" ${child:-} 2>/dev/null
	rm -rf "$dir"
}

# shared_count LOG: the number of pages the warning of LOG gives the child
shared_count() {
	sed -n "s/.*warning: pid $child: \([0-9]*\) of its private pages are shared copy-on-write with its parent (pid $pid).*/\1/p" "$1" |
		head -n 1
}

start_program cow
child=$(awk '{ print $1 }' "/proc/$pid/task/$pid/children")
[ -n "$child" ] || fail "the program has no child"
"$ferry" check --tree "$pid" >"$dir/log" 2>&1 || fail "check refuses the tree"
n=$(shared_count "$dir/log")
[ -n "$n" ] || fail "the check does not count the child's shared pages"
[ "$n" -ge 512 ] && [ "$n" -lt 1024 ] ||
	fail "the check counts $n shared pages, not 512 to 1023"
# shared_now: the pages of t_cow's area where parent and child map the
# same page frame (/proc/PID/pagemap, as root), now
shared_now() {
	python3 - "$pid" "$child" "$(sed -n 's/^area: \(0x[0-9a-f]*\) .*/\1/p' "$dir/out")" <<'EOF'
import struct, sys
parent, child, addr = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
PAGES, PFN = 1024, (1 << 55) - 1
def pagemap(pid):
    with open("/proc/%s/pagemap" % pid, "rb") as f:
        f.seek(addr // 4096 * 8)
        return struct.unpack("%dQ" % PAGES, f.read(PAGES * 8))
print(sum(1 for p, c in zip(pagemap(parent), pagemap(child))
          if p >> 63 and c >> 63 and p & PFN and p & PFN == c & PFN))
EOF
}
grep -q '^area: 0x' "$dir/out" || fail "the program did not say where its area is"
before=$(shared_now) || fail "cannot count the shared pages"
[ "$before" -eq 512 ] || fail "before the checkpoint parent and child share $before pages, not 512"
"$ferry" checkpoint --tree "$pid" -o "$dir/image" >"$dir/log" 2>&1 ||
	fail "the checkpoint without --kill failed"
[ -e "/proc/$pid" ] && [ -e "/proc/$child" ] || fail "the tree is gone after checkpoint without --kill"
running=$(shared_now) || fail "cannot count the shared pages"
[ "$running" -eq 512 ] ||
	fail "after a checkpoint without --kill the running parent and child share $running pages, not 512"
rm -f "$dir/image"
"$ferry" checkpoint --tree "$pid" -o "$dir/image" --kill >"$dir/log" 2>&1 ||
	fail "the checkpoint failed"
[ "$(shared_count "$dir/log")" = "$n" ] ||
	fail "the checkpoint counts $(shared_count "$dir/log") shared pages, the check $n"
wait "$pid" 2>/dev/null
wait_gone 50 "$pid" "$child" || fail "the tree is still there after checkpoint --kill"
"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "the restore failed"
"$ferry" check --tree "$pid" >"$dir/log2" 2>&1 || fail "check refuses the restored tree"
after=$(shared_count "$dir/log2")
[ "${after:-0}" -lt 512 ] ||
	fail "after the restore the child still shares $after pages: the count was not of copies"
kill -USR1 "$pid"
wait_gone 100 "$pid" "$child" || fail "the restored tree did not finish"
program_passed
echo "PASS: $label (the child shared $n pages with its parent, $running of the area still after a checkpoint without --kill, ${after:-0} after the restore)"
rm -rf "$dir"
