# scenario: efi-missing-update
# option: --conf update_kernel=\EFI\ferry\vmlinuz-missing
#
# ferry.conf names an update kernel that is not on the ESP: ferry.efi boots
# the default entry, whose handoff says no image and why.
efi_boot_begin || return
case "$boots" in
1) efi_stage_image ;;
2) efi_image_refused "update kernel not found" ;;
*) efi_unexpected_boot ;;
esac
