# scenario: update-restore-fail-default-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --append ferry.test_init=fail-after-1
# option: --timeout 300
#
# A cell of the fault matrix (qemu-tests/README.md): a restore that fails
# on the kernel the image was taken on does not reset (there is no other
# kernel to go to). The power fails after the seal of an update of a tree
# (FERRY_UPDATE_TEST=reset-after-seal: sysrq b, RAM kept; --guest-reset:
# QEMU boots 6.1 again), so 6.1's ferry-init finds the image sealed, and
# its restore fails late (ferry.test_init=fail-after-1 on QEMU's command
# line). It boots on, saying why: nothing of the tree runs, its logs end at
# the freeze, the image is SEALED, ferry status says failed. A reset here
# would boot 6.1 a third time (boot 3: a FAIL).
to=bpo
boot=$(($(cat /data/default-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/default-boots
sync
[ "$flavor" = generic ] || { fail "boot $boot runs on $flavor, expected generic"; return; }
case "$boot" in
1)
	tree_start
	sleep 2
	[ "$(last_count /data/tree.log)" -gt 3 ] 2>/dev/null || { fail "the tree does not count: $(tail -n 2 /data/tree.log)"; return; }
	echo "$app_pid" >/data/app.pid
	cat /proc/$app_pid/task/*/children >/data/app.children
	sync
	FERRY_UPDATE_TEST=reset-after-seal update_to "$to" --tree
	fail "ferry update returned instead of resetting after the seal"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	grep -q 'NOT RESTORED: .*FERRY_TEST_RESTORE_FAIL_AFTER' /run/ferry/init.log ||
		{ fail "the restore on $kver did not fail as the hook says: $(grep -E 'NOT RESTORED|restored pid' /run/ferry/init.log | tail -n 2)"; return; }
	grep -q 'booted on without them (the kernel the image was taken on: no other to reset into)' /run/ferry/init.log ||
		{ fail "ferry-init does not say why it does not reset: $(tail -n 3 /run/ferry/init.log)"; return; }
	echo "$st" | grep -q '^last update: failed' || { fail "ferry status does not say the restore failed"; return; }
	echo "$st" | grep -q 'state sealed' || { fail "the image was not kept (region not SEALED)"; return; }
	for p in $(cat /data/app.pid) $(cat /data/app.children); do
		[ -d "/proc/$p" ] && { fail "pid $p ($(cat /proc/$p/comm)) is left of the failed restore"; return; }
	done
	grep -qs '^guest-app$' /proc/[0-9]*/comm && { fail "a guest-app runs after the failed restore"; return; }
	a1=$(wc -l </data/tree-src.log) b1=$(wc -l </data/tree.log)
	sleep 1
	[ "$(wc -l </data/tree-src.log)" = "$a1" ] && [ "$(wc -l </data/tree.log)" = "$b1" ] ||
		{ fail "the counter logs grow after the failed restore"; return; }
	echo "cell restore-fails-on-the-default-kernel: no reset, booted on, image SEALED, logs untouched ($a1/$b1 lines)"
	pass
	;;
*) fail "boot $boot: ferry-init reset the machine after a failure on the image's own kernel" ;;
esac
