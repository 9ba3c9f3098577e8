/* SPDX-License-Identifier: MIT */
/*
 * Field tables (meta_fields.h): writing a node and freeing what its fields
 * hold. Reading is in meta_fields_read.c, looking the way ferry inspect
 * does in meta_fields_view.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "meta_fields.h"
#include "meta_fields_internal.h"

uint64_t meta_load(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

void meta_store(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = v;
		break;
	case 2:
		*(uint16_t *)p = v;
		break;
	case 4:
		*(uint32_t *)p = v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

void meta_put_cell(uint8_t *dst, size_t width, uint64_t v)
{
	if (width == 4) {
		fdt32_t x = cpu_to_fdt32((uint32_t)v);

		memcpy(dst, &x, 4);
	} else {
		fdt64_t x = cpu_to_fdt64(v);

		memcpy(dst, &x, 8);
	}
}

uint64_t meta_get_cell(const uint8_t *src, size_t width)
{
	if (width == 4) {
		fdt32_t x;

		memcpy(&x, src, 4);
		return fdt32_to_cpu(x);
	} else {
		fdt64_t x;

		memcpy(&x, src, 8);
		return fdt64_to_cpu(x);
	}
}

size_t meta_ncells(const struct meta_field *f)
{
	return f->cells ? f->ncells : f->count;
}

struct meta_cell meta_cell_at(const struct meta_field *f, size_t i)
{
	if (f->cells)
		return f->cells[i];
	return (struct meta_cell){ .offset = f->offset + i * f->elem, .size = f->elem,
				   .width = f->elem };
}

size_t meta_cells_width(const struct meta_field *f)
{
	size_t w = 0;

	for (size_t i = 0; i < meta_ncells(f); i++)
		w += meta_cell_at(f, i).width;
	return w;
}

size_t meta_fixed_count(const struct meta_field *f, const void *obj)
{
	return f->count_of ? f->count_of(obj) : f->count;
}

bool meta_applies(const struct meta_field *f, const void *obj)
{
	return !f->when || f->when(obj);
}

/* ---- writing ---- */

static void out_check(struct meta_out *o, int r)
{
	if (r < 0 && !o->err)
		o->err = r;
}

void meta_out_begin(struct meta_out *o, const char *name)
{
	if (!o->err)
		out_check(o, fdt_begin_node(o->fdt, name));
}

void meta_out_end(struct meta_out *o)
{
	if (!o->err)
		out_check(o, fdt_end_node(o->fdt));
}

void meta_out_prop(struct meta_out *o, const char *name, const void *value, size_t len)
{
	/* libfdt copies @len bytes from @value, which memcpy wants non-NULL even for 0 */
	if (!o->err)
		out_check(o, fdt_property(o->fdt, name, len ? value : "", len));
}

void meta_out_u32(struct meta_out *o, const char *name, uint32_t v)
{
	if (!o->err)
		out_check(o, fdt_property_u32(o->fdt, name, v));
}

/* A property of @len bytes to fill in, or NULL after an error. */
static uint8_t *out_space(struct meta_out *o, const char *name, size_t len)
{
	void *p = NULL;

	if (!o->err)
		out_check(o, fdt_property_placeholder(o->fdt, name, len, &p));
	return o->err ? NULL : p;
}

void meta_out_u64s(struct meta_out *o, const char *name, const uint64_t *v, size_t n)
{
	uint8_t *p = out_space(o, name, n * 8);

	for (size_t i = 0; p && i < n; i++)
		meta_put_cell(p + 8 * i, 8, v[i]);
}

static void write_cells(struct meta_out *o, const struct meta_field *f, const uint8_t *base)
{
	size_t n = meta_ncells(f);
	uint8_t *p;

	if ((f->flags & META_OMIT_ZERO) && n) {
		struct meta_cell c = meta_cell_at(f, 0);

		if (!meta_load(base + c.offset, c.size))
			return;
	}
	p = out_space(o, f->name, meta_cells_width(f));
	for (size_t i = 0; p && i < n; i++) {
		struct meta_cell c = meta_cell_at(f, i);

		meta_put_cell(p, c.width, meta_load(base + c.offset, c.size));
		p += c.width;
	}
}

static void write_records(struct meta_out *o, const struct meta_field *f, const uint8_t *obj)
{
	const uint8_t *rec = *(uint8_t *const *)(obj + f->offset);
	size_t n = *(const size_t *)(obj + f->count), width = meta_cells_width(f);
	uint8_t *p;

	if (!n && (f->flags & META_OMIT_ZERO))
		return;
	p = out_space(o, f->name, n * width);
	for (size_t i = 0; p && i < n; i++, rec += f->elem)
		for (size_t k = 0; k < f->ncells; k++) {
			meta_put_cell(p, f->cells[k].width,
				      meta_load(rec + f->cells[k].offset, f->cells[k].size));
			p += f->cells[k].width;
		}
}

static void write_nodes(struct meta_out *o, const struct meta_field *f, const uint8_t *obj)
{
	const uint8_t *elems = *(uint8_t *const *)(obj + f->offset);
	size_t n = *(const size_t *)(obj + f->count);
	const void *parent = o->parent;

	if (!n && (f->flags & META_OMIT_ZERO))
		return;
	if (f->name)
		meta_out_begin(o, f->name);
	o->parent = obj;
	for (size_t i = 0; i < n; i++)
		meta_write_node(o, f->node, elems + i * f->node->size);
	o->parent = parent;
	if (f->name)
		meta_out_end(o);
}

static void write_field(struct meta_out *o, const struct meta_field *f, const uint8_t *obj)
{
	const void *v = obj + f->offset;
	uint64_t x;

	if (!meta_applies(f, obj) || (f->write_if && !f->write_if(obj)) ||
	    (f->present && !*(const bool *)(obj + f->present - 1)))
		return;
	switch (f->type) {
	case META_T_U32:
	case META_T_U64:
		x = meta_load(v, f->size);
		if (!x && (f->flags & META_OMIT_ZERO))
			break;
		if (f->type == META_T_U32)
			meta_out_u32(o, f->name, x);
		else
			meta_out_u64s(o, f->name, &x, 1);
		break;
	case META_T_STR: {
		const char *s = *(char *const *)v;

		if (s && (*s || !(f->flags & META_OMIT_ZERO)))
			meta_out_prop(o, f->name, s, strlen(s) + 1);
		break;
	}
	case META_T_CHARS: {
		size_t len = strnlen(v, f->count);
		uint8_t *p;

		if (!len && (f->flags & META_OMIT_ZERO))
			break;
		p = out_space(o, f->name, len + 1);
		if (p) {
			memcpy(p, v, len);
			p[len] = 0;
		}
		break;
	}
	case META_T_BYTES: {
		size_t len = *(const size_t *)(obj + f->count) * f->elem;

		if (len || !(f->flags & META_OMIT_ZERO))
			meta_out_prop(o, f->name, *(uint8_t *const *)v, len);
		break;
	}
	case META_T_FIXED:
		meta_out_prop(o, f->name, v, meta_fixed_count(f, obj));
		break;
	case META_T_FLAG:
		if (meta_load(v, f->size))
			meta_out_prop(o, f->name, NULL, 0);
		break;
	case META_T_CELLS:
		write_cells(o, f, obj);
		break;
	case META_T_RECORDS:
		write_records(o, f, obj);
		break;
	case META_T_NAME:
		x = meta_load(v, f->size);
		meta_out_prop(o, f->name, x < f->count ? f->names[x] : "?",
			      x < f->count ? strlen(f->names[x]) + 1 : 2);
		break;
	case META_T_CONST:
		meta_out_prop(o, f->name, f->names[0], strlen(f->names[0]) + 1);
		break;
	case META_T_NODES:
		write_nodes(o, f, obj);
		break;
	case META_T_INLINE:
		meta_write_fields(o, f->node->fields, v);
		break;
	case META_T_CUSTOM:
		f->write(o, f, obj);
		break;
	case META_T_END:
		break;
	}
}

void meta_write_fields(struct meta_out *o, const struct meta_field *fields, const void *obj)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++)
		write_field(o, f, obj);
}

void meta_node_name(const struct meta_node *n, const void *obj, char *buf, size_t size)
{
	for (const struct meta_field *f = n->fields; f->type != META_T_END; f++)
		if (f->flags & META_UNIT) {
			unsigned long long unit = meta_load((const uint8_t *)obj + f->offset, f->size);

			snprintf(buf, size, f->flags & META_HEX ? "%s@%llx" : "%s@%llu", n->name, unit);
			return;
		}
	snprintf(buf, size, "%s", n->name);
}

void meta_write_node(struct meta_out *o, const struct meta_node *n, const void *obj)
{
	char name[96];

	meta_node_name(n, obj, name, sizeof(name));
	meta_out_begin(o, name);
	meta_write_fields(o, n->fields, obj);
	meta_out_end(o);
}

/* ---- freeing ---- */

static void free_field(const struct meta_field *f, uint8_t *obj)
{
	void **p = (void **)(obj + f->offset);

	switch (f->type) {
	case META_T_STR:
	case META_T_BYTES:
	case META_T_RECORDS:
		free(*p);
		*p = NULL;
		break;
	case META_T_NODES: {
		size_t *n = (size_t *)(obj + f->count);

		for (size_t i = 0; *p && i < *n; i++)
			meta_free_node(f->node, (uint8_t *)*p + i * f->node->size);
		free(*p);
		*p = NULL;
		*n = 0;
		break;
	}
	case META_T_INLINE:
		meta_free_fields(f->node->fields, obj + f->offset);
		break;
	case META_T_CUSTOM:
		if (f->free)
			f->free(f, obj);
		break;
	default:
		break;
	}
}

void meta_free_fields(const struct meta_field *fields, void *obj)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++)
		free_field(f, obj);
}

void meta_free_node(const struct meta_node *n, void *obj)
{
	meta_free_fields(n->fields, obj);
	if (n->free)
		n->free(obj);
}
