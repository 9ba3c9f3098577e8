# scenario: update-hang-generic-bpo
# flavor: generic
# option: --watchdog
# option: --timeout 300
#
# The update kernel (6.12) hangs without panicking: its init is a sleep
# (rdinit=/bin/busybox -- sleep), so neither the guest's /init (which loads
# i6300esb) nor ferry-init ever runs. `ferry update --watchdog 15` armed
# QEMU's i6300esb before the kexec and left it running (--watchdog: its
# expiry resets QEMU, RAM kept); it resets the machine into 6.1 (QEMU's
# -kernel, ferry.step=1 again: the boots are counted on the data disk),
# whose ferry-init finds the image still SEALED, re-arms the watchdog for
# the restore and stops it after: same PID, the counter goes on, ferry
# status says what became of the watchdog. Then a second update with
# --watchdog 40 into 6.12 that does not hang: ferry-init on 6.12 restores
# and stops the watchdog, and the machine is still up 45 s later. (40 s,
# not 15: under TCG on a loaded host a 6.12 boot can take longer than 15 s
# from the kexec to ferry-init, and the watchdog would then reset a boot
# that did not hang.)
from=generic to=bpo
boot=$(($(cat /data/hang-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/hang-boots
sync
expect=$from
[ "$boot" = 3 ] && expect=$to
[ "$flavor" = "$expect" ] || { fail "boot $boot runs on $flavor, expected $expect"; return; }

# watchdog_said WHAT...: ferry status's watchdog line holds every WHAT
watchdog_said() {
	line=$(ferry status 2>&1 | grep '^  watchdog ')
	for w; do
		echo "$line" | grep -q "$w" || { fail "ferry status: no '$w' in its watchdog line: '$line'"; return 1; }
	done
}

case "$boot" in
1)
	[ -c /dev/watchdog ] || { fail "no /dev/watchdog (i6300esb) on $kver"; return; }
	counter_start || return
	update_to "$to" --pid --watchdog 15 \
		--append "ferry.test=$test ferry.step=2 rdinit=/bin/busybox -- sleep 100000"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	pid=$(cat /data/app.pid)
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ] ||
		{ fail "pid $pid was not restored on $kver after the watchdog's reset: $(grep -E 'NOT RESTORED|reason' /run/ferry/init.log 2>/dev/null | tail -n 2)"; return; }
	echo "$st" | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	echo "$st" | grep -q "kernels .* -> $kver" || { fail "ferry status does not name $kver as the kernel it was restored on"; return; }
	watchdog_said "15 s, armed before the switch" "it reset the machine" "re-armed by ferry-init" "stopped" || return
	c1=$(last_count /data/counter.log)
	sleep 2
	[ "$(last_count /data/counter.log)" -gt "$c1" ] 2>/dev/null || { fail "the counter stopped at $c1 after the restore"; return; }
	# the gap spans the hang, the watchdog's 15 s and a boot through the BIOS
	out=$(check_counter /data/counter.log 3000) || { fail "$(echo "$out" | tr '\n' ';')"; return; }
	echo "$out"
	app_pid=$pid
	step=2 update_to "$to" --pid --watchdog 40
	fail "the second ferry update returned instead of kexec'ing"
	;;
3)
	pid=$(cat /data/app.pid)
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ] || { fail "pid $pid was not restored on $kver"; return; }
	watchdog_said "40 s, armed before the switch" "re-armed by ferry-init" "stopped" || return
	ferry status 2>&1 | grep '^  watchdog ' | grep -q 'it reset the machine' &&
		{ fail "ferry status says the watchdog reset the machine on an update that did not hang"; return; }
	# longer than the timeout: a watchdog left running would reset into 6.1 (boot 4)
	sleep 45
	c1=$(last_count /data/counter.log)
	sleep 1
	[ "$(last_count /data/counter.log)" -gt "$c1" ] 2>/dev/null || { fail "the counter stopped at $c1"; return; }
	pass
	;;
*) fail "boot $boot: the machine was reset again (a watchdog left running, or a loop)" ;;
esac
