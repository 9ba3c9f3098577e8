# scenario: update-restore-reset-generic-bpo
# flavor: generic
# option: --guest-reset
# option: --timeout 400
#
# A cell of the fault matrix (qemu-tests/README.md): the restore on the new
# kernel fails late, and ferry-init resets the machine into the default
# kernel, which restores. A tree (a shell running a pipeline of two
# guest-apps) is updated by kexec into 6.12 with ferry.test_init=fail-after-1
# on 6.12's command line only: its ferry-init creates every process, lets
# the first go, fails, removes them, seals the image again, notes the
# attempt in the region and, by default (ferry.on_restore_failure=reset),
# resets the machine (reboot(2); --guest-reset: QEMU boots 6.1 again, RAM
# kept). 6.12 never runs this file (ferry-init resets before it execs
# /init): the boots of 6.1 are counted on the data disk. On the second,
# 6.1's ferry-init restored the image: the same PIDs, both logs go on with
# no count twice or missing, and ferry status names the failed attempt on
# 6.12 with its reason and the reset, then the restore on 6.1; its history
# line counts both restores and the reset.
# the kernel's release as an extended regular expression (6.12's has a +)
kver_re=$(printf '%s' "$kver" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
from=generic to=bpo
boot=$(($(cat /data/reset-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/reset-boots
sync
[ "$flavor" = "$from" ] || { fail "boot $boot runs on $flavor, expected $from (6.12 booted on after its failed restore?)"; return; }
case "$boot" in
1)
	tree_start
	sleep 2
	[ "$(last_count /data/tree.log)" -gt 3 ] 2>/dev/null || { fail "the tree does not count: $(tail -n 2 /data/tree.log)"; return; }
	echo "$app_pid" >/data/app.pid
	cat /proc/$app_pid/task/*/children >/data/app.children
	echo "tree: shell $app_pid, children $(cat /data/app.children)"
	sync
	append_extra=ferry.test_init=fail-after-1 update_to "$to" --tree
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: failed \(restore failed: .*FERRY_TEST_RESTORE_FAIL_AFTER.*\); ferry-init reset the machine into the default kernel$' ||
		{ fail "ferry status does not show the failed restore on 6.12 and the reset: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep -Eq "^  attempt 2 +on $kver_re at .*: restored$" ||
		{ fail "ferry status does not show the restore on $kver as the second attempt"; return; }
	echo "$st" | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	js=$(ferry status --json 2>&1)
	echo "$js" | grep -q '"restore_attempts_count": 2' && echo "$js" | grep -q '"restore_resets": 1' &&
		echo "$js" | grep -q '"then": "reset"' ||
		{ fail "ferry status --json does not show the two attempts and the reset: $(echo "$js" | grep -E 'restore_|"then"' | tr '\n' ' ')"; return; }
	echo "$st" | grep -q "kernels .* -> $kver" || { fail "ferry status does not name $kver as the kernel it was restored on"; return; }
	# the record keeps the count of both, for the history
	ferry status --history 2>&1 | grep -E "restored .* -> $kver_re .*  2 restores tried, 1 reset$" >/dev/null ||
		{ fail "ferry status --history does not give the two restores and the reset: $(ferry status --history 2>&1 | tr '\n' ';')"; return; }
	for p in $(cat /data/app.pid) $(cat /data/app.children); do
		[ -d "/proc/$p" ] || { fail "pid $p was not restored on $kver"; return; }
	done
	n=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -cx guest-app)
	[ "$n" = 2 ] || { fail "$n guest-apps run, expected the tree's two (started twice?)"; return; }
	c1=$(last_count /data/tree.log)
	sleep 2
	[ "$(last_count /data/tree.log)" -gt "$c1" ] 2>/dev/null || { fail "the tree stopped at $c1 after the restore"; return; }
	# the gap spans the failed boot of 6.12, the reset and the BIOS; its
	# length is in the downtime; no count twice, none missing
	if out=$(check_counter /data/tree-src.log 3000 && check_counter /data/tree.log 3000 nostart); then
		echo "$out"
		pass
	else
		fail "$(echo "$out" | tr '\n' ';')"
	fi
	;;
*) fail "boot $boot: the machine was reset again (a loop)" ;;
esac
