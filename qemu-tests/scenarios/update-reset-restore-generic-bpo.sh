# scenario: update-reset-restore-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --timeout 300
#
# A cell of the fault matrix (qemu-tests/README.md): the power is lost (a
# reset, RAM kept) in the restore on the update kernel (6.12), right after
# its ferry-init marked the image consumed, the last instant before the
# first process is let go (ferry.test_init=reset-after-consumed: reboot(2),
# nothing synced; update-reset-retry-generic-bpo is the same instant before
# the mark). --guest-reset: QEMU
# boots 6.1 again (ferry.step=1 again: the boots are counted on the data
# disk), whose ferry-init finds the image CONSUMED and does not restore it
# (exactly once: past the mark the processes may have run). The application
# is lost with the old kernel's RAM: guest-app does not run, nothing was
# started twice (its log has one start line and stopped at the freeze),
# ferry status says the update was interrupted during restore.
from=generic to=bpo
boot=$(($(cat /data/resetrestore-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/resetrestore-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	counter_start || return
	update_to "$to" --pid --append "ferry.test=$test ferry.step=2 ferry.test_init=reset-after-consumed"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	consumed_not_restored "$st"
	;;
*) fail "boot $boot: the machine was reset again, or the test looped" ;;
esac
