/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <libfdt.h>

#include "../../kernel-glue/common/meta_fields.h"
#include "meta.h"

struct opt_u32 meta_u32(const void *fdt, int node, const char *name)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	if (!p || len != (int)sizeof(*p))
		return (struct opt_u32){ 0 };
	return (struct opt_u32){ .ok = true, .v = fdt32_ld(p) };
}

struct opt_u64 meta_u64(const void *fdt, int node, const char *name)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	/* two big-endian cells; FDT properties are only 4-byte aligned */
	if (!p || len != 8)
		return (struct opt_u64){ 0 };
	return (struct opt_u64){ .ok = true, .v = (uint64_t)fdt32_ld(p) << 32 | fdt32_ld(p + 1) };
}

struct meta_text meta_string(const void *fdt, int node, const char *name)
{
	int len;
	const char *p = fdt_getprop(fdt, node, name, &len);

	if (!p || len < 0)
		return (struct meta_text){ 0 };
	return (struct meta_text){ .s = p, .len = strnlen(p, (size_t)len) };
}

bool meta_has(const void *fdt, int node, const char *name)
{
	return fdt_getprop(fdt, node, name, NULL) != NULL;
}

int meta_length(const void *fdt, int node, const char *name)
{
	int len;

	if (!fdt_getprop(fdt, node, name, &len) || len < 0)
		return -1;
	return len;
}

int meta_node(const void *fdt, const char *path)
{
	int node = fdt_path_offset(fdt, path);

	return node < 0 ? -1 : node;
}

int meta_child(const void *fdt, int parent, const char *base, int prev)
{
	return meta_next_child(fdt, parent, base, prev);
}

int meta_subnode(const void *fdt, int parent, const char *name)
{
	int node;

	if (parent < 0)
		return -1;
	node = fdt_subnode_offset(fdt, parent, name);
	return node < 0 ? -1 : node;
}

uint32_t meta_count_children(const void *fdt, int parent, const char *base)
{
	uint32_t count = 0;

	for (int n = meta_child(fdt, parent, base, -1); n >= 0; n = meta_child(fdt, parent, base, n))
		count++;
	return count;
}
