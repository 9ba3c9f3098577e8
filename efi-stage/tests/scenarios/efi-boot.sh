# scenario: efi-boot
#
# ferry.efi (the ESP's removable path) boots the default kernel (6.1) with
# the range reserved as EFI reserved memory, and no ferry.handoff= when
# nothing is staged.
efi_boot_begin || return
case "$boots" in
1)
	[ "$flavor" = generic ] || { fail "booted $flavor, expected generic"; return; }
	[ -z "$handoff" ] || { fail "ferry.handoff= on a boot with nothing staged"; return; }
	pass
	;;
*) efi_unexpected_boot ;;
esac
