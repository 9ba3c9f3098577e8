# scenario: update-once-generic-bpo
# flavor: generic
#
# ferry-init "dies" right after marking the image consumed, every process
# created and verified, none let go (ferry.test_init=die-after-consumed,
# as if the machine died mid-restore);
# a kexec into 6.12 again must not restore it: exactly once, and ferry
# status says the update was interrupted during restore.
to=bpo
case "$step" in
1)
	app_start --log /data/counter.log
	sleep 2
	echo "$app_pid" >/data/app.pid
	sync
	update_to "$to" --pid --append "ferry.test=$test ferry.step=2 ferry.test_init=die-after-consumed"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	grep -q 'as if the machine died' /run/ferry/init.log 2>/dev/null || { fail "the test hook did not fire"; return; }
	ferry status 2>&1 | grep -q 'state consumed' || { fail "not marked consumed before the restore"; return; }
	sync
	region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
		"ferry.test=$test" "ferry.step=3" "ferry.test_init=" >/dev/null 2>&1
	fail "kexec to $to again did not happen"
	;;
3)
	pid=$(cat /data/app.pid)
	st=$(ferry status 2>&1)
	echo "$st"
	if [ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ]; then
		fail "the consumed image was restored a second time"
	elif ! grep -q 'state consumed: nothing to restore' /run/ferry/init.log; then
		fail "ferry-init did not refuse the consumed image: $(tail -n 2 /run/ferry/init.log)"
	elif ! echo "$st" | grep -q 'interrupted during restore'; then
		fail "ferry status does not say the restore was interrupted"
	else
		pass
	fi
	;;
esac
