/* SPDX-License-Identifier: MIT */
/* Typed reads of metadata FDT properties (meta_prop.c). */
#ifndef FERRY_GLUE_META_PROP_H
#define FERRY_GLUE_META_PROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta_fields.h" /* struct meta_in */

/* The property, or NULL; a missing required one is an error. */
const void *meta_prop_get(struct meta_in *in, int node, const char *name, int *ret_len,
			  bool required);
void meta_prop_bad_len(struct meta_in *in, int node, const char *name);
void meta_prop_oom(struct meta_in *in);
uint32_t meta_prop_u32(struct meta_in *in, int node, const char *name, bool required);
uint64_t meta_prop_u64(struct meta_in *in, int node, const char *name, bool required);
/* A copy of a string property, or NULL when absent and not required. */
char *meta_prop_str(struct meta_in *in, int node, const char *name, bool required);
/* A copy of a byte property (NULL and 0 when absent or empty). */
uint8_t *meta_prop_bytes(struct meta_in *in, int node, const char *name, size_t *ret_len,
			 bool required);
/* Fill @out with exactly @n cells; false if absent or of the wrong size. */
bool meta_prop_u32s(struct meta_in *in, int node, const char *name, uint32_t *out, size_t n,
		    bool required);
bool meta_prop_u64s(struct meta_in *in, int node, const char *name, uint64_t *out, size_t n,
		    bool required);
uint32_t *meta_prop_u32_list(struct meta_in *in, int node, const char *name, size_t *ret_n);
void meta_prop_fixed_bytes(struct meta_in *in, int node, const char *name, uint8_t *out, size_t n,
			   bool required);

#endif
