#!/bin/sh
# The inventory knows everything this kernel shows: every field of
# /proc/PID/status, every field and VmFlags mnemonic of smaps (of every
# process on this machine), every namespace of /proc/PID/ns is a key of
# `ferry check --inventory`; and the inventory, walked over a program that
# holds one descriptor of every kind it can make and over every process of
# this machine, never meets a key it does not know nor a file it can only
# call "this kind of ...". A kernel that shows something new fails here
# until the inventory carries or refuses it by name.
#
# Usage: inventory_complete.sh BUILD
# host-test: run
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-inventory.XXXXXX)
label=inventory-knows-this-kernel

fail_report() {
	show_tails 20 "    " "$dir/unknown"
}

"$ferry" check --inventory >"$dir/known" 2>&1 || fail "ferry check --inventory failed"
# "SOURCE KEY: ..." lines; keys may hold spaces ("settime flags")
known() {
	grep -qF "$1 $2:" "$dir/known"
}

start_program kinds_all
: >"$dir/unknown"
for f in "/proc/$pid/status" /proc/"$pid"/task/*/status; do
	cut -d: -f1 "$f"
done | sort -u | while read -r key; do
	known status "$key" || echo "status field $key" >>"$dir/unknown"
done
for f in /proc/[0-9]*/smaps; do
	cat "$f" 2>/dev/null
done | awk '/^[0-9a-f]+-[0-9a-f]+ / { next }
	$1 == "VmFlags:" { for (i = 2; i <= NF; i++) print $i; next }
	{ sub(/:.*/, ""); print }' | sort -u | while read -r key; do
	known area "$key" || echo "smaps field or VmFlags $key" >>"$dir/unknown"
done
for ns in /proc/"$pid"/ns/*; do
	known ns "${ns##*/}" || echo "namespace ${ns##*/}" >>"$dir/unknown"
done
[ -s "$dir/unknown" ] && fail "ferry check --inventory does not know: $(tr '\n' ',' <"$dir/unknown")"

# the walk itself, over the program and every process here but kernel
# threads (whose status says Kthread or who have no memory)
generic='is not known to ferry|this kind of anonymous inode|this kind of file|sockets of family [0-9]'
"$ferry" check --no-freeze --pid "$pid" >"$dir/walk" 2>&1 &&
	fail "ferry check accepts a program holding io_uring, perf and BPF descriptors"
grep -q "anon_inode:\[eventfd\]\|anon_inode:\[eventpoll\]" "$dir/walk" &&
	fail "the walk refuses a kind ferry carries: $(grep -m1 'eventfd\|eventpoll' "$dir/walk")"
for p in /proc/[0-9]*; do
	p=${p#/proc/}
	[ "$p" = "$$" ] && continue
	readlink "/proc/$p/exe" >/dev/null 2>&1 || continue
	grep -q '^Kthread:[[:space:]]*1' "/proc/$p/status" 2>/dev/null && continue
	"$ferry" check --no-freeze --pid "$p" >>"$dir/walk" 2>&1
done
grep -E "$generic" "$dir/walk" >"$dir/unknown"
[ -s "$dir/unknown" ] && fail "the inventory meets what it does not know"
kill -USR1 "$pid"
wait "$pid"
program_passed
echo "PASS: $label"
rm -rf "$dir"
