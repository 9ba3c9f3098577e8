# shellcheck shell=sh disable=SC2154 # test, step, flavor, kver: from /init
# The kexec update path (ferry update, ferry-init): the scenario family
# update-*, update-tree-* and update-corrupt-* (qemu-tests/scenarios).

# update_to FLAVOR --pid|--tree|--cgroup [ferry update options]: ferry update
# of app_pid (or of sel_arg) by kexec into /boot/vmlinuz-FLAVOR, step+1; only
# returns on failure, with ferry's status.
update_to() {
	to="$1" sel="$2"
	shift 2
	ferry update --kernel "/boot/vmlinuz-$to" --initrd "/boot/initramfs-$to.cpio.gz" \
		--append "ferry.test=$test ferry.step=$((step + 1))${append_extra:+ $append_extra}" \
		--via kexec "$sel" "${sel_arg:-$app_pid}" "$@" 2>&1
}

# check_update_logged PID: ferry-init's lines reached the kernel's log
# (user.info records "ferry-init: ...", the restore of PID among them), and
# the history ferry update kept on the data disk shows this update restored
check_update_logged() {
	dmesg -r | grep -E "^<14>\[[ 0-9.]*\] ferry-init: restored pid $1 " ||
		{ fail "ferry-init's restore of pid $1 is not in the kernel's log (dmesg): $(dmesg | grep -c ferry-init) ferry-init lines"; return 1; }
	[ -s "$FERRY_STATE_DIR/history" ] ||
		{ fail "ferry update kept no history in $FERRY_STATE_DIR"; return 1; }
	hist=$(ferry status --json --history 2>&1)
	echo "$hist" | sed -n '/"history": \[/,$p' | head -n 40 | sed 's/^/history: /'
	# the newest entry first: its outcome and where it went
	echo "$hist" | sed -n '/"history": \[/,$p' | grep -m 1 '"outcome":' | grep -q '"restored"' &&
		echo "$hist" | sed -n '/"history": \[/,$p' | grep -m 1 '"new":' | grep -q "\"$(uname -r)\"" ||
		{ fail "ferry status --json --history does not show this update restored on $(uname -r)"; return 1; }
}

# ns_app_start: guest-app in a mount and a UTS namespace of its own, as
# `unshare --mount --uts` makes them, with a tmpfs of its own on /mnt
# holding /mnt/note ("carried") and the host name ferry-ns; app_pid is it.
# /mnt is a directory of the guest's root on every boot, as on any system:
# the restore mounts the tmpfs there again, it makes no mount point.
ns_app_start() {
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	unshare -m -u sh -c "mount -t tmpfs -o size=1m,mode=0755 ferry-ns /mnt &&
		echo carried >/mnt/note && hostname ferry-ns &&
		exec setsid guest-app $APP_CLOCK --log /data/counter.log --console /dev/ttyS0" \
		</dev/null >/data/ns-app.err 2>&1 &
	app_pid=$!
}

# ns_app_check PID: PID is in a mount namespace that is not init's, its
# tmpfs on /mnt holds the note, init's /mnt does not, and its host name is
# ferry-ns while the system's is not; says what differs, or nothing
ns_app_check() {
	[ "$(readlink "/proc/$1/ns/mnt")" != "$(readlink /proc/1/ns/mnt)" ] ||
		{ echo "pid $1 is in init's mount namespace"; return 1; }
	grep -q ' /mnt [^ ]* [^-]*- tmpfs ferry-ns ' "/proc/$1/mountinfo" ||
		{ echo "pid $1 has no tmpfs ferry-ns on /mnt: $(grep ' /mnt ' "/proc/$1/mountinfo")"; return 1; }
	[ "$(cat "/proc/$1/root/mnt/note" 2>&1)" = carried ] ||
		{ echo "pid $1's /mnt/note: $(cat "/proc/$1/root/mnt/note" 2>&1)"; return 1; }
	[ ! -e /mnt/note ] || { echo "init's namespace has /mnt/note"; return 1; }
	[ "$(nsenter -t "$1" -u hostname)" = ferry-ns ] ||
		{ echo "pid $1's host name: $(nsenter -t "$1" -u hostname)"; return 1; }
	[ "$(hostname)" != ferry-ns ] || { echo "the system's host name is ferry-ns"; return 1; }
}

# scenario_update counter|tree|corrupt|lazy|cgroup|namespaces FROM TO: ferry update
# --via kexec of guest-app (--pid), of a shell running a pipeline of them
# (--tree), of guest-app with its sealed image damaged (the new kernel must
# refuse it), of guest-app restored lazily (ferry.lazy=1: its pager and guard
# must go once every page is home, and say nothing failed), or of guest-app
# in a cgroup of its own, selected with --cgroup (on the new kernel it must
# be in that cgroup again, and ferry-init's cgroup2 mount gone), or of
# guest-app in mount and UTS namespaces of its own (ns_app_start: they
# come back, its tmpfs and its contents with them)
scenario_update() {
	kind="$1" from="$2" to="$3"
	log=/data/counter.log
	[ "$kind" = tree ] && log=/data/tree.log
	case "$step" in
	1)
		[ "$flavor" = "$from" ] || { fail "step 1 runs on $flavor, expected $from"; return; }
		if [ "$kind" = tree ]; then
			tree_start
		elif [ "$kind" = namespaces ]; then
			ns_app_start
		else
			app_start --log "$log" --console /dev/ttyS0
		fi
		sleep 2
		[ "$(last_count "$log")" -gt 3 ] 2>/dev/null || { fail "the app does not count: $(tail -n 2 "$log") $(cat /data/ns-app.err 2>/dev/null)"; return; }
		echo "$app_pid" >/data/app.pid
		if [ "$kind" = tree ]; then
			cat /proc/$app_pid/task/*/children >/data/app.children
			echo "tree: shell $app_pid, children $(cat /data/app.children)"
		fi
		if [ "$kind" = namespaces ]; then
			why=$(ns_app_check "$app_pid") || { fail "before the update: $why"; return; }
		fi
		if [ "$kind" = cgroup ]; then
			mount -t cgroup2 cgroup2 /sys/fs/cgroup && mkdir /sys/fs/cgroup/ferry-app &&
				echo "$app_pid" >/sys/fs/cgroup/ferry-app/cgroup.procs ||
				{ fail "cannot put the app into the cgroup /ferry-app"; return; }
			grep -x '0::/ferry-app' "/proc/$app_pid/cgroup" || { fail "the app is not in /ferry-app"; return; }
		fi
		sync
		sel=--pid
		[ "$kind" = tree ] && sel=--tree
		[ "$kind" = cgroup ] && sel=--cgroup sel_arg=/ferry-app
		if [ "$kind" = corrupt ]; then
			FERRY_UPDATE_TEST=corrupt update_to "$to" "$sel"
		elif [ "$kind" = lazy ]; then
			append_extra=ferry.lazy=1 update_to "$to" "$sel"
		else
			update_to "$to" "$sel"
		fi
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		[ "$flavor" = "$to" ] || { fail "step 2 runs on $flavor, expected $to"; return; }
		ferry status 2>&1
		pid=$(cat /data/app.pid)
		if [ "$kind" = corrupt ]; then
			if [ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ]; then
				fail "a damaged image was restored (pid $pid runs)"
			elif ! grep -q -E 'NOT RESTORED: .*(damaged|digest|CRC|crc|chunk)' /run/ferry/init.log 2>/dev/null; then
				fail "ferry-init did not give the reason: $(tail -n 3 /run/ferry/init.log 2>&1)"
			elif ! ferry status 2>&1 | grep -q 'state sealed'; then
				fail "the damaged image was not kept (region not SEALED)"
			elif ! ferry status 2>&1 | grep -q -E 'reason .*(damaged|digest|CRC|crc|chunk)'; then
				fail "ferry status does not say why"
			else
				pass
			fi
			return
		fi
		why=$(ferry status 2>&1 | sed -n 's/^  reason *//p')
		case "$why" in
		*"not supported yet"*) skip "$why"; return ;;
		esac
		for p in $pid $(cat /data/app.children 2>/dev/null); do
			[ -d "/proc/$p" ] || { fail "pid $p was not restored"; return; }
		done
		ferry status 2>&1 | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
		if [ "$kind" = cgroup ]; then
			grep -x '0::/ferry-app' "/proc/$pid/cgroup" ||
				{ fail "the restored app is not in the cgroup /ferry-app: $(tr '\n' ' ' </proc/$pid/cgroup)"; return; }
			grep -q ' /sys/fs/cgroup ' /proc/mounts &&
				{ fail "ferry-init left its cgroup2 mount on /sys/fs/cgroup"; return; }
		fi
		if [ "$kind" = namespaces ]; then
			why=$(ns_app_check "$pid") || { fail "restored: $why"; return; }
		fi
		if [ "$kind" = lazy ]; then
			grep -q 'left to the pager' /run/ferry/init.log ||
				{ fail "no pages were left to a pager: $(tail -n 3 /run/ferry/init.log)"; return; }
			i=0
			while grep -qs '^ferry-guard$' /proc/[0-9]*/comm && [ $i -lt 200 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			[ $i -lt 200 ] || { fail "the pager's guard is still there after 20 s"; return; }
			if grep -q 'pager.*\(failed\|killed\)' /run/ferry/init.log; then
				fail "$(grep 'pager' /run/ferry/init.log | tail -n 2)"
				return
			fi
		fi
		check_update_logged "$pid" || return
		c1=$(last_count "$log")
		sleep 2
		c2=$(last_count "$log")
		[ "$c2" -gt "$c1" ] 2>/dev/null || { fail "the counter stopped at $c1 after the restore"; return; }
		if [ "$kind" = tree ]; then
			out=$(check_counter /data/tree-src.log 500 && check_counter "$log" 500 nostart)
		else
			out=$(check_counter "$log" 500)
		fi
		if [ $? -eq 0 ]; then
			echo "$out"
			pass
		else
			fail "$(echo "$out" | tr '\n' ';')"
		fi
		;;
	*) fail "no step $step" ;;
	esac
}

