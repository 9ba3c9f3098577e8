# scenario: update-retry-twice-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --append ferry.test_init=reset-before-let-go
# option: --timeout 500
#
# A cell of the fault matrix (qemu-tests/README.md): the restore is
# interrupted before any process was let go, twice. ferry.test_init=
# reset-before-let-go is on QEMU's command line, so on every boot of 6.1
# (the first has nothing to restore) and, carried over by ferry update, on
# 6.12's: its ferry-init creates and verifies every process, then resets
# the machine (reboot(2), nothing synced) before the first is let go.
# 6.1's ferry-init restores the image again, once, and is reset at the
# same point; the next boot of 6.1 does not restore it a third time: the
# image is marked consumed, no guest-app runs, its log has one start line
# and does not grow, and ferry status says why (interrupted twice) and
# lists both attempts. The boots that reset never run this file: it counts
# its own on the data disk.
# the kernel's release as an extended regular expression (6.12's has a +)
kver_re=$(printf '%s' "$kver" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
from=generic to=bpo
boot=$(($(cat /data/retrytwice-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/retrytwice-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from"; return; }
case "$boot" in
1)
	grep -q 'nothing to restore' /run/ferry/init.log || { fail "the first boot had something to restore"; return; }
	counter_start || return
	update_to "$to" --pid
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	grep -q 'NOT RESTORED: the restore of this image was interrupted twice before any process ran' /run/ferry/init.log ||
		{ fail "ferry-init did not say why it does not restore: $(tail -n 3 /run/ferry/init.log)"; return; }
	echo "$st" | grep -q 'state consumed' || { fail "the image was not marked consumed"; return; }
	echo "$st" | grep -q '^last update: failed' || { fail "ferry status does not say the update failed"; return; }
	echo "$st" | grep -q 'reason .*interrupted twice before any process ran' ||
		{ fail "ferry status does not name why: $(echo "$st" | grep reason)"; return; }
	echo "$st" | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: interrupted during restore; cut short before any process ran: the next boot restored the image again \(once\)$' ||
		{ fail "ferry status does not show the attempt on 6.12 interrupted and retried: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep -Eq "^  attempt 2 +on $kver_re at .*: interrupted during restore; cut short before any process ran, after a retry already: not restored again \(the image consumed\)$" ||
		{ fail "ferry status does not show the retry on $kver interrupted too: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	js=$(ferry status --json 2>&1)
	echo "$js" | grep -q '"restore_attempts_count": 2' && echo "$js" | grep -q '"then": "retried"' &&
		echo "$js" | grep -q '"then": "not-retried"' ||
		{ fail "ferry status --json does not show both attempts: $(echo "$js" | grep -E 'restore_|"then"' | tr '\n' ' ')"; return; }
	ferry status --history 2>&1 | grep -E "failed .* -> $kver_re .*2 restores tried, 0 resets  \(.*interrupted twice" >/dev/null ||
		{ fail "ferry status --history does not give the two restores and why: $(ferry status --history 2>&1 | tr '\n' ';')"; return; }
	a=$(cat /data/app.pid)
	[ "$(cat /proc/$a/comm 2>/dev/null)" = guest-app ] && { fail "pid $a runs: restored a third time"; return; }
	grep -qs '^guest-app$' /proc/[0-9]*/comm && { fail "a guest-app runs"; return; }
	starts=$(grep -c '^start' /data/counter.log)
	[ "$starts" = 1 ] || { fail "$starts start lines in the counter log: started twice"; return; }
	c1=$(last_count /data/counter.log)
	sleep 2
	[ "$(last_count /data/counter.log)" = "$c1" ] || { fail "the counter log grows: something runs it"; return; }
	echo "not restored a third time: counter log ends at $c1, one start line"
	pass
	;;
*) fail "boot $boot: the machine was reset again (a loop)" ;;
esac
