/* SPDX-License-Identifier: MIT */
/* Restoring onto a kernel whose vDSO is not the checkpointed one. */
#ifndef FERRY_GLUE_VDSO_REDIRECT_H
#define FERRY_GLUE_VDSO_REDIRECT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/procfs.h"
#include "internal.h"

/* An address range [start, end). */
struct range {
	uint64_t start, end;
};

/* Does this kernel's vDSO (the stub's, in @maps) differ from the one the
 * image recorded, or does FERRY_FORCE_VDSO_REDIRECT=1 ask to redirect? */
bool vdso_redirect_wanted(struct rproc *rp, const struct proc_map *maps, size_t n);

/*
 * Move this kernel's vDSO and vvar areas (together, as the vDSO finds its
 * vvar by relative address) to a place free in the target layout within
 * jump range of the old vDSO address, and map at the old address a copy of
 * the old vDSO image whose entry points jump to the new ones. @busy lists
 * every range in use now or in the target layout. Returns 0 or -errno.
 */
int vdso_redirect(struct rproc *rp, const struct proc_map *maps, size_t n,
		  const struct range *busy, size_t nbusy);

#endif
