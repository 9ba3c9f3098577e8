# scenario: update-hang-restore-generic-bpo
# flavor: generic
# option: --watchdog
# option: --timeout 300
#
# A cell of the fault matrix (qemu-tests/README.md): the update kernel
# (6.12) hangs in the restore, after its ferry-init re-armed the watchdog
# that ferry update --watchdog 15 left running and marked the image
# consumed, right before the first process is let go
# (ferry.test_init=hang-after-consumed). The watchdog resets the
# machine (--watchdog: i6300esb, RAM kept) into 6.1 (ferry.step=1 again:
# the boots are counted on the data disk), whose ferry-init finds the image
# CONSUMED and does not restore it (exactly once), and stops the watchdog
# the update left running: guest-app does not run, nothing was started
# twice, ferry status says the update was interrupted during restore and
# the watchdog reset the machine; still up 25 s later (no second reset).
from=generic to=bpo
boot=$(($(cat /data/hangrestore-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/hangrestore-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	[ -c /dev/watchdog ] || { fail "no /dev/watchdog (i6300esb) on $kver"; return; }
	counter_start || return
	update_to "$to" --pid --watchdog 15 --append "ferry.test=$test ferry.step=2 ferry.test_init=hang-after-consumed"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	consumed_not_restored "$st" nopass || return
	echo "$st" | grep '^  watchdog ' | grep -q 'it reset the machine' ||
		{ fail "ferry status does not say the watchdog reset the machine: $(echo "$st" | grep watchdog)"; return; }
	grep -q 'watchdog .* stopped' /run/ferry/init.log ||
		{ fail "ferry-init did not stop the watchdog: $(grep watchdog /run/ferry/init.log)"; return; }
	sleep 25
	pass
	;;
*) fail "boot $boot: the machine was reset again (the watchdog left running, or a loop)" ;;
esac
