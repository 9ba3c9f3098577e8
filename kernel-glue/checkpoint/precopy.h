/* SPDX-License-Identifier: MIT */
/* checkpoint --pre-copy: private anonymous pages copied while the processes
 * run, only what they changed since copied at the freeze (precopy.c). */
#ifndef FERRY_CHECKPOINT_PRECOPY_H
#define FERRY_CHECKPOINT_PRECOPY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ckpt;
struct ferry_writer;

/* Pages of a process already in the image: not to be given again. */
struct pc_range {
	uint64_t vaddr, npages;
};

/*
 * Before the freeze: clear the soft-dirty bits of the selection's
 * processes, copy their private anonymous pages into chunks of a file
 * without a name, then, round after round while what they change shrinks,
 * copy again what they changed. Sets c->precopy, or leaves it NULL (said
 * why) where the kernel tracks no soft-dirty bits. Returns 0 or -errno.
 */
int precopy_run(struct ckpt *c);

/*
 * At the freeze, before the pages of @pid are dumped: the chunks copied
 * from @pid (the same process) in which no page changed since, into @w as
 * chunks of @mm_id. Returns 0 or -errno (logged).
 */
int precopy_emit(struct ckpt *c, pid_t pid, uint32_t mm_id, struct ferry_writer *w);

/* The pages of @pid precopy_emit() put into the image, sorted by address. */
void precopy_kept(const struct ckpt *c, pid_t pid, const struct pc_range **ret, size_t *ret_n);

/* Pages kept from before the freeze (0 without pre-copy). */
uint64_t precopy_pages_kept(const struct ckpt *c);
/* What the pre-copy did, into @st (all but pages_frozen). */
struct ferry_checkpoint_stats;
void precopy_stats(const struct ckpt *c, struct ferry_checkpoint_stats *st);

void precopy_free(struct ckpt *c);

#endif
