# scenario: update-restore-fail-twice-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --append ferry.test_init=fail-after-1
# option: --timeout 500
#
# A cell of the fault matrix (qemu-tests/README.md): the restore fails late
# on both kernels. ferry.test_init=fail-after-1 is on QEMU's command line,
# so on every boot of 6.1 (the first has nothing to restore) and, carried
# over by ferry update, on 6.12's. A tree (a shell running a pipeline of
# two guest-apps) is updated by kexec into 6.12, whose ferry-init fails,
# notes the attempt and resets the machine (ferry.on_restore_failure=reset,
# the default); 6.1's ferry-init fails too and, the image having had its
# reset, boots on: no loop (a second reset would boot 6.1 again and again
# without ever running this file: a timeout). On that boot nothing of the
# tree runs, its logs end at the freeze, the image is SEALED, and ferry
# status names both attempts. Then a kexec into 6.12 without the hook
# restores the same image (a third attempt): same PIDs, no count twice.
# the kernel's release as an extended regular expression (6.12's has a +)
kver_re=$(printf '%s' "$kver" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
from=generic to=bpo
boot=$(($(cat /data/twice-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/twice-boots
sync
case "$boot" in
1)
	[ "$flavor" = "$from" ] || { fail "boot 1 runs on $flavor, expected $from"; return; }
	grep -q 'nothing to restore' /run/ferry/init.log || { fail "the first boot had something to restore"; return; }
	tree_start
	sleep 2
	[ "$(last_count /data/tree.log)" -gt 3 ] 2>/dev/null || { fail "the tree does not count: $(tail -n 2 /data/tree.log)"; return; }
	echo "$app_pid" >/data/app.pid
	cat /proc/$app_pid/task/*/children >/data/app.children
	echo "tree: shell $app_pid, children $(cat /data/app.children)"
	sync
	update_to "$to" --tree
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	[ "$flavor" = "$from" ] || { fail "boot 2 runs on $flavor, expected $from (6.12 booted on after its failed restore?)"; return; }
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: failed \(restore failed: .*FERRY_TEST_RESTORE_FAIL_AFTER.*\); ferry-init reset the machine into the default kernel$' ||
		{ fail "ferry status does not show the failed restore on 6.12 and the reset: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep -Eq "^  attempt 2 +on $kver_re at .*: failed \(restore failed: .*FERRY_TEST_RESTORE_FAIL_AFTER.*\); booted on without them \(the machine was reset for this image already\)$" ||
		{ fail "ferry status does not show the second failure, on $kver, without a reset: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep -q '^last update: failed' || { fail "ferry status does not say the restore failed"; return; }
	js=$(ferry status --json 2>&1)
	echo "$js" | grep -q '"restore_attempts_count": 2' && echo "$js" | grep -q '"restore_resets": 1' &&
		echo "$js" | grep -q '"then": "reset"' ||
		{ fail "ferry status --json does not show the two attempts and the reset: $(echo "$js" | grep -E 'restore_|"then"' | tr '\n' ' ')"; return; }
	echo "$st" | grep -q 'state sealed' || { fail "the image was not kept (region not SEALED)"; return; }
	grep -q 'NOT RESTORED: .*FERRY_TEST_RESTORE_FAIL_AFTER' /run/ferry/init.log ||
		{ fail "ferry-init did not say why: $(grep -E 'NOT RESTORED|error' /run/ferry/init.log | tail -n 2)"; return; }
	grep -q 'reset for this image already' /run/ferry/init.log ||
		{ fail "ferry-init did not say why it does not reset: $(tail -n 3 /run/ferry/init.log)"; return; }
	for p in $(cat /data/app.pid) $(cat /data/app.children); do
		[ -d "/proc/$p" ] && { fail "pid $p ($(cat /proc/$p/comm)) is left of the failed restore"; return; }
	done
	grep -qs '^guest-app$' /proc/[0-9]*/comm && { fail "a guest-app runs after the failed restores"; return; }
	a1=$(wc -l </data/tree-src.log) b1=$(wc -l </data/tree.log)
	sleep 1
	[ "$(wc -l </data/tree-src.log)" = "$a1" ] && [ "$(wc -l </data/tree.log)" = "$b1" ] ||
		{ fail "the counter logs grow after the failed restores"; return; }
	echo "cell restore-fails-on-both: one reset, booted on, nothing left, image SEALED, logs untouched ($a1/$b1 lines)"
	sync
	region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
		"ferry.test=$test" "ferry.test_init=" >/dev/null 2>&1
	fail "kexec to $to did not happen"
	;;
3)
	[ "$flavor" = "$to" ] || { fail "boot 3 runs on $flavor, expected $to"; return; }
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -Eq "^  attempt 3 +on $kver_re at .*: restored$" ||
		{ fail "ferry status does not show the third attempt restored on $kver"; return; }
	echo "$st" | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	for p in $(cat /data/app.pid) $(cat /data/app.children); do
		[ -d "/proc/$p" ] || { fail "pid $p was not restored on the third try"; return; }
	done
	c1=$(last_count /data/tree.log)
	sleep 2
	[ "$(last_count /data/tree.log)" -gt "$c1" ] 2>/dev/null || { fail "the tree stopped at $c1 after the restore"; return; }
	# the gap spans the failed boots; no count twice, none missing
	if out=$(check_counter /data/tree-src.log 120000 && check_counter /data/tree.log 120000 nostart); then
		echo "$out"
		pass
	else
		fail "$(echo "$out" | tr '\n' ';')"
	fi
	;;
*) fail "boot $boot: the machine was reset again (a loop)" ;;
esac
