#!/bin/sh
# Well-sealed hostile images: the image of a real process (the counter),
# its metadata edited and the image sealed again by a
# hostile writer (build/tests/edit-image), each refused by `ferry restore`
# with its reason, no process of it left behind (restore/plan.c). The same
# image with a harmless edit restores, and the program goes on.
#
# Run as PID 1 of a private PID namespace by run.sh.
# Usage: hostile.sh BUILD
# host-test: run pidns
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1"
label=hostile-images
ferry="$build/bin/ferry"
edit="$build/tests/edit-image"
dir=$(mktemp -d /tmp/ferry-hostile.XXXXXX)
mkdir "$dir/run"

cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "${other:-}" ] && kill -9 "$other" 2>/dev/null
	rm -rf "$dir"
}

"$build/tests/glue/t_counter" "$dir/run" >"$dir/out" 2>&1 </dev/null &
pid=$!
wait_for 100 "the program did not get ready" exists "$dir/run/ready"
checkpoint_kill 1
"$edit" --metadata "$dir/image" "$dir/meta.dtb" || fail "cannot read the image's metadata"

proc=/processes/process@$pid
thread=$proc/threads/thread@$pid
mm=/mms/mm@$(fdtget -t u "$dir/meta.dtb" "$proc" mm)
area=
for a in $(fdtget -l "$dir/meta.dtb" "$mm"); do
	[ "$(fdtget -t s "$dir/meta.dtb" "$mm/$a" kind)" = anon ] && area=$mm/$a && break
done
[ -n "$area" ] || fail "the counter has no anonymous area"
sleep 1000 &
other=$!
# the processes /proc shows, listed by the shell itself: a pipeline would
# count its own members, present or not yet when /proc is read
list_processes() {
	procs=
	for _p in /proc/[0-9]*; do procs="$procs ${_p#/proc/}"; done
}
list_processes
procs_before=$procs

# refused NAME REASON EDIT...: the edited image restores not, the log says
# REASON (an extended regular expression), and no process is left
refused() {
	_name=$1 _reason=$2
	shift 2
	"$edit" "$dir/image" "$dir/bad" "$@" >>"$dir/log" 2>&1 || fail "$_name: cannot edit the image"
	"$ferry" verify "$dir/bad" >>"$dir/log" 2>&1 || fail "$_name: the edited image is not whole"
	if "$ferry" restore "$dir/bad" >"$dir/restore.log" 2>&1; then
		cat "$dir/restore.log" >>"$dir/log"
		fail "$_name: restored"
	fi
	cat "$dir/restore.log" >>"$dir/log"
	# refused by the plan (restore/plan.c) or by a kind reading its nodes
	grep -Eq "image (refused|metadata): .*$_reason" "$dir/restore.log" ||
		fail "$_name: the refusal does not say '$_reason': $(tail -n 1 "$dir/restore.log")"
	gone "$pid" || fail "$_name: pid $pid exists after the refusal"
	list_processes
	[ "$procs" = "$procs_before" ] ||
		fail "$_name: a process was left behind (pids before:$procs_before, now:$procs)"
	echo "    $_name: $(grep -E 'image (refused|metadata)' "$dir/restore.log" | head -n 1)" >>"$dir/refusals"
}

refused duplicate-area "overlaps area" "copy:$area:area@dup"
refused rwx-area-at-0 "below 0x10000" "copy:$area:area@0" "set:$mm/area@0:start:u64:0" \
	"set:$mm/area@0:end:u64:0x1000" "set:$mm/area@0:prot:u32:7"
refused area-beyond-user-space "beyond the end of user space" \
	"set:$area:end:u64:0x800000000000"
refused uid-minus-1 "effective uid 4294967295 \(-1\)" "set:$proc:uids:u32:0,4294967295,0,0"
refused gid-minus-1 "real gid 4294967295 \(-1\)" "set:$proc:gids:u32:4294967295,0,0,0"
q=$((pid + 1))
refused one-mm-two-processes "address space [0-9]+ is claimed by another process too" \
	"copy:$proc:process@$q" "set:/processes/process@$q:pid:u32:$q" \
	"set:/processes/process@$q/threads/thread@$pid:tid:u32:$q"
refused pid-1 "pid 1 is not a pid a restored process may have" "set:$proc:pid:u32:1" \
	"set:$thread:tid:u32:1"
refused pid-0 "pid 0 is not a pid a restored process may have" "set:$proc:pid:u32:0" \
	"set:$thread:tid:u32:0"
refused pid-taken "pid $other is taken here" "set:$proc:pid:u32:$other" "set:$thread:tid:u32:$other"
refused fd-near-int-max "fd 2147483646 is not below 1048576" "set:$proc/fds/fd@3:fd:u32:2147483646"
refused path-64k "longer than PATH_MAX" "set:$proc:cwd:str:@65536"
refused path-dotdot "has a '\.\.' component" "set:$proc:cwd:str:/tmp/../root"
refused cgroups-dotdot "its cgroups: a path has a '\.\.' component" "set:$proc:cgroups:str:pids:/../../etc
"
refused cgroups-not-lines "its cgroups: a line is not CONTROLLERS:PATH" "set:$proc:cgroups:str:/tmp"
mnt_root='host / / ext4 /dev/vda rw rw private -
'
refused mount-ns-dotdot "its mount namespace: a mount point or root is not an absolute path without '\.\.'" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:${mnt_root}bind /tmp/../etc /x ext4 /dev/vda rw rw private /y
"
refused mount-ns-nsfs-bound "its mount namespace: a mount point or root is not an absolute path without '\.\.'" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:${mnt_root}bind /run/netns/x net:[4026531840] nsfs nsfs rw rw private /y
"
refused mount-ns-kind "its mount namespace: a mount's kind is not host, bind, tmpfs, procfs or procfs-bind" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:${mnt_root}overlay /tmp / overlay x rw rw private -
"
refused mount-ns-procfs-option "its mount namespace: a procfs instance has an option ferry does not set again" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:${mnt_root}procfs /proc / proc proc rw rw,hidepid=invisible,pidns=/x private -
"
refused mount-ns-procfs-fstype "its mount namespace: a procfs mount's fstype is not proc" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:${mnt_root}procfs /proc / sysfs sysfs rw rw private -
"
refused mount-ns-procfs-root "its mount namespace: a procfs instance's root is not /" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:${mnt_root}procfs /proc /sys proc proc rw rw private -
"
refused mount-ns-procfs-bind-outside "its mount namespace: a procfs-bind's source is not below an earlier procfs instance" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:${mnt_root}procfs /proc / proc proc rw rw private -
procfs-bind /proc/sys /sys proc proc ro rw private /etc/shadow
"
refused mount-ns-not-root "its mount namespace: the first mount is not ferry's root" \
	"add:/:mount-namespace@1" "set:/mount-namespace@1:id:u32:1" \
	"set:/mount-namespace@1:mounts:str:tmpfs /tmp / tmpfs tmpfs rw rw private -
"
# a stream to journald (the counter has no socket: one is added)
journal_socket="add:/:sockets add:/sockets:socket@1 set:/sockets/socket@1:id:u32:1
set:/sockets/socket@1:family:u32:1 set:/sockets/socket@1:sock-type:u32:1
set:/sockets/socket@1:state:str:connected
set:/sockets/socket@1:unix-peer-name:str:/run/systemd/journal/stdout
set:/sockets/socket@1:journal-priority:u32:6"
# shellcheck disable=SC2086 # one edit per word
refused journal-connector-outside "a stream to journald: the process that connected it is not in the image holding it" \
	$journal_socket "set:/sockets/socket@1:journal-connector:u32:$pid,0,0"
# shellcheck disable=SC2086
refused journal-header-line "a stream to journald: its identifier or unit is not one line of a header" \
	$journal_socket "set:/sockets/socket@1:journal-connector:u32:$pid,0,0" \
	"set:/sockets/socket@1:journal-identifier:str:x
2"
# shellcheck disable=SC2086
refused journal-peer "a stream to journald: its peer is not /run/systemd/journal/stdout" \
	$journal_socket "set:/sockets/socket@1:journal-connector:u32:$pid,0,0" \
	"set:/sockets/socket@1:unix-peer-name:str:/run/x"
# descriptors in flight in the queue of a Unix datagram socket (added)
rights_socket="add:/:sockets add:/sockets:socket@1 set:/sockets/socket@1:id:u32:1
set:/sockets/socket@1:family:u32:1 set:/sockets/socket@1:sock-type:u32:2
set:/sockets/socket@1:state:str:closed set:/sockets/socket@1:recv-queue:str:abcd
set:/sockets/socket@1:recv-lengths:u32:5"
rs=/sockets/socket@1
# shellcheck disable=SC2086
refused rights-too-many "message 1 with descriptors in flight carries 254 of them \(1 to 253\)" \
	$rights_socket "set:$rs:recv-rights:u32:0,0,254" "set:$rs:recv-rights-files:u32:1"
# shellcheck disable=SC2086
refused rights-none "message 1 with descriptors in flight carries 0 of them" \
	$rights_socket "set:$rs:recv-rights:u32:0,0,0"
# shellcheck disable=SC2086
refused rights-not-queued "message 1 with descriptors in flight is datagram 1, not one after the last of 1 queued" \
	$rights_socket "set:$rs:recv-rights:u32:1,0,1" "set:$rs:recv-rights-files:u32:1"
# shellcheck disable=SC2086
refused rights-unnamed "its messages carry 2 descriptors in flight, and 1 are named" \
	$rights_socket "set:$rs:recv-rights:u32:0,0,2" "set:$rs:recv-rights-files:u32:1"
# shellcheck disable=SC2086
refused rights-no-file "file 999 in flight in its queue: a descriptor in flight that is no file of the image" \
	$rights_socket "set:$rs:recv-rights:u32:0,0,1" "set:$rs:recv-rights-files:u32:999"
# shellcheck disable=SC2086
refused rights-itself "file 900 in flight in its queue: a Unix socket whose own queue carries descriptors in flight" \
	$rights_socket "set:$rs:recv-rights:u32:0,0,1" "set:$rs:recv-rights-files:u32:900" \
	"add:/files:file@900" "set:/files/file@900:id:u32:900" "set:/files/file@900:type:str:socket" \
	"set:/files/file@900:flags:u32:2" "set:/files/file@900:socket:u32:1"
refused rights-stream-outside "message 1 with descriptors in flight, bytes 3 to 7, is not in order inside the 5 queued bytes" \
	"add:/:sockets" "add:/sockets:socket@1" "set:$rs:id:u32:1" "set:$rs:family:u32:1" \
	"set:$rs:sock-type:u32:1" "set:$rs:state:str:closed" "set:$rs:recv-queue:str:abcd" \
	"set:$rs:recv-rights:u32:3,4,1" "set:$rs:recv-rights-files:u32:1"
refused ipc-ns-unknown-sysctl "the IPC namespace's sysctls: a line is not NAME=VALUE of an IPC sysctl" \
	"add:/:ipc-namespace" "set:/ipc-namespace:sysctls:str:shm_next_id=7
"
refused ipc-ns-not-numbers "the IPC namespace's sysctls: a value that is not numbers" \
	"add:/:ipc-namespace" "set:/ipc-namespace:sysctls:str:msgmnb=1;reboot
"
refused ipc-ns-twice "the IPC namespace's sysctls: a sysctl twice" \
	"add:/:ipc-namespace" "set:/ipc-namespace:sysctls:str:msgmnb=1
msgmnb=2
"
refused net-ns-unknown-sysctl "the network namespace's sysctls: a line is not NAME=VALUE of a network sysctl" \
	"add:/:network-namespace" "set:/network-namespace:lo-mtu:u32:65536" \
	"set:/network-namespace:sysctls:str:ipv4/ip_forward=1
"
refused net-ns-bad-address "the network namespace's addresses: a prefix longer than its address" \
	"add:/:network-namespace" "set:/network-namespace:lo-mtu:u32:65536" \
	"set:/network-namespace:sysctls:str:core/somaxconn=4096
" "set:/network-namespace:lo-addresses:str:10.0.0.1/33 0 0 -
"
refused net-ns-bad-mtu "the network namespace's lo MTU 1 is not in" \
	"add:/:network-namespace" "set:/network-namespace:lo-mtu:u32:1" \
	"set:/network-namespace:sysctls:str:core/somaxconn=4096
"
refused net-ns-veth-multicast-mac "the network namespace's veth: a MAC address that is not six hexadecimal bytes of a unicast address" \
	"add:/:network-namespace" "set:/network-namespace:lo-mtu:u32:65536" \
	"set:/network-namespace:sysctls:str:core/somaxconn=4096
" "set:/network-namespace:veth:str:eth0 1500 1 01:00:5e:00:00:01 fveth0 1500 1 02:00:00:00:00:01
"
refused net-ns-veth-address-device "the network namespace's veth-addresses: a line whose DEVICE is neither end of the veth" \
	"add:/:network-namespace" "set:/network-namespace:lo-mtu:u32:65536" \
	"set:/network-namespace:sysctls:str:core/somaxconn=4096
" "set:/network-namespace:veth:str:eth0 1500 1 02:00:00:00:00:02 fveth0 1500 1 02:00:00:00:00:01
" "set:/network-namespace:veth-addresses:str:eth1 10.0.0.1/24 0 0 -
"
refused net-ns-route-device "the network namespace's routes: a device that is not the veth of the namespace" \
	"add:/:network-namespace" "set:/network-namespace:lo-mtu:u32:65536" \
	"set:/network-namespace:sysctls:str:core/somaxconn=4096
" "set:/network-namespace:veth:str:eth0 1500 1 02:00:00:00:00:02 fveth0 1500 1 02:00:00:00:00:01
" "set:/network-namespace:routes:str:0.0.0.0/0 10.0.0.1 lo 0 3 0
"
refused userns-bad-map "uid-map: 1 to 340 lines of three numbers" \
	"add:/:user-namespace" "set:/user-namespace:uid-map:str:0 0
" "set:/user-namespace:gid-map:str:0 0 1
" "set:/user-namespace:setgroups:str:deny" "set:/user-namespace:owner:u32:0"
refused userns-map-wraps "gid-map: 1 to 340 lines of three numbers" \
	"add:/:user-namespace" "set:/user-namespace:uid-map:str:0 0 1
" "set:/user-namespace:gid-map:str:0 4294967295 2
" "set:/user-namespace:setgroups:str:deny" "set:/user-namespace:owner:u32:0"
refused userns-setgroups "setgroups: \"allow\" or \"deny\"" \
	"add:/:user-namespace" "set:/user-namespace:uid-map:str:0 0 1
" "set:/user-namespace:gid-map:str:0 0 1
" "set:/user-namespace:setgroups:str:maybe" "set:/user-namespace:owner:u32:0"
refused threads-100000 "100000 threads, more than 65536" "del:$thread:xsave" \
	"copies:$thread:99999:tid"

# the same image, edited harmlessly, restores and the program goes on
"$edit" "$dir/image" "$dir/good" "set:$proc:comm:str:t_counter" >>"$dir/log" 2>&1 ||
	fail "cannot edit the image"
"$ferry" restore "$dir/good" >>"$dir/log" 2>&1 || fail "the harmlessly edited image did not restore"
kill -USR1 "$pid"
wait_gone 200 "$pid" || fail "the restored program did not finish"
kill -9 "$other" 2>/dev/null
program_passed
cat "$dir/refusals"
echo "PASS: $label"
rm -rf "$dir"
