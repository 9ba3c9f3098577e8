#!/bin/sh
# Processes in cgroups of their own, as a service is in its unit's: the
# t_tree program's root is moved into ferry-test-N/svc of the cgroup2
# hierarchy, its first child into ferry-test-N/svc/worker (and the root into
# ferry-test-N of a cgroup v1 hierarchy where one is mounted).
# `ferry check --cgroup ferry-test-N` refuses it while some of the tree is in
# another cgroup, and when a second tree joins; with the whole tree in, it
# takes it (and --unit, through systemctl show, takes it too, recording the
# unit's name, cgroup and main PID in the image; a unit whose main PID is
# not of the tree, or 0, is refused). The tree is
# checkpointed with --cgroup --kill and its cgroups removed, as another boot
# would not have them. Then:
#   - a restore that fails after the root runs (FERRY_TEST_RESTORE_FAIL_AFTER)
#     leaves no cgroup it made behind;
#   - a restore puts every process back into its cgroups, made again;
#   - after a second checkpoint --kill, a restore into the cgroups that now
#     exist does the same; the tree then checks itself.
# A thread moved into another cgroup than its process (cgroup v1 tasks) is
# refused by `ferry check`, naming the thread's cgroups.
#
# Usage: cgroups.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
label=cgroups
ferry="$build/bin/ferry"
dir=$(mktemp -d /tmp/ferry-cgroups.XXXXXX)
made=""

# The mount point of the cgroup2 hierarchy, or of the cgroup v1 hierarchy
# that has controller $2, each mounted whole (root "/"): mount_of TYPE [CTRL]
mount_of() {
	awk -v type="$1" -v ctrl="${2:-}" '{
		for (i = 7; $i != "-"; i++) ;
		if ($4 != "/" || $(i + 1) != type) next
		if (ctrl != "" && ("," $(i + 3) ",") !~ ("," ctrl ",")) next
		print $5; exit
	}' /proc/self/mountinfo
}

cleanup() {
	[ -n "${members:-}" ] && kill -9 $members 2>/dev/null
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "${tpid:-}" ] && kill -9 "$tpid" 2>/dev/null
	[ -n "${other:-}" ] && kill -9 "$other" 2>/dev/null
	sleep 0.2
	for d in $made; do
		rmdir "$d" 2>/dev/null
	done
	rm -rf "$dir"
}

# The pids of the image's processes, one per line.
image_pids() {
	"$ferry" inspect --json "$1" | jq -r '.processes[].pid'
}

# PID and its descendants, one per line.
tree_of() {
	echo "$1"
	for _c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		tree_of "$_c"
	done
}

# Every process's /proc/PID/cgroup, in $dir/$1.
record_cgroups() {
	for p in $members; do
		echo "pid $p"
		cat "/proc/$p/cgroup" || echo "pid $p is gone"
	done >"$dir/$1"
}

# Are the cgroups as recorded in $dir/before? (ROUND names the step)
same_cgroups() {
	record_cgroups after
	cmp -s "$dir/before" "$dir/after" ||
		fail "$1: the cgroups differ: $(diff "$dir/before" "$dir/after" | grep '^[<>]' | head -n 6 | tr '\n' ' ')"
}

more_threads_than_one() {
	[ "$(ls "/proc/$1/task" | wc -l)" -gt 1 ]
}

remove_cgroups() {
	for d in $made_dirs; do
		rmdir "$d" || fail "cannot remove $d between the kill and the restore"
	done
}

cg2=$(mount_of cgroup2)
[ -n "$cg2" ] || skip "no cgroup2 hierarchy is mounted whole here"
base="$cg2/ferry-test-$$"
mkdir "$base" 2>"$dir/mkdir" || skip "cannot make a cgroup in $cg2: $(cat "$dir/mkdir")"
mkdir "$base/svc" "$base/svc/worker" || fail "cannot make the cgroups"
made="$base/svc/worker $base/svc $base"
v1=$(mount_of cgroup pids)
if [ -n "$v1" ] && mkdir "$v1/ferry-test-$$" 2>/dev/null; then
	made="$made $v1/ferry-test-$$"
else
	v1=""
fi
made_dirs=$made

start_program tree
sleep 0.3
child=$(cut -d' ' -f1 "/proc/$pid/task/$pid/children")
[ -n "$child" ] || fail "the tree's root has no child"
echo "$pid" >"$base/svc/cgroup.procs" || fail "cannot move the root into $base/svc"
echo "$child" >"$base/svc/worker/cgroup.procs" || fail "cannot move $child into $base/svc/worker"
[ -n "$v1" ] && { echo "$pid" >"$v1/ferry-test-$$/cgroup.procs" || fail "cannot move the root into $v1/ferry-test-$$"; }

members=$(tree_of "$pid")
"$ferry" check --tree "$pid" >>"$dir/log" 2>&1 || fail "ferry check refuses the tree"

# --cgroup: the tree's grandchildren are still in this script's cgroup
"$ferry" check --cgroup "/ferry-test-$$" >"$dir/refused" 2>&1 &&
	fail "check --cgroup took a cgroup without all of the tree"
grep -q "a descendant of its pid $pid, is in another cgroup" "$dir/refused" ||
	fail "check --cgroup: not the refusal wanted: $(tail -n 2 "$dir/refused")"
for p in $members; do
	[ "$p" = "$pid" ] || [ "$p" = "$child" ] || echo "$p" >"$base/svc/cgroup.procs" ||
		fail "cannot move $p into $base/svc"
done
sh -c 'echo $$ >"$1/cgroup.procs"; exec sleep 60' sh "$base/svc" </dev/null >/dev/null 2>&1 &
other=$!
poll 50 grep -qx "$other" "$base/svc/cgroup.procs" || fail "the second tree did not join $base/svc"
"$ferry" check --cgroup "/ferry-test-$$" >"$dir/refused" 2>&1 &&
	fail "check --cgroup took a cgroup of two trees"
grep -q "holds 2 process trees" "$dir/refused" ||
	fail "check --cgroup of two trees: not the refusal wanted: $(tail -n 2 "$dir/refused")"
kill "$other"
wait "$other" 2>/dev/null
# --unit: the unit's cgroup and main PID as systemctl show gives them (a
# stand-in systemctl that answers only the question ferry must ask; its
# main PID that of $dir/main-pid), recorded in the image for its adoption
mkdir "$dir/bin"
cat >"$dir/bin/systemctl" <<EOF
#!/bin/sh
[ "\$*" = "show --property=ControlGroup --property=MainPID --property=Id -- test-$$" ] || exit 1
echo "MainPID=\$(cat "$dir/main-pid")"
echo "ControlGroup=/ferry-test-$$"
echo "Id=test-$$.service"
EOF
chmod +x "$dir/bin/systemctl"
echo "$pid" >"$dir/main-pid"
PATH="$dir/bin:$PATH" "$ferry" check --unit "test-$$" >>"$dir/log" 2>&1 ||
	fail "check --unit refuses the unit's tree"
PATH="$dir/bin:$PATH" "$ferry" checkpoint --unit "test-$$" -o "$dir/unit-image" >>"$dir/log" 2>&1 ||
	fail "checkpoint --unit failed"
"$ferry" inspect --json "$dir/unit-image" >"$dir/unit.json" 2>>"$dir/log" ||
	fail "inspect --json of the --unit image failed"
[ "$(jq -c '[."systemd-unit"[]? | [.name, .cgroup, ."main-pid"]]' "$dir/unit.json")" = \
	"[[\"test-$$.service\",\"/ferry-test-$$\",$pid]]" ] ||
	fail "the --unit image does not record the unit: $(jq -c '."systemd-unit"' "$dir/unit.json")"
"$ferry" inspect "$dir/unit-image" 2>>"$dir/log" | grep -q "test-$$.service" ||
	fail "ferry inspect does not show the unit"
rm -f "$dir/unit-image"
# a unit whose main process is not of its cgroup's tree cannot be adopted
echo 1 >"$dir/main-pid"
PATH="$dir/bin:$PATH" "$ferry" check --unit "test-$$" >"$dir/refused" 2>&1 &&
	fail "check --unit took a unit whose main PID is not selected"
grep -q "its main PID 1 is not a process of the selection" "$dir/refused" ||
	fail "check --unit, main PID 1: not the refusal wanted: $(tail -n 2 "$dir/refused")"
echo 0 >"$dir/main-pid"
PATH="$dir/bin:$PATH" "$ferry" check --unit "test-$$" >"$dir/refused" 2>&1 &&
	fail "check --unit took a unit without a main process"
grep -q "has no main process (MainPID=0)" "$dir/refused" ||
	fail "check --unit, MainPID=0: not the refusal wanted: $(tail -n 2 "$dir/refused")"

record_cgroups before
grep -q "^0::/ferry-test-$$/svc/worker$" "$dir/before" ||
	fail "no process is in $base/svc/worker: $(tr '\n' ' ' <"$dir/before")"
"$ferry" checkpoint --cgroup "/ferry-test-$$" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
	fail "checkpoint 1 (--cgroup) failed"
[ "$(image_pids "$dir/image" | sort)" = "$(echo "$members" | sort)" ] ||
	fail "the image holds other processes than the tree"
wait "$pid" 2>/dev/null
wait_gone 50 $members || fail "the tree is still there after checkpoint --kill"
"$ferry" inspect --json "$dir/image" |
	jq -e '[.processes[] | select(.kinds.cgroups // "" | contains(":/ferry-test-"))] | length >= 2' \
	>/dev/null || fail "the image does not record the cgroups of two processes"
remove_cgroups

FERRY_TEST_RESTORE_FAIL_AFTER=1 "$ferry" restore "$dir/image" >"$dir/failed" 2>&1 &&
	fail "the restore did not fail"
cat "$dir/failed" >>"$dir/log"
grep -q "the restore fails here" "$dir/failed" ||
	fail "the failure is not the one asked for: $(tail -n 3 "$dir/failed")"
wait_gone 50 $members || fail "a process is still there after the failed restore"
for d in $made_dirs; do
	[ -e "$d" ] && fail "the failed restore left the cgroup $d it made"
done

"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "restore 1 failed"
same_cgroups "restore 1"

"$ferry" checkpoint --tree "$pid" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
	fail "checkpoint 2 failed"
wait_gone 50 $members || fail "the tree is still there after checkpoint 2 --kill"
"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "restore 2 (into cgroups that exist) failed"
same_cgroups "restore 2"
sleep 0.3
kill -USR1 "$pid"
wait_gone 200 $members || fail "the restored tree did not finish"
program_passed
echo "PASS: $label"

label=cgroups-thread-refused
if [ -z "$v1" ]; then
	echo "SKIP: $label: no cgroup v1 hierarchy with the pids controller: only cgroup v1 moves one thread alone"
else
	rm -f "$dir/ready" # t_tree's
	start_program threads
	tpid=$pid
	poll 50 more_threads_than_one "$tpid" || fail "t_threads has no second thread"
	tid=$(ls "/proc/$tpid/task" | grep -v "^$tpid$" | head -n 1)
	echo "$tid" >"$v1/ferry-test-$$/tasks" || fail "cannot move thread $tid alone"
	"$ferry" check --pid "$tpid" >"$dir/refused" 2>&1 && fail "ferry check accepted a thread in another cgroup"
	grep -q "a thread in other cgroups than its process's" "$dir/refused" ||
		fail "the refusal does not say why: $(tail -n 2 "$dir/refused")"
	echo "PASS: $label"
fi
cleanup
