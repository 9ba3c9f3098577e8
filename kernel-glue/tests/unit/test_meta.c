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
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../../common/meta.h"
#include "../../common/meta_fields.h"
#include "../../common/state.h"
#include "../../kinds/kind.h"
#include "../../kinds/mount_ns.h"
#include "../../kinds/seccomp.h"
#include "../../kinds/socket.h"
#include "../../kinds/sysv_ipc.h"
#include "../../kinds/sysv_shm.h"
#include "../../kinds/zombie.h"
#include "ferry/schema.h"
#include "meta_walk.h"

static int failures;

#define CHECK(test, cond, ...)                                                                 \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			printf("FAIL: %s: ", test);                                            \
			printf(__VA_ARGS__);                                                   \
			printf("\n");                                                          \
			failures++;                                                            \
			return;                                                                \
		}                                                                              \
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
static const struct meta_node child_node = {
	.name = "kid", .size = sizeof(struct child), .fields = child_fields,
};
static const struct meta_node direct_node = {
	.name = "direct", .size = sizeof(struct child), .fields = child_fields,
};

static const struct meta_field part_fields[] = {
	META_U32("part-x", struct part, x, META_REQUIRED),
	META_U32("part-y", struct part, y, 0),
	{ 0 },
};
static const struct meta_node part_node = {
	.name = "part", .size = sizeof(struct part), .fields = part_fields,
};

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
static const struct meta_node thing_node = {
	.name = "thing", .size = sizeof(struct thing), .fields = thing_fields,
};

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
/* descriptors in flight: of a Unix socket with a queue, one message at its
 * head carrying them all */
static void valid_rights(struct socket_record *s)
{
	size_t queued = s->type == SOCK_STREAM ? s->recv_len : s->ndgrams;

	free(s->rights);
	s->rights = NULL;
	s->nrights = 0;
	if (s->family != AF_UNIX || !queued) {
		free(s->rights_files);
		s->rights_files = NULL;
		s->nrights_files = 0;
		return;
	}
	if (s->nrights_files > SOCKET_RIGHTS_MAX_FDS)
		s->nrights_files = SOCKET_RIGHTS_MAX_FDS;
	if (!s->nrights_files)
		return;
	s->rights = calloc(1, sizeof(*s->rights));
	s->nrights = 1;
	s->rights->nfds = s->nrights_files;
	s->rights->len = s->type == SOCK_STREAM ? s->recv_len : 0;
}

/* @s of family @family, type @type and protocol @protocol, its queues
 * agreeing with its lengths */
static void valid_socket(struct socket_record *s, int family, int type, int protocol)
{
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->tcp.send_unsent = s->tcp.send_len;
	s->tcp.state = TCP_CLOSE_WAIT; /* half-closed: the peer's FIN counted */
	/* connecting: a TCP socket without a connection's state yet */
	if (s->state == SOCKET_CONNECTING && (family == AF_UNIX || type != SOCK_STREAM))
		s->state = SOCKET_CONNECTED;
	if (s->state == SOCKET_CONNECTING)
		s->have_tcp = false;
	s->tcp.fin = TCP_FIN_RECEIVED;
	/* a stream to journald needs its connector to hold it (hostile.sh
	 * checks the image's refusal; kinds-fields-round-trip the node) */
	free(s->journal.identifier);
	free(s->journal.unit);
	memset(&s->journal, 0, sizeof(s->journal));
	s->have_journal = false;
	/* connections not accepted yet: of a Unix listener, none its own */
	if (family != AF_UNIX || s->state != SOCKET_LISTENING) {
		free(s->pending);
		s->pending = NULL;
		s->npending = 0;
	}
	for (size_t k = 0; k < s->npending; k++)
		s->pending[k] = s->id + 1 + k;
	if (s->type == SOCK_STREAM) {
		free(s->dgram_lens);
		free(s->dgram_source_lens);
		s->dgram_lens = s->dgram_source_lens = NULL;
		s->ndgrams = 0;
		valid_rights(s);
		return;
	}
	/* one byte and one source byte per datagram */
	s->recv_queue = realloc(s->recv_queue, s->ndgrams + 1);
	s->dgram_sources = realloc(s->dgram_sources, s->ndgrams + 1);
	s->recv_len = s->dgram_sources_len = s->ndgrams;
	for (size_t d = 0; d < s->ndgrams; d++)
		s->dgram_lens[d] = s->dgram_source_lens[d] = 1;
	valid_rights(s);
}

static void make_valid(const struct kind *k, const char *part, void *obj, unsigned variant)
{
	static const int families[] = { AF_UNIX, AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	struct socket_image *si = obj;

	/* the user namespace: maps of "IN OUT COUNT" lines, setgroups a word */
	if (strcmp(k->name, "user-namespace") == 0 && strcmp(part, "image") == 0) {
		struct userns { char *uid_map, *gid_map, *setgroups; uint32_t owner; };
		struct { struct userns *ns; size_t n; } *ui = obj;

		for (size_t i = 0; i < ui->n; i++) {
			free(ui->ns[i].uid_map);
			free(ui->ns[i].gid_map);
			free(ui->ns[i].setgroups);
			ui->ns[i].uid_map = strdup("0 0 1\n4100 4100 1\n");
			ui->ns[i].gid_map = strdup(variant & 1 ? "0 100000 65536\n" : "0 0 1\n");
			ui->ns[i].setgroups = strdup(variant & 2 ? "deny" : "allow");
		}
		return;
	}
	if (strcmp(k->name, "sockets") != 0 || strcmp(part, "image") != 0)
		return;
	for (size_t i = 0; i < si->n; i++)
		valid_socket(&si->sockets[i], families[(variant + i) % 3], types[(variant + i) % 3],
			     0);
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

		for (size_t p = 0; p < 3; p++) {
			if (parts[p].fields &&
			    !walk_disjoint(t, k->name, parts[p].fields, parts[p].size))
				failures++;
			for (unsigned v = 0; parts[p].fields && v < 4; v++)
				round_trip_part(t, k, &parts[p], v);
		}
	}
	if (failures == before)
		printf("PASS: %s (%zu kinds)\n", t, kind_count);
}

/* ---- a whole image: every node type, every kind ---- */

/* Every kind's data in an image of filled processes, address spaces and
 * one file record per kind of open file. */
static void fill_image(struct st_image *img, unsigned *seed)
{
	const struct meta_field *sock_fields = NULL;
	size_t nfile_kinds = 0;

	walk_fill(meta_image_node.fields, img, seed);
	for (size_t i = 0; i < img->nprocs; i++)
		img->procs[i].mm_id = img->mms[i % img->nmms].id;
	for (size_t i = 0; i < img->nfiles; i++)
		meta_free_node(meta_file_node, &img->files[i]);
	free(img->files);
	img->files = NULL;
	img->nfiles = 0;
	for (size_t i = 0; i < kind_count; i++)
		nfile_kinds += kind_registry[i]->open != NULL;
	img->files = calloc(nfile_kinds, sizeof(*img->files));
	for (size_t i = 0; i < kind_count; i++) {
		const struct kind *k = kind_registry[i];
		struct st_file *f;

		if (k->image_fields) {
			void *data = kind_image_data(img, k);

			walk_fill(k->image_fields, data, seed);
			if (k->image_fields[0].node && strcmp(k->name, "sockets") == 0)
				sock_fields = k->image_fields[0].node->fields;
		}
		for (size_t p = 0; k->process_fields && p < img->nprocs; p++)
			walk_fill(k->process_fields, kind_process_data(&img->procs[p], k), seed);
		if (!k->open)
			continue;
		f = &img->files[img->nfiles++];
		f->id = img->nfiles;
		f->kind = k;
		f->kind_data = calloc(1, k->file_size ? k->file_size : 1);
		walk_fill(meta_file_node->fields, f, seed);
		if (k->file_fields)
			walk_fill(k->file_fields, f->kind_data, seed);
	}
	/* seccomp: filters in order, each on the one before, a program of
	 * whole instructions; one thread of each process on the last one */
	for (size_t i = 0; i < kind_count; i++) {
		struct seccomp_image *si;

		if (strcmp(kind_registry[i]->name, "seccomp") != 0 ||
		    !(si = kind_image_data_if(img, kind_registry[i])))
			continue;
		for (size_t k = 0; k < si->n; k++) {
			si->filters[k].id = k + 1;
			si->filters[k].parent = k;
			/* one instruction: walk_fill's 1 to 3 bytes, made 8 */
			si->filters[k].program = realloc(si->filters[k].program, 8);
			memset(si->filters[k].program + si->filters[k].len, 0x5a,
			       8 - si->filters[k].len);
			si->filters[k].len = 8;
		}
		for (size_t p = 0; p < img->nprocs; p++) {
			struct seccomp_process *sp = kind_process_data_if(&img->procs[p],
									 kind_registry[i]);

			if (!sp || !sp->n)
				continue;
			sp->n = si->n ? 1 : 0;
			sp->threads[0].tid = img->procs[p].threads[0].tid;
			sp->threads[0].mode = 2;
			sp->threads[0].filter = si->n;
		}
	}
	/* zombies: pids of no thread, once each, a status and exit signal
	 * waitpid() can report */
	for (size_t i = 0; i < kind_count; i++) {
		if (strcmp(kind_registry[i]->name, "zombie") != 0)
			continue;
		for (size_t p = 0; p < img->nprocs; p++) {
			struct zombies_process *zs = kind_process_data_if(&img->procs[p],
									  kind_registry[i]);

			for (size_t k = 0; zs && k < zs->n; k++) {
				zs->v[k].pid = 4000000 + p * 1000 + k;
				zs->v[k].status = k % 2 ? 15 : 42 << 8;
				zs->v[k].exit_signal = 17;
				zs->v[k].uid %= 65536;
			}
		}
	}
	/* cgroups: lines CONTROLLERS:PATH, each hierarchy once, paths absolute */
	for (size_t i = 0; i < kind_count; i++) {
		const struct meta_field *f = kind_registry[i]->process_fields;

		if (strcmp(kind_registry[i]->name, "cgroup") != 0)
			continue;
		for (size_t p = 0; p < img->nprocs; p++) {
			char **paths = (char **)((char *)kind_process_data(&img->procs[p],
									    kind_registry[i]) +
						 f->offset);

			free(*paths);
			*paths = strdup(p % 2 ? "" : "cpu,cpuacct:/a\nname=systemd:/s\n:/x.slice/y\n");
		}
	}
	/* the mount namespace: one at most, its root first, a tmpfs with a file */
	for (size_t i = 0; i < kind_count; i++) {
		static const char files[] = "m /run/x\nf 644 0 0 1 2 3 a\nabc";
		struct mnt_image *mi;

		if (strcmp(kind_registry[i]->name, "mount-ns") != 0 ||
		    !(mi = kind_image_data_if(img, kind_registry[i])))
			continue;
		while (mi->n > 1) {
			mi->n--;
			free(mi->ns[mi->n].mounts);
			free(mi->ns[mi->n].files);
		}
		if (!mi->n)
			continue;
		mi->ns[0].id = 1;
		free(mi->ns[0].mounts);
		mi->ns[0].mounts = strdup("host / / ext4 /dev/vda rw,relatime rw private -\n"
					  "tmpfs /run/x / tmpfs tmpfs rw,nosuid rw,size=4k private -\n");
		free(mi->ns[0].files);
		mi->ns[0].files = malloc(sizeof(files) - 1);
		memcpy(mi->ns[0].files, files, sizeof(files) - 1);
		mi->ns[0].files_len = sizeof(files) - 1;
	}
	/* System V shared memory: segment k attached whole by area k of the
	 * first address space (one page), no other area of kind sysv */
	for (size_t i = 0; i < kind_count; i++) {
		struct sysv_shm_image *si;
		struct st_mm *mm = img->nmms ? &img->mms[0] : NULL;

		if (strcmp(kind_registry[i]->name, "sysv-shm") != 0 ||
		    !(si = kind_image_data_if(img, kind_registry[i])))
			continue;
		for (size_t m = 0; m < img->nmms; m++)
			for (size_t a = 0; a < img->mms[m].nareas; a++)
				if (img->mms[m].areas[a].kind == ST_AREA_SYSV)
					img->mms[m].areas[a].kind = ST_AREA_ANON;
		while (si->n > (mm ? mm->nareas : 0))
			free(si->segs[--si->n].data);
		for (size_t k = 0; k < si->n; k++) {
			struct st_area *a = &mm->areas[k];

			a->kind = ST_AREA_SYSV;
			a->pgoff = 0;
			a->start = (a->start > (1ull << 46) ? a->start >> 4 : a->start) & ~0xfffull;
			a->end = a->start + 4096;
			a->shmid = si->segs[k].id = 10 + k;
			si->segs[k].size = 4000 + k;
		}
	}
	/* System V sets and queues: ids once, values, modes and pids in their
	 * bounds, each message typed, their sizes adding up to the data */
	for (size_t i = 0; i < kind_count; i++) {
		struct sysv_ipc_image *si;

		if (strcmp(kind_registry[i]->name, "sysv-ipc") != 0 ||
		    !(si = kind_image_data_if(img, kind_registry[i])))
			continue;
		for (size_t k = 0; k < si->nsets; k++) {
			struct sem_set *s = &si->sets[k];

			s->id = 20 + k;
			s->mode &= 0777;
			if (!s->nsems) {
				s->sems = calloc(1, sizeof(*s->sems));
				s->nsems = 1;
			}
			for (size_t v = 0; v < s->nsems; v++) {
				s->sems[v].value %= SYSV_SEMVAL_MAX + 1;
				s->sems[v].pid %= SYSV_PID_MAX;
			}
		}
		for (size_t k = 0; k < si->nqueues; k++) {
			struct msg_queue *q = &si->queues[k];
			size_t left = q->len;

			q->id = 30 + k;
			q->mode &= 0777;
			q->qbytes &= 0x7fffffff;
			q->lspid %= SYSV_PID_MAX;
			q->lrpid %= SYSV_PID_MAX;
			for (size_t m = 0; m < q->nmsgs; m++) {
				q->msgs[m].type = (q->msgs[m].type & 0x7fffffffffffffffull) | 1;
				q->msgs[m].size = m + 1 == q->nmsgs ? (uint32_t)left : 0;
				left -= q->msgs[m].size;
			}
			if (!q->nmsgs) {
				free(q->data);
				q->data = NULL;
				q->len = 0;
			}
		}
	}
	/* the UTS namespace: at most one (its node has no unit address) */
	for (size_t i = 0; i < kind_count; i++) {
		struct { void *ns; size_t n; } *ui;

		if (strcmp(kind_registry[i]->name, "uts-namespace") != 0 ||
		    !(ui = kind_image_data_if(img, kind_registry[i])))
			continue;
		while (ui->n > 1)
			meta_free_node(kind_registry[i]->image_fields[0].node,
				       (char *)ui->ns + --ui->n * kind_registry[i]->image_fields[0].node->size);
	}
	/* the IPC namespace: at most one, its sysctls NAME=VALUE lines */
	for (size_t i = 0; i < kind_count; i++) {
		struct { char **ns; size_t n; } *ii;

		if (strcmp(kind_registry[i]->name, "ipc-namespace") != 0 ||
		    !(ii = kind_image_data_if(img, kind_registry[i])))
			continue;
		while (ii->n > 1)
			meta_free_node(kind_registry[i]->image_fields[0].node,
				       (char *)ii->ns + --ii->n * kind_registry[i]->image_fields[0].node->size);
		if (ii->n) {
			free(ii->ns[0]);
			ii->ns[0] = strdup("shmmni=4096\nmsgmnb=12345\nsem=32000\t1024000000\t500\t32000\n");
		}
	}
	/* the network namespace: at most one, lo's MTU in range, its addresses
	 * "ADDRESS/PREFIX SCOPE FLAGS BROADCAST" and sysctls NAME=VALUE lines */
	for (size_t i = 0; i < kind_count; i++) {
		struct netns { bool lo_up; uint32_t lo_mtu; char *addresses, *sysctls, *veth,
			       *veth_addresses, *routes; };
		struct { struct netns *ns; size_t n; } *ni;

		if (strcmp(kind_registry[i]->name, "network-namespace") != 0 ||
		    !(ni = kind_image_data_if(img, kind_registry[i])))
			continue;
		while (ni->n > 1)
			meta_free_node(kind_registry[i]->image_fields[0].node,
				       (char *)ni->ns + --ni->n * kind_registry[i]->image_fields[0].node->size);
		if (ni->n) {
			ni->ns[0].lo_mtu = 65536;
			free(ni->ns[0].addresses);
			ni->ns[0].addresses = strdup("127.0.0.1/8 254 0 -\n10.77.0.1/24 0 0x200 "
						     "10.77.0.255\n::1/128 254 0 -\nfd00:77::1/64 0 0x2 -\n");
			free(ni->ns[0].sysctls);
			ni->ns[0].sysctls = strdup("ipv4/ip_local_port_range=40000\t40100\n"
						   "core/somaxconn=4096\n");
			free(ni->ns[0].veth);
			free(ni->ns[0].veth_addresses);
			free(ni->ns[0].routes);
			ni->ns[0].veth = strdup("eth0 1400 1 02:00:0a:cb:00:02 fveth0 1500 0 "
						"02:00:0a:cb:00:01\n");
			ni->ns[0].veth_addresses = strdup("eth0 10.203.0.2/24 0 0 10.203.0.255\n"
							  "fveth0 fd00:203::1/64 0 0 -\n");
			ni->ns[0].routes = strdup("0.0.0.0/0 10.203.0.1 eth0 0 3 0\n"
						  "fd00:1::/64 - eth0 1024 3 253\n");
		}
	}
	/* the user namespace: at most one, its maps "IN OUT COUNT" lines,
	 * setgroups "allow" or "deny" */
	for (size_t i = 0; i < kind_count; i++) {
		struct userns { char *uid_map, *gid_map, *setgroups; uint32_t owner; };
		struct { struct userns *ns; size_t n; } *ui;

		if (strcmp(kind_registry[i]->name, "user-namespace") != 0 ||
		    !(ui = kind_image_data_if(img, kind_registry[i])))
			continue;
		while (ui->n > 1)
			meta_free_node(kind_registry[i]->image_fields[0].node, &ui->ns[--ui->n]);
		if (ui->n) {
			free(ui->ns[0].uid_map);
			free(ui->ns[0].gid_map);
			free(ui->ns[0].setgroups);
			ui->ns[0].uid_map = strdup("0 0 1\n4100 4100 1\n");
			ui->ns[0].gid_map = strdup("0 100000 65536\n");
			ui->ns[0].setgroups = strdup(*seed & 1 ? "deny" : "allow");
		}
	}
	/* the systemd units: each a unit name, an absolute cgroup, a process
	 * of the image as its main PID */
	for (size_t i = 0; i < kind_count; i++) {
		struct unit { uint32_t id; char *name, *cgroup; uint32_t main_pid; };
		struct { struct unit *units; size_t n; } *ui;

		if (strcmp(kind_registry[i]->name, "systemd-unit") != 0 ||
		    !(ui = kind_image_data_if(img, kind_registry[i])))
			continue;
		for (size_t u = 0; u < ui->n; u++) {
			char name[64];

			snprintf(name, sizeof(name), "unit-%zu@x.service", u);
			free(ui->units[u].name);
			free(ui->units[u].cgroup);
			ui->units[u].name = strdup(name);
			ui->units[u].cgroup = strdup("/system.slice/unit.service");
			ui->units[u].main_pid = (uint32_t)img->procs[u % img->nprocs].pid;
		}
	}
	/* the socket families: one record of each, named by its file */
	for (size_t i = 0; sock_fields && i < img->nfiles; i++) {
		const struct kind *k = img->files[i].kind;
		struct socket_image *si = NULL;
		struct socket_record *s;

		if (k->file_fields != socket_file_fields)
			continue;
		for (size_t r = 0; r < kind_count; r++)
			if (strcmp(kind_registry[r]->name, "sockets") == 0)
				si = kind_image_data(img, kind_registry[r]);
		si->sockets = realloc(si->sockets, (si->n + 1) * sizeof(*si->sockets));
		s = &si->sockets[si->n++];
		memset(s, 0, sizeof(*s));
		walk_fill(sock_fields, s, seed);
		s->id = 1000 + si->n;
		((struct socket_file *)img->files[i].kind_data)->socket_id = s->id;
		if (k->owns_record) {
			/* whichever family this kind is, a record it owns */
			static const int kinds[][3] = { { AF_UNIX, SOCK_STREAM, 0 },
							{ AF_INET, SOCK_STREAM, IPPROTO_TCP },
							{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP } };

			for (size_t v = 0; v < 3; v++) {
				valid_socket(s, kinds[v][0], kinds[v][1], kinds[v][2]);
				if (k->owns_record(img, &img->files[i]))
					break;
			}
		}
	}
	for (size_t i = 0; i < kind_count; i++) {
		void *data = kind_image_data_if(img, kind_registry[i]);

		if (data && strcmp(kind_registry[i]->name, "sockets") == 0) {
			struct socket_image *si = data;

			/* the records walk_fill made: valid, and of no file */
			for (size_t r = 0; r < 2 && r < si->n; r++)
				valid_socket(&si->sockets[r], AF_UNIX, SOCK_DGRAM, 0);
		}
	}
	/* descriptors in flight: a file of the image that may be in flight */
	for (size_t i = 0; i < kind_count; i++) {
		struct socket_image *si = kind_image_data_if(img, kind_registry[i]);
		struct st_file *in_flight = NULL;

		if (!si || strcmp(kind_registry[i]->name, "sockets") != 0)
			continue;
		for (size_t f = 0; f < img->nfiles && !in_flight; f++)
			if (strcmp(img->files[f].kind->name, "eventfd") == 0 ||
			    strcmp(img->files[f].kind->name, "regular") == 0)
				in_flight = &img->files[f];
		if (in_flight)
			in_flight->flags &= ~O_ASYNC;
		for (size_t r = 0; r < si->n; r++) {
			struct socket_record *s = &si->sockets[r];

			if (!in_flight) {
				s->nrights = s->nrights_files = 0;
				continue;
			}
			for (size_t k = 0; k < s->nrights_files; k++)
				s->rights_files[k] = in_flight->id;
		}
	}
}

static bool same_kinds(const char *t, const char *where, const struct st_kind_data *a,
		       const struct st_kind_data *b, bool image)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct kind *k = a->v[i].kind;
		const struct meta_field *fields = image ? k->image_fields : k->process_fields;
		void *other = st_kind_data((struct st_kind_data *)b, k, 0);
		char sub[128];

		snprintf(sub, sizeof(sub), "%s: kind %s", where, k->name);
		if (!other) {
			printf("FAIL: %s: %s: not read back\n", t, sub);
			return false;
		}
		if (fields && !walk_same(t, sub, fields, a->v[i].data, other))
			return false;
	}
	return true;
}

static bool same_image(const char *t, const struct st_image *a, const struct st_image *b)
{
	if (!walk_same(t, "image", meta_image_node.fields, a, b) ||
	    !same_kinds(t, "image", &a->kinds, &b->kinds, true))
		return false;
	for (size_t i = 0; i < a->nprocs; i++)
		if (!same_kinds(t, "process", &a->procs[i].kinds, &b->procs[i].kinds, false))
			return false;
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct st_file *x = &a->files[i], *y = &b->files[i];
		char where[64];

		snprintf(where, sizeof(where), "file %u (%s)", x->id, x->kind->name);
		if (x->kind != y->kind) {
			printf("FAIL: %s: %s: read back as another kind\n", t, where);
			return false;
		}
		if (x->kind->file_fields &&
		    !walk_same(t, where, x->kind->file_fields, x->kind_data, y->kind_data))
			return false;
	}
	return true;
}

static void test_image(void)
{
	const char *t = "image-every-node-round-trips";

	if (!walk_disjoint(t, "image", meta_image_node.fields, sizeof(struct st_image))) {
		failures++;
		return;
	}
	for (unsigned v = 0; v < 4; v++) {
		struct st_image a = { 0 }, b = { 0 };
		unsigned seed = 100000 * (v + 1);
		void *fdt = NULL, *again = NULL;
		size_t size = 0, size2 = 0;

		fill_image(&a, &seed);
		CHECK(t, meta_write(&a, &fdt, &size) == 0, "variant %u: cannot write", v);
		CHECK(t, meta_read(fdt, &b) == 0, "variant %u: cannot read it back", v);
		if (!same_image(t, &a, &b)) {
			failures++;
			return;
		}
		CHECK(t, meta_write(&b, &again, &size2) == 0 && size2 == size &&
			 memcmp(fdt, again, size) == 0,
		      "variant %u: what was read does not write the same bytes", v);
		st_image_free(&a);
		st_image_free(&b);
		free(fdt);
		free(again);
	}
	printf("PASS: %s\n", t);
}

/* A seccomp filter whose parent is not before it, a program not of whole
 * instructions, a thread on a filter that is not there: refused. */
static void test_seccomp_refused(void)
{
	const char *t = "seccomp-bad-chains-refused";
	static const char *const what[] = { "a parent after its filter", "7 bytes of program",
					    "a thread on no filter" };

	for (unsigned v = 0; v < 3; v++) {
		struct st_image a = { 0 }, b = { 0 };
		unsigned seed = 7000 * (v + 1);
		struct seccomp_image *si = NULL;
		struct seccomp_process *sp = NULL;
		void *fdt = NULL;
		size_t size = 0;

		fill_image(&a, &seed);
		for (size_t i = 0; i < kind_count; i++)
			if (strcmp(kind_registry[i]->name, "seccomp") == 0) {
				si = kind_image_data_if(&a, kind_registry[i]);
				sp = kind_process_data_if(&a.procs[0], kind_registry[i]);
			}
		CHECK(t, si && si->n >= 2 && sp && sp->n, "no seccomp records to spoil");
		if (v == 0)
			si->filters[0].parent = 2;
		else if (v == 1)
			si->filters[1].len = 7;
		else
			sp->threads[0].filter = si->n + 1;
		CHECK(t, meta_write(&a, &fdt, &size) == 0, "%s: cannot write", what[v]);
		CHECK(t, meta_read(fdt, &b) < 0, "%s: not refused", what[v]);
		st_image_free(&a);
		st_image_free(&b);
		free(fdt);
	}
	printf("PASS: %s\n", t);
}

/* System V sets and queues beyond the bounds of sysv_ipc.h, or not what a
 * kernel shows: refused by the reader. */
static void test_sysv_ipc_refused(void)
{
	const char *t = "sysv-ipc-beyond-bounds-refused";
	static const char *const what[] = {
		"a semaphore at 32768", "32001 semaphores", "a set's id twice",
		"a message of type 0", "message sizes beyond the data", "65537 messages",
		"a queue of more than 16 MiB", "mode bits beyond 0777",
	};

	for (unsigned v = 0; v < sizeof(what) / sizeof(what[0]); v++) {
		struct st_image a = { 0 }, b = { 0 };
		unsigned seed = 9100 * (v + 1);
		struct sysv_ipc_image *si = NULL;
		struct msg_queue *q;
		struct sem_set *s;
		void *fdt = NULL;
		size_t size = 0;

		fill_image(&a, &seed);
		for (size_t i = 0; i < kind_count; i++)
			if (strcmp(kind_registry[i]->name, "sysv-ipc") == 0)
				si = kind_image_data_if(&a, kind_registry[i]);
		CHECK(t, si && si->nsets >= 2 && si->nqueues && si->queues[0].nmsgs,
		      "no sets and queue to spoil");
		s = &si->sets[0];
		q = &si->queues[0];
		if (v == 0) {
			s->sems[0].value = SYSV_SEMVAL_MAX + 1;
		} else if (v == 1) {
			free(s->sems);
			s->sems = calloc(SYSV_SEMS_MAX + 1, sizeof(*s->sems));
			s->nsems = SYSV_SEMS_MAX + 1;
		} else if (v == 2) {
			si->sets[1].id = s->id;
		} else if (v == 3) {
			q->msgs[0].type = 0;
		} else if (v == 4) {
			q->msgs[0].size += 1;
		} else if (v == 5) {
			free(q->msgs);
			q->msgs = calloc(SYSV_MSGS_MAX + 1, sizeof(*q->msgs));
			q->nmsgs = SYSV_MSGS_MAX + 1;
			free(q->data);
			q->data = NULL;
			q->len = 0;
			for (size_t m = 0; m < q->nmsgs; m++)
				q->msgs[m].type = 1;
		} else if (v == 6) {
			free(q->data);
			q->len = SYSV_MSG_BYTES_MAX + 1;
			q->data = calloc(1, q->len);
			q->msgs[0].size = (uint32_t)q->len;
			for (size_t m = 1; m < q->nmsgs; m++)
				q->msgs[m].size = 0;
		} else {
			q->mode = 01777;
		}
		CHECK(t, meta_write(&a, &fdt, &size) == 0, "%s: cannot write", what[v]);
		CHECK(t, meta_read(fdt, &b) < 0, "%s: not refused", what[v]);
		st_image_free(&a);
		st_image_free(&b);
		free(fdt);
	}
	printf("PASS: %s\n", t);
}

/* Each TCP state of a connection with the FINs it counts, and no other:
 * what a reader takes (tcp-state, tcp-fin). */
static void test_tcp_states(void)
{
	const char *t = "tcp-states-and-their-fins";
	static const struct {
		uint32_t state, fin;
		size_t send_len;
		bool valid;
	} cases[] = {
		{ 0, 0, 1, true },
		{ 0, TCP_FIN_SENT, 0, false },
		{ TCP_CLOSE_WAIT, TCP_FIN_RECEIVED, 1, true },
		{ TCP_CLOSE_WAIT, TCP_FIN_RECEIVED | TCP_FIN_SENT, 0, false },
		{ TCP_FIN_WAIT2, TCP_FIN_SENT | TCP_FIN_ACKED, 0, true },
		{ TCP_FIN_WAIT2, TCP_FIN_SENT | TCP_FIN_ACKED, 1, false },
		{ TCP_FIN_WAIT2, TCP_FIN_SENT, 0, false },
		{ TCP_FIN_WAIT1, TCP_FIN_SENT, 0, true },
		{ TCP_FIN_WAIT1, TCP_FIN_SENT, 5, true },
		{ TCP_FIN_WAIT1, TCP_FIN_SENT | TCP_FIN_ACKED, 0, false },
		{ TCP_FIN_WAIT1, TCP_FIN_SENT | TCP_FIN_RECEIVED, 0, false },
		{ TCP_LAST_ACK, TCP_FIN_SENT | TCP_FIN_RECEIVED, 3, true },
		{ TCP_LAST_ACK, TCP_FIN_RECEIVED, 0, false },
		{ TCP_CLOSING, TCP_FIN_SENT | TCP_FIN_RECEIVED, 0, true },
		{ TCP_CLOSING, TCP_FIN_SENT | TCP_FIN_RECEIVED | TCP_FIN_ACKED, 0, false },
		{ TCP_TIME_WAIT, TCP_FIN_SENT | TCP_FIN_RECEIVED | TCP_FIN_ACKED, 0, false },
		{ TCP_SYN_SENT, 0, 0, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct socket_tcp tcp = { .state = cases[i].state, .fin = cases[i].fin,
					  .send_len = cases[i].send_len };

		CHECK(t, (tcp_state_invalid(&tcp) == NULL) == cases[i].valid,
		      "state %u with FINs %#x and %zu bytes to send: %s", cases[i].state,
		      cases[i].fin, cases[i].send_len,
		      cases[i].valid ? tcp_state_invalid(&tcp) : "taken");
	}
	printf("PASS: %s\n", t);
}

int main(void)
{
	test_every_type();
	test_absent_and_groups();
	test_hostile();
	test_kinds();
	test_image();
	test_seccomp_refused();
	test_sysv_ipc_refused();
	test_tcp_states();
	return failures ? 1 : 0;
}
