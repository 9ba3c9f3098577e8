/* SPDX-License-Identifier: MIT */
/*
 * The metadata schema without root: every kind's field tables and the
 * field-table machinery, written into an FDT and read back (state -> FDT ->
 * state, compared field by field), the bytes of each type as SPEC.md says,
 * and images that lack a property or have one of the wrong size refused
 * with the reason.
 *
 * Prints "PASS: name" or "FAIL: name: why" per test; exits 1 if any failed.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../../common/meta.h"
#include "../../common/meta_fields.h"
#include "../../common/state.h"
#include "../../kinds/kind.h"
#include "../../kinds/socket.h"
#include "ferry/schema.h"
#include "meta_walk.h"

static int failures;

#define CHECK(test, cond, ...)                                                                \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			printf("FAIL: %s: ", test);                                           \
			printf(__VA_ARGS__);                                                  \
			printf("\n");                                                         \
			failures++;                                                           \
			return;                                                               \
		}                                                                             \
	} while (0)

/* ---- a node of every field type ---- */

struct rec {
	int32_t a;
	uint64_t b;
};

struct child {
	uint32_t id;
	char *label;
};

struct part {
	uint32_t x, y;
};

struct thing {
	uint32_t id;
	uint8_t small;
	uint64_t wide_u32; /* an 8-byte member written as one cell */
	uint64_t big;
	uint32_t narrow_u64; /* a 4-byte member written as two cells */
	char *str;
	char chars[8];
	uint8_t *bytes;
	size_t nbytes;
	uint8_t *infos; /* elements of 4 bytes */
	size_t ninfos;
	uint8_t fixed[3];
	bool flag;
	uint32_t words[3];
	uint64_t gather_a;
	uint32_t gather_b;
	struct rec *recs;
	size_t nrecs;
	uint32_t *lens;
	size_t nlens;
	uint32_t *lens2; /* as many as lens */
	uint32_t color;
	uint64_t ones[2];
	uint32_t zero;
	bool have_part;
	struct part part;
	struct child *kids;
	size_t nkids;
	struct child *direct;
	size_t ndirect;
};

static const struct meta_field child_fields[] = {
	META_U32("id", struct child, id, META_REQUIRED | META_UNIT),
	META_STR("label", struct child, label, 0),
	{ 0 },
};
static const struct meta_node child_node = { .name = "kid", .size = sizeof(struct child), .fields = child_fields };
static const struct meta_node direct_node = { .name = "direct", .size = sizeof(struct child), .fields = child_fields };

static const struct meta_field part_fields[] = {
	META_U32("part-x", struct part, x, META_REQUIRED),
	META_U32("part-y", struct part, y, 0),
	{ 0 },
};
static const struct meta_node part_node = { .name = "part", .size = sizeof(struct part), .fields = part_fields };

static const struct meta_cell gather[] = {
	META_CELL(struct thing, gather_a, 8),
	META_CELL(struct thing, gather_b, 8),
};
static const struct meta_cell rec_cells[] = {
	META_CELL(struct rec, a, 4),
	META_CELL(struct rec, b, 8),
};
static const struct meta_cell u32_cell[] = { { 0, 4, 4 } };
static const char *const colors[] = { "red", "green", "blue" };
static const char *const constant[] = { "always" };

static const struct meta_field thing_fields[] = {
	META_U32("id", struct thing, id, META_REQUIRED | META_UNIT | META_HEX),
	META_U32("small", struct thing, small, 0),
	META_U32("wide-u32", struct thing, wide_u32, 0),
	META_U64("big", struct thing, big, META_REQUIRED),
	META_U64("narrow-u64", struct thing, narrow_u64, 0),
	META_STR("str", struct thing, str, 0),
	META_CHARS("chars", struct thing, chars, 0),
	META_BYTES("bytes", struct thing, bytes, nbytes, 0),
	META_BYTES_OF("infos", struct thing, infos, ninfos, 4, META_OMIT_ZERO),
	META_FIXED("fixed", struct thing, fixed, 0),
	META_FLAG("flag", struct thing, flag, 0),
	META_WORDS("words", struct thing, words, 4, 0),
	META_CELLS("gather", gather, 0),
	META_RECORDS("recs", struct thing, recs, nrecs, struct rec, rec_cells, 0),
	META_RECORDS("lens", struct thing, lens, nlens, uint32_t, u32_cell, 0),
	META_RECORDS("lens2", struct thing, lens2, nlens, uint32_t, u32_cell, META_SAME_COUNT),
	META_NAME("color", struct thing, color, colors, 0),
	{ .name = "constant", .type = META_T_CONST, .names = constant },
	META_WORDS("ones", struct thing, ones, 8, META_ABSENT_ALL_ONES),
	META_U32("zero", struct thing, zero, META_OMIT_ZERO),
	{ .name = "part", .type = META_T_INLINE, .offset = offsetof(struct thing, part),
	  .node = &part_node, .present = 1 + offsetof(struct thing, have_part) },
	META_NODES("kids", struct thing, kids, nkids, &child_node, 0),
	META_NODES(NULL, struct thing, direct, ndirect, &direct_node, 0),
	{ 0 },
};
static const struct meta_node thing_node = { .name = "thing", .size = sizeof(struct thing), .fields = thing_fields };

/* @write into a new FDT of @size bytes, under the root. */
static void *build(size_t size, void (*write)(struct meta_out *o, const void *arg), const void *arg)
{
	struct meta_out o = { .fdt = malloc(size) };

	if (fdt_create(o.fdt, size) < 0 || fdt_finish_reservemap(o.fdt) < 0)
		return NULL;
	meta_out_begin(&o, "");
	write(&o, arg);
	meta_out_end(&o);
	if (o.err || fdt_finish(o.fdt) < 0) {
		free(o.fdt);
		return NULL;
	}
	return o.fdt;
}

static void write_thing(struct meta_out *o, const void *arg)
{
	meta_write_node(o, &thing_node, arg);
}

static int first_child(const void *fdt)
{
	return fdt_first_subnode(fdt, 0);
}

static void test_every_type(void)
{
	const char *t = "meta-fields-every-type-round-trips";
	struct thing a = { 0 }, b = { 0 };
	unsigned seed = 0;
	const fdt32_t *p;
	void *fdt;
	int node, len;

	walk_fill(thing_fields, &a, &seed);
	a.id = 0x2a;
	a.zero = 0;
	a.wide_u32 = 0x12345678; /* one cell: what fits 32 bits */
	fdt = build(1 << 16, write_thing, &a);
	CHECK(t, fdt, "cannot write the node");
	node = first_child(fdt);
	CHECK(t, strcmp(fdt_get_name(fdt, node, NULL), "thing@2a") == 0, "node named %s",
	      fdt_get_name(fdt, node, NULL));
	struct meta_in in = { .fdt = fdt };

	meta_read_fields(&in, node, thing_fields, &b);
	CHECK(t, in.err == 0, "reading failed");
	if (!walk_same(t, "thing", thing_fields, &a, &b)) {
		failures++;
		return;
	}
	/* the bytes: big-endian cells, u64 high cell first */
	p = fdt_getprop(fdt, node, "gather", &len);
	CHECK(t, p && len == 16 && fdt32_to_cpu(p[0]) == a.gather_a >> 32 &&
		 fdt32_to_cpu(p[1]) == (uint32_t)a.gather_a && fdt32_to_cpu(p[3]) == a.gather_b,
	      "gather cells are not u64 u64 big-endian");
	p = fdt_getprop(fdt, node, "recs", &len);
	CHECK(t, p && (size_t)len == a.nrecs * 12 && fdt32_to_cpu(p[0]) == (uint32_t)a.recs[0].a,
	      "records are not 3 cells each");
	CHECK(t, fdt_getprop(fdt, node, "zero", NULL) == NULL, "a zero OMIT_ZERO field is written");
	p = fdt_getprop(fdt, node, "constant", &len);
	CHECK(t, p && strcmp((const char *)p, "always") == 0, "the constant is not written");
	CHECK(t, fdt_subnode_offset(fdt, node, "kids") >= 0 &&
		 fdt_subnode_offset(fdt, node, "direct@2") < 0, "child nodes misplaced");
	meta_free_node(&thing_node, &a);
	meta_free_node(&thing_node, &b);
	free(fdt);
	printf("PASS: %s\n", t);
}

static void test_absent_and_groups(void)
{
	const char *t = "meta-fields-absent-defaults-and-groups";
	struct thing a = { .id = 1, .big = 7 }, b = { 0 };
	struct meta_in in;
	void *fdt;

	fdt = build(1 << 14, write_thing, &a);
	CHECK(t, fdt, "cannot write the node");
	fdt_delprop(fdt, first_child(fdt), "ones");
	in = (struct meta_in){ .fdt = fdt };
	meta_read_fields(&in, first_child(fdt), thing_fields, &b);
	CHECK(t, in.err == 0, "a node with only its required fields is refused");
	CHECK(t, b.ones[0] == ~0ull && b.ones[1] == ~0ull, "ABSENT_ALL_ONES is not all ones");
	CHECK(t, !b.have_part, "an absent group reads as there");
	meta_free_node(&thing_node, &b);
	free(fdt);
	printf("PASS: %s\n", t);
}

/* ---- hostile nodes ---- */

struct bad_case {
	const char *name;
	void (*edit)(void *fdt, int node);
};

static void drop_big(void *fdt, int node)
{
	fdt_delprop(fdt, node, "big");
}

static void short_big(void *fdt, int node)
{
	fdt_setprop_u32(fdt, node, "big", 1);
}

static void odd_recs(void *fdt, int node)
{
	fdt_setprop(fdt, node, "recs", "12345", 5);
}

static void unterminated_str(void *fdt, int node)
{
	fdt_setprop(fdt, node, "str", "abc", 3);
}

static void unknown_color(void *fdt, int node)
{
	fdt_setprop_string(fdt, node, "color", "purple");
}

static void half_group(void *fdt, int node)
{
	fdt_setprop_u32(fdt, node, "part-y", 3); /* part-x is required with it */
}

static void lens2_count(void *fdt, int node)
{
	fdt_setprop_u32(fdt, node, "lens2", 3); /* one, lens has none */
}

static void test_hostile(void)
{
	static const struct bad_case cases[] = {
		{ "missing", drop_big },
		{ "wrong-size", short_big },
		{ "records", odd_recs },
		{ "string", unterminated_str },
		{ "name", unknown_color },
		{ "group", half_group },
		{ "same-count", lens2_count },
	};
	const char *t = "meta-fields-refuse-bad-nodes";
	struct thing a = { .id = 1, .big = 7 };
	void *fdt = build(1 << 14, write_thing, &a);

	CHECK(t, fdt, "cannot write the node");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *copy = malloc(1 << 15);
		struct thing b = { 0 };
		struct meta_in in = { .fdt = copy };

		fdt_open_into(fdt, copy, 1 << 15);
		cases[i].edit(copy, first_child(copy));
		meta_read_fields(&in, first_child(copy), thing_fields, &b);
		meta_free_node(&thing_node, &b);
		free(copy);
		CHECK(t, in.err < 0, "%s: not refused", cases[i].name);
	}
	free(fdt);
	printf("PASS: %s\n", t);
}

/* ---- every kind's own fields ---- */

struct kind_part {
	const struct meta_field *fields;
	const char *base;
	size_t size;
};

static void write_part(struct meta_out *o, const void *arg)
{
	const struct { const struct kind_part *p; const void *obj; } *x = arg;

	meta_out_begin(o, x->p->base);
	meta_write_fields(o, x->p->fields, x->obj);
	meta_out_end(o);
}

/*
 * What walk_fill() cannot know: the values a node's check wants to agree
 * (a known socket family, queued datagrams that add up to the queue, no
 * more unsent bytes than queued ones). @variant picks among them.
 */
static void make_valid(const struct kind *k, const char *part, void *obj, unsigned variant)
{
	static const int families[] = { AF_UNIX, AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	struct socket_image *si = obj;

	if (strcmp(k->name, "sockets") != 0 || strcmp(part, "image") != 0)
		return;
	for (size_t i = 0; i < si->n; i++) {
		struct socket_record *s = &si->sockets[i];

		s->family = families[(variant + i) % 3];
		s->type = types[(variant + i) % 3];
		s->tcp.send_unsent = s->tcp.send_len;
		if (s->type == SOCK_STREAM) {
			free(s->dgram_lens);
			free(s->dgram_source_lens);
			s->dgram_lens = s->dgram_source_lens = NULL;
			s->ndgrams = 0;
			continue;
		}
		/* one byte and one source byte per datagram */
		s->recv_queue = realloc(s->recv_queue, s->ndgrams);
		s->dgram_sources = realloc(s->dgram_sources, s->ndgrams);
		s->recv_len = s->dgram_sources_len = s->ndgrams;
		for (size_t d = 0; d < s->ndgrams; d++)
			s->dgram_lens[d] = s->dgram_source_lens[d] = 1;
	}
}

static void round_trip_part(const char *t, const struct kind *k, const struct kind_part *p,
			    unsigned variant)
{
	unsigned seed = variant * 1000;
	void *a = calloc(1, p->size ? p->size : 1), *b = calloc(1, p->size ? p->size : 1), *fdt;
	struct { const struct kind_part *p; const void *obj; } arg = { p, a };
	struct meta_in in;
	char where[96];

	walk_fill(p->fields, a, &seed);
	make_valid(k, p->base, a, variant);
	fdt = build(1 << 16, write_part, &arg);
	snprintf(where, sizeof(where), "%s %s (variant %u)", k->name, p->base, variant);
	CHECK(t, fdt, "%s: cannot write", where);
	in = (struct meta_in){ .fdt = fdt };
	meta_read_fields(&in, first_child(fdt), p->fields, b);
	CHECK(t, in.err == 0, "%s: reading failed", where);
	if (!walk_same(t, where, p->fields, a, b))
		failures++;
	meta_free_fields(p->fields, a);
	meta_free_fields(p->fields, b);
	free(a);
	free(b);
	free(fdt);
}

static void test_kinds(void)
{
	const char *t = "kinds-fields-round-trip";
	int before = failures;

	for (size_t i = 0; i < kind_count; i++) {
		const struct kind *k = kind_registry[i];
		const struct kind_part parts[] = {
			{ k->file_fields, "file", k->file_size },
			{ k->process_fields, "process", k->process_size },
			{ k->image_fields, "image", k->image_size },
		};

		for (size_t p = 0; p < 3; p++)
			for (unsigned v = 0; parts[p].fields && v < 4; v++)
				round_trip_part(t, k, &parts[p], v);
	}
	if (failures == before)
		printf("PASS: %s (%zu kinds)\n", t, kind_count);
}

int main(void)
{
	test_every_type();
	test_absent_and_groups();
	test_hostile();
	test_kinds();
	return failures ? 1 : 0;
}
