/* SPDX-License-Identifier: MIT */
/*
 * Test helpers that walk field tables (all static, for the one test
 * program that includes them): give every field of an object a
 * value of its own, and compare two objects field by field. They use the
 * tables only to find the fields, not to decide what a value should be, so
 * a field a table describes wrongly (offset, size, type) shows up as a
 * difference after a write and a read.
 */
#ifndef FERRY_TEST_META_WALK_H
#define FERRY_TEST_META_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/meta_fields.h"

/*
 * walk_fill(): every applicable field of @fields in @obj (zeroed) set from
 * *@seed, which goes up with each value; bools of groups are set, so that
 * all is written. CUSTOM fields are left to the caller.
 * walk_same(): print "FAIL: @test: @where: FIELD: ..." for the first field
 * whose value differs between @a and @b; returns whether all are the same.
 * walk_disjoint(): print "FAIL: ..." and return false when two fields of
 * @fields (of a struct of @size bytes) use the same bytes: a field
 * described at the wrong place would read and write another's value.
 * Child nodes are checked too.
 */

static void walk_fill(const struct meta_field *fields, void *obj, unsigned *seed);
static bool walk_same(const char *test, const char *where, const struct meta_field *fields,
		      const void *a, const void *b);
static bool walk_disjoint(const char *test, const char *where, const struct meta_field *fields,
			  size_t size);

static uint64_t load(const void *p, size_t size)
{
	uint64_t v = 0;

	memcpy(&v, p, size); /* little-endian host */
	return v;
}

static void store(void *p, size_t size, uint64_t v)
{
	memcpy(p, &v, size);
}

static size_t cells_of(const struct meta_field *f)
{
	return f->cells ? f->ncells : f->count;
}

static struct meta_cell cell(const struct meta_field *f, size_t i)
{
	if (f->cells)
		return f->cells[i];
	return (struct meta_cell){ f->offset + i * f->elem, f->elem, f->elem };
}

/* A value of a @size-byte member, never 0; an 8-byte one uses its high
 * bits too, so that a table that writes it as one cell loses them. */
static uint64_t next(unsigned *seed, size_t size, size_t width)
{
	uint64_t v = ++*seed;

	(void)width;
	if (size == 1)
		return 1;
	if (size == 8)
		v |= (uint64_t)*seed << 40;
	return v;
}

static void fill_field(const struct meta_field *f, uint8_t *obj, unsigned *seed)
{
	uint8_t *v = obj + f->offset;

	if (f->when && !f->when(obj))
		return;
	if (f->present)
		obj[f->present - 1] = 1;
	switch (f->type) {
	case META_T_U32:
	case META_T_U64:
		store(v, f->size, next(seed, f->size, f->type == META_T_U32 ? 4 : 8));
		break;
	case META_T_STR: {
		char *s = malloc(16);

		snprintf(s, 16, "s%u", ++*seed);
		*(char **)v = s;
		break;
	}
	case META_T_CHARS:
		snprintf((char *)v, f->count, "c%u", ++*seed);
		break;
	case META_T_BYTES: {
		size_t n = 1 + *seed % 3, len = n * f->elem;
		uint8_t *b = malloc(len);

		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)(++*seed);
		*(uint8_t **)v = b;
		*(size_t *)(obj + f->count) = n;
		break;
	}
	case META_T_FIXED:
		for (size_t i = 0; i < (f->count_of ? f->count_of(obj) : f->count); i++)
			v[i] = (uint8_t)(++*seed);
		break;
	case META_T_FLAG:
		store(v, f->size, 1);
		break;
	case META_T_CELLS:
		for (size_t i = 0; i < cells_of(f); i++) {
			struct meta_cell c = cell(f, i);

			store(obj + c.offset, c.size, next(seed, c.size, c.width));
		}
		break;
	case META_T_RECORDS: {
		size_t *count = (size_t *)(obj + f->count);
		size_t n = (f->flags & META_SAME_COUNT) ? *count : 1 + *seed % 3;
		uint8_t *recs = calloc(n ? n : 1, f->elem);

		for (size_t r = 0; r < n; r++)
			for (size_t k = 0; k < f->ncells; k++)
				store(recs + r * f->elem + f->cells[k].offset, f->cells[k].size,
				      next(seed, f->cells[k].size, f->cells[k].width));
		*(uint8_t **)v = recs;
		*count = n;
		break;
	}
	case META_T_NAME:
		store(v, f->size, ++*seed % f->count);
		break;
	case META_T_NODES: {
		size_t n = 2, size = f->node->size;
		uint8_t *elems = calloc(n, size);

		for (size_t i = 0; i < n; i++)
			walk_fill(f->node->fields, elems + i * size, seed);
		*(uint8_t **)v = elems;
		*(size_t *)(obj + f->count) = n;
		break;
	}
	case META_T_INLINE:
		walk_fill(f->node->fields, v, seed);
		break;
	default: /* CONST: nothing; CUSTOM: the caller's */
		break;
	}
}

static void walk_fill(const struct meta_field *fields, void *obj, unsigned *seed)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++)
		fill_field(f, obj, seed);
}

static bool differ(const char *test, const char *where, const struct meta_field *f,
		   const char *what)
{
	printf("FAIL: %s: %s: %s: %s\n", test, where, f->name ? f->name : "(children)", what);
	return false;
}

static bool same_field(const char *test, const char *where, const struct meta_field *f,
		       const uint8_t *a, const uint8_t *b)
{
	const uint8_t *va = a + f->offset, *vb = b + f->offset;

	if (f->when && (!f->when(a) || !f->when(b)))
		return f->when(a) == f->when(b) || differ(test, where, f, "applies to one only");
	if (f->present && a[f->present - 1] != b[f->present - 1])
		return differ(test, where, f, "there in one only");
	if (f->present && !a[f->present - 1])
		return true;
	switch (f->type) {
	case META_T_U32:
	case META_T_U64:
	case META_T_FLAG:
	case META_T_NAME:
		if (load(va, f->size) != load(vb, f->size))
			return differ(test, where, f, "not the same value");
		return true;
	case META_T_STR: {
		const char *x = *(char *const *)va, *y = *(char *const *)vb;

		if ((!x || !y) ? x != y : strcmp(x, y) != 0)
			return differ(test, where, f, "not the same string");
		return true;
	}
	case META_T_CHARS:
		if (strncmp((const char *)va, (const char *)vb, f->count) != 0)
			return differ(test, where, f, "not the same string");
		return true;
	case META_T_BYTES: {
		size_t na = *(const size_t *)(a + f->count), nb = *(const size_t *)(b + f->count);

		if (na != nb || (na && memcmp(*(uint8_t *const *)va, *(uint8_t *const *)vb,
					    na * f->elem) != 0))
			return differ(test, where, f, "not the same bytes");
		return true;
	}
	case META_T_FIXED:
		if (memcmp(va, vb, f->count_of ? f->count_of(a) : f->count) != 0)
			return differ(test, where, f, "not the same bytes");
		return true;
	case META_T_CELLS:
		for (size_t i = 0; i < cells_of(f); i++) {
			struct meta_cell c = cell(f, i);

			if (load(a + c.offset, c.size) != load(b + c.offset, c.size))
				return differ(test, where, f, "a cell differs");
		}
		return true;
	case META_T_RECORDS: {
		size_t na = *(const size_t *)(a + f->count), nb = *(const size_t *)(b + f->count);
		const uint8_t *ra = *(uint8_t *const *)va, *rb = *(uint8_t *const *)vb;

		if (na != nb)
			return differ(test, where, f, "not as many records");
		for (size_t r = 0; r < na; r++)
			for (size_t k = 0; k < f->ncells; k++)
				if (load(ra + r * f->elem + f->cells[k].offset, f->cells[k].size) !=
				    load(rb + r * f->elem + f->cells[k].offset, f->cells[k].size))
					return differ(test, where, f, "a record differs");
		return true;
	}
	case META_T_NODES: {
		size_t na = *(const size_t *)(a + f->count), nb = *(const size_t *)(b + f->count);
		const uint8_t *ea = *(uint8_t *const *)va, *eb = *(uint8_t *const *)vb;
		char sub[256];

		if (na != nb)
			return differ(test, where, f, "not as many child nodes");
		for (size_t i = 0; i < na; i++) {
			snprintf(sub, sizeof(sub), "%s/%s[%zu]", where, f->node->name, i);
			if (!walk_same(test, sub, f->node->fields, ea + i * f->node->size,
				       eb + i * f->node->size))
				return false;
		}
		return true;
	}
	case META_T_INLINE:
		return walk_same(test, where, f->node->fields, va, vb);
	default:
		return true;
	}
}

static bool walk_same(const char *test, const char *where, const struct meta_field *fields,
	       const void *a, const void *b)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++)
		if (!same_field(test, where, f, a, b))
			return false;
	return true;
}

/* Mark @len bytes at @off of @owner as @f's; false if another field has one. */
static bool claim(const struct meta_field **owner, size_t size, size_t off, size_t len,
		  const struct meta_field *f, bool shared)
{
	for (size_t i = off; i < off + len && i < size; i++) {
		if (owner[i] && owner[i] != f && !shared)
			return false;
		owner[i] = f;
	}
	return off + len <= size;
}

static bool disjoint(const char *test, const char *where, const struct meta_field *fields,
		     size_t size, size_t base, const struct meta_field **owner)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++) {
		size_t o = base + f->offset, p = sizeof(void *), n = sizeof(size_t);
		bool ok = true;

		if (f->present)
			ok = claim(owner, size, base + f->present - 1, 1, f, true);
		switch (f->type) {
		case META_T_U32:
		case META_T_U64:
		case META_T_STR:
		case META_T_FLAG:
		case META_T_NAME:
			ok = ok && claim(owner, size, o, f->type == META_T_STR ? p : f->size, f, false);
			break;
		case META_T_CHARS:
		case META_T_FIXED:
			ok = ok && claim(owner, size, o, f->count, f, false);
			break;
		case META_T_BYTES:
		case META_T_RECORDS:
		case META_T_NODES:
			ok = ok && claim(owner, size, o, p, f, false) &&
			     claim(owner, size, base + f->count, n, f,
				   (f->flags & META_SAME_COUNT) != 0);
			if (f->type == META_T_NODES)
				ok = ok && walk_disjoint(test, f->node->name, f->node->fields,
							 f->node->size);
			break;
		case META_T_CELLS:
			for (size_t i = 0; ok && i < cells_of(f); i++) {
				struct meta_cell c = cell(f, i);

				ok = claim(owner, size, base + c.offset, c.size, f, false);
			}
			break;
		case META_T_INLINE:
			ok = ok && disjoint(test, where, f->node->fields, size, o, owner);
			break;
		default:
			break;
		}
		if (!ok) {
			printf("FAIL: %s: %s: %s: its bytes are another field's, or outside the "
			       "struct\n", test, where, f->name ? f->name : "(children)");
			return false;
		}
	}
	return true;
}

static bool walk_disjoint(const char *test, const char *where, const struct meta_field *fields,
		   size_t size)
{
	const struct meta_field **owner = calloc(size + 1, sizeof(*owner));
	bool ok = disjoint(test, where, fields, size, 0, owner);

	free(owner);
	return ok;
}

#endif
