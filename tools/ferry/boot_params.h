/* SPDX-License-Identifier: MIT */
/*
 * Kernel parameters into the boot configuration, under a root directory
 * (tests write into fixtures): for GRUB a snippet update-grub sources, for
 * kernel-install and Boot Loader Specification entries /etc/kernel/cmdline.
 */
#ifndef FERRY_TOOL_BOOT_PARAMS_H
#define FERRY_TOOL_BOOT_PARAMS_H

#include <stddef.h>

#define BOOT_PARAMS_GRUB_FILE "/etc/default/grub.d/ferry.cfg"
#define BOOT_PARAMS_BLS_FILE "/etc/kernel/cmdline"

/*
 * @root/etc/default/grub.d/ferry.cfg: GRUB_CMDLINE_LINUX with @params
 * (space-separated words of [A-Za-z0-9._=@$,:!-]) appended, escaped twice:
 * for GRUB's script language, where '$' expands, and then for the shell
 * that sources the file, so memmap=64M$0x30000000 is written
 * memmap=64M\\\$0x30000000 and reaches grub.cfg as memmap=64M\$0x30000000.
 * Replaced as a whole. Returns 0 or -errno (logged).
 */
int boot_params_write_grub(const char *root, const char *params);

/*
 * @root/etc/kernel/cmdline, the command line kernel-install writes into
 * each new entry: the file's line (or, without the file, @root/proc/cmdline
 * without BOOT_IMAGE= and initrd=) without the parameters @drop accepts
 * (given each parameter and the whole old line), then @params, by the
 * kernel's rules (ferry/cmdline.h). '$' needs no escaping there. Returns 0
 * or -errno (logged).
 */
struct ferry_cmdline_param;
int boot_params_write_bls(const char *root, const char *params,
			  int (*drop)(const struct ferry_cmdline_param *p, const char *line,
				      size_t len));

#endif
