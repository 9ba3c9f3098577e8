/* SPDX-License-Identifier: MIT */
/* The reboot path of `ferry update` (via_reboot*.c). */
#ifndef FERRY_UPDATE_VIA_REBOOT_H
#define FERRY_UPDATE_VIA_REBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EFIVARS_DIR "/sys/firmware/efi/efivars"
#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define FERRY_ENTRY_LABEL "ferry"

/*
 * via_reboot_efivars.c: the firmware's boot variables through efivarfs.
 *
 * Find the boot entry whose description is @label: 0 and its number,
 * -ENOENT when there is none, -errno when efivarfs cannot be read. When
 * several carry the label, the first in BootOrder wins.
 */
int efivars_find_entry(const char *label, uint16_t *ret_num);
/* BootNext = @num (non-volatile, boot service and runtime access). */
int efivars_set_boot_next(uint16_t num);
/* Remove BootNext (0 also when there was none). */
int efivars_clear_boot_next(void);

#endif
