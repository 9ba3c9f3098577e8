/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "state_events.h"

struct st_file_ext *st_file_ext(struct st_file *f)
{
	if (!f->ext)
		f->ext = calloc(1, sizeof(*f->ext));
	return f->ext;
}

struct st_tty *st_find_tty(struct st_image *img, uint32_t id)
{
	for (size_t i = 0; i < img->nttys; i++)
		if (img->ttys[i].id == id)
			return &img->ttys[i];
	return NULL;
}

void st_events_free(struct st_image *img)
{
	for (size_t i = 0; i < img->nfiles; i++) {
		struct st_file_ext *x = img->files[i].ext;

		if (!x)
			continue;
		free(x);
		img->files[i].ext = NULL;
	}
	for (size_t i = 0; i < img->nttys; i++) {
		free(img->ttys[i].path);
		free(img->ttys[i].input);
		free(img->ttys[i].output);
	}
	free(img->ttys);
	img->ttys = NULL;
	img->nttys = 0;
}
