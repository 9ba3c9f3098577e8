/* SPDX-License-Identifier: MIT */
/*
 * Reading a node through its field table (meta_fields.h). The blob has
 * passed fdt_check_full(); every property is checked against the size its
 * type wants before a byte of it is used. Reading goes on after an error so
 * that a caller checks in->err once; only the first error is logged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "log.h"
#include "meta_fields.h"
#include "meta_fields_internal.h"

static void node_path(const void *fdt, int node, char *buf, size_t size)
{
	if (fdt_get_path(fdt, node, buf, size) < 0)
		snprintf(buf, size, "?");
}

int meta_fail(struct meta_in *in, int node, const char *fmt, ...)
{
	char path[256], msg[512];
	va_list ap;

	if (in->err)
		return in->err;
	node_path(in->fdt, node, path, sizeof(path));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	in->err = log_error_errno(-EINVAL, "image metadata: %s: %s", path, msg);
	return in->err;
}

void meta_in_oom(struct meta_in *in)
{
	if (!in->err)
		in->err = log_error_errno(-ENOMEM, "image metadata");
}

const void *meta_in_prop(struct meta_in *in, int node, const char *name, int *ret_len,
			 bool required)
{
	int len = 0;
	const void *p = fdt_getprop(in->fdt, node, name, &len);

	if (ret_len)
		*ret_len = p ? len : 0;
	if (!p && required)
		meta_fail(in, node, "property '%s' missing", name);
	return p;
}

static void bad_size(struct meta_in *in, int node, const struct meta_field *f)
{
	meta_fail(in, node, "property '%s' has a wrong size", f->name);
}

static bool name_matches(const char *name, int len, const char *base)
{
	size_t n = strlen(base);

	if (len < 0 || (size_t)len < n || memcmp(name, base, n) != 0)
		return false;
	return (size_t)len == n || name[n] == '@';
}

int meta_next_child(const void *fdt, int parent, const char *base, int prev)
{
	int node, len;

	if (parent < 0)
		return -1;
	node = prev < 0 ? fdt_first_subnode(fdt, parent) : fdt_next_subnode(fdt, prev);
	for (; node >= 0; node = fdt_next_subnode(fdt, node)) {
		const char *name = fdt_get_name(fdt, node, &len);

		if (name && name_matches(name, len, base))
			return node;
	}
	return -1;
}

/* A zeroed copy of @len bytes, or NULL (out of memory noted) */
static void *copy_of(struct meta_in *in, const void *p, size_t len)
{
	void *c = malloc(len ? len : 1);

	if (!c) {
		meta_in_oom(in);
		return NULL;
	}
	memcpy(c, p, len);
	return c;
}

static void read_cells(const struct meta_field *f, const uint8_t *p, uint8_t *obj)
{
	for (size_t i = 0; i < meta_ncells(f); i++) {
		struct meta_cell c = meta_cell_at(f, i);

		meta_store(obj + c.offset, c.size, meta_get_cell(p, c.width));
		p += c.width;
	}
}

static void read_records(struct meta_in *in, int node, const struct meta_field *f,
			 const uint8_t *p, size_t len, uint8_t *obj)
{
	size_t width = meta_cells_width(f), n = width ? len / width : 0;
	size_t *count = (size_t *)(obj + f->count);
	uint8_t *recs, *rec;

	if (!width || len % width || ((f->flags & META_SAME_COUNT) && n != *count))
		return bad_size(in, node, f);
	recs = calloc(n ? n : 1, f->elem);
	if (!recs)
		return meta_in_oom(in);
	rec = recs;
	for (size_t i = 0; i < n; i++, rec += f->elem)
		for (size_t k = 0; k < f->ncells; k++) {
			meta_store(rec + f->cells[k].offset, f->cells[k].size,
				   meta_get_cell(p, f->cells[k].width));
			p += f->cells[k].width;
		}
	*(uint8_t **)(obj + f->offset) = recs;
	*count = n;
}

/* Grow the array of @f by one zeroed element; NULL when out of memory. */
static void *push_elem(const struct meta_field *f, uint8_t *obj)
{
	void **arr = (void **)(obj + f->offset);
	size_t *n = (size_t *)(obj + f->count), size = f->node->size;
	uint8_t *grown = realloc(*arr, (*n + 1) * size);

	if (!grown)
		return NULL;
	*arr = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

static void read_nodes(struct meta_in *in, int node, const struct meta_field *f, uint8_t *obj)
{
	int parent = f->name ? fdt_subnode_offset(in->fdt, node, f->name) : node, child;
	void *saved = in->parent;

	if (parent < 0)
		return;
	in->parent = obj;
	for (child = meta_next_child(in->fdt, parent, f->node->name, -1); child >= 0 && !in->err;
	     child = meta_next_child(in->fdt, parent, f->node->name, child)) {
		void *elem = push_elem(f, obj);

		if (!elem) {
			meta_in_oom(in);
			break;
		}
		meta_read_fields(in, child, f->node->fields, elem);
		if (!in->err && f->node->check)
			f->node->check(in, child, elem);
	}
	in->parent = saved;
}

static void read_name(struct meta_in *in, int node, const struct meta_field *f, const char *p,
		      int len, uint8_t *obj)
{
	if (len < 1 || p[len - 1])
		return bad_size(in, node, f);
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(p, f->names[i]) == 0) {
			meta_store(obj + f->offset, f->size, i);
			return;
		}
	meta_fail(in, node, "unknown %s '%s'", f->name, p);
}

static size_t value_bytes(const struct meta_field *f)
{
	switch (f->type) {
	case META_T_CELLS:
		return f->cells ? 0 : f->count * f->elem;
	case META_T_FIXED:
	case META_T_CHARS:
		return f->count;
	default:
		return f->size;
	}
}

static bool group_mode(const struct meta_field *f)
{
	return f->present && f->type == META_T_INLINE;
}

static void read_inline(struct meta_in *in, int node, const struct meta_field *f, uint8_t *obj);

/* Read @f; returns whether its property (or one of an INLINE's) is there. */
static bool read_field(struct meta_in *in, int node, const struct meta_field *f, uint8_t *obj)
{
	uint8_t *v = obj + f->offset;
	const uint8_t *p;
	int len = 0;

	if (f->type == META_T_INLINE) {
		read_inline(in, node, f, obj);
		return f->present && *(bool *)(obj + f->present - 1);
	}
	if (f->type == META_T_NODES) {
		read_nodes(in, node, f, obj);
		return true;
	}
	if (f->type == META_T_CUSTOM) {
		f->read(in, node, f, obj);
		return true;
	}
	p = fdt_getprop(in->fdt, node, f->name, &len);
	if (!p) {
		if (f->flags & META_ABSENT_ALL_ONES)
			memset(v, 0xff, value_bytes(f));
		return false;
	}
	switch (f->type) {
	case META_T_U32:
	case META_T_U64:
		if ((size_t)len != (f->type == META_T_U32 ? 4u : 8u))
			bad_size(in, node, f);
		else
			meta_store(v, f->size, meta_get_cell(p, len));
		break;
	case META_T_STR:
		if (len < 1 || p[len - 1])
			bad_size(in, node, f);
		else
			*(char **)v = copy_of(in, p, len);
		break;
	case META_T_CHARS: {
		size_t n = strnlen((const char *)p, len);

		if (n > f->count - 1)
			n = f->count - 1;
		memcpy(v, p, n);
		v[n] = 0;
		break;
	}
	case META_T_BYTES:
		if (len % f->elem) {
			bad_size(in, node, f);
		} else if (len > 0) {
			*(uint8_t **)v = copy_of(in, p, len);
			*(size_t *)(obj + f->count) = *(uint8_t **)v ? len / f->elem : 0;
		}
		break;
	case META_T_FIXED:
		if ((size_t)len != meta_fixed_count(f, obj))
			bad_size(in, node, f);
		else
			memcpy(v, p, len);
		break;
	case META_T_FLAG:
		meta_store(v, f->size, 1);
		break;
	case META_T_CELLS:
		if ((size_t)len != meta_cells_width(f))
			bad_size(in, node, f);
		else
			read_cells(f, p, obj);
		break;
	case META_T_RECORDS:
		read_records(in, node, f, p, len, obj);
		break;
	case META_T_NAME:
		read_name(in, node, f, (const char *)p, len, obj);
		break;
	default: /* CONST: nothing to keep */
		break;
	}
	if (f->present)
		*(bool *)(obj + f->present - 1) = true;
	return true;
}

static bool required(const struct meta_field *f, const uint8_t *obj)
{
	if (!(f->flags & META_REQUIRED) && !(f->required_if && f->required_if(obj)))
		return false;
	/* a field of a group is required once the group is there */
	return !f->present || group_mode(f) || *(const bool *)(obj + f->present - 1);
}

/*
 * @fields of @node into @obj. With @optional, the table is a group that may
 * be absent as a whole: its required fields are required only if one of
 * its properties is there. Returns whether one was.
 */
static bool read_table(struct meta_in *in, int node, const struct meta_field *fields,
		       uint8_t *obj, bool optional)
{
	uint64_t seen = 0;
	size_t i = 0;
	const struct meta_field *f;

	for (f = fields; f->type != META_T_END; f++, i++)
		if (meta_applies(f, obj) && read_field(in, node, f, obj))
			seen |= 1ull << (i & 63);
	if (optional && !seen)
		return false;
	for (f = fields, i = 0; f->type != META_T_END; f++, i++)
		if (!(seen & (1ull << (i & 63))) && f->type != META_T_INLINE && meta_applies(f, obj) &&
		    required(f, obj))
			meta_fail(in, node, "property '%s' missing", f->name);
	return seen != 0;
}

static void read_inline(struct meta_in *in, int node, const struct meta_field *f, uint8_t *obj)
{
	bool any = read_table(in, node, f->node->fields, obj + f->offset, f->present != 0);

	if (f->present && any)
		*(bool *)(obj + f->present - 1) = true;
	if (!in->err && f->node->check && (any || !f->present))
		f->node->check(in, node, obj + f->offset);
}

void meta_read_fields(struct meta_in *in, int node, const struct meta_field *fields, void *obj)
{
	read_table(in, node, fields, obj, false);
}
