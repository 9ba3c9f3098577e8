# scenario: efi-corrupt
#
# The staged image has a damaged byte: ferry.efi refuses it and boots the
# default entry, whose handoff says no image, naming the CRC.
efi_boot_begin || return
case "$boots" in
1) efi_stage_image corrupt ;;
2) efi_image_refused "CRC" ;;
*) efi_unexpected_boot ;;
esac
