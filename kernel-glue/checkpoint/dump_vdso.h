/* SPDX-License-Identifier: MIT */
#ifndef FERRY_GLUE_DUMP_VDSO_H
#define FERRY_GLUE_DUMP_VDSO_H

#include "internal.h"

/*
 * Single-step every frozen thread that is executing inside its vDSO until
 * it has left it (the vDSO's functions are short and never block), and
 * record its registers there. A restore onto another kernel has the old
 * vDSO's entry points only, not its code: a thread must not resume in the
 * middle of it. Call right after the freeze. Returns 0 or -errno.
 */
int dump_leave_vdso(struct ckpt *c);

/*
 * After a restore onto another vDSO the process runs on two: at the
 * address AT_SYSINFO_EHDR and its cached pointers name, ferry's copy of
 * the vDSO it had, whose entry points jump into this kernel's [vdso],
 * moved near it. Carried as they are, each update would add one copy more
 * (the next restore redirects the [vdso] and keeps the copy as plain
 * memory). So when the area at AT_SYSINFO_EHDR of @mm (its areas and the
 * [vdso]'s image dumped) is such a copy, with every entry point a jump
 * that lands, straight or through copies of earlier updates, on this
 * kernel's function of the same name, or a system call or int3s as
 * vdso_redirect() writes them, it becomes @mm's vDSO: its contents and
 * symbols are mm->vdso, and the kernel's vDSO, vvar and the copies between
 * leave @mm (unless a thread of @c is in one of those copies: then all
 * stay as they are). A restore then redirects it straight to the vDSO it
 * finds. Returns 0 (a copy or not) or -errno.
 */
int dump_vdso_copy(const struct ckpt *c, pid_t pid, struct st_mm *mm);

#endif
