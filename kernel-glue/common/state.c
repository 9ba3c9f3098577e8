/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state_events.h"
#include "state_socket.h"

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

struct st_pipe *st_find_pipe(struct st_image *img, uint32_t id)
{
	for (size_t i = 0; i < img->npipes; i++)
		if (img->pipes[i].id == id)
			return &img->pipes[i];
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

static const char *const file_types[] = {
	[ST_FILE_REGULAR] = "regular",
	[ST_FILE_DIRECTORY] = "directory",
	[ST_FILE_CHARDEV] = "chardev",
	[ST_FILE_PIPE] = "pipe",
	[ST_FILE_FIFO] = "fifo",
	[ST_FILE_MEMFD] = "memfd",
	[ST_FILE_EVENTFD] = "eventfd",
	[ST_FILE_TTY] = "tty",
	[ST_FILE_EPOLL] = "epoll",
	[ST_FILE_TIMERFD] = "timerfd",
	[ST_FILE_SIGNALFD] = "signalfd",
	[ST_FILE_INOTIFY] = "inotify",
	[ST_FILE_SOCKET] = "socket",
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

const char *st_file_type_name(enum st_file_type t)
{
	return (size_t)t < sizeof(file_types) / sizeof(file_types[0]) ? file_types[t] : "?";
}

int st_file_type_parse(const char *s, enum st_file_type *ret)
{
	for (size_t i = 0; i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if (strcmp(s, file_types[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
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
	st_events_free(img);
	for (size_t i = 0; i < img->nfiles; i++) {
		free(img->files[i].path);
		free(img->files[i].data);
		free(img->files[i].name);
	}
	free(img->files);
	for (size_t i = 0; i < img->npipes; i++)
		free(img->pipes[i].data);
	free(img->pipes);
	st_sockets_free(img);
	free(img->hostname);
	memset(img, 0, sizeof(*img));
}
