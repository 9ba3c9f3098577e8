/* SPDX-License-Identifier: MIT */
/*
 * Checking a device tree before libfdt reads it (SPEC.md §3.0).
 *
 * libfdt 1.6.1 trusts its header more than it checks it: fdt_check_full()
 * passes a root node with a name of versions 2 to 15 to fdt_get_name(),
 * whose NULL result it then dereferences (one changed header byte of a
 * real image is a SIGSEGV), versions below 17 skip the bounds of the
 * structure block, and every header field and reservation entry is read
 * with an aligned load. So the header is read here byte by byte, and only
 * the one shape the reference writers produce goes on to libfdt: version
 * 17, last compatible version 16, an 8-aligned blob with an empty
 * reservation map, then the structure block, then the strings block, all
 * inside totalsize and totalsize inside the buffer.
 */
#include <libfdt.h>

#include "be.h"
#include "diag.h"
#include "fdt_check.h"

/* byte offsets of the header fields (devicetree specification §5.2) */
#define FDTH_MAGIC 0
#define FDTH_TOTALSIZE 4
#define FDTH_OFF_DT_STRUCT 8
#define FDTH_OFF_DT_STRINGS 12
#define FDTH_OFF_MEM_RSVMAP 16
#define FDTH_VERSION 20
#define FDTH_LAST_COMP_VERSION 24
#define FDTH_SIZE_DT_STRINGS 32
#define FDTH_SIZE_DT_STRUCT 36

#define FDT_RESERVE_ENTRY_SIZE 16u

struct fdt_fields {
	uint32_t totalsize, off_struct, off_strings, off_rsvmap, size_strings, size_struct;
};

struct fdt_verdict {
	const char *what; /* NULL: the rule holds */
	uint32_t field;   /* offset in the blob of the field that breaks it */
};

static struct fdt_verdict broken(const char *what, uint32_t field)
{
	return (struct fdt_verdict){ .what = what, .field = field };
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* The header rules, on the fields read byte by byte. */
static struct fdt_verdict check_header(const uint8_t *raw, size_t len)
{
	struct fdt_fields f;
	uint64_t struct_end, strings_end;

	if (len < FERRY_FDT_HEADER_SIZE)
		return broken("shorter than the 40-byte device tree header", 0);
	if (be32_load(raw + FDTH_MAGIC) != FDT_MAGIC)
		return broken("device tree magic is not 0xd00dfeed", FDTH_MAGIC);
	if (be32_load(raw + FDTH_VERSION) != FERRY_FDT_VERSION)
		return broken("device tree version is not 17", FDTH_VERSION);
	if (be32_load(raw + FDTH_LAST_COMP_VERSION) != FERRY_FDT_LAST_COMP_VERSION)
		return broken("device tree last compatible version is not 16",
			      FDTH_LAST_COMP_VERSION);
	if ((uintptr_t)raw % FERRY_FDT_ALIGN)
		return broken("device tree is not at an 8-byte aligned address", 0);

	f.totalsize = be32_load(raw + FDTH_TOTALSIZE);
	f.off_struct = be32_load(raw + FDTH_OFF_DT_STRUCT);
	f.off_strings = be32_load(raw + FDTH_OFF_DT_STRINGS);
	f.off_rsvmap = be32_load(raw + FDTH_OFF_MEM_RSVMAP);
	f.size_strings = be32_load(raw + FDTH_SIZE_DT_STRINGS);
	f.size_struct = be32_load(raw + FDTH_SIZE_DT_STRUCT);

	if (f.totalsize < FERRY_FDT_HEADER_SIZE || f.totalsize > len || f.totalsize > INT32_MAX)
		return broken("totalsize is smaller than the header or larger than the space the device tree has",
			      FDTH_TOTALSIZE);
	if (f.off_rsvmap < FERRY_FDT_HEADER_SIZE || f.off_rsvmap % FERRY_FDT_ALIGN ||
	    (uint64_t)f.off_rsvmap + FDT_RESERVE_ENTRY_SIZE > f.off_struct)
		return broken("memory reservation map is not 8-aligned between the header and the structure block",
			      FDTH_OFF_MEM_RSVMAP);
	if (f.off_struct % 4 || f.size_struct % 4)
		return broken("structure block offset or size is not a multiple of 4",
			      FDTH_OFF_DT_STRUCT);
	struct_end = (uint64_t)f.off_struct + f.size_struct;
	if (struct_end > f.off_strings)
		return broken("structure block runs into the strings block or lies after it",
			      FDTH_SIZE_DT_STRUCT);
	strings_end = (uint64_t)f.off_strings + f.size_strings;
	if (strings_end > f.totalsize)
		return broken("strings block runs past totalsize", FDTH_SIZE_DT_STRINGS);
	/* the writers reserve no memory: the map is its terminator alone */
	if (!all_zero(raw + f.off_rsvmap, FDT_RESERVE_ENTRY_SIZE))
		return broken("memory reservation map is not empty", FDTH_OFF_MEM_RSVMAP);
	return broken(NULL, 0);
}

/* libfdt 1.6's fdt_check_full() lets a property length of -8..-1 through
 * (its offset arithmetic wraps) and fdt_getprop() then hands that length
 * out to a reader that trusts it. */
static int property_lengths_ok(const void *fdt)
{
	int node, depth = 0, prop, len;

	for (node = 0; node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		fdt_for_each_property_offset(prop, fdt, node) {
			if (!fdt_getprop_by_offset(fdt, prop, NULL, &len) || len < 0)
				return 0;
		}
	}
	return 1;
}

int ferry_fdt_check(const void *fdt, size_t len, int code, const char *part, uint64_t base,
		    struct ferry_diag *diag)
{
	struct fdt_verdict v;

	if (!fdt)
		return diag_fail(diag, code, part, "no device tree", base);
	v = check_header(fdt, len);
	if (v.what)
		return diag_fail(diag, code, part, v.what, base + v.field);
	/* from here on the header is one libfdt 1.6.1 reads safely */
	if (fdt_check_full(fdt, fdt_totalsize(fdt)) != 0)
		return diag_fail(diag, code, part,
				 "structure or strings block is malformed (libfdt's full check)",
				 base + fdt_off_dt_struct(fdt));
	if (!property_lengths_ok(fdt))
		return diag_fail(diag, code, part, "a property length is negative",
				 base + fdt_off_dt_struct(fdt));
	return 0;
}
