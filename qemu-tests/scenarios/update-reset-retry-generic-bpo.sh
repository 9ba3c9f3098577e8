# scenario: update-reset-retry-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --timeout 400
#
# A cell of the fault matrix (qemu-tests/README.md): the power is lost (a
# reset, RAM kept) in the restore on the update kernel (6.12) once every
# process was created and verified, right before the first is let go and
# before the image is marked consumed (ferry.test_init=reset-before-let-go:
# reboot(2), nothing synced). --guest-reset: QEMU boots 6.1 again (the
# boots are counted on the data disk), whose ferry-init finds the image
# still SEALED and the attempt on 6.12 noted as begun and never ended: it
# restores the image again, once. guest-app runs with its PID, started
# once, its counter goes on with no count twice or missing, and ferry
# status says restored, the attempt on 6.12 interrupted and retried.
# the kernel's release as an extended regular expression (6.12's has a +)
kver_re=$(printf '%s' "$kver" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
from=generic to=bpo
boot=$(($(cat /data/resetretry-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/resetretry-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	counter_start || return
	update_to "$to" --pid --append "ferry.test=$test ferry.step=2 ferry.test_init=reset-before-let-go"
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	grep -q 'interrupted before any process ran: restoring it again (once)' /run/ferry/init.log ||
		{ fail "ferry-init did not say it restores the interrupted image again: $(tail -n 3 /run/ferry/init.log)"; return; }
	echo "$st" | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: interrupted during restore; cut short before any process ran: the next boot restored the image again \(once\)$' ||
		{ fail "ferry status does not show the attempt on 6.12 interrupted and retried: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep -Eq "^  attempt 2 +on $kver_re at .*: restored$" ||
		{ fail "ferry status does not show the restore on $kver as the second attempt"; return; }
	js=$(ferry status --json 2>&1)
	echo "$js" | grep -q '"restore_attempts_count": 2' && echo "$js" | grep -q '"restore_resets": 0' &&
		echo "$js" | grep -q '"then": "retried"' ||
		{ fail "ferry status --json does not show the two attempts and the retry: $(echo "$js" | grep -E 'restore_|"then"' | tr '\n' ' ')"; return; }
	ferry status --history 2>&1 | grep -E "restored .* -> $kver_re .*  2 restores tried, 0 resets$" >/dev/null ||
		{ fail "ferry status --history does not give the two restores: $(ferry status --history 2>&1 | tr '\n' ';')"; return; }
	n=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -cx guest-app)
	[ "$n" = 1 ] || { fail "$n guest-apps run, expected one (started twice?)"; return; }
	# the gap spans the interrupted boot of 6.12, the reset and the BIOS;
	# its length is in the downtime
	counter_restored 3000
	;;
*) fail "boot $boot: the machine was reset again, or the test looped" ;;
esac
