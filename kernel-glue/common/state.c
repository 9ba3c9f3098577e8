/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../kinds/kind.h"
#include "meta_fields.h"
#include "state.h"

void *st_push(void *arr_ptr, size_t *n, size_t elem_size)
{
	void **arr = arr_ptr;
	void *na = realloc(*arr, (*n + 1) * elem_size);
	char *e;

	if (!na)
		return NULL;
	*arr = na;
	e = (char *)na + *n * elem_size;
	memset(e, 0, elem_size);
	(*n)++;
	return e;
}

struct st_mm *st_find_mm(struct st_image *img, uint32_t id)
{
	for (size_t i = 0; i < img->nmms; i++)
		if (img->mms[i].id == id)
			return &img->mms[i];
	return NULL;
}

struct st_file *st_find_file(struct st_image *img, uint32_t id)
{
	for (size_t i = 0; i < img->nfiles; i++)
		if (img->files[i].id == id)
			return &img->files[i];
	return NULL;
}

struct st_process *st_find_process(struct st_image *img, pid_t pid)
{
	for (size_t i = 0; i < img->nprocs; i++)
		if (img->procs[i].pid == pid)
			return &img->procs[i];
	return NULL;
}

const char *st_file_what(const struct st_file *f)
{
	return f->kind ? f->kind->name : "?";
}

void *st_kind_data(struct st_kind_data *d, const struct kind *k, size_t size)
{
	struct st_kind_slot *slot;

	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == k)
			return d->v[i].data;
	if (!size)
		return NULL;
	slot = ST_PUSH(d->v, d->n);
	if (!slot)
		return NULL;
	slot->kind = k;
	slot->data = calloc(1, size);
	if (!slot->data)
		d->n--;
	return slot->data;
}

void st_kind_data_free(struct st_kind_data *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].data);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

void *kind_image_data(struct st_image *img, const struct kind *k)
{
	return st_kind_data(&img->kinds, k, k->image_size);
}

void *kind_process_data(struct st_process *p, const struct kind *k)
{
	return st_kind_data(&p->kinds, k, k->process_size);
}

void *kind_image_data_if(const struct st_image *img, const struct kind *k)
{
	return st_kind_data((struct st_kind_data *)&img->kinds, k, 0);
}

void *kind_process_data_if(const struct st_process *p, const struct kind *k)
{
	return st_kind_data((struct st_kind_data *)&p->kinds, k, 0);
}
