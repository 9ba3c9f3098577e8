/* SPDX-License-Identifier: MIT */
/* What ferry inspect reads from an image: the metadata through the field
 * tables of the image (libfdt's read-only API underneath, once the format
 * core has checked the blob), the page totals from the chunk descriptors. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../../kernel-glue/common/meta.h"
#include "../../kernel-glue/kinds/kind.h"
#include "../../kernel-glue/kinds/lockinfo.h"
#include "../../kernel-glue/kinds/pipe.h"
#include "ferry/schema.h"

#include "inspect.h"
#include "../../kernel-glue/common/log.h"

static void check_metadata(struct inspect *ins)
{
	struct ferry_diag diag = { .what = "unknown problem" };
	size_t size;

	/* every later libfdt call relies on the checks of SPEC.md §3.0 */
	if (ferry_image_check_metadata(&ins->img, &diag) < 0 ||
	    ferry_image_metadata(&ins->img, &ins->fdt, &size) < 0) {
		ins->fdt = NULL;
		snprintf(ins->metadata_error, sizeof(ins->metadata_error),
			 "metadata at offset 0x%" PRIx64 ": %s (%s)", diag.offset, diag.what,
			 ferry_strerror(-FERRY_ERR_METADATA));
	}
}

static int add_chunk_pages(struct inspect *ins, const struct ferry_chunk *c)
{
	struct inspect_mm_pages *last, *grown;

	/* chunks of one address space usually follow each other: merge into
	 * the last entry, sort and merge the rest after the walk */
	last = ins->mm_pages_count ? &ins->mm_pages[ins->mm_pages_count - 1] : NULL;
	if (!last || last->mm_id != c->mm_id) {
		grown = reallocarray(ins->mm_pages, ins->mm_pages_count + 1, sizeof(*grown));
		if (!grown)
			return log_error_errno(-ENOMEM, "cannot count the pages of '%s'", ins->path);
		ins->mm_pages = grown;
		last = &grown[ins->mm_pages_count++];
		*last = (struct inspect_mm_pages){ .mm_id = c->mm_id };
	}
	last->chunks++;
	last->pages += c->page_count;
	last->stored_bytes += c->stored_size;
	return 0;
}

static int compare_mm_id(const void *a, const void *b)
{
	const struct inspect_mm_pages *x = a, *y = b;

	return (x->mm_id > y->mm_id) - (x->mm_id < y->mm_id);
}

static void merge_mm_pages(struct inspect *ins)
{
	size_t out = 0;

	if (ins->mm_pages_count == 0)
		return;
	qsort(ins->mm_pages, ins->mm_pages_count, sizeof(*ins->mm_pages), compare_mm_id);
	for (size_t i = 1; i < ins->mm_pages_count; i++) {
		struct inspect_mm_pages *dst = &ins->mm_pages[out], *src = &ins->mm_pages[i];

		if (src->mm_id == dst->mm_id) {
			dst->chunks += src->chunks;
			dst->pages += src->pages;
			dst->stored_bytes += src->stored_bytes;
		} else {
			ins->mm_pages[++out] = *src;
		}
	}
	ins->mm_pages_count = out + 1;
}

static int walk_chunks(struct inspect *ins)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_diag diag;
	int r;

	image_diag_init(&diag);
	ferry_chunk_cursor_init(&ins->img, &cur);
	while ((r = ferry_chunk_next(&ins->img, &cur, &c, &diag)) > 0) {
		r = add_chunk_pages(ins, &c);
		if (r < 0)
			return r;
		ins->chunks_read++;
		ins->pages += c.page_count;
		ins->raw_bytes += c.raw_size;
		ins->stored_bytes += c.stored_size;
	}
	if (r < 0)
		image_diag_describe(ins->chunk_error, sizeof(ins->chunk_error), &diag, r);
	merge_mm_pages(ins);
	return 0;
}

int inspect_load(struct inspect *ins)
{
	check_metadata(ins);
	return walk_chunks(ins);
}

void inspect_free(struct inspect *ins)
{
	free(ins->mm_pages);
	ins->mm_pages = NULL;
	ins->mm_pages_count = 0;
}

struct inspect_mm_pages *inspect_mm_pages(struct inspect *ins, uint32_t mm_id)
{
	struct inspect_mm_pages key = { .mm_id = mm_id }, *found;

	if (ins->mm_pages_count == 0)
		return NULL;
	found = bsearch(&key, ins->mm_pages, ins->mm_pages_count, sizeof(key), compare_mm_id);
	if (found)
		found->described = true;
	return found;
}

/* The NODES field of @fields whose children are @base nodes. */
static const struct meta_field *nodes_of(const struct meta_field *fields, const char *base)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++)
		if (f->type == META_T_NODES && strcmp(f->node->name, base) == 0)
			return f;
	return NULL;
}

static const struct meta_field *nodes_field(enum inspect_nodes which)
{
	switch (which) {
	case INSPECT_PROCESSES:
		return nodes_of(meta_image_node.fields, FM_PROCESS);
	case INSPECT_THREADS:
		return nodes_of(meta_process_node->fields, FM_THREAD);
	case INSPECT_MMS:
		return nodes_of(meta_image_node.fields, FM_MM);
	case INSPECT_AREAS:
		return nodes_of(meta_mm_node->fields, FM_AREA);
	case INSPECT_FILES:
		return nodes_of(meta_image_node.fields, FM_FILE);
	case INSPECT_LOCKS:
		return nodes_of(kind_locks.image_fields, FM_LOCK);
	case INSPECT_LEASES:
		return nodes_of(kind_lease.image_fields, FM_LEASE);
	default:
		return nodes_of(kind_pipe.image_fields, FM_PIPE);
	}
}

int inspect_child(const void *fdt, int node, enum inspect_nodes which, int prev)
{
	const struct meta_field *f = nodes_field(which);
	int container = meta_view_container(fdt, node, f);

	return container < 0 ? -1 : meta_next_child(fdt, container, f->node->name, prev);
}

uint32_t inspect_count(const void *fdt, int node, enum inspect_nodes which)
{
	const struct meta_field *f = nodes_field(which);

	return meta_count_children(fdt, meta_view_container(fdt, node, f), f->node->name);
}

/* Property @name of @node, a node of @schema. */
static struct meta_value view(const void *fdt, int node, const struct meta_node *schema,
			      const char *name)
{
	return meta_view(fdt, node, meta_field_named(schema->fields, name));
}

struct meta_value inspect_hostname(const void *fdt)
{
	return view(fdt, 0, &meta_image_node, FM_ROOT_HOSTNAME);
}

struct meta_value inspect_tid(const void *fdt, int node)
{
	return view(fdt, node, meta_thread_node, FM_T_TID);
}

bool inspect_has(const void *fdt, int node, enum inspect_nodes which)
{
	return meta_view_container(fdt, node, nodes_field(which)) >= 0;
}

/* A count that is there when the node holding what it counts is. */
static struct meta_value count_of(const void *fdt, int node, enum inspect_nodes which)
{
	int container = meta_view_container(fdt, node, nodes_field(which));

	return (struct meta_value){ .ok = container >= 0, .u = inspect_count(fdt, node, which) };
}

void inspect_read_process(const void *fdt, int node, struct process_info *ret)
{
	const struct meta_node *p = meta_process_node;
	int fds = meta_view_container(fdt, node, nodes_of(p->fields, FM_FD));

	*ret = (struct process_info){
		.pid = view(fdt, node, p, FM_P_PID),
		.ppid = view(fdt, node, p, FM_P_PPID),
		.pgid = view(fdt, node, p, FM_P_PGID),
		.sid = view(fdt, node, p, FM_P_SID),
		.mm = view(fdt, node, p, FM_P_MM),
		.comm = view(fdt, node, p, FM_P_COMM),
		.exe = view(fdt, node, p, FM_P_EXE),
		.node = node,
		.thread_count = count_of(fdt, node, INSPECT_THREADS),
		.fd_count = { .ok = fds >= 0, .u = meta_count_children(fdt, fds, FM_FD) },
	};
}

void inspect_read_mm(const void *fdt, int node, struct mm_info *ret)
{
	*ret = (struct mm_info){
		.id = view(fdt, node, meta_mm_node, FM_MM_ID),
		.area_count = inspect_count(fdt, node, INSPECT_AREAS),
	};
}

void inspect_read_area(const void *fdt, int node, struct area_info *ret)
{
	const struct meta_node *a = meta_area_node;

	*ret = (struct area_info){
		.start = view(fdt, node, a, FM_A_START),
		.end = view(fdt, node, a, FM_A_END),
		.prot = view(fdt, node, a, FM_A_PROT),
		.flags = view(fdt, node, a, FM_A_FLAGS),
		.kind = view(fdt, node, a, FM_A_KIND),
		.path = view(fdt, node, a, FM_A_PATH),
	};
}

void inspect_read_file(const void *fdt, int node, struct file_info *ret)
{
	const struct meta_node *f = meta_file_node;

	*ret = (struct file_info){
		.id = view(fdt, node, f, FM_F_ID),
		.flags = view(fdt, node, f, FM_F_FLAGS),
		/* the pipe of a pipe end or FIFO, shown for every file */
		.pipe = meta_view(fdt, node, meta_field_named(pipe_end_fields, FM_F_PIPE)),
		.pos = view(fdt, node, f, FM_F_POS),
		.type = view(fdt, node, f, FM_F_TYPE),
		.path = view(fdt, node, f, FM_F_PATH),
	};
}

void inspect_read_pipe(const void *fdt, int node, struct pipe_info *ret)
{
	const struct meta_node *p = nodes_field(INSPECT_PIPES)->node;
	struct meta_value data = view(fdt, node, p, FM_PI_DATA);

	*ret = (struct pipe_info){
		.id = view(fdt, node, p, FM_PI_ID),
		.capacity = view(fdt, node, p, FM_PI_CAPACITY),
		.buffered = data.ok ? (int)data.len : -1,
	};
}

void inspect_read_lock(const void *fdt, int node, struct lock_info *ret)
{
	const struct meta_node *l = nodes_field(INSPECT_LOCKS)->node;

	*ret = (struct lock_info){
		.id = view(fdt, node, l, FM_LK_ID),
		.kind = view(fdt, node, l, FM_LK_KIND),
		.file = view(fdt, node, l, FM_LK_FILE),
		.pid = view(fdt, node, l, FM_LK_PID),
		.type = view(fdt, node, l, FM_LK_TYPE),
		.start = view(fdt, node, l, FM_LK_START),
		.length = view(fdt, node, l, FM_LK_LENGTH),
	};
}

/* Cell @i of a property of cells, as a u32 value. */
static struct meta_value cell(struct meta_value v, size_t i, size_t n)
{
	const uint8_t *p = (const uint8_t *)v.s + 4 * i;

	if (!v.ok || v.len != 4 * n)
		return (struct meta_value){ 0 };
	return (struct meta_value){ .ok = true,
				    .u = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3] };
}

void inspect_read_lease(const void *fdt, int node, struct lease_info *ret)
{
	const struct meta_node *l = nodes_field(INSPECT_LEASES)->node;
	struct meta_value owner = view(fdt, node, l, FM_LE_OWNER);

	*ret = (struct lease_info){
		.id = view(fdt, node, l, FM_LE_ID),
		.file = view(fdt, node, l, FM_LE_FILE),
		.pid = view(fdt, node, l, FM_LE_PID),
		.type = view(fdt, node, l, FM_LE_TYPE),
		.signal = view(fdt, node, l, FM_LE_SIGNAL),
		.owner_type = cell(owner, 0, 2),
		.owner_id = cell(owner, 1, 2),
	};
	/* absent: SIGIO, given as 0 */
	if (!ret->signal.ok && !fdt_getprop(fdt, node, FM_LE_SIGNAL, NULL))
		ret->signal = (struct meta_value){ .ok = true };
}

/* A big-endian FDT cell of @width bytes (4 or 8) at @p. */
static uint64_t cell_at(const uint8_t *p, size_t width)
{
	uint64_t v = 0;

	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

/* The properties of @fields present in @node, and their child nodes. */
static void visit_fields(const void *fdt, int node, const struct meta_field *fields,
			 const struct inspect_kinds_visitor *vis)
{
	for (const struct meta_field *f = fields; f->type != META_T_END; f++) {
		struct inspect_prop p = { .name = f->name, .type = f->type, .hex = f->flags & META_HEX };

		if (f->type == META_T_NODES) {
			int container = meta_view_container(fdt, node, f);
			bool any = false;

			for (int n = meta_next_child(fdt, container, f->node->name, -1);
			     container >= 0 && n >= 0; n = meta_next_child(fdt, container, f->node->name, n)) {
				if (!any)
					vis->list_begin(vis->arg, f->name ? f->name : f->node->name);
				any = true;
				vis->item_begin(vis->arg, fdt_get_name(fdt, n, NULL));
				visit_fields(fdt, n, f->node->fields, vis);
				vis->item_end(vis->arg);
			}
			if (any)
				vis->list_end(vis->arg);
			continue;
		}
		if (!f->name || f->type == META_T_CUSTOM || f->type == META_T_INLINE)
			continue;
		p.v = meta_view(fdt, node, f);
		if (!p.v.ok)
			continue;
		if (f->type == META_T_CELLS) {
			size_t off = 0;

			while (p.ncells < INSPECT_MAX_CELLS) {
				size_t width = f->cells ? (p.ncells < f->ncells ? f->cells[p.ncells].width : 0)
							: f->elem;

				if (!width || off + width > p.v.len)
					break;
				p.cells[p.ncells++] = cell_at((const uint8_t *)p.v.s + off, width);
				off += width;
			}
		} else if (f->type == META_T_CHARS || f->type == META_T_NAME) {
			p.type = META_T_STR;
		}
		vis->prop(vis->arg, &p);
	}
}

void inspect_process_kinds(const void *fdt, int node, const struct inspect_kinds_visitor *vis)
{
	for (size_t i = 0; i < kind_count; i++)
		if (kind_registry[i]->process_fields)
			visit_fields(fdt, node, kind_registry[i]->process_fields, vis);
}

/* kernel-glue/kinds/sysv_shm.c, sysv_ipc.c, mount_ns.c, systemd_unit.c */
extern const struct kind kind_sysv_shm, kind_sysv_ipc, kind_mount_ns, kind_systemd_unit;

static const struct kind *const image_kinds[] = { &kind_sysv_shm, &kind_sysv_ipc,
						  &kind_mount_ns, &kind_systemd_unit };

void inspect_image_kinds(const void *fdt, const struct inspect_kinds_visitor *vis)
{
	for (size_t i = 0; i < sizeof(image_kinds) / sizeof(image_kinds[0]); i++)
		visit_fields(fdt, 0, image_kinds[i]->image_fields, vis);
}

/* The bits are the Linux ABI, spelled out so the meaning does not depend
 * on the build host's headers. */
#define AREA_PROT_READ 0x1u
#define AREA_PROT_WRITE 0x2u
#define AREA_PROT_EXEC 0x4u
#define AREA_MAP_SHARED 0x01u
#define AREA_MAP_PRIVATE 0x02u

void inspect_prot_text(char ret[5], struct meta_value prot, struct meta_value flags)
{
	if (prot.ok) {
		ret[0] = prot.u & AREA_PROT_READ ? 'r' : '-';
		ret[1] = prot.u & AREA_PROT_WRITE ? 'w' : '-';
		ret[2] = prot.u & AREA_PROT_EXEC ? 'x' : '-';
	} else {
		memcpy(ret, "???", 3);
	}
	if (flags.ok && (flags.u & AREA_MAP_SHARED))
		ret[3] = 's';
	else if (flags.ok && (flags.u & AREA_MAP_PRIVATE))
		ret[3] = 'p';
	else
		ret[3] = '?';
	ret[4] = '\0';
}

static void append_word(char *buf, size_t size, const char *separator, const char *word)
{
	size_t used = strlen(buf);

	snprintf(buf + used, size - used, "%s%s", used ? separator : "", word);
}

const char *inspect_open_flags_text(char *buf, size_t size, uint32_t flags)
{
	/* values as /proc/PID/fdinfo reports them on Linux (x86_64, arm64
	 * share them); O_LARGEFILE is 0 in 64-bit user space headers but the
	 * kernel reports its own bit */
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ 00000100, "creat" },	   { 00000200, "excl" },     { 00000400, "noctty" },
		{ 00001000, "trunc" },	   { 00002000, "append" },   { 00004000, "nonblock" },
		{ 00010000, "dsync" },	   { 00020000, "async" },    { 00040000, "direct" },
		{ 00100000, "largefile" }, { 00200000, "directory" }, { 00400000, "nofollow" },
		{ 01000000, "noatime" },   { 02000000, "cloexec" },  { 04000000, "sync" },
		{ 010000000, "path" },
	};
	static const char *const access_modes[] = { "rdonly", "wronly", "rdwr", "accmode3" };

	buf[0] = '\0';
	append_word(buf, size, "|", access_modes[flags & 3]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			append_word(buf, size, "|", names[i].name);
	return buf;
}

const char *inspect_flags_text(char *buf, size_t size, uint32_t flags)
{
	char unknown[32];

	buf[0] = '\0';
	if (flags & FERRY_FLAG_SEALED)
		append_word(buf, size, ", ", "sealed");
	else
		append_word(buf, size, ", ", "NOT SEALED");
	if (flags & FERRY_FLAG_EXPANDED)
		append_word(buf, size, ", ", "expanded");
	if (flags & FERRY_FLAG_COMPRESSED)
		append_word(buf, size, ", ", "compressed");
	if (flags & ~FERRY_FLAGS_KNOWN) {
		snprintf(unknown, sizeof(unknown), "unknown 0x%x", flags & ~FERRY_FLAGS_KNOWN);
		append_word(buf, size, ", ", unknown);
	}
	return buf;
}

double inspect_compression_ratio(const struct inspect *ins)
{
	if (ins->stored_bytes == 0)
		return -1;
	return (double)ins->raw_bytes / (double)ins->stored_bytes;
}
