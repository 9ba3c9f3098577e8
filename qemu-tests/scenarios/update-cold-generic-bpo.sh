# scenario: update-cold-generic-bpo
# flavor: generic
# option: --cold-restart 1
# option: --timeout 300
#
# A cell of the fault matrix (qemu-tests/README.md): a cold power loss (RAM
# cleared) after the seal, before the kexec. FERRY_UPDATE_TEST=reset-after-seal
# resets the machine (sysrq b) where the kexec would be; QEMU exits on it
# and run-scenario starts a new one (--cold-restart: its RAM, the region
# with it, is zero; the disks are kept). Expected on boot 2: the default
# kernel boots cleanly, ferry-init finds the region blank and restores
# nothing, nothing runs twice, and ferry status says the update was lost
# with the region's memory (from the history the update kept on disk).
boot=$(($(cat /data/cold-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/cold-boots
sync
[ "$flavor" = generic ] || { fail "boot $boot runs on $flavor, expected generic"; return; }
case "$boot" in
1)
	counter_start || return
	FERRY_UPDATE_TEST=reset-after-seal update_to bpo --pid
	fail "ferry update returned instead of resetting after the seal"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	a=$(cat /data/app.pid)
	[ "$(cat /proc/$a/comm 2>/dev/null)" = guest-app ] && { fail "pid $a runs after a cold power loss"; return; }
	grep -qs '^guest-app$' /proc/[0-9]*/comm && { fail "a guest-app runs after a cold power loss"; return; }
	grep -q 'not formatted: nothing to restore' /run/ferry/init.log ||
		{ fail "ferry-init did not find the region blank: $(tail -n 2 /run/ferry/init.log)"; return; }
	echo "$st" | grep -q '^last update: lost with the region.*"sealed.*never restored' ||
		{ fail "ferry status does not say the sealed update was lost with the region"; return; }
	echo "cell cold-after-seal: nothing restored, the region blank, ferry status: lost"
	pass
	;;
*) fail "boot $boot: one restart too many" ;;
esac
