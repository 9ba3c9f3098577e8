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
 * inside totalsize and totalsize inside the buffer; and the structure
 * block's tags are walked once before libfdt walks them.
 */
#include <string.h>

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

/*
 * Walk the structure block's tags as libfdt will, in 64-bit arithmetic:
 * every tag, node name and property must lie inside the block, up to an
 * FDT_END. libfdt's own walk (fdt_next_tag()) adds a property's length to
 * an int, which overflows for a length near 2^31 (undefined behaviour, found
 * by fuzz-handoff), and its full check lets a length of -8..-1 through,
 * which fdt_getprop() then hands out. After this walk no length libfdt
 * reads can do either: every property ends inside a block that ends inside
 * totalsize, which is below 2^31.
 */
static struct fdt_verdict check_struct(const uint8_t *raw, uint32_t off_struct, uint32_t size)
{
	const uint8_t *s = raw + off_struct;
	uint64_t off = 0;
	const uint8_t *nul;
	uint32_t len;

	for (;;) {
		if (size - off < 4)
			return broken("structure block ends before its FDT_END tag",
				      off_struct + (uint32_t)off);
		switch (be32_load(s + off)) {
		case FDT_BEGIN_NODE:
			off += 4;
			nul = memchr(s + off, '\0', size - off);
			if (!nul)
				return broken("a node name runs past the structure block",
					      off_struct + (uint32_t)off);
			off = (uint64_t)(nul - s) + 1;
			break;
		case FDT_PROP:
			if (size - off < 12)
				return broken("a property header runs past the structure block",
					      off_struct + (uint32_t)off);
			len = be32_load(s + off + 4);
			off += 12;
			if (len > size - off)
				return broken("a property runs past the structure block (or its length is negative)",
					      off_struct + (uint32_t)off - 8);
			off += len;
			break;
		case FDT_END_NODE:
		case FDT_NOP:
			off += 4;
			break;
		case FDT_END:
			return broken(NULL, 0);
		default:
			return broken("unknown tag in the structure block", off_struct + (uint32_t)off);
		}
		off = (off + 3) & ~(uint64_t)3;
		if (off > size)
			return broken("structure block ends inside a tag's padding", off_struct + size);
	}
}

int ferry_fdt_check(const void *fdt, size_t len, int code, const char *part, uint64_t base,
		    struct ferry_diag *diag)
{
	struct fdt_verdict v;

	if (!fdt)
		return diag_fail(diag, code, part, "no device tree", base);
	v = check_header(fdt, len);
	if (!v.what)
		v = check_struct(fdt, be32_load((const uint8_t *)fdt + FDTH_OFF_DT_STRUCT),
				 be32_load((const uint8_t *)fdt + FDTH_SIZE_DT_STRUCT));
	if (v.what)
		return diag_fail(diag, code, part, v.what, base + v.field);
	/* from here on libfdt 1.6.1 reads the blob safely */
	if (fdt_check_full(fdt, fdt_totalsize(fdt)) != 0)
		return diag_fail(diag, code, part,
				 "structure or strings block is malformed (libfdt's full check)",
				 base + fdt_off_dt_struct(fdt));
	return 0;
}
