# scenario: update-restore-fail-generic-bpo
# flavor: generic
# option: --timeout 400
#
# A cell of the fault matrix (qemu-tests/README.md): the restore on the new
# kernel fails late, with ferry.on_restore_failure=continue (passed by
# ferry update --append): the new kernel boots on without the applications
# instead of resetting (update-restore-reset-generic-bpo is the default,
# reset; without --guest-reset a reset here ends QEMU: a FAIL). A tree (a
# shell running a pipeline of two guest-apps) is updated by kexec into 6.12
# with ferry.test_init=fail-after-1: ferry-init
# has created every process, lets the first (the shell) go, and then fails
# (FERRY_TEST_RESTORE_FAIL_AFTER). Expected there: nothing of the tree is
# left, the image is SEALED again (kept for another try), the reason in
# ferry status, and nothing written: the counter logs end where they were
# at the freeze. Then a kexec into 6.12 again, without the hook: its
# ferry-init restores the same image, the tree counts on with no count
# twice (a process of the failed restore that wrote would show here), and
# ferry status names both attempts.
# the kernel's release as an extended regular expression (6.12's has a +)
kver_re=$(printf '%s' "$kver" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
to=bpo
case "$step" in
1)
	[ "$flavor" = generic ] || { fail "step 1 runs on $flavor, expected generic"; return; }
	tree_start
	sleep 2
	[ "$(last_count /data/tree.log)" -gt 3 ] 2>/dev/null || { fail "the tree does not count: $(tail -n 2 /data/tree.log)"; return; }
	echo "$app_pid" >/data/app.pid
	cat /proc/$app_pid/task/*/children >/data/app.children
	echo "tree: shell $app_pid, children $(cat /data/app.children)"
	sync
	append_extra="ferry.test_init=fail-after-1 ferry.on_restore_failure=continue" update_to "$to" --tree
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	[ "$flavor" = "$to" ] || { fail "step 2 runs on $flavor, expected $to"; return; }
	st=$(ferry status 2>&1)
	echo "$st"
	grep -q 'test: the restore fails once 1 processes run' /run/ferry/init.log ||
		{ fail "the test hook did not fire: $(tail -n 3 /run/ferry/init.log)"; return; }
	for p in $(cat /data/app.pid) $(cat /data/app.children); do
		[ -d "/proc/$p" ] && { fail "pid $p ($(cat /proc/$p/comm)) is left of the failed restore"; return; }
	done
	grep -qs '^guest-app$' /proc/[0-9]*/comm && { fail "a guest-app runs after the failed restore"; return; }
	grep -q 'NOT RESTORED: .*FERRY_TEST_RESTORE_FAIL_AFTER' /run/ferry/init.log ||
		{ fail "ferry-init did not say why: $(grep -E 'NOT RESTORED|error' /run/ferry/init.log | tail -n 2)"; return; }
	echo "$st" | grep -q 'state sealed' || { fail "the image was not kept (region not SEALED)"; return; }
	echo "$st" | grep -q '^last update: failed' || { fail "ferry status does not say the restore failed"; return; }
	echo "$st" | grep -q 'reason .*restore failed' || { fail "ferry status gives no reason"; return; }
	grep -q 'booted on without them (ferry.on_restore_failure=continue)' /run/ferry/init.log ||
		{ fail "ferry-init does not say it boots on for ferry.on_restore_failure=continue: $(tail -n 2 /run/ferry/init.log)"; return; }
	# nothing written: the logs as they were at the freeze, a second apart
	a1=$(wc -l </data/tree-src.log) b1=$(wc -l </data/tree.log)
	sleep 1
	[ "$(wc -l </data/tree-src.log)" = "$a1" ] && [ "$(wc -l </data/tree.log)" = "$b1" ] ||
		{ fail "the counter logs grow after the failed restore"; return; }
	echo "cell restore-fails-late: nothing left, image SEALED, logs untouched ($a1/$b1 lines)"
	sync
	region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
		"ferry.test=$test" "ferry.step=3" "ferry.test_init=" >/dev/null 2>&1
	fail "kexec to $to again did not happen"
	;;
3)
	[ "$flavor" = "$to" ] || { fail "step 3 runs on $flavor, expected $to"; return; }
	ferry status 2>&1
	for p in $(cat /data/app.pid) $(cat /data/app.children); do
		[ -d "/proc/$p" ] || { fail "pid $p was not restored on the second try"; return; }
	done
	ferry status 2>&1 | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	ferry status 2>&1 | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: failed \(restore failed: .*\); booted on without them \(ferry.on_restore_failure=continue\)$' &&
		ferry status 2>&1 | grep -Eq "^  attempt 2 +on $kver_re at .*: restored$" ||
		{ fail "ferry status does not name both attempts: $(ferry status 2>&1 | grep attempt | tr '\n' ';')"; return; }
	c1=$(last_count /data/tree.log)
	sleep 2
	[ "$(last_count /data/tree.log)" -gt "$c1" ] 2>/dev/null || { fail "the tree stopped at $c1 after the restore"; return; }
	# the gap spans the failed boot; no count twice, none missing
	if out=$(check_counter /data/tree-src.log 60000 && check_counter /data/tree.log 60000 nostart); then
		echo "$out"
		pass
	else
		fail "$(echo "$out" | tr '\n' ';')"
	fi
	;;
*) fail "no step $step" ;;
esac
