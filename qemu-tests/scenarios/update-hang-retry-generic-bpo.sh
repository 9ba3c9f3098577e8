# scenario: update-hang-retry-generic-bpo
# flavor: generic
# option: --watchdog
# option: --timeout 300
#
# A cell of the fault matrix (qemu-tests/README.md): the update kernel
# (6.12) hangs in the restore, after its ferry-init re-armed the watchdog
# that ferry update --watchdog 15 left running, once every process was
# created and verified, before the image was marked consumed
# (ferry.test_init=hang-before-let-go). The watchdog resets the machine
# (--watchdog: i6300esb, RAM kept) into 6.1 (the boots are counted on the
# data disk), whose ferry-init finds the image still SEALED and the attempt
# on 6.12 begun and never ended: it re-arms the watchdog, restores the
# image again, once, and stops the watchdog. guest-app runs with its PID,
# started once, its counter goes on; ferry status says restored, the
# attempt on 6.12 interrupted and retried, and the watchdog reset the
# machine; still up 25 s later (no second reset).
from=generic to=bpo
boot=$(($(cat /data/hangretry-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/hangretry-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	[ -c /dev/watchdog ] || { fail "no /dev/watchdog (i6300esb) on $kver"; return; }
	counter_start || return
	update_to "$to" --pid --watchdog 15 --append "ferry.test=$test ferry.step=2 ferry.test_init=hang-before-let-go"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	grep -q 'interrupted before any process ran: restoring it again (once)' /run/ferry/init.log ||
		{ fail "ferry-init did not say it restores the interrupted image again: $(tail -n 3 /run/ferry/init.log)"; return; }
	echo "$st" | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: interrupted during restore; cut short before any process ran: the next boot restored the image again \(once\)$' ||
		{ fail "ferry status does not show the attempt on 6.12 interrupted and retried: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep '^  watchdog ' | grep -q 'it reset the machine' ||
		{ fail "ferry status does not say the watchdog reset the machine: $(echo "$st" | grep watchdog)"; return; }
	grep -q 'watchdog .* stopped' /run/ferry/init.log ||
		{ fail "ferry-init did not stop the watchdog: $(grep watchdog /run/ferry/init.log)"; return; }
	n=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -cx guest-app)
	[ "$n" = 1 ] || { fail "$n guest-apps run, expected one (started twice?)"; return; }
	sleep 25
	# the gap spans the hang, the watchdog's timeout and the BIOS
	counter_restored 3000
	;;
*) fail "boot $boot: the machine was reset again (the watchdog left running, or a loop)" ;;
esac
