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

static const char *const area_kinds[] = {
	[ST_AREA_ANON] = "anon", [ST_AREA_SHMEM] = "shmem", [ST_AREA_FILE] = "file",
	[ST_AREA_HEAP] = "heap", [ST_AREA_STACK] = "stack", [ST_AREA_VDSO] = "vdso",
	[ST_AREA_VVAR] = "vvar", [ST_AREA_VSYSCALL] = "vsyscall",
};

const char *st_area_kind_name(enum st_area_kind k)
{
	return (size_t)k < sizeof(area_kinds) / sizeof(area_kinds[0]) ? area_kinds[k] : "?";
}

int st_area_kind_parse(const char *s, enum st_area_kind *ret)
{
	for (size_t i = 0; i < sizeof(area_kinds) / sizeof(area_kinds[0]); i++)
		if (strcmp(s, area_kinds[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
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

/* Each slot's data, through the fields of its kind (@image: image_fields,
 * else process_fields). */
static void free_kind_data(struct st_kind_data *d, bool image)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct kind *k = d->v[i].kind;
		const struct meta_field *fields = image ? k->image_fields : k->process_fields;

		if (fields)
			meta_free_fields(fields, d->v[i].data);
	}
	st_kind_data_free(d);
}

void st_image_free(struct st_image *img)
{
	for (size_t i = 0; i < img->nprocs; i++) {
		struct st_process *p = &img->procs[i];

		free(p->cwd);
		free(p->root);
		free(p->groups);
		for (size_t t = 0; t < p->nthreads; t++) {
			free(p->threads[t].regs);
			free(p->threads[t].xsave);
			free(p->threads[t].sigpending);
		}
		free(p->sigpending_shared);
		free(p->threads);
		free(p->fds);
		free_kind_data(&p->kinds, false);
	}
	free(img->procs);
	for (size_t i = 0; i < img->nmms; i++) {
		struct st_mm *mm = &img->mms[i];

		for (size_t a = 0; a < mm->nareas; a++) {
			free(mm->areas[a].path);
			free(mm->areas[a].name);
		}
		free(mm->areas);
		free(mm->exe);
		free(mm->auxv);
		free(mm->vdso);
		for (size_t k = 0; k < mm->nvdso_syms; k++)
			free(mm->vdso_syms[k].name);
		free(mm->vdso_syms);
	}
	free(img->mms);
	for (size_t i = 0; i < img->nfiles; i++) {
		struct st_file *f = &img->files[i];

		free(f->path);
		if (f->kind && f->kind->file_fields && f->kind_data)
			meta_free_fields(f->kind->file_fields, f->kind_data);
		free(f->kind_data);
	}
	free(img->files);
	free_kind_data(&img->kinds, true);
	free(img->hostname);
	memset(img, 0, sizeof(*img));
}
