# scenario: update-reset-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --timeout 360
#
# Cells of the fault matrix (qemu-tests/README.md): the power lost (a reset
# with RAM kept: sysrq b; --guest-reset: QEMU boots 6.1 again) in the
# preflight of `ferry update` (FERRY_UPDATE_TEST=stop-in-preflight holds it
# there, the new kernel loaded, nothing frozen) and in its freeze
# (stop-in-freeze: one thread of guest-app seized, the region WRITING).
# Expected after each: the default kernel boots cleanly, nothing is
# restored or started twice (guest-app not running, ferry-init says why),
# ferry status says what the update had come to.
boot=$(($(cat /data/reset-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/reset-boots
sync
[ "$flavor" = generic ] || { fail "boot $boot runs on $flavor, expected generic"; return; }

# reset_in HOOK: ferry update of a fresh counter stopped by HOOK, then the
# power fails
reset_in() {
	rm -f /data/counter.log
	counter_start || return 1
	FERRY_UPDATE_TEST=$1 update_to bpo --pid >/tmp/reset.out 2>&1 &
	i=0
	while ! grep -q 'test: stopped' /tmp/reset.out && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat /tmp/reset.out
	grep -q 'test: stopped' /tmp/reset.out || { fail "ferry update did not stop ($1)"; return 1; }
	ferry status 2>&1 | sed 's/^/before the reset: /'
	sync
	echo "resetting the machine with ferry update stopped ($1)"
	echo b >/proc/sysrq-trigger
	sleep 10
	fail "sysrq b did not reset the machine"
	return 1
}

# nothing_restored WHAT: guest-app of /data/app.pid does not run, and
# nothing else was restored
nothing_restored() {
	a=$(cat /data/app.pid)
	[ "$(cat /proc/$a/comm 2>/dev/null)" = guest-app ] && { fail "pid $a runs after a reset in the $1"; return 1; }
	grep -qs '^guest-app$' /proc/[0-9]*/comm && { fail "a guest-app runs after a reset in the $1"; return 1; }
	grep -q 'restored pid' /run/ferry/init.log && { fail "ferry-init restored something after a reset in the $1"; return 1; }
	return 0
}

case "$boot" in
1)
	reset_in stop-in-preflight
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	nothing_restored preflight || return
	grep -q 'nothing to restore' /run/ferry/init.log ||
		{ fail "ferry-init did not say there was nothing to restore: $(tail -n 2 /run/ferry/init.log)"; return; }
	echo "$st" | grep -q 'state \(sealed\|writing\)' && { fail "a reset in the preflight left the region $(echo "$st" | sed -n 's/.*state \([a-z]*\).*/\1/p')"; return; }
	echo "cell reset-in-preflight: nothing restored; $(grep 'nothing to restore' /run/ferry/init.log | head -n 1)"
	reset_in stop-in-freeze
	;;
3)
	st=$(ferry status 2>&1)
	echo "$st"
	nothing_restored freeze || return
	grep -q 'state writing: nothing to restore' /run/ferry/init.log ||
		{ fail "ferry-init did not say it found the image being written: $(tail -n 2 /run/ferry/init.log)"; return; }
	echo "$st" | grep -q '^last update: writing' || { fail "ferry status does not say the update was writing"; return; }
	echo "cell reset-in-freeze: nothing restored, ferry status: writing"
	pass
	;;
*) fail "boot $boot: one reset too many" ;;
esac
