/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target of the path from an image's metadata to what restore will
 * do: the FDT gate of the format core, meta_read() into an st_image, then
 * restore_plan_check() (restore/plan.h), all without a system call that
 * makes or touches a process. An input is a metadata FDT.
 *
 * Beyond "no crash", a plan the checks accept is written back with
 * meta_write() and read again: the second reading must be accepted too and
 * write the same bytes (what restore does follows from the metadata, and
 * from nothing else).
 *
 * Random byte mutations almost never keep an FDT whole, so the target has
 * a mutator of its own: it reads the tree, changes one property (its bytes
 * by libFuzzer's mutator, or a value a hostile writer would try: 0, 1, -1,
 * INT_MAX, page and address-space bounds), removes one, or repeats one
 * node, and writes the tree again with libfdt's sequential writer; half of
 * the time it leaves the bytes to libFuzzer. Seeds in
 * kernel-glue/fuzz/plan-corpus: the metadata of images the host tier
 * checkpoints (kernel-glue/fuzz/README.md says how to add one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../common/log.h"
#include "../common/meta.h"
#include "../restore/plan.h"
#include "fdt_check.h"

#define expect(cond)                       \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* An 8-aligned copy of the input, as the format core hands the metadata
 * over; NULL if it does not pass the gate. */
static void *checked_copy(const uint8_t *data, size_t size)
{
	void *fdt;

	if (size < FERRY_FDT_HEADER_SIZE)
		return NULL;
	fdt = aligned_alloc(FERRY_FDT_ALIGN, (size + FERRY_FDT_ALIGN - 1) & ~(size_t)7);
	if (!fdt)
		return NULL;
	memcpy(fdt, data, size);
	if (ferry_fdt_check(fdt, size, -FERRY_ERR_METADATA, "metadata", 0, NULL) < 0) {
		free(fdt);
		return NULL;
	}
	return fdt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct st_image img, again;
	void *fdt, *out1 = NULL, *out2 = NULL;
	size_t len1, len2;

	if (!quiet) {
		/* the refusals are the point: do not print each (the logger writes
		 * to stderr; libFuzzer and the sanitizers keep their own output) */
		if (!getenv("FERRY_FUZZ_VERBOSE")) {
			FILE *null = fopen("/dev/null", "w");

			if (null)
				stderr = null;
		}
		quiet = true;
	}
	fdt = checked_copy(data, size);
	if (!fdt)
		return 0;
	if (meta_read(fdt, &img) == 0) {
		if (restore_plan_check(&img) == 0) {
			expect(meta_write(&img, &out1, &len1) == 0);
			expect(meta_read(out1, &again) == 0);
			expect(restore_plan_check(&again) == 0);
			expect(meta_write(&again, &out2, &len2) == 0);
			expect(len1 == len2 && memcmp(out1, out2, len1) == 0);
			st_image_free(&again);
			free(out1);
			free(out2);
		}
		st_image_free(&img);
	}
	free(fdt);
	return 0;
}

/* ---- the mutator (libFuzzer's build only: the replay has no LLVMFuzzerMutate) ---- */
#ifdef FERRY_LIBFUZZER

struct mutation {
	uint32_t rng;
	int target;    /* the property (or node) counted in tree order */
	int action;
	int seen_props, seen_nodes;
	size_t max_value;
};

enum { MUT_BYTES, MUT_VALUE, MUT_DROP_PROP, MUT_REPEAT_NODE, MUT_ACTIONS };

static uint32_t next_rand(struct mutation *m)
{
	m->rng = m->rng * 1103515245u + 12345u;
	return m->rng >> 8;
}

static const uint64_t hostile[] = {
	0, 1, 2, 0xffffffffull, 0x7fffffffull, 0x7ffffffeull, 0x80000000ull, 0xfffull, 0x1000,
	0x10000, 0x100000, 100000, 65536, 4194304, 0x7ffffffff000ull, 0x800000000000ull,
	0xffffffffff600000ull, UINT64_MAX, 0x7, 0x3,
};

/* A new value for a property of @len bytes at @val into @buf (of @room
 * bytes); its length. */
static size_t mutate_value(struct mutation *m, const void *val, int len, uint8_t *buf, size_t room)
{
	size_t n = (size_t)len < room ? (size_t)len : room;

	memcpy(buf, val, n);
	if (m->action == MUT_BYTES)
		return LLVMFuzzerMutate(buf, n, room);
	if (n >= 4) {
		uint64_t v = hostile[next_rand(m) % (sizeof(hostile) / sizeof(hostile[0]))];
		size_t cell = (next_rand(m) % (n / 4)) * 4;

		if (n - cell >= 8 && next_rand(m) % 2) {
			fdt64_t x = cpu_to_fdt64(v);

			memcpy(buf + cell, &x, 8);
		} else {
			fdt32_t x = cpu_to_fdt32((uint32_t)v);

			memcpy(buf + cell, &x, 4);
		}
		return n;
	}
	return LLVMFuzzerMutate(buf, n, room);
}

/* Write node @node of @in (and below) into @out, changing what @m says. */
static int copy_node(struct mutation *m, const void *in, int node, void *out, int depth)
{
	static uint8_t value[1 << 16];
	const char *name = depth ? fdt_get_name(in, node, NULL) : "";
	int prop, child, r, repeat = 1;

	if (!name || depth > 16)
		return -FDT_ERR_BADSTRUCTURE;
	if (depth && m->action == MUT_REPEAT_NODE && m->seen_nodes++ == m->target)
		repeat = 2;
	for (int k = 0; k < repeat; k++) {
		r = fdt_begin_node(out, name);
		if (r < 0)
			return r;
		fdt_for_each_property_offset(prop, in, node) {
			const char *pname;
			int len;
			const void *val = fdt_getprop_by_offset(in, prop, &pname, &len);

			if (!val)
				return len;
			if (k == 0 && m->action != MUT_REPEAT_NODE && m->seen_props++ == m->target) {
				if (m->action == MUT_DROP_PROP)
					continue;
				r = fdt_property(out, pname, value,
						 mutate_value(m, val, len, value,
							      m->max_value < sizeof(value) ?
								      m->max_value : sizeof(value)));
			} else {
				r = fdt_property(out, pname, val, len);
			}
			if (r < 0)
				return r;
		}
		fdt_for_each_subnode(child, in, node) {
			r = copy_node(m, in, child, out, depth + 1);
			if (r < 0)
				return r;
		}
		r = fdt_end_node(out);
		if (r < 0)
			return r;
	}
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct mutation m = { .rng = seed };
	void *in = checked_copy(data, size), *out;
	int props = 0, nodes = 0, node, depth = 0, r;
	size_t n = 0;

	if (!in || next_rand(&m) % 4 == 0) {
		free(in);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	for (node = 0; node >= 0; node = fdt_next_node(in, node, &depth)) {
		int prop;

		nodes++;
		fdt_for_each_property_offset(prop, in, node)
			props++;
	}
	m.action = (int)(next_rand(&m) % MUT_ACTIONS);
	m.target = (int)(next_rand(&m) % (unsigned)(m.action == MUT_REPEAT_NODE ? nodes : props + 1));
	m.max_value = max_size > size ? max_size - size + 16 : 16;
	out = malloc(max_size);
	if (out) {
		r = fdt_create(out, (int)max_size);
		if (r == 0)
			r = fdt_finish_reservemap(out);
		if (r == 0)
			r = copy_node(&m, in, 0, out, 0);
		if (r == 0)
			r = fdt_finish(out);
		if (r == 0 && fdt_totalsize(out) <= max_size) {
			n = fdt_totalsize(out);
			memcpy(data, out, n);
		}
	}
	free(out);
	free(in);
	return n ? n : LLVMFuzzerMutate(data, size, max_size);
}
#endif
