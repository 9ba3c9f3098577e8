/* SPDX-License-Identifier: MIT */
/*
 * Terminals and event descriptors in the metadata FDT (SPEC.md §3.6): the
 * kind-specific properties of tty, epoll, timerfd, signalfd and inotify
 * file records, the controlling terminal of a process, and /ttys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "ferry/schema.h"
#include "log.h"
#include "meta_events.h"
#include "meta_prop.h"
#include "state_events.h"

/* ---- writing ---- */

static int put_u32s(void *fdt, const char *name, const uint32_t *v, size_t n)
{
	fdt32_t *cells = malloc((n ? n : 1) * sizeof(*cells));
	int r;

	if (!cells)
		return -FDT_ERR_INTERNAL;
	for (size_t i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32(v[i]);
	r = fdt_property(fdt, name, cells, n * sizeof(*cells));
	free(cells);
	return r;
}

int meta_write_file_events(void *fdt, const struct st_file *f)
{
	const struct st_file_ext *x = f->ext;
	int r = 0;

	if (!x)
		return 0;
	switch (f->type) {
	case ST_FILE_TTY:
		r = fdt_property_u32(fdt, FM_F_TTY, x->tty_id);
		if (!r && x->tty_master)
			r = fdt_property(fdt, FM_F_TTY_MASTER, NULL, 0);
		break;
	default:
		break;
	}
	return r;
}

int meta_write_process_events(void *fdt, const struct st_process *p)
{
	return p->ctty ? fdt_property_u32(fdt, FM_P_CTTY, p->ctty) : 0;
}

static int write_tty(void *fdt, const struct st_tty *t)
{
	char name[32];
	int r;

	snprintf(name, sizeof(name), "%s@%u", FM_TTY, t->id);
	r = fdt_begin_node(fdt, name);
	if (!r)
		r = fdt_property_u32(fdt, FM_TY_ID, t->id);
	if (!r)
		r = fdt_property_string(fdt, FM_TY_KIND, t->pty ? "pty" : "external");
	if (!r && t->pty)
		r = fdt_property_u32(fdt, FM_TY_INDEX, t->index);
	if (!r && t->path)
		r = fdt_property_string(fdt, FM_TY_PATH, t->path);
	if (!r)
		r = fdt_property_u64(fdt, FM_TY_RDEV, t->rdev);
	if (!r && t->have_termios) {
		const struct st_termios *m = &t->termios;
		uint32_t v[7] = { m->iflag, m->oflag, m->cflag, m->lflag, m->line, m->ispeed,
				  m->ospeed };

		r = put_u32s(fdt, FM_TY_TERMIOS, v, 7);
		if (!r)
			r = fdt_property(fdt, FM_TY_CC, m->cc, ST_TTY_NCCS);
	}
	if (!r && t->have_winsize)
		r = put_u32s(fdt, FM_TY_WINSIZE, t->winsize, 4);
	if (!r && t->packet)
		r = fdt_property(fdt, FM_TY_PACKET, NULL, 0);
	if (!r && t->locked)
		r = fdt_property(fdt, FM_TY_LOCKED, NULL, 0);
	if (!r && t->exclusive)
		r = fdt_property(fdt, FM_TY_EXCLUSIVE, NULL, 0);
	if (!r && t->input_len)
		r = fdt_property(fdt, FM_TY_INPUT, t->input, t->input_len);
	if (!r && t->output_len)
		r = fdt_property(fdt, FM_TY_OUTPUT, t->output, t->output_len);
	if (!r && t->fg_pgrp > 0)
		r = fdt_property_u32(fdt, FM_TY_FOREGROUND, t->fg_pgrp);
	if (!r && t->session > 0)
		r = fdt_property_u32(fdt, FM_TY_SESSION, t->session);
	if (!r)
		r = fdt_end_node(fdt);
	return r;
}

int meta_write_ttys(void *fdt, const struct st_image *img)
{
	int r;

	if (!img->nttys)
		return 0;
	r = fdt_begin_node(fdt, FM_TTYS);
	for (size_t i = 0; i < img->nttys && !r; i++)
		r = write_tty(fdt, &img->ttys[i]);
	if (!r)
		r = fdt_end_node(fdt);
	return r;
}

/* ---- reading ---- */

struct ev_in {
	struct meta_in m;
	int node;
};

/* The shared property readers (meta_prop.c), on the node being read. */
static const void *prop(struct ev_in *in, const char *name, int *ret_len, bool required)
{
	int len = 0;
	const void *p = meta_prop_get(&in->m, in->node, name, &len, required);

	if (ret_len)
		*ret_len = p ? len : 0;
	return p;
}

static bool get_u32s(struct ev_in *in, const char *name, uint32_t *out, size_t n, bool required)
{
	return meta_prop_u32s(&in->m, in->node, name, out, n, required);
}

static uint32_t get_u32(struct ev_in *in, const char *name, bool required)
{
	return meta_prop_u32(&in->m, in->node, name, required);
}

static uint64_t get_u64(struct ev_in *in, const char *name, bool required)
{
	return meta_prop_u64(&in->m, in->node, name, required);
}

static bool has(struct ev_in *in, const char *name)
{
	return prop(in, name, NULL, false) != NULL;
}

static uint8_t *get_bytes(struct ev_in *in, const char *name, size_t *ret_len)
{
	return meta_prop_bytes(&in->m, in->node, name, ret_len, false);
}

static char *get_str(struct ev_in *in, const char *name, bool required)
{
	return meta_prop_str(&in->m, in->node, name, required);
}

int meta_read_file_events(const void *fdt, int node, struct st_file *f)
{
	struct ev_in in = { .m.fdt = fdt, .node = node };
	struct st_file_ext *x;

	if (f->type != ST_FILE_TTY)
		return 0;
	x = st_file_ext(f);
	if (!x)
		return glue_err(-ENOMEM, "image metadata");
	x->tty_id = get_u32(&in, FM_F_TTY, true);
	x->tty_master = has(&in, FM_F_TTY_MASTER);
	return in.m.err;
}

int meta_read_process_events(const void *fdt, int node, struct st_process *p)
{
	struct ev_in in = { .m.fdt = fdt, .node = node };

	p->ctty = get_u32(&in, FM_P_CTTY, false);
	return in.m.err;
}

static void read_tty(struct ev_in *in, struct st_tty *t)
{
	uint32_t v[7];
	char *kind;
	int len;
	const void *cc;

	t->id = get_u32(in, FM_TY_ID, true);
	kind = get_str(in, FM_TY_KIND, true);
	t->pty = kind && strcmp(kind, "pty") == 0;
	if (kind && !t->pty && strcmp(kind, "external") != 0 && !in->m.err)
		in->m.err = glue_err(-EINVAL, "image metadata: tty %u: unknown kind '%s'", t->id,
				   kind);
	free(kind);
	t->index = get_u32(in, FM_TY_INDEX, t->pty);
	t->path = get_str(in, FM_TY_PATH, !t->pty);
	t->rdev = get_u64(in, FM_TY_RDEV, false);
	if (get_u32s(in, FM_TY_TERMIOS, v, 7, false)) {
		struct st_termios *m = &t->termios;

		t->have_termios = true;
		m->iflag = v[0];
		m->oflag = v[1];
		m->cflag = v[2];
		m->lflag = v[3];
		m->line = v[4];
		m->ispeed = v[5];
		m->ospeed = v[6];
		cc = prop(in, FM_TY_CC, &len, true);
		if (cc)
			memcpy(m->cc, cc, len < ST_TTY_NCCS ? len : ST_TTY_NCCS);
	}
	t->have_winsize = get_u32s(in, FM_TY_WINSIZE, t->winsize, 4, false);
	t->packet = has(in, FM_TY_PACKET);
	t->locked = has(in, FM_TY_LOCKED);
	t->exclusive = has(in, FM_TY_EXCLUSIVE);
	t->input = get_bytes(in, FM_TY_INPUT, &t->input_len);
	t->output = get_bytes(in, FM_TY_OUTPUT, &t->output_len);
	t->fg_pgrp = get_u32(in, FM_TY_FOREGROUND, false);
	t->session = get_u32(in, FM_TY_SESSION, false);
}

int meta_read_ttys(const void *fdt, struct st_image *img)
{
	struct ev_in in = { .m.fdt = fdt };
	int node = fdt_subnode_offset(fdt, 0, FM_TTYS), child;

	if (node < 0)
		return 0;
	fdt_for_each_subnode(child, fdt, node) {
		struct st_tty *t = ST_PUSH(img->ttys, img->nttys);

		if (!t)
			return glue_err(-ENOMEM, "image metadata");
		in.node = child;
		read_tty(&in, t);
		if (in.m.err)
			break;
	}
	return in.m.err;
}
