# scenario: update-hang-init-generic-bpo
# flavor: generic
# option: --watchdog
# option: --timeout 300
#
# The update kernel (6.12) hangs later than in update-hang-generic-bpo:
# its /init loads i6300esb, whose probe stops the watchdog that ferry update
# --watchdog 15 left running across the kexec, and ferry-init, which re-arms
# it with the update's timeout, hangs before the restore
# (ferry.test_init=hang). The re-armed watchdog resets the machine into 6.1
# (QEMU's -kernel, without ferry.test_init=), whose ferry-init restores the
# image still SEALED: same PID, the counter goes on, ferry status says the
# watchdog reset the machine.
from=generic to=bpo
boot=$(($(cat /data/hang-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/hang-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	counter_start || return
	update_to "$to" --pid --watchdog 15 --append "ferry.test=$test ferry.step=2 ferry.test_init=hang"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep '^  watchdog ' | grep -q 'it reset the machine' ||
		{ fail "ferry status does not say the watchdog reset the machine: $(echo "$st" | grep watchdog)"; return; }
	echo "$st" | grep -q "kernels .* -> $kver" || { fail "ferry status does not name $kver as the kernel it was restored on"; return; }
	# the gap spans the hang, the watchdog's 15 s and a boot through the BIOS
	counter_restored 3000
	;;
*) fail "boot $boot: the machine was reset again (a watchdog left running, or a loop)" ;;
esac
