# scenario: update-fault-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --timeout 300
#
# Cells of the fault matrix (qemu-tests/README.md) on the kexec path, each
# with the outcome it must have. Boot 1: ferry update killed (SIGKILL) while
# it writes the image (FERRY_UPDATE_TEST=stop-in-write stops it there): the
# process runs on, untraced, counting; the region holds no sealed image.
# Then the power fails while the image is written (reset-in-write: a reset
# by sysrq b, RAM kept; --guest-reset: QEMU boots 6.1 again): boot 2 starts
# nothing (ferry-init: state writing), ferry status says the update was
# writing. Then the power fails after the seal, before the kexec
# (reset-after-seal): boot 3, on 6.1 again, restores the sealed image: same
# PID, the counter goes on.
to=bpo
boot=$(($(cat /data/fault-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/fault-boots
sync
[ "$flavor" = generic ] || { fail "boot $boot runs on $flavor, expected generic"; return; }

case "$boot" in
1)
	counter_start || return
	a=$app_pid
	FERRY_UPDATE_TEST=stop-in-write update_to "$to" --pid >/tmp/killed.out 2>&1 &
	upid=$!
	i=0
	while ! grep -q 'test: stopped while writing' /tmp/killed.out && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat /tmp/killed.out
	fpid=$(sed -n 's/.*test: stopped while writing (pid \([0-9]*\)).*/\1/p' /tmp/killed.out)
	[ -n "$fpid" ] || { fail "ferry update did not stop in the write"; return; }
	kill -9 "$fpid"
	wait "$upid"
	sleep 1
	traced $a && { fail "pid $a still traced after ferry was killed during the write"; return; }
	c1=$(last_count /data/counter.log)
	sleep 1
	[ "$(last_count /data/counter.log)" -gt "$c1" ] 2>/dev/null ||
		{ fail "pid $a does not count after ferry was killed during the write"; return; }
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -q 'state sealed' && { fail "a killed write left a sealed image"; return; }
	echo "$st" | grep -q '^last update: failed' && echo "$st" | grep -q 'reason .*killed before the seal' ||
		{ fail "ferry status does not say ferry update was killed before the seal"; return; }
	echo "cell killed-in-write: pid $a runs on, untraced; region not sealed"
	# the power fails in the write
	echo "$a" >/data/a.pid
	sync
	FERRY_UPDATE_TEST=reset-in-write update_to "$to" --pid
	fail "ferry update returned instead of resetting in the write"
	;;
2)
	a=$(cat /data/a.pid)
	st=$(ferry status 2>&1)
	echo "$st"
	[ "$(cat /proc/$a/comm 2>/dev/null)" = guest-app ] && { fail "pid $a runs after a reset in the write"; return; }
	grep -q 'state writing: nothing to restore' /run/ferry/init.log ||
		{ fail "ferry-init did not say it found the image being written: $(tail -n 2 /run/ferry/init.log)"; return; }
	echo "$st" | grep -q '^last update: writing' || { fail "ferry status does not say the update was writing"; return; }
	echo "cell reset-in-write: nothing restored, ferry status: writing"
	# the power fails after the seal, before the kexec
	rm -f /data/counter.log
	counter_start || return
	FERRY_UPDATE_TEST=reset-after-seal update_to "$to" --pid
	fail "ferry update returned instead of resetting after the seal"
	;;
3)
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -q "kernels .* -> $kver" || { fail "ferry status does not name $kver as the kernel it was restored on"; return; }
	# the gap spans a reset and a boot through the BIOS
	counter_restored 3000
	;;
*) fail "boot $boot: one reset too many" ;;
esac
