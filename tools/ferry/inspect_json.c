/* SPDX-License-Identifier: MIT */
/* ferry inspect --json: the text report's content as one JSON object.
 * Absent or malformed properties are null; addresses are "0x..." strings
 * because JSON numbers lose precision above 2^53. */
#include <string.h>

#include "ferry/schema.h"

#include "inspect.h"
#include "json.h"
#include "text.h"

static void put_u32(struct json_writer *j, const char *key, struct meta_value v)
{
	if (v.ok)
		json_u64(j, key, v.u);
	else
		json_null(j, key);
}

static void put_u64(struct json_writer *j, const char *key, struct meta_value v)
{
	if (v.ok)
		json_u64(j, key, v.u);
	else
		json_null(j, key);
}

static void put_hex(struct json_writer *j, const char *key, struct meta_value v)
{
	if (v.ok)
		json_hex(j, key, v.u);
	else
		json_null(j, key);
}

static void put_text(struct json_writer *j, const char *key, struct meta_value t)
{
	if (t.s)
		json_string_bytes(j, key, t.s, t.len);
	else
		json_null(j, key);
}

static void put_header(struct inspect *ins, struct json_writer *j)
{
	const struct ferry_header *h = &ins->img.hdr;
	char created[TEXT_TIME_LEN];

	json_string(j, "image", ins->path);
	json_u64(j, "file_size", ins->file_size);
	json_object_begin(j, "format");
	json_u64(j, "major", h->version_major);
	json_u64(j, "minor", h->version_minor);
	json_object_end(j);
	json_u64(j, "flags", h->flags);
	json_bool(j, "sealed", h->flags & FERRY_FLAG_SEALED);
	json_bool(j, "expanded", h->flags & FERRY_FLAG_EXPANDED);
	json_bool(j, "compressed", h->flags & FERRY_FLAG_COMPRESSED);
	json_object_begin(j, "producer");
	json_string(j, "kernel_release", h->kernel_release);
	json_string(j, "machine", h->machine);
	json_string(j, "ferry_version", h->ferry_version);
	json_object_end(j);
	text_utc_time(created, sizeof(created), h->created_sec);
	json_string(j, "created", strcmp(created, "?") ? created : NULL);
	json_u64(j, "created_sec", h->created_sec);
	json_u64(j, "created_nsec", h->created_nsec);
	json_u64(j, "page_size", h->page_size);
	json_object_begin(j, "layout");
	json_u64(j, "header_size", h->header_size);
	json_u64(j, "metadata_offset", h->metadata_offset);
	json_u64(j, "metadata_size", h->metadata_size);
	json_u64(j, "chunks_offset", h->chunks_offset);
	json_u64(j, "chunks_size", h->chunks_size);
	json_u64(j, "image_size", h->image_size);
	json_object_end(j);
	if (ins->fdt)
		put_text(j, "hostname", inspect_hostname(ins->fdt));
}

/* The kinds' data of a process, named as the image names it. */
static void kinds_json_prop(void *arg, const struct inspect_prop *p)
{
	struct json_writer *j = arg;

	switch (p->type) {
	case META_T_U32:
	case META_T_U64:
		if (p->hex)
			json_hex(j, p->name, p->v.u);
		else
			json_u64(j, p->name, p->v.u);
		break;
	case META_T_FLAG:
		json_bool(j, p->name, true);
		break;
	case META_T_STR:
		put_text(j, p->name, p->v);
		break;
	case META_T_CELLS:
		json_array_begin(j, p->name);
		for (size_t i = 0; i < p->ncells; i++)
			json_u64(j, NULL, p->cells[i]);
		json_array_end(j);
		break;
	default:
		json_u64(j, p->name, p->v.len); /* bytes: how many */
		break;
	}
}

static void kinds_json_list_begin(void *arg, const char *list)
{
	json_array_begin(arg, list);
}

static void kinds_json_item_begin(void *arg, const char *name)
{
	json_object_begin(arg, NULL);
	json_string(arg, "node", name);
}

static void kinds_json_end(void *arg)
{
	json_object_end(arg);
}

static void kinds_json_list_end(void *arg)
{
	json_array_end(arg);
}

/* What the kinds' field tables show, written into @j. */
static struct inspect_kinds_visitor json_visitor(struct json_writer *j)
{
	return (struct inspect_kinds_visitor){
		.arg = j,
		.prop = kinds_json_prop,
		.list_begin = kinds_json_list_begin,
		.item_begin = kinds_json_item_begin,
		.item_end = kinds_json_end,
		.list_end = kinds_json_list_end,
	};
}

static void put_process_kinds(const void *fdt, int node, struct json_writer *j)
{
	const struct inspect_kinds_visitor vis = json_visitor(j);

	json_object_begin(j, "kinds");
	inspect_process_kinds(fdt, node, &vis);
	json_object_end(j);
}

/* The kinds' own nodes under the root: "sysv-shm": [ { "node": ..., ... } ] */
static void put_image_kinds(const void *fdt, struct json_writer *j)
{
	const struct inspect_kinds_visitor vis = json_visitor(j);

	inspect_image_kinds(fdt, &vis);
}

static void put_process(const void *fdt, int node, struct json_writer *j)
{
	struct process_info p;

	inspect_read_process(fdt, node, &p);
	json_object_begin(j, NULL);
	put_u32(j, "pid", p.pid);
	put_u32(j, "ppid", p.ppid);
	put_u32(j, "pgid", p.pgid);
	put_u32(j, "sid", p.sid);
	put_text(j, "comm", p.comm);
	put_text(j, "exe", p.exe);
	put_u32(j, "mm", p.mm);
	put_u32(j, "thread_count", p.thread_count);
	json_array_begin(j, "tids");
	for (int n = inspect_child(fdt, p.node, INSPECT_THREADS, -1); n >= 0;
	     n = inspect_child(fdt, p.node, INSPECT_THREADS, n))
		put_u32(j, NULL, inspect_tid(fdt, n));
	json_array_end(j);
	put_u32(j, "fd_count", p.fd_count);
	put_process_kinds(fdt, node, j);
	json_object_end(j);
}

static void put_processes(const void *fdt, struct json_writer *j)
{

	json_array_begin(j, "processes");
	for (int n = inspect_child(fdt, 0, INSPECT_PROCESSES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_PROCESSES, n))
		put_process(fdt, n, j);
	json_array_end(j);
}

static void put_area(const void *fdt, int node, struct json_writer *j)
{
	struct area_info a;
	char prot[5];

	inspect_read_area(fdt, node, &a);
	inspect_prot_text(prot, a.prot, a.flags);
	json_object_begin(j, NULL);
	put_hex(j, "start", a.start);
	put_hex(j, "end", a.end);
	json_string(j, "prot", prot);
	put_text(j, "kind", a.kind);
	put_text(j, "path", a.path);
	json_object_end(j);
}

static void put_mm(struct inspect *ins, int node, struct json_writer *j)
{
	struct inspect_mm_pages *pages = NULL;
	struct mm_info mm;

	inspect_read_mm(ins->fdt, node, &mm);
	if (mm.id.ok)
		pages = inspect_mm_pages(ins, mm.id.u);
	json_object_begin(j, NULL);
	put_u32(j, "id", mm.id);
	json_u64(j, "area_count", mm.area_count);
	json_u64(j, "pages_stored", pages ? pages->pages : 0);
	json_u64(j, "chunks", pages ? pages->chunks : 0);
	json_u64(j, "stored_bytes", pages ? pages->stored_bytes : 0);
	json_array_begin(j, "areas");
	for (int n = inspect_child(ins->fdt, node, INSPECT_AREAS, -1); n >= 0;
	     n = inspect_child(ins->fdt, node, INSPECT_AREAS, n))
		put_area(ins->fdt, n, j);
	json_array_end(j);
	json_object_end(j);
}

static void put_mms(struct inspect *ins, struct json_writer *j)
{

	json_array_begin(j, "mms");
	for (int n = inspect_child(ins->fdt, 0, INSPECT_MMS, -1); n >= 0;
	     n = inspect_child(ins->fdt, 0, INSPECT_MMS, n))
		put_mm(ins, n, j);
	json_array_end(j);
}

static void put_files(const void *fdt, struct json_writer *j)
{
	char flags[160];
	struct file_info f;

	json_array_begin(j, "files");
	for (int n = inspect_child(fdt, 0, INSPECT_FILES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_FILES, n)) {
		inspect_read_file(fdt, n, &f);
		json_object_begin(j, NULL);
		put_u32(j, "id", f.id);
		put_text(j, "type", f.type);
		put_text(j, "path", f.path);
		put_u32(j, "flags", f.flags);
		json_string(j, "flags_text",
			    f.flags.ok ? inspect_open_flags_text(flags, sizeof(flags), f.flags.u) : NULL);
		put_u64(j, "pos", f.pos);
		put_u32(j, "pipe", f.pipe);
		json_object_end(j);
	}
	json_array_end(j);
}

static void put_pipes(const void *fdt, struct json_writer *j)
{
	struct pipe_info p;

	json_array_begin(j, "pipes");
	for (int n = inspect_child(fdt, 0, INSPECT_PIPES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_PIPES, n)) {
		inspect_read_pipe(fdt, n, &p);
		json_object_begin(j, NULL);
		put_u32(j, "id", p.id);
		put_u32(j, "capacity", p.capacity);
		if (p.buffered < 0)
			json_null(j, "buffered_bytes");
		else
			json_u64(j, "buffered_bytes", (uint64_t)p.buffered);
		json_object_end(j);
	}
	json_array_end(j);
}

/* Only in an image that has them, so other images read as they did. */
static void put_locks(const void *fdt, struct json_writer *j)
{
	struct lock_info l;

	if (!inspect_has(fdt, 0, INSPECT_LOCKS))
		return;
	json_array_begin(j, "locks");
	for (int n = inspect_child(fdt, 0, INSPECT_LOCKS, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_LOCKS, n)) {
		inspect_read_lock(fdt, n, &l);
		json_object_begin(j, NULL);
		put_u32(j, "id", l.id);
		put_text(j, "kind", l.kind);
		put_text(j, "type", l.type);
		put_u32(j, "pid", l.pid);
		put_u32(j, "file", l.file);
		json_u64(j, "start", l.start.u);
		json_u64(j, "length", l.length.u);
		json_object_end(j);
	}
	json_array_end(j);
}

static void put_leases(const void *fdt, struct json_writer *j)
{
	struct lease_info l;

	if (!inspect_has(fdt, 0, INSPECT_LEASES))
		return;
	json_array_begin(j, "leases");
	for (int n = inspect_child(fdt, 0, INSPECT_LEASES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_LEASES, n)) {
		inspect_read_lease(fdt, n, &l);
		json_object_begin(j, NULL);
		put_u32(j, "id", l.id);
		put_text(j, "type", l.type);
		put_u32(j, "pid", l.pid);
		put_u32(j, "file", l.file);
		put_u32(j, "signal", l.signal);
		put_u32(j, "owner_type", l.owner_type);
		put_u32(j, "owner", l.owner_id);
		json_object_end(j);
	}
	json_array_end(j);
}

static void put_totals(struct inspect *ins, struct json_writer *j)
{
	const struct ferry_header *h = &ins->img.hdr;
	double ratio = inspect_compression_ratio(ins);

	json_object_begin(j, "totals");
	json_u64(j, "page_bytes_raw", h->page_bytes_raw);
	json_u64(j, "page_bytes_stored", h->page_bytes_stored);
	if (ratio > 0)
		json_double(j, "compression_ratio", ratio);
	else
		json_null(j, "compression_ratio");
	json_u64(j, "chunk_count", h->chunk_count);
	json_u64(j, "pages_stored", ins->pages);
	json_object_end(j);
}

static void put_chunks(struct inspect *ins, struct json_writer *j)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;

	json_array_begin(j, "chunks");
	ferry_chunk_cursor_init(&ins->img, &cur);
	while (ferry_chunk_next(&ins->img, &cur, &c, NULL) > 0) {
		json_object_begin(j, NULL);
		json_u64(j, "index", c.index);
		json_u64(j, "mm", c.mm_id);
		json_string(j, "encoding",
			    c.encoding == FERRY_ENCODING_DEFLATE ? "deflate" : "stored");
		json_u64(j, "pages", c.page_count);
		json_u64(j, "extents", c.extent_count);
		json_u64(j, "stored_size", c.stored_size);
		json_u64(j, "offset", c.offset);
		json_object_end(j);
	}
	json_array_end(j);
}

static void put_problems(struct inspect *ins, struct json_writer *j)
{
	json_array_begin(j, "errors");
	if (ins->metadata_error[0])
		json_string(j, NULL, ins->metadata_error);
	if (ins->chunk_error[0])
		json_string(j, NULL, ins->chunk_error);
	json_array_end(j);
}

int inspect_print_json(struct inspect *ins, FILE *out)
{
	struct json_writer j;

	json_init(&j, out);
	json_object_begin(&j, NULL);
	put_header(ins, &j);
	if (ins->fdt) {
		put_processes(ins->fdt, &j);
		put_mms(ins, &j);
		put_files(ins->fdt, &j);
		put_pipes(ins->fdt, &j);
		put_locks(ins->fdt, &j);
		put_leases(ins->fdt, &j);
		put_image_kinds(ins->fdt, &j);
	}
	put_totals(ins, &j);
	if (ins->show_chunks)
		put_chunks(ins, &j);
	put_problems(ins, &j);
	json_object_end(&j);
	return json_finish(&j);
}
