# scenario: update-reset-boot-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --timeout 300
#
# A cell of the fault matrix (qemu-tests/README.md): the power is lost (a
# reset, RAM kept) in the early boot of the update kernel (6.12), before
# ferry-init runs: its init is busybox's reboot (rdinit=/bin/busybox --
# reboot -f -n: reboot(2) at once, nothing synced). --guest-reset: QEMU
# boots 6.1 again (its -kernel, ferry.step=1 again: the boots are counted on
# the data disk), whose ferry-init finds the image still SEALED and restores
# it: same PID, the counter goes on with one start line (never started
# twice), ferry status names 6.1 as the kernel it was restored on.
from=generic to=bpo
boot=$(($(cat /data/resetboot-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/resetboot-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	counter_start || return
	update_to "$to" --pid --append "ferry.test=$test ferry.step=2 rdinit=/bin/busybox -- reboot -f -n"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -q "kernels .* -> $kver" || { fail "ferry status does not name $kver as the kernel it was restored on"; return; }
	[ "$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^guest-app$')" = 1 ] ||
		{ fail "$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^guest-app$') guest-apps run, expected 1"; return; }
	# the gap spans the reset and a boot through the BIOS; its length is in the downtime
	counter_restored 3000
	;;
*) fail "boot $boot: the machine was reset again, or the test looped" ;;
esac
