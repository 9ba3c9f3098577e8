/* SPDX-License-Identifier: MIT */
/*
 * Test helpers that walk field tables: give every field of an object a
 * value of its own, and compare two objects field by field. They use the
 * tables only to find the fields, not to decide what a value should be, so
 * a field a table describes wrongly (offset, size, type) shows up as a
 * difference after a write and a read.
 */
#ifndef FERRY_TEST_META_WALK_H
#define FERRY_TEST_META_WALK_H

#include <stdbool.h>

#include "../../common/meta_fields.h"

/* Every applicable field of @fields in @obj (zeroed) set from *@seed, which
 * goes up with each value; bools of groups are set, so that all is
 * written. CUSTOM fields are left to the caller. */
void walk_fill(const struct meta_field *fields, void *obj, unsigned *seed);

/* Print "FAIL: @test: @where: FIELD: ..." for the first field whose value
 * differs between @a and @b; returns whether all are the same. */
bool walk_same(const char *test, const char *where, const struct meta_field *fields,
	       const void *a, const void *b);

/* Print "FAIL: ..." and return false when two fields of @fields (of a
 * struct of @size bytes) use the same bytes: a field described at the
 * wrong place would read and write another's value. Child nodes are
 * checked too. */
bool walk_disjoint(const char *test, const char *where, const struct meta_field *fields,
		   size_t size);

/* Set the field @name of @fields in @obj to @v (a scalar, NAME or FLAG). */
void walk_set(const struct meta_field *fields, void *obj, const char *name, unsigned long long v);

#endif
