/* SPDX-License-Identifier: MIT */
/*
 * Field tables (meta_fields.h): a property looked at the way ferry inspect
 * does, through its field, never an error: what is absent or of the wrong
 * size is not ok.
 */
#include <string.h>

#include <libfdt.h>

#include "meta_fields.h"
#include "meta_fields_internal.h"

const struct meta_field *meta_field_named(const struct meta_field *fields, const char *name)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++)
		if (f->name && strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

int meta_view_container(const void *fdt, int node, const struct meta_field *f)
{
	int c;

	if (!f || node < 0 || f->type != META_T_NODES)
		return -1;
	if (!f->name)
		return node;
	c = fdt_subnode_offset(fdt, node, f->name);
	return c < 0 ? -1 : c;
}

uint32_t meta_count_children(const void *fdt, int container, const char *base)
{
	uint32_t n = 0;

	for (int c = meta_next_child(fdt, container, base, -1); c >= 0;
	     c = meta_next_child(fdt, container, base, c))
		n++;
	return n;
}

struct meta_value meta_view(const void *fdt, int node, const struct meta_field *f)
{
	struct meta_value v = { 0 };
	const uint8_t *p;
	int len;

	if (!f || node < 0 || !f->name)
		return v;
	p = fdt_getprop(fdt, node, f->name, &len);
	if (!p || len < 0)
		return v;
	switch (f->type == META_T_CUSTOM ? f->view : f->type) {
	case META_T_U32:
	case META_T_U64:
		v.ok = (size_t)len == (f->type == META_T_U32 ? 4u : 8u);
		if (v.ok)
			v.u = meta_get_cell(p, len);
		break;
	case META_T_FLAG:
		v.ok = true;
		v.u = 1;
		break;
	case META_T_STR:
	case META_T_CHARS:
	case META_T_NAME:
	case META_T_CONST:
		v.ok = true;
		v.s = (const char *)p;
		v.len = strnlen(v.s, len);
		break;
	default:
		v.ok = true;
		v.s = (const char *)p;
		v.len = len;
		break;
	}
	return v;
}
