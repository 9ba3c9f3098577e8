# scenario: efi-update-restore-fail
#
# A cell of the fault matrix (qemu-tests/README.md) on the reboot path: the
# restore on the update kernel fails late. A tree (a shell running a
# pipeline of two guest-apps) is carried by ferry update --via reboot from
# 6.1 to 6.12 with ferry.test_init=fail-after-1 on 6.12's command line
# only: its ferry-init creates every process, lets the first go, fails,
# removes them, seals the image again, notes the attempt in the region and,
# by default (ferry.on_restore_failure=reset), resets the machine. BootNext
# was used up by the update boot: the firmware boots the ferry entry,
# whose ferry.efi finds the image sealed again and hands it to the default
# kernel (6.1). 6.12 never runs this file (ferry-init resets before it
# execs /init), so the second boot counted here is 6.1's: the same PIDs,
# both logs go on with no count twice or missing, and ferry status names
# the failed attempt on 6.12 with its reason and the reset, then the
# restore on 6.1.
efi_boot_begin || return
kver_re=$(printf '%s' "$kver" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
case "$boots" in
1)
	[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
	efi_install_entry || return
	tree_start
	sleep 2
	[ "$(last_count /data/tree.log)" -gt 3 ] 2>/dev/null || { fail "the tree does not count: $(tail -n 2 /data/tree.log)"; return; }
	echo "$app_pid" >/data/app.pid
	cat /proc/$app_pid/task/*/children >/data/app.children
	echo "tree: shell $app_pid, children $(cat /data/app.children)"
	sync
	ferry update --via reboot --kernel /esp/EFI/ferry/vmlinuz-bpo --initrd /esp/EFI/ferry/initrd-bpo \
		--append "ferry.test=$test ferry.test_init=fail-after-1" --tree "$app_pid" 2>&1
	fail "ferry update --via reboot returned: $?"
	;;
2)
	[ "$flavor" = generic ] ||
		{ fail "boot 2 on $flavor, expected the default kernel (generic): did 6.12 boot on after its failed restore?"; return; }
	[ -n "$handoff" ] || { fail "no ferry.handoff= on the boot after the reset"; return; }
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: failed \(restore failed: .*FERRY_TEST_RESTORE_FAIL_AFTER.*\); ferry-init reset the machine into the default kernel$' ||
		{ fail "ferry status does not show the failed restore on 6.12 and the reset: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep -Eq "^  attempt 2 +on $kver_re at .*: restored$" ||
		{ fail "ferry status does not show the restore on $kver as the second attempt"; return; }
	echo "$st" | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	for p in $(cat /data/app.pid) $(cat /data/app.children); do
		[ -d "/proc/$p" ] || { fail "pid $p was not restored on $kver: $(grep -E 'NOT RESTORED|reason' /run/ferry/init.log 2>/dev/null | tail -n 2)"; return; }
	done
	n=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -cx guest-app)
	[ "$n" = 2 ] || { fail "$n guest-apps run, expected the tree's two (started twice?)"; return; }
	c1=$(last_count /data/tree.log)
	sleep 2
	[ "$(last_count /data/tree.log)" -gt "$c1" ] 2>/dev/null || { fail "the tree stopped at $c1 after the restore"; return; }
	# the gap spans the failed boot of 6.12, the reset and the firmware;
	# no count twice, none missing
	if out=$(check_counter /data/tree-src.log 3000 && check_counter /data/tree.log 3000 nostart); then
		echo "$out"
		pass
	else
		fail "$(echo "$out" | tr '\n' ';')"
	fi
	;;
*) efi_unexpected_boot ;;
esac
