/* SPDX-License-Identifier: MIT */
/*
 * Typed reads of metadata FDT properties, shared by every reader of the
 * image metadata (processes, files, terminals and event descriptors,
 * sockets). A missing required property or one of the wrong size is
 * logged with the node's path and kept as the reader's first error;
 * reading goes on, so a caller checks in->err once at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "log.h"
#include "meta_prop.h"

const void *meta_prop_get(struct meta_in *in, int node, const char *name, int *ret_len,
			  bool required)
{
	const void *p = fdt_getprop(in->fdt, node, name, ret_len);

	if (!p && required && !in->err) {
		char path[256];

		if (fdt_get_path(in->fdt, node, path, sizeof(path)) < 0)
			strcpy(path, "?");
		in->err = glue_err(-EINVAL, "image metadata: %s: property '%s' missing", path,
				   name);
	}
	return p;
}

void meta_prop_bad_len(struct meta_in *in, int node, const char *name)
{
	char path[256];

	if (in->err)
		return;
	if (fdt_get_path(in->fdt, node, path, sizeof(path)) < 0)
		strcpy(path, "?");
	in->err = glue_err(-EINVAL, "image metadata: %s: property '%s' has a wrong size", path,
			   name);
}

uint32_t meta_prop_u32(struct meta_in *in, int node, const char *name, bool required)
{
	int len;
	const fdt32_t *p = meta_prop_get(in, node, name, &len, required);

	if (!p)
		return 0;
	if (len != 4) {
		meta_prop_bad_len(in, node, name);
		return 0;
	}
	return fdt32_to_cpu(*p);
}

uint64_t meta_prop_u64(struct meta_in *in, int node, const char *name, bool required)
{
	int len;
	const void *p = meta_prop_get(in, node, name, &len, required);
	fdt64_t v;

	if (!p)
		return 0;
	if (len != 8) {
		meta_prop_bad_len(in, node, name);
		return 0;
	}
	memcpy(&v, p, 8);
	return fdt64_to_cpu(v);
}

/* A copy of a string property, or NULL when absent and not required. */
char *meta_prop_str(struct meta_in *in, int node, const char *name, bool required)
{
	int len;
	const char *p = meta_prop_get(in, node, name, &len, required);
	char *s;

	if (!p)
		return NULL;
	if (len < 1 || p[len - 1]) {
		meta_prop_bad_len(in, node, name);
		return NULL;
	}
	s = strdup(p);
	if (!s && !in->err)
		in->err = glue_err(-ENOMEM, "image metadata");
	return s;
}

uint8_t *meta_prop_bytes(struct meta_in *in, int node, const char *name, size_t *ret_len,
			 bool required)
{
	int len;
	const void *p = meta_prop_get(in, node, name, &len, required);
	uint8_t *b;

	*ret_len = 0;
	if (!p || len <= 0)
		return NULL;
	b = malloc(len);
	if (!b) {
		if (!in->err)
			in->err = glue_err(-ENOMEM, "image metadata");
		return NULL;
	}
	memcpy(b, p, len);
	*ret_len = len;
	return b;
}

/* Fill @out with exactly @n cells; returns false if absent. */
bool meta_prop_u32s(struct meta_in *in, int node, const char *name, uint32_t *out, size_t n,
		    bool required)
{
	int len;
	const fdt32_t *p = meta_prop_get(in, node, name, &len, required);

	if (!p)
		return false;
	if ((size_t)len != n * 4) {
		meta_prop_bad_len(in, node, name);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = fdt32_to_cpu(p[i]);
	return true;
}

bool meta_prop_u64s(struct meta_in *in, int node, const char *name, uint64_t *out, size_t n,
		    bool required)
{
	int len;
	const char *p = meta_prop_get(in, node, name, &len, required);

	if (!p)
		return false;
	if ((size_t)len != n * 8) {
		meta_prop_bad_len(in, node, name);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		fdt64_t v;

		memcpy(&v, p + 8 * i, 8);
		out[i] = fdt64_to_cpu(v);
	}
	return true;
}

void meta_prop_oom(struct meta_in *in)
{
	if (!in->err)
		in->err = glue_err(-ENOMEM, "image metadata");
}

/* A variable number of cells, allocated; *ret_n cells. */
uint32_t *meta_prop_u32_list(struct meta_in *in, int node, const char *name, size_t *ret_n)
{
	int len;
	const fdt32_t *p = meta_prop_get(in, node, name, &len, false);
	uint32_t *v;

	*ret_n = 0;
	if (!p)
		return NULL;
	if (len % 4) {
		meta_prop_bad_len(in, node, name);
		return NULL;
	}
	v = malloc(len + 4);
	if (!v) {
		meta_prop_oom(in);
		return NULL;
	}
	for (int i = 0; i < len / 4; i++)
		v[i] = fdt32_to_cpu(p[i]);
	*ret_n = len / 4;
	return v;
}

/* Exactly @n bytes into @out; @out is left alone when absent. */
void meta_prop_fixed_bytes(struct meta_in *in, int node, const char *name, uint8_t *out, size_t n,
			   bool required)
{
	int len;
	const void *p = meta_prop_get(in, node, name, &len, required);

	if (!p)
		return;
	if ((size_t)len != n) {
		meta_prop_bad_len(in, node, name);
		return;
	}
	memcpy(out, p, n);
}
