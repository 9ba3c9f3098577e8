/* SPDX-License-Identifier: MIT */
/* The handoff FDT (SPEC.md §8), written with libfdt's sequential writer and
 * read back with its read-only API once ferry_fdt_check() let it through. */
#include <string.h>

#include <libfdt.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "be.h"
#include "fdt_check.h"

#define H_COMPATIBLE "compatible"
#define H_REGION "region"               /* <u64 base, u64 size> */
#define H_IMAGE_STATE "image-state"     /* string: none, compressed, expanded */
#define H_VERIFIED "verified"           /* u32 0/1 */
#define H_IMAGE "image"                 /* <u64 address, u64 size> */
#define H_STAGE "stage"                 /* string */
#define H_STAGE_VERSION "stage-version" /* string */
#define H_STAGE_TIME "stage-time-ns"    /* u64 */
#define H_REASON "reason"               /* string */

static const char *const image_state_names[] = { "none", "compressed", "expanded" };

static int put_pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	uint8_t cells[16];

	be64_store(cells, a);
	be64_store(cells + 8, b);
	return fdt_property(fdt, name, cells, sizeof(cells));
}

int ferry_handoff_write(void *buf, size_t capacity, const struct ferry_handoff *h)
{
	uint8_t t[8];
	int r;

	if (!buf || !h || h->image_state > FERRY_HANDOFF_IMAGE_EXPANDED || capacity > INT32_MAX)
		return -FERRY_ERR_INVAL;

	be64_store(t, h->stage_time_ns);
	r = fdt_create(buf, (int)capacity);
	r = r ?: fdt_finish_reservemap(buf);
	r = r ?: fdt_begin_node(buf, "");
	r = r ?: fdt_property_string(buf, H_COMPATIBLE, FERRY_HANDOFF_COMPATIBLE);
	r = r ?: put_pair(buf, H_REGION, h->region_base, h->region_size);
	r = r ?: fdt_property_string(buf, H_IMAGE_STATE, image_state_names[h->image_state]);
	r = r ?: fdt_property_u32(buf, H_VERIFIED, h->verified ? 1 : 0);
	r = r ?: put_pair(buf, H_IMAGE, h->image_address, h->image_size);
	r = r ?: fdt_property_string(buf, H_STAGE, h->stage);
	r = r ?: fdt_property_string(buf, H_STAGE_VERSION, h->stage_version);
	r = r ?: fdt_property(buf, H_STAGE_TIME, t, sizeof(t));
	r = r ?: fdt_property_string(buf, H_REASON, h->reason);
	r = r ?: fdt_end_node(buf);
	r = r ?: fdt_finish(buf);
	if (r == -FDT_ERR_NOSPACE)
		return -FERRY_ERR_NOSPACE;
	if (r < 0)
		return -FERRY_ERR_INVAL;
	/* u-boot's copy of libfdt 1.6.1, the one the stage links, finishes
	 * with last compatible version 2; readers accept 16 only (§3.0) */
	fdt_set_last_comp_version(buf, FERRY_FDT_LAST_COMP_VERSION);
	return (int)fdt_totalsize(buf);
}

static int get_string(const void *fdt, const char *name, char *out, size_t out_size)
{
	int len;
	const char *s = fdt_getprop(fdt, 0, name, &len);

	if (!s || len < 1 || s[len - 1] != '\0' || (size_t)len > out_size)
		return -FERRY_ERR_HANDOFF;
	memcpy(out, s, (size_t)len);
	return 0;
}

static int get_pair(const void *fdt, const char *name, uint64_t *a, uint64_t *b)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, 0, name, &len);

	if (!p || len != 16)
		return -FERRY_ERR_HANDOFF;
	*a = be64_load(p);
	*b = be64_load(p + 8);
	return 0;
}

int ferry_handoff_read(const void *buf, size_t len, struct ferry_handoff *ret)
{
	struct ferry_handoff h;
	char state[16];
	const uint8_t *p;
	int plen;

	if (!buf || !ret || len < sizeof(struct fdt_header) || len > INT32_MAX)
		return -FERRY_ERR_HANDOFF;
	if (ferry_fdt_check(buf, len, -FERRY_ERR_HANDOFF, "handoff", 0, NULL) < 0 ||
	    fdt_node_check_compatible(buf, 0, FERRY_HANDOFF_COMPATIBLE) != 0)
		return -FERRY_ERR_HANDOFF;

	memset(&h, 0, sizeof(h));
	if (get_pair(buf, H_REGION, &h.region_base, &h.region_size) < 0 ||
	    get_pair(buf, H_IMAGE, &h.image_address, &h.image_size) < 0 ||
	    get_string(buf, H_IMAGE_STATE, state, sizeof(state)) < 0 ||
	    get_string(buf, H_STAGE, h.stage, sizeof(h.stage)) < 0 ||
	    get_string(buf, H_STAGE_VERSION, h.stage_version, sizeof(h.stage_version)) < 0 ||
	    get_string(buf, H_REASON, h.reason, sizeof(h.reason)) < 0)
		return -FERRY_ERR_HANDOFF;

	p = fdt_getprop(buf, 0, H_VERIFIED, &plen);
	if (!p || plen != 4 || p[0] || p[1] || p[2] || p[3] > 1)
		return -FERRY_ERR_HANDOFF;
	h.verified = p[3];
	p = fdt_getprop(buf, 0, H_STAGE_TIME, &plen);
	if (!p || plen != 8)
		return -FERRY_ERR_HANDOFF;
	h.stage_time_ns = be64_load(p);

	h.image_state = UINT32_MAX;
	for (uint32_t i = 0; i < sizeof(image_state_names) / sizeof(image_state_names[0]); i++)
		if (strcmp(state, image_state_names[i]) == 0)
			h.image_state = i;
	if (h.image_state == UINT32_MAX)
		return -FERRY_ERR_HANDOFF;

	/* an image, when there is one, lies inside the region */
	if (h.region_base > UINT64_MAX - h.region_size)
		return -FERRY_ERR_HANDOFF;
	if (h.image_state != FERRY_HANDOFF_IMAGE_NONE &&
	    (h.image_address < h.region_base || h.image_size > h.region_size ||
	     h.image_address - h.region_base > h.region_size - h.image_size))
		return -FERRY_ERR_HANDOFF;

	*ret = h;
	return 0;
}
