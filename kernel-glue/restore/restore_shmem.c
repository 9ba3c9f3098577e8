/* SPDX-License-Identifier: MIT */
/*
 * Shared memory objects: the areas of the image that map one object
 * (their "object" id, checkpoint/dump_shmem.c), in whatever process, map
 * one object again. The restorer makes each as a process would, with an
 * anonymous MAP_SHARED mapping of its own, large enough for every area
 * that maps it, and keeps its file (/proc/self/map_files/START-END); every
 * area maps that file at its offset, so maps shows "/dev/zero (deleted)"
 * as before and a write in one process is seen in all the others. Its
 * pages are written through any of its areas (restore_pages.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

static struct rshm *find(struct rst *r, uint32_t id)
{
	for (size_t i = 0; i < r->nshm; i++)
		if (r->shm[i].id == id)
			return &r->shm[i];
	return NULL;
}

static int make_object(struct rshm *o)
{
	char path[96];
	void *p;

	p = mmap(NULL, o->size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | (o->noreserve ? MAP_NORESERVE : 0), -1, 0);
	if (p == MAP_FAILED)
		return log_error_errno(-errno,
				       "shared memory object %u: cannot make it (%llu bytes)",
				       o->id, (unsigned long long)o->size);
	snprintf(path, sizeof(path), "/proc/self/map_files/%llx-%llx",
		 (unsigned long long)(uintptr_t)p, (unsigned long long)(uintptr_t)p + o->size);
	o->fd = open(path, O_RDWR | O_CLOEXEC);
	if (o->fd < 0)
		log_error_errno(-errno, "shared memory object %u: cannot open %s", o->id, path);
	munmap(p, o->size);
	return o->fd < 0 ? -EPERM : 0;
}

int restore_shmem_objects(struct rst *r)
{
	for (size_t m = 0; m < r->img.nmms; m++)
		for (size_t i = 0; i < r->img.mms[m].nareas; i++) {
			const struct st_area *a = &r->img.mms[m].areas[i];
			uint64_t end = a->pgoff + (a->end - a->start); /* checked by meta.c */
			struct rshm *o;

			if (a->kind != ST_AREA_SHMEM || !a->object)
				continue;
			o = find(r, a->object);
			if (!o) {
				o = ST_PUSH(r->shm, r->nshm);
				if (!o)
					return -ENOMEM;
				o->id = a->object;
				o->fd = -1;
				o->noreserve = a->flags & MAP_NORESERVE;
			}
			if (end > o->size)
				o->size = end;
			o->nareas++;
		}
	for (size_t i = 0; i < r->nshm; i++) {
		int e = make_object(&r->shm[i]);

		if (e < 0)
			return e;
	}
	return 0;
}

int restore_shmem_fd(struct rst *r, uint32_t id)
{
	struct rshm *o = find(r, id);

	if (!o || o->fd < 0)
		return log_error_errno(-EINVAL, "shared memory object %u: not made", id);
	return o->fd;
}

size_t restore_shmem_areas(const struct rst *r, uint32_t id)
{
	for (size_t i = 0; i < r->nshm; i++)
		if (r->shm[i].id == id)
			return r->shm[i].nareas;
	return 0;
}

void restore_shmem_close(struct rst *r)
{
	for (size_t i = 0; i < r->nshm; i++)
		if (r->shm[i].fd >= 0)
			close(r->shm[i].fd);
	free(r->shm);
	r->shm = NULL;
	r->nshm = 0;
}
