# scenario: efi-expand
#
# An image staged in the range on 6.1, then a warm reboot: ferry.efi
# verifies and inflates it and boots the update kernel (6.12), whose
# handoff names the expanded image, every byte as staged.
efi_boot_begin || return
case "$boots" in
1) efi_stage_image ;;
2)
	[ "$flavor" = bpo ] || { fail "boot 2 on $flavor, expected the update kernel (bpo)"; return; }
	[ -n "$handoff" ] || { fail "no ferry.handoff= on the update boot"; return; }
	out=$(guest-efi-stage check "$efi_seed" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/handoff: /'
	[ $rc -eq 0 ] || { fail "$(echo "$out" | tail -n 1)"; return; }
	t=$(echo "$out" | sed -n 's/^stage-time-ms=//p')
	echo "FERRY-TIME: stage verify+inflate in OVMF ${t} ms"
	pass
	;;
*) efi_unexpected_boot ;;
esac
