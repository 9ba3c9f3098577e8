/* SPDX-License-Identifier: MIT */
/*
 * Page contents: every chunk of the image is inflated once and its extents
 * are written into the address space they belong to, through /proc/PID/mem
 * (a tracer may write there whatever the protection).
 */
#include <errno.h>
#include <stdlib.h>

#include "../common/log.h"
#include "internal.h"

static struct rproc *find_mm_owner(struct rst *r, uint32_t mm_id)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].mm->id == mm_id)
			return &r->procs[i];
	return NULL;
}

/* Is [start, end) covered by areas (an extent may span adjacent ones)? */
static bool inside_areas(const struct st_mm *mm, uint64_t start, uint64_t end)
{
	while (start < end) {
		size_t i;

		for (i = 0; i < mm->nareas; i++)
			if (start >= mm->areas[i].start && start < mm->areas[i].end)
				break;
		if (i == mm->nareas)
			return false;
		start = mm->areas[i].end;
	}
	return true;
}

int restore_pages(struct rst *r)
{
	struct ferry_chunk_cursor cur;
	struct ferry_inflater *inf;
	struct ferry_diag diag;
	struct ferry_chunk ch;
	uint64_t page_size = r->image.hdr.page_size;
	uint8_t *buf = NULL;
	size_t buf_len = 0;
	int e = 0, k;

	inf = malloc(sizeof(*inf));
	if (!inf || ferry_inflater_init(inf) < 0) {
		free(inf);
		return -ENOMEM;
	}
	ferry_chunk_cursor_init(&r->image, &cur);
	while ((k = ferry_chunk_next(&r->image, &cur, &ch, &diag)) == 1) {
		struct rproc *rp = find_mm_owner(r, ch.mm_id);
		uint64_t off = 0;

		if (!rp) {
			e = glue_err(-EINVAL, "image chunk %u: address space %u is not in the image",
				     ch.index, ch.mm_id);
			break;
		}
		if (buf_len < ch.raw_size) {
			free(buf);
			buf = malloc(ch.raw_size);
			buf_len = buf ? ch.raw_size : 0;
			if (!buf) {
				e = -ENOMEM;
				break;
			}
		}
		k = ferry_chunk_inflate(inf, &ch, buf, buf_len, &diag);
		if (k < 0) {
			e = glue_err(-EIO, "image chunk %u: %s", ch.index, ferry_strerror(k));
			break;
		}
		for (uint32_t i = 0; i < ch.extent_count && e == 0; i++) {
			struct ferry_extent ext;
			uint64_t len;

			ferry_chunk_extent(&ch, i, &ext);
			len = (uint64_t)ext.page_count * page_size;
			if (!inside_areas(rp->mm, ext.vaddr, ext.vaddr + len)) {
				e = glue_err(-EINVAL, "pid %d: image pages at %#llx (%u) are outside "
					     "its memory areas", rp->pid,
					     (unsigned long long)ext.vaddr, ext.page_count);
				break;
			}
			e = mem_write(rp->memfd, ext.vaddr, buf + off, len);
			if (e < 0)
				glue_err(e, "pid %d: cannot write %u pages at %#llx", rp->pid,
					 ext.page_count, (unsigned long long)ext.vaddr);
			off += len;
			rp->pages += ext.page_count;
		}
		if (e < 0)
			break;
	}
	if (k < 0 && e == 0)
		e = glue_err(-EIO, "image: %s", ferry_strerror(k));
	ferry_inflater_fini(inf);
	free(inf);
	free(buf);
	return e;
}
