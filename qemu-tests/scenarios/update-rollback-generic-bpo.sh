# scenario: update-rollback-generic-bpo
# flavor: generic
# option: --expect-panic
#
# The update kernel (6.12) cannot start its init (rdinit= names nothing, no
# root=) and panics before any restore; panic=-1 reboots (--expect-panic:
# QEMU resets instead of exiting, keeping RAM like a warm reboot), and QEMU
# starts 6.1 again with its own command line (ferry.step=1 again: the boots
# are counted on the data disk). The image is still SEALED in the range:
# ferry-init restores it on 6.1, the kernel it was taken on: same PID, the
# counter goes on.
from=generic to=bpo
boot=$(($(cat /data/rollback-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/rollback-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	counter_start || return
	update_to "$to" --pid --append "ferry.test=$test ferry.step=2 rdinit=/nonexistent"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -q "kernels .* -> $kver" || { fail "ferry status does not name $kver as the kernel it was restored on"; return; }
	# the gap spans a panic and a reboot through the BIOS; its length is in the downtime
	counter_restored 3000
	;;
*) fail "boot $boot: the update kernel came up again, or the test looped" ;;
esac
