# scenario: efi-update
#
# ferry update --via reboot that fails at the reboot leaves everything as it
# was (the app runs on, BootNext and ferry.conf as they were), and so does
# one killed (SIGKILL) after the seal (a cell of the fault matrix,
# qemu-tests/README.md); the real one
# carries the counting guest-app from 6.1 to 6.12 through BootNext and
# ferry.efi.
efi_boot_begin || return
case "$boots" in
1)
	# ferry.efi (removable path) booted 6.1: install the entry, then a
	# `ferry update --via reboot` that fails at the reboot must leave
	# everything as it was; the real one carries the counter to 6.12
	[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
	efi_install_entry || return
	cp /esp/EFI/ferry/ferry.conf /tmp/ferry.conf.installed
	counter_start || return
	# kernel and initrd from the boot disk: the kernel is on the ESP
	# already (same bytes), the initrd is copied there, then removed
	out=$(FERRY_UPDATE_TEST=fail-reboot ferry update --via reboot --kernel /boot/vmlinuz-bpo \
		--initrd /boot/initramfs-bpo.cpio.gz --pid "$app_pid" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/fail-reboot: /'
	[ $rc -eq 4 ] || { fail "ferry update with a failing reboot: exit status $rc, not 4 (after the point of no return)"; return; }
	echo "$out" | grep -q 'update kernel \\EFI\\ferry\\vmlinuz-bpo + \\EFI\\ferry\\initramfs-bpo.cpio.gz' ||
		{ fail "the kernel and initrd were not found on or copied to the ESP"; return; }
	[ ! -e /esp/EFI/ferry/initramfs-bpo.cpio.gz ] ||
		{ fail "the initrd copied to the ESP was left there"; return; }
	c1=$(last_count /data/counter.log)
	sleep 2
	c2=$(last_count /data/counter.log)
	[ "$c2" -gt "$c1" ] 2>/dev/null && ! traced "$app_pid" ||
		{ fail "the app did not run on after the failed reboot ($c1, $c2)"; return; }
	[ ! -e /sys/firmware/efi/efivars/BootNext-8be4df61-93ca-11d2-aa0d-00e098032b8c ] ||
		{ fail "BootNext left set after the failed reboot"; return; }
	cmp -s /esp/EFI/ferry/ferry.conf /tmp/ferry.conf.installed ||
		{ fail "ferry.conf not put back after the failed reboot"; return; }
	ferry status 2>&1 | grep -q 'state sealed' && { fail "a sealed image was left behind"; return; }
	echo "FERRY-EFI: failed reboot: the app runs on, BootNext and ferry.conf as they were"
	# a cell of the fault matrix on the reboot path: ferry update killed
	# (SIGKILL) after the seal, BootNext not set yet (stop-after-seal):
	# its guardian empties the region and puts ferry.conf back
	FERRY_UPDATE_TEST=stop-after-seal ferry update --via reboot --kernel /boot/vmlinuz-bpo \
		--initrd /boot/initramfs-bpo.cpio.gz --pid "$app_pid" >/tmp/kill.out 2>&1 &
	upid=$!
	i=0
	while ! grep -q 'test: stopped after the seal' /tmp/kill.out && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	fpid=$(sed -n 's/.*test: stopped after the seal (pid \([0-9]*\)).*/\1/p' /tmp/kill.out)
	[ -n "$fpid" ] || { cat /tmp/kill.out; fail "ferry update --via reboot did not stop after the seal"; return; }
	kill -9 "$fpid"
	wait "$upid"
	sed 's/^/killed-after-seal: /' /tmp/kill.out
	i=0
	while traced "$app_pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	c1=$(last_count /data/counter.log)
	sleep 2
	c2=$(last_count /data/counter.log)
	[ "$c2" -gt "$c1" ] 2>/dev/null && ! traced "$app_pid" ||
		{ fail "the app did not run on after ferry was killed after the seal ($c1, $c2)"; return; }
	[ ! -e /sys/firmware/efi/efivars/BootNext-8be4df61-93ca-11d2-aa0d-00e098032b8c ] ||
		{ fail "BootNext set after ferry was killed after the seal"; return; }
	cmp -s /esp/EFI/ferry/ferry.conf /tmp/ferry.conf.installed ||
		{ fail "ferry.conf not put back after ferry was killed after the seal"; return; }
	[ ! -e /esp/EFI/ferry/initramfs-bpo.cpio.gz ] ||
		{ fail "the initrd copied to the ESP was left there after the kill"; return; }
	st=$(ferry status 2>&1)
	echo "$st" | grep -q 'state sealed' && { fail "ferry killed after the seal left a sealed image"; return; }
	echo "$st" | grep -q 'reason .*killed after the seal' ||
		{ fail "ferry status does not say ferry update was killed after the seal"; return; }
	echo "FERRY-EFI: killed after the seal: the app runs on, the region not sealed, ferry.conf put back"
	efi_update_to bpo
	fail "ferry update --via reboot returned: $?"
	;;
2)
	[ "$flavor" = bpo ] || { fail "boot 2 on $flavor, expected the update kernel (bpo)"; return; }
	[ -n "$handoff" ] || { fail "no ferry.handoff= on the update boot"; return; }
	efi_boot_current
	[ "$label" = ferry ] || { fail "BootCurrent $cur is not the ferry entry"; return; }
	echo "$out" | grep -q '^BootNext:' && { fail "BootNext still set after the update boot"; return; }
	guest-efi-stage handoff 2>&1 | sed 's/^/handoff: /'
	ferry status 2>&1
	# the gap spans a firmware reboot; its length is in the downtime
	counter_restored 3000
	;;
*) efi_unexpected_boot ;;
esac
