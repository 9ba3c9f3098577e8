/* SPDX-License-Identifier: MIT */
/*
 * The command line ferry.efi starts a kernel with, built by the kernel's
 * rules (ferry/cmdline.h). Pure text, host-testable.
 */
#ifndef FERRY_STAGE_BOOT_CMDLINE_H
#define FERRY_STAGE_BOOT_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/conf.h"

/*
 * @base (ferry.conf's cmdline= or update_cmdline=) with, among its kernel
 * parameters and so before any --: initrd=@initrd (when not empty);
 * ferry.region=SIZE@ADDR of @c unless @base names it; memmap=SIZE$ADDR
 * when @c says memmap=yes and no memmap= of @base reserves that ADDR
 * already; ferry.handoff=@handoff (0: none), any ferry.handoff= of @base
 * dropped. @base's init part stays last. Into @out, NUL-terminated.
 * Returns 0, -FERRY_ERR_NOSPACE (too long for @cap) or -FERRY_ERR_INVAL
 * (@base ends inside a double quote before its --).
 */
int ferry_stage_cmdline(const struct ferry_conf *c, const char *base, const char *initrd,
			uint64_t handoff, char *out, size_t cap);

#endif
