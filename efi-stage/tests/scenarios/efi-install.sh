# scenario: efi-install
# option: --install
#
# Booted by QEMU's -kernel (no ferry.efi on the ESP), `ferry efi install`
# puts ferry.efi and its boot entry in place; the next boot (the runner
# starts QEMU again without -kernel) comes up through that entry first in
# BootOrder and ferry.efi, which reserved the range; `ferry efi status
# --json` says so, and `ferry efi uninstall` removes the entry and
# \EFI\ferry and puts BootOrder back as it was before the install.
efi_boot_begin --any-region || return
case "$boots" in
1)
	# booted by QEMU's -kernel (no ferry.efi): install it, then reboot
	efi_esp || return
	# for boot 2's uninstall (the ESP outlives the boot; \EFI\ferry goes)
	efibootmgr | sed -n 's/^BootOrder: //p' >/esp/boot-order-before-install
	ferry efi install --esp /esp 2>&1 || { fail "ferry efi install failed"; return; }
	ferry efi status 2>&1
	efibootmgr -v 2>&1 | sed 's/^/efibootmgr: /'
	umount /esp
	efi_reboot
	;;
2)
	# the runner started this boot without -kernel: the firmware took the
	# entry from BootOrder, and ferry.efi added ferry.region= (in hex)
	case " $(cat /proc/cmdline) " in
	*" ferry.region=0x"*) ;;
	*) fail "boot 2 did not go through ferry.efi (no ferry.region=0x... added)"; return ;;
	esac
	efi_region_reserved || { fail "boot 2: region $(arg ferry.region) not reserved"; return; }
	efi_boot_current
	[ -n "$cur" ] && [ "$label" = ferry ] ||
		{ fail "BootCurrent $cur is not the ferry entry"; return; }
	echo "$out" | grep -q "^BootOrder: $cur," ||
		{ fail "the ferry entry is not first in BootOrder or is alone there"; return; }
	ferry efi status 2>&1
	# the same as JSON (no jq in the guest: the members as the writer puts them)
	js=$(ferry efi status --json 2>&1)
	echo "$js" | sed 's/^/json: /'
	echo "$js" | grep -q "^  \"boot_current\": \"$cur\",\$" &&
		echo "$js" | grep -q "^    \"number\": \"$cur\",\$" &&
		echo "$js" | grep -q '^  "region": "0x' ||
		{ fail "ferry efi status --json does not name BootCurrent $cur, its entry and the region"; return; }
	# uninstall: the entry and \EFI\ferry go, BootOrder is as before install
	efi_esp || return
	before=$(cat /esp/boot-order-before-install)
	ferry efi uninstall --esp /esp 2>&1 || { fail "ferry efi uninstall failed"; return; }
	efi_boot_current
	echo "$out" | grep -q "^BootOrder: $before\$" ||
		{ fail "BootOrder after uninstall is not $before as before install"; return; }
	echo "$out" | grep -q "^Boot$cur" && { fail "the entry Boot$cur is still there"; return; }
	[ ! -e /esp/EFI/ferry ] || { fail "\\EFI\\ferry is still on the ESP"; return; }
	umount /esp
	pass
	;;
*) efi_unexpected_boot ;;
esac
