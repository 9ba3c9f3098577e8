#!/bin/sh
# A process in a mount namespace of its own, as systemd's sandboxing makes
# one for a service, built with unshare --mount --propagation private and
# mount(8): /tmp bound from a directory of the host (PrivateTmp=), /usr and
# /etc read-only (ProtectSystem=full), /home covered by an inaccessible
# directory (ProtectHome=, InaccessiblePaths=), a small tmpfs with a file,
# a directory and a symlink. t_mount_ns holds a file of its /tmp open; it is
# checkpointed with --kill, restored, checkpointed and restored again, its
# mounts compared with what they were, then it checks itself. A procfs
# instance of the namespace's own on /proc with hidepid= and gid=, /proc/sys
# of it bound read-only, a second one with subset=pid, around python3, the
# same way. Refused by name: a tree spread over two mount namespaces, a
# procfs instance of another pid namespace, and one read-only.
#
# Usage: mount_ns.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
label=mount_ns
ferry="$build/bin/ferry"
# not under /tmp: the program's /tmp is another directory
dir=$(mktemp -d /var/tmp/ferry-mount-ns.XXXXXX)
t_prog="$build/tests/glue/t_mount_ns"

cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "${other:-}" ] && kill -9 "$other" 2>/dev/null
	sleep 0.2
	rm -rf "$dir"
}

# The mounts of pid $1 without mount ids and device numbers.
mounts_of() {
	awk '{ $1 = ""; $2 = ""; $3 = ""; for (i = 7; $i != "-"; i++) $i = ""; print }' \
		"/proc/$1/mountinfo"
}

[ -x "$t_prog" ] || fail "$t_prog is not built"
# run from the test's directory, and in it: a build tree under /tmp is
# hidden in the program's namespace, which binds another directory there
cp "$t_prog" "$dir/t_mount_ns" || fail "cannot copy $t_prog to $dir"
t_prog="$dir/t_mount_ns"
command -v unshare >/dev/null || skip "no unshare(1)"
mkdir "$dir/private-tmp" "$dir/inaccessible" "$dir/tmpfs" "$dir/proc2"
chmod 1777 "$dir/private-tmp"
chmod 000 "$dir/inaccessible"
echo "the private tmp" >"$dir/private-tmp/marker"
# shellcheck disable=SC2016 # for the inner shell
unshare --mount --propagation private sh -c '
	set -e
	d=$1
	mount --bind "$d/private-tmp" /tmp
	mount --bind /usr /usr && mount -o remount,bind,ro /usr
	mount --bind /etc /etc && mount -o remount,bind,ro /etc
	mount --bind "$d/inaccessible" /home
	mount -t tmpfs -o size=1m,mode=0755,nosuid,nodev tmpfs "$d/tmpfs"
	echo "in the tmpfs" >"$d/tmpfs/state.txt"
	mkdir -m 0750 "$d/tmpfs/sub"
	ln -s ../state.txt "$d/tmpfs/sub/link"
	mknod -m 0666 "$d/tmpfs/null" c 1 3
	cd "$d"
	exec "$2" "$d"' sh "$dir" "$t_prog" >"$dir/out" 2>&1 </dev/null &
pid=$!
wait_for 100 "the program did not get ready" exists "$dir/ready"
[ "$(readlink /proc/$pid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] ||
	fail "the program is in this script's mount namespace"
mounts_of "$pid" >"$dir/mounts-before"

"$ferry" check --pid "$pid" >>"$dir/log" 2>&1 || fail "ferry check refuses it"
checkpoint_kill 1
"$ferry" inspect --json "$dir/image" | jq -e '.. | objects | select(has("mounts"))' \
	>/dev/null 2>&1 || "$ferry" inspect "$dir/image" | grep -q mount-namespace ||
	fail "the image has no mount namespace"
restore_back 1
mounts_of "$pid" >"$dir/mounts-after"
cmp -s "$dir/mounts-before" "$dir/mounts-after" ||
	fail "restore 1: the mounts differ: $(diff "$dir/mounts-before" "$dir/mounts-after" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
[ "$(readlink /proc/$pid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] ||
	fail "restore 1: the program is in this script's mount namespace"
# the restorer went back to its own: nothing of the program's here
grep -q " $dir/tmpfs " /proc/self/mountinfo && fail "the tmpfs is mounted in the script's namespace"
checkpoint_kill 2
restore_back 2
mounts_of "$pid" >"$dir/mounts-after"
cmp -s "$dir/mounts-before" "$dir/mounts-after" ||
	fail "restore 2: the mounts differ: $(diff "$dir/mounts-before" "$dir/mounts-after" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label"

label=mount_ns-two-namespaces
pid=
rm -f "$dir/ready"
unshare --mount --propagation private sh -c \
	'unshare --mount --propagation private sleep 60 & touch "$1/ready"; wait' sh "$dir" \
	</dev/null >/dev/null 2>&1 &
other=$!
wait_for 100 "the tree did not get ready" exists "$dir/ready"
sleep 0.2
"$ferry" check --tree "$other" >"$dir/refused" 2>&1 && fail "ferry check took a tree in two mount namespaces"
grep -q "in another mount namespace .* a selection in more than one mount namespace is not carried" \
	"$dir/refused" || fail "not the refusal wanted: $(tail -n 2 "$dir/refused")"
kill -9 "$other"
other=
echo "PASS: $label"

# A procfs instance of the namespace's own on /proc, as systemd's
# ProtectProc=invisible makes one (mounted aside, the old /proc unmounted,
# the new one moved there), /proc/sys of it bound read-only on itself
# (ProtectKernelTunables=), and a second instance with subset=pid
# (ProcSubset=pid). python3 checks from inside at the end; from outside:
# the mounts, and that hidepid= hides the program from a user not in gid=.
label=mount_ns-procfs
pid=
: >"$dir/out"
rm -f "$dir/ready"
mkdir "$dir/newproc"
cat >"$dir/prog.py" <<'PY'
import os, signal, sys
os.closerange(3, 65536) # a pipe of whoever runs the test would be refused
d = sys.argv[1]
print("started", os.getpid(), flush=True)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
open(d + "/ready", "w").close()
signal.sigwait({signal.SIGUSR1})
def check():
    mi = open("/proc/self/mountinfo").read().splitlines()
    top = [l for l in mi if l.split()[4] == "/proc"][-1]
    if not top.endswith(" - proc proc rw,gid=4242,hidepid=invisible"):
        return "/proc is not the instance of its own: " + top
    if not os.statvfs("/proc/sys").f_flag & os.ST_RDONLY:
        return "/proc/sys is not read-only"
    if os.path.exists(d + "/proc2/meminfo") or not os.path.exists(d + "/proc2/self/status"):
        return "the subset=pid instance shows other than the processes"
    return None
why = check()
print("FAIL: " + why if why else "PASS: the procfs instances are its own", flush=True)
PY
# shellcheck disable=SC2016 # for the inner shell
unshare --mount --propagation private sh -c '
	set -e
	d=$1
	mount -t proc -o nosuid,nodev,noexec,hidepid=invisible,gid=4242 proc "$d/newproc"
	while umount -l /proc 2>/dev/null; do :; done
	mount --move "$d/newproc" /proc
	mount --bind /proc/sys /proc/sys
	mount -o remount,bind,ro /proc/sys
	mount -t proc -o hidepid=ptraceable,subset=pid proc "$d/proc2"
	exec /usr/bin/python3 "$d/prog.py" "$d"' sh "$dir" >"$dir/out" 2>&1 </dev/null &
pid=$!
wait_for 100 "the program did not get ready" exists "$dir/ready"
grep -q " /proc rw,nosuid,nodev,noexec,relatime .* proc proc rw,gid=4242,hidepid=invisible" \
	"/proc/$pid/mountinfo" || fail "the namespace was not made: $(grep proc "/proc/$pid/mountinfo")"
mounts_of "$pid" >"$dir/mounts-before"
# hidepid=invisible: a user outside gid 4242 does not see the program
hidden() {
	nsenter --target "$pid" --mount setpriv --reuid 65534 --regid 65534 --clear-groups \
		test -e "/proc/$pid" && fail "$1: hidepid= does not hide the program"
	nsenter --target "$pid" --mount setpriv --reuid 65534 --regid 65534 --groups 4242 \
		test -e "/proc/$pid" || fail "$1: gid= does not show the program to its group"
}
hidden "before"
"$ferry" check --pid "$pid" >>"$dir/log" 2>&1 || fail "ferry check refuses it: $(tail -n 2 "$dir/log")"
for round in 1 2; do
	checkpoint_kill "$round"
	restore_back "$round"
	mounts_of "$pid" >"$dir/mounts-after"
	cmp -s "$dir/mounts-before" "$dir/mounts-after" ||
		fail "restore $round: the mounts differ: $(diff "$dir/mounts-before" "$dir/mounts-after" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
	hidden "restore $round"
	grep -q " $dir/proc2 " /proc/self/mountinfo && fail "a procfs is mounted in the script's namespace"
done
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
program_passed
echo "PASS: $label"

# Refused by name: a procfs instance of another pid namespace than the
# program's (mounted by a child in a PID namespace of its own, in the
# program's mount namespace).
label=mount_ns-procfs-other-pidns
rm -f "$dir/ready"
pid=
# shellcheck disable=SC2016 # for the inner shells
unshare --mount --propagation private sh -c \
	'unshare --pid --fork sh -c "mount -t proc proc \"\$1/proc2\" && touch \"\$1/ready\" &&
		exec sleep 60" sh "$1" & exec sleep 60' sh "$dir" </dev/null >/dev/null 2>&1 &
other=$!
wait_for 100 "the program did not get ready" exists "$dir/ready"
grep -q " $dir/proc2 " "/proc/$other/mountinfo" || fail "no procfs at $dir/proc2"
"$ferry" check --pid "$other" >"$dir/refused" 2>&1 && fail "ferry check took a procfs of another pid namespace"
grep -q "the mount at $dir/proc2 (proc proc.*a procfs instance of another pid namespace" "$dir/refused" ||
	fail "not the refusal wanted: $(tail -n 2 "$dir/refused")"
# shellcheck disable=SC2046 # one word per pid
kill -9 $(cat "/proc/$other/task/$other/children") "$other"
other=
echo "PASS: $label"

# Refused by name: an option of a procfs instance ferry does not set again
# (a read-only instance).
label=mount_ns-procfs-option-refused
rm -f "$dir/ready"
unshare --mount --propagation private sh -c \
	'mount -t proc -o ro proc "$1/proc2" && touch "$1/ready" && exec sleep 60' sh "$dir" \
	</dev/null >/dev/null 2>&1 &
other=$!
wait_for 100 "the program did not get ready" exists "$dir/ready"
"$ferry" check --pid "$other" >"$dir/refused" 2>&1 && fail "ferry check took a read-only procfs instance"
grep -q "the mount at $dir/proc2 (proc proc.*a procfs option ferry does not set again: ro" "$dir/refused" ||
	fail "not the refusal wanted: $(tail -n 2 "$dir/refused")"
echo "PASS: $label"
cleanup
