#!/bin/sh
# A process tree, run as PID 1 of a private PID namespace by run.sh:
# start it, wait until it is ready, note every member's parent, process
# group and session, ROUNDS times checkpoint it with --tree --kill and
# restore it; the same members must come back with the same ids. Then:
#   t_NAME programs: SIGUSR1 to the root, which checks itself (PASS/FAIL);
#   busybox-pipeline: a busybox shell loop writing numbers through a pipe to
#     cat into a file; the numbers must go on with neither gap nor repeat.
# With RESTORE_LAZY=1 it restores with --lazy (label NAME-lazy): memory
# shared between processes is written before they run, the rest is the
# pager's. With LIVE_FIRST=1 (label NAME-live-first) a checkpoint without
# --kill comes first, which the tree runs on through, as it was: what the
# program checks at the end covers it too. T_BETWEEN=NAME runs the helper
# NAME.sh of this folder between each kill and its restore (label
# NAME-...-NAME).
#
# Usage: [RESTORE_LAZY=1] [LIVE_FIRST=1] [T_BETWEEN=NAME] scenario_tree.sh BUILD NAME ROUNDS
# host-test: run pidns tree 1
# host-test: run pidns busybox-pipeline 1
# host-test: run pidns tree 2
# host-test: run pidns busybox-pipeline 2
# host-test: run pidns lock_waiter 1
# host-test: run pidns lock_waiter 2
# host-test: run pidns jobctl 1
# host-test: run pidns jobctl 2
# host-test: run pidns shared 1
# host-test: run pidns shared 2
# host-test: run pidns RESTORE_LAZY=1 shared 1
# host-test: run pidns pidfd 1
# host-test: run pidns pidfd 2
# host-test: run pidns zombies 1
# host-test: run pidns zombies 2
# host-test: run pidns tcp_bind 1
# host-test: run pidns tcp_bind 2
# host-test: run pidns LIVE_FIRST=1 tcp_bind 1
# host-test: run pidns sysv_shm 1
# host-test: run pidns sysv_shm 2
# host-test: run pidns T_BETWEEN=sysv_shm_remove sysv_shm 2
# host-test: run pidns LIVE_FIRST=1 sysv_shm 1
# host-test: run pidns sysv_ipc 1
# host-test: run pidns sysv_ipc 2
# host-test: run pidns T_BETWEEN=sysv_ipc_remove sysv_ipc 2
# host-test: run pidns LIVE_FIRST=1 sysv_ipc 1
# host-test: run pidns net_ns 1
# host-test: run pidns net_ns 2
# host-test: run pidns LIVE_FIRST=1 net_ns 1
# host-test: run pidns net_veth 1
# host-test: run pidns net_veth 2
# host-test: run pidns LIVE_FIRST=1 net_veth 1
# host-test: run pidns LIVE_FIRST=1 tree 1
# host-test: run pidns LIVE_FIRST=1 lock_waiter 1
# host-test: run pidns LIVE_FIRST=1 jobctl 1
# host-test: run pidns LIVE_FIRST=1 shared 1
# host-test: run pidns LIVE_FIRST=1 pidfd 1
# host-test: run pidns LIVE_FIRST=1 zombies 1
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" name="$2" rounds="$3"
rounds_label "$name" "$rounds"
restore_opts=
[ -n "${T_BETWEEN:-}" ] && label="$label-$T_BETWEEN"
if [ "${RESTORE_LAZY:-0}" = 1 ]; then
	restore_opts=--lazy
	label="$label-lazy"
fi
[ "${LIVE_FIRST:-0}" = 1 ] && label="$label-live-first"
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-tree.XXXXXX)

cleanup() {
	[ -n "${members:-}" ] && kill -9 $members 2>/dev/null
	rm -rf "$dir"
}

# "pid ppid pgid sid" of $1 and every descendant, one line each, sorted.
tree_ids() {
	for s in /proc/[0-9]*/stat; do
		# fields after the ')' of comm: state ppid pgrp session
		sed 's/^\([0-9]*\) (.*) [A-Za-z] \([0-9]*\) \([0-9]*\) \([0-9]*\) .*/\1 \2 \3 \4/' "$s" 2>/dev/null
	done | awk -v root="$1" '
		{ pp[$1] = $2; line[$1] = $0 }
		END {
			for (p in line) {
				q = p
				while (q != "" && q != root && q != 0 && q != 1) q = pp[q]
				if (q == root) print line[p]
			}
		}' | sort -n
}

# The same, as the image has them (a zombie in its parent's node).
image_ids() {
	"$ferry" inspect --json "$1" |
		jq -r '.processes[] | "\(.pid) \(.ppid) \(.pgid) \(.sid)",
			(.pid as $p | (.kinds.zombies // [])[] | "\(.pid) \($p) \(.pgid) \(.sid)")' |
		sort -n
}

# In the busybox pipeline the loop's commands (`sleep 0.1`, the root's
# grandchildren) come and go: one may finish, and the next begin, between a
# restore and the reading of the tree. Leave them out of the comparison.
settled() {
	if [ "$name" != busybox-pipeline ]; then
		cat
		return
	fi
	awk -v root="$1" '{ pp[$1] = $2; id[NR] = $1; l[NR] = $0 }
		END { for (i = 1; i <= NR; i++) if (pp[pp[id[i]]] != root) print l[i] }'
}

# Whether the busybox pipeline has written its first 5 numbers.
numbers_flow() {
	[ "$( (wc -l <"$dir/numbers") 2>/dev/null || echo 0)" -ge 5 ]
}

if [ "$name" = busybox-pipeline ]; then
	command -v busybox >/dev/null || skip "busybox is not installed"
	# the shell first closes what it inherited beyond stdio (pipes of
	# whatever started the tests): the tree must be self-contained
	setsid busybox sh -c 'cd /proc/self/fd && for fd in *; do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; cd /
		i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done | busybox cat > '"$dir/numbers" \
		>"$dir/out" 2>&1 </dev/null &
	pid=$!
	wait_for 100 "the pipeline did not start" numbers_flow
else
	start_program "$name"
fi
sleep 0.3
before=$(tree_ids "$pid")
members=$(echo "$before" | awk '{ print $1 }')
[ "$(echo "$members" | wc -l)" -ge 3 ] || fail "the tree has fewer than 3 processes: $before"

if [ "${LIVE_FIRST:-0}" = 1 ]; then
	"$ferry" checkpoint --tree "$pid" -o "$dir/live-image" >>"$dir/log" 2>&1 ||
		fail "the checkpoint without --kill failed"
	sleep 0.3
	[ "$(tree_ids "$pid")" = "$before" ] ||
		fail "after a checkpoint without --kill the tree is: $(echo $(tree_ids "$pid")) instead of: $(echo $before)"
fi

round=1
while [ "$round" -le "$rounds" ]; do
	"$ferry" checkpoint --tree "$pid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
		fail "checkpoint $round failed"
	wait "$pid" 2>/dev/null
	wait_gone 50 $members || fail "the tree is still there after checkpoint --kill"
	# T_BETWEEN=NAME runs the helper NAME.sh of this folder before the restore
	if [ -n "${T_BETWEEN:-}" ]; then
		sh "$(dirname "$0")/$T_BETWEEN.sh" >>"$dir/log" 2>&1 || fail "$T_BETWEEN.sh failed"
	fi
	[ "$name" = busybox-pipeline ] && lines_at_ckpt=$(wc -l <"$dir/numbers")
	members=$(image_ids "$dir/image" | awk '{ print $1 }')
	# shellcheck disable=SC2086 # no option, or one
	"$ferry" restore $restore_opts "$dir/image" >>"$dir/log" 2>&1 ||
		fail "restore $round failed"
	if [ -n "$restore_opts" ]; then
		grep -q "left to the pager" "$dir/log" || fail "restore $round left no pages to a pager"
	fi
	after=$(tree_ids "$pid" | settled "$pid")
	saved=$(image_ids "$dir/image" | settled "$pid")
	[ "$after" = "$saved" ] ||
		fail "after restore $round the tree is: $(echo $after) instead of: $(echo $saved)"
	sleep 0.3
	round=$((round + 1))
done

if [ "$name" = busybox-pipeline ]; then
	sleep 1
	n=$(wc -l <"$dir/numbers")
	[ "$n" -gt "$lines_at_ckpt" ] || fail "no numbers after the restore ($n lines)"
	awk 'NR != $1 { print "line " NR " is " $1; bad = 1; exit } END { exit bad }' \
		"$dir/numbers" >"$dir/check" || fail "numbers out of order: $(cat "$dir/check")"
	kill -9 $members 2>/dev/null
	wait_gone 50 $members
	echo "PASS: $label"
	rm -rf "$dir"
	exit 0
fi

kill -USR1 "$pid"
wait_gone 200 $members || fail "the restored tree did not finish"
program_passed
echo "PASS: $label"
rm -rf "$dir"
