/* SPDX-License-Identifier: MIT */
/*
 * Shared memory objects. An anonymous MAP_SHARED mapping is a file of the
 * kernel's own shmem mount ("/dev/zero (deleted)" in maps, with its inode):
 * a child forked while it is mapped maps the same object, and so does a
 * process that mapped it again through /proc/PID/map_files. Each object
 * gets one id, the areas that map it (in every process) carry that id, and
 * its pages go into the image once, from the first area that maps them:
 * restore makes one object and maps it in every area (restore_shmem.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

uint32_t shm_object_id(struct ckpt *c, unsigned dev_major, unsigned dev_minor, uint64_t ino)
{
	struct shm_object *o;

	for (size_t i = 0; i < c->nshm; i++)
		if (c->shm[i].ino == ino && c->shm[i].dev_major == dev_major &&
		    c->shm[i].dev_minor == dev_minor)
			return c->shm[i].id;
	o = ST_PUSH(c->shm, c->nshm);
	if (!o)
		return 0;
	o->dev_major = dev_major;
	o->dev_minor = dev_minor;
	o->ino = ino;
	o->id = c->nshm;
	return o->id;
}

int shm_object_fresh(struct ckpt *c, uint32_t id, uint64_t start, uint64_t end,
		     int (*fn)(void *arg, uint64_t start, uint64_t end), void *arg)
{
	struct shm_object *o = id && id <= c->nshm ? &c->shm[id - 1] : NULL;
	struct shm_range *taken;
	uint64_t at = start;

	if (!o)
		return -EINVAL;
	/* walk up from @start, jumping over every range taken already */
	while (at < end) {
		uint64_t next_taken = end;
		bool inside = false;
		int r;

		for (size_t i = 0; i < o->ndumped; i++) {
			const struct shm_range *d = &o->dumped[i];

			if (d->start <= at && at < d->end) {
				at = d->end;
				inside = true;
				break;
			}
			if (d->start > at && d->start < next_taken)
				next_taken = d->start;
		}
		if (inside)
			continue;
		r = fn(arg, at, next_taken);
		if (r < 0)
			return r;
		at = next_taken;
	}
	taken = ST_PUSH(o->dumped, o->ndumped);
	if (!taken)
		return -ENOMEM;
	taken->start = start;
	taken->end = end;
	return 0;
}

void shm_objects_free(struct ckpt *c)
{
	for (size_t i = 0; i < c->nshm; i++)
		free(c->shm[i].dumped);
	free(c->shm);
	c->shm = NULL;
	c->nshm = 0;
}
