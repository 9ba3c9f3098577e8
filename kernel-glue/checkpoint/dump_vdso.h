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

#endif
