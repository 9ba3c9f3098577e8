/* SPDX-License-Identifier: MIT */
/* Shared by meta_fields.c and meta_fields_read.c. */
#ifndef FERRY_GLUE_META_FIELDS_INTERNAL_H
#define FERRY_GLUE_META_FIELDS_INTERNAL_H

#include "meta_fields.h"

/* A member of 1, 2, 4 or 8 bytes, as a number. */
uint64_t meta_load(const void *p, size_t size);
void meta_store(void *p, size_t size, uint64_t v);
/* One big-endian cell of 4 or 8 bytes. */
void meta_put_cell(uint8_t *dst, size_t width, uint64_t v);
uint64_t meta_get_cell(const uint8_t *src, size_t width);
/* The cells of a CELLS or RECORDS field, and their bytes in the FDT. */
size_t meta_ncells(const struct meta_field *f);
struct meta_cell meta_cell_at(const struct meta_field *f, size_t i);
size_t meta_cells_width(const struct meta_field *f);
/* The bytes of a FIXED field in @obj. */
size_t meta_fixed_count(const struct meta_field *f, const void *obj);
/* Does @f apply to @obj (its .when)? */
bool meta_applies(const struct meta_field *f, const void *obj);
/* "name@UNIT" of @obj's node. */
void meta_node_name(const struct meta_node *n, const void *obj, char *buf, size_t size);

#endif
