/* SPDX-License-Identifier: MIT */
/* ferry inspect, for people: one section per kind of state, tables where
 * rows repeat. Every byte that comes from the image is escaped. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "ferry/schema.h"

#include "inspect.h"
#include "text.h"

#define MAX_TIDS_SHOWN 16u
#define NUM_LEN 24

static const char *u32_or_unknown(char buf[NUM_LEN], struct meta_value v)
{
	if (!v.ok)
		return "?";
	snprintf(buf, NUM_LEN, "%" PRIu64, v.u);
	return buf;
}

/* " VALUE" left-aligned in @width columns */
static void put_u32_column(FILE *out, int width, struct meta_value v)
{
	char num[NUM_LEN];

	fprintf(out, " %-*s", width, u32_or_unknown(num, v));
}

static const char *u64_or_unknown(char buf[NUM_LEN], struct meta_value v)
{
	if (!v.ok)
		return "?";
	snprintf(buf, NUM_LEN, "%" PRIu64, v.u);
	return buf;
}

static const char *hex_or_unknown(char buf[NUM_LEN], struct meta_value v)
{
	if (!v.ok)
		return "?";
	snprintf(buf, NUM_LEN, "%016" PRIx64, v.u);
	return buf;
}

static void print_header(struct inspect *ins, FILE *out)
{
	const struct ferry_header *h = &ins->img.hdr;
	char flags[96], created[TEXT_TIME_LEN], size[TEXT_SIZE_LEN];

	if (!(h->flags & FERRY_FLAG_SEALED))
		fprintf(out, "*** NOT SEALED: this image was never completed and cannot be restored ***\n\n");
	fprintf(out, "Image        %s (%s)\n", ins->path, text_size(size, sizeof(size), ins->file_size));
	fprintf(out, "Format       %u.%u\n", h->version_major, h->version_minor);
	fprintf(out, "Flags        %s\n", inspect_flags_text(flags, sizeof(flags), h->flags));
	fprintf(out, "Producer     kernel ");
	text_put(out, (struct meta_value){ .s = h->kernel_release, .len = strlen(h->kernel_release) });
	fprintf(out, " (");
	text_put(out, (struct meta_value){ .s = h->machine, .len = strlen(h->machine) });
	fprintf(out, "), ferry ");
	text_put(out, (struct meta_value){ .s = h->ferry_version, .len = strlen(h->ferry_version) });
	fprintf(out, "\nCreated      %s\n", text_utc_time(created, sizeof(created), h->created_sec));
	fprintf(out, "Page size    %" PRIu32 "\n", h->page_size);
	fprintf(out, "Layout       header %" PRIu32 " B, metadata at 0x%" PRIx64 " (%" PRIu64
		" B), chunks at 0x%" PRIx64 " (%" PRIu64 " B)\n",
		h->header_size, h->metadata_offset, h->metadata_size, h->chunks_offset,
		h->chunks_size);
	if (ins->fdt) {
		fprintf(out, "Hostname     ");
		text_put(out, inspect_hostname(ins->fdt));
		fputc('\n', out);
	}
}

static void print_tids(const void *fdt, const struct process_info *p, FILE *out)
{
	char num[NUM_LEN];
	uint32_t shown = 0;

	if (p->thread_count.u == 0)
		return;
	fprintf(out, "           tids");
	for (int n = inspect_child(fdt, p->node, INSPECT_THREADS, -1); n >= 0;
	     n = inspect_child(fdt, p->node, INSPECT_THREADS, n)) {
		if (shown++ == MAX_TIDS_SHOWN) {
			fprintf(out, " ... (%" PRIu64 " more)", p->thread_count.u - MAX_TIDS_SHOWN);
			break;
		}
		fprintf(out, " %s", u32_or_unknown(num, inspect_tid(fdt, n)));
	}
	fputc('\n', out);
}

/* The kinds' data of a process: a line per property of the process node,
 * one per child node of theirs with its properties. */
struct kinds_text {
	FILE *out;
	bool in_item, first;
};

static void put_prop_value(FILE *out, const struct inspect_prop *p)
{
	char num[NUM_LEN];

	switch (p->type) {
	case META_T_U32:
	case META_T_U64:
		fprintf(out, p->hex ? " 0x%" PRIx64 : " %" PRIu64, p->v.u);
		break;
	case META_T_FLAG:
		break;
	case META_T_STR:
		fputc(' ', out);
		text_put(out, p->v);
		break;
	case META_T_CELLS:
		for (size_t i = 0; i < p->ncells; i++) {
			snprintf(num, sizeof(num), "%" PRIu64, p->cells[i]);
			fprintf(out, " %s", num);
		}
		break;
	default:
		fprintf(out, " (%zu bytes)", p->v.len);
		break;
	}
}

static void kinds_text_prop(void *arg, const struct inspect_prop *p)
{
	struct kinds_text *k = arg;

	if (!k->in_item)
		fprintf(k->out, "           %s", p->name);
	else
		fprintf(k->out, "%s%s", k->first ? " " : ", ", p->name);
	k->first = false;
	put_prop_value(k->out, p);
	if (!k->in_item)
		fputc('\n', k->out);
}

static void kinds_text_item_begin(void *arg, const char *name)
{
	struct kinds_text *k = arg;

	fprintf(k->out, "           %s:", name ? name : "?");
	k->in_item = true;
	k->first = true;
}

static void kinds_text_item_end(void *arg)
{
	struct kinds_text *k = arg;

	fputc('\n', k->out);
	k->in_item = false;
}

static void kinds_text_list(void *arg, const char *list)
{
	(void)arg;
	(void)list;
}

static void kinds_text_list_end(void *arg)
{
	(void)arg;
}

static void print_process_kinds(const void *fdt, int node, FILE *out)
{
	struct kinds_text k = { .out = out };
	const struct inspect_kinds_visitor vis = {
		.arg = &k,
		.prop = kinds_text_prop,
		.list_begin = kinds_text_list,
		.item_begin = kinds_text_item_begin,
		.item_end = kinds_text_item_end,
		.list_end = kinds_text_list_end,
	};

	inspect_process_kinds(fdt, node, &vis);
}

/* The kinds' own nodes under the root, a title per list ("sysv-shm"), a
 * line per node. */
static void kinds_text_title(void *arg, const char *list)
{
	struct kinds_text *k = arg;

	fprintf(k->out, "\n%s\n", list);
}

static void print_image_kinds(const void *fdt, FILE *out)
{
	struct kinds_text k = { .out = out };
	const struct inspect_kinds_visitor vis = {
		.arg = &k,
		.prop = kinds_text_prop,
		.list_begin = kinds_text_title,
		.item_begin = kinds_text_item_begin,
		.item_end = kinds_text_item_end,
		.list_end = kinds_text_list_end,
	};

	inspect_image_kinds(fdt, &vis);
}

static void print_processes(const void *fdt, FILE *out)
{
	struct process_info p;

	fprintf(out, "\nProcesses    %" PRIu32 "\n", inspect_count(fdt, 0, INSPECT_PROCESSES));
	if (!inspect_has(fdt, 0, INSPECT_PROCESSES))
		return;
	fprintf(out, "  %-8s %-8s %-8s %-8s %-7s %-5s %-5s %s\n", "PID", "PPID", "PGID", "SID",
		"THREADS", "FDS", "MM", "COMM");
	for (int n = inspect_child(fdt, 0, INSPECT_PROCESSES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_PROCESSES, n)) {
		inspect_read_process(fdt, n, &p);
		fputc(' ', out);
		put_u32_column(out, 8, p.pid);
		put_u32_column(out, 8, p.ppid);
		put_u32_column(out, 8, p.pgid);
		put_u32_column(out, 8, p.sid);
		put_u32_column(out, 7, p.thread_count);
		put_u32_column(out, 5, p.fd_count);
		put_u32_column(out, 5, p.mm);
		fputc(' ', out);
		text_put(out, p.comm);
		fputc('\n', out);
		print_tids(fdt, &p, out);
		print_process_kinds(fdt, n, out);
	}
}

static void print_areas(const void *fdt, int mm, FILE *out)
{
	char start[NUM_LEN], end[NUM_LEN], prot[5], kind[64];
	struct area_info a;

	for (int n = inspect_child(fdt, mm, INSPECT_AREAS, -1); n >= 0;
	     n = inspect_child(fdt, mm, INSPECT_AREAS, n)) {
		inspect_read_area(fdt, n, &a);
		inspect_prot_text(prot, a.prot, a.flags);
		fprintf(out, "    %16s-%-16s %s %-8s ", hex_or_unknown(start, a.start),
			hex_or_unknown(end, a.end), prot, text_escape(kind, sizeof(kind), a.kind));
		if (a.path.s)
			text_put(out, a.path);
		fputc('\n', out);
	}
}

static void print_mm(struct inspect *ins, int node, FILE *out)
{
	char id[NUM_LEN], stored[TEXT_SIZE_LEN];
	struct inspect_mm_pages *pages = NULL;
	struct mm_info mm;

	inspect_read_mm(ins->fdt, node, &mm);
	if (mm.id.ok)
		pages = inspect_mm_pages(ins, mm.id.u);
	fprintf(out, "  mm %s: %" PRIu32 " area%s, %" PRIu64 " pages stored in %" PRIu32
		" chunk%s (%s)\n",
		u32_or_unknown(id, mm.id), mm.area_count, mm.area_count == 1 ? "" : "s",
		pages ? pages->pages : 0, pages ? pages->chunks : 0,
		pages && pages->chunks == 1 ? "" : "s",
		text_size(stored, sizeof(stored), pages ? pages->stored_bytes : 0));
	if (mm.area_count)
		fprintf(out, "    %-33s %-4s %-8s %s\n", "START-END", "PROT", "KIND", "PATH");
	print_areas(ins->fdt, node, out);
}

static void print_memory(struct inspect *ins, FILE *out)
{

	fprintf(out, "\nMemory       %" PRIu32 " address space%s\n",
		inspect_count(ins->fdt, 0, INSPECT_MMS),
		inspect_count(ins->fdt, 0, INSPECT_MMS) == 1 ? "" : "s");
	for (int n = inspect_child(ins->fdt, 0, INSPECT_MMS, -1); n >= 0;
	     n = inspect_child(ins->fdt, 0, INSPECT_MMS, n))
		print_mm(ins, n, out);
	/* pages for an address space the metadata does not describe */
	for (size_t i = 0; i < ins->mm_pages_count; i++)
		if (!ins->mm_pages[i].described)
			fprintf(out, "  warning: %" PRIu64 " pages in chunks of mm %" PRIu32
				", which no /mms node describes\n",
				ins->mm_pages[i].pages, ins->mm_pages[i].mm_id);
}

static void print_files(const void *fdt, FILE *out)
{
	char id[NUM_LEN], pos[NUM_LEN], type[64], flags[160];
	struct file_info f;

	fprintf(out, "\nFiles        %" PRIu32 "\n", inspect_count(fdt, 0, INSPECT_FILES));
	if (inspect_count(fdt, 0, INSPECT_FILES) == 0)
		return;
	fprintf(out, "  %-6s %-10s %-24s %-12s %s\n", "ID", "TYPE", "FLAGS", "POS", "PATH");
	for (int n = inspect_child(fdt, 0, INSPECT_FILES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_FILES, n)) {
		inspect_read_file(fdt, n, &f);
		fprintf(out, "  %-6s %-10s %-24s %-12s ", u32_or_unknown(id, f.id),
			text_escape(type, sizeof(type), f.type),
			f.flags.ok ? inspect_open_flags_text(flags, sizeof(flags), f.flags.u) : "?",
			u64_or_unknown(pos, f.pos));
		text_put(out, f.path);
		fputc('\n', out);
	}
}

static void print_pipes(const void *fdt, FILE *out)
{
	char id[NUM_LEN], capacity[NUM_LEN], buffered[NUM_LEN];
	struct pipe_info p;

	fprintf(out, "\nPipes        %" PRIu32 "\n", inspect_count(fdt, 0, INSPECT_PIPES));
	if (inspect_count(fdt, 0, INSPECT_PIPES) == 0)
		return;
	fprintf(out, "  %-6s %-10s %s\n", "ID", "CAPACITY", "BUFFERED");
	for (int n = inspect_child(fdt, 0, INSPECT_PIPES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_PIPES, n)) {
		inspect_read_pipe(fdt, n, &p);
		snprintf(buffered, sizeof(buffered), "%d", p.buffered);
		fprintf(out, "  %-6s %-10s %s\n", u32_or_unknown(id, p.id),
			u32_or_unknown(capacity, p.capacity), p.buffered < 0 ? "?" : buffered);
	}
}

static void print_locks(const void *fdt, FILE *out)
{
	char id[NUM_LEN], file[NUM_LEN], pid[NUM_LEN], start[NUM_LEN], end[NUM_LEN];
	char kind[16], type[16];
	struct lock_info l;

	if (!inspect_has(fdt, 0, INSPECT_LOCKS))
		return;
	fprintf(out, "\nLocks        %" PRIu32 "\n", inspect_count(fdt, 0, INSPECT_LOCKS));
	fprintf(out, "  %-6s %-6s %-6s %-8s %-6s %s\n", "ID", "KIND", "TYPE", "PID", "FILE", "BYTES");
	for (int n = inspect_child(fdt, 0, INSPECT_LOCKS, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_LOCKS, n)) {
		inspect_read_lock(fdt, n, &l);
		fprintf(out, "  %-6s %-6s %-6s %-8s %-6s ", u32_or_unknown(id, l.id),
			text_escape(kind, sizeof(kind), l.kind), text_escape(type, sizeof(type), l.type),
			u32_or_unknown(pid, l.pid), u32_or_unknown(file, l.file));
		/* both absent: the whole file (a flock lock, or a range from 0) */
		if (!l.length.u)
			fprintf(out, "%s-EOF\n", l.start.ok ? u64_or_unknown(start, l.start) : "0");
		else if (l.start.u + l.length.u < l.start.u)
			fprintf(out, "?\n");
		else
			fprintf(out, "%s-%s\n", l.start.ok ? u64_or_unknown(start, l.start) : "0",
				u64_or_unknown(end, (struct meta_value){ .ok = true,
					.u = l.start.u + l.length.u - 1 }));
	}
}

static void print_leases(const void *fdt, FILE *out)
{
	char id[NUM_LEN], file[NUM_LEN], pid[NUM_LEN], sig[NUM_LEN], owner[NUM_LEN], type[16];
	static const char *const owner_types[] = { "thread", "pid", "pgrp" };
	struct lease_info l;

	if (!inspect_has(fdt, 0, INSPECT_LEASES))
		return;
	fprintf(out, "\nLeases       %" PRIu32 "\n", inspect_count(fdt, 0, INSPECT_LEASES));
	fprintf(out, "  %-6s %-6s %-8s %-6s %-7s %s\n", "ID", "TYPE", "PID", "FILE", "SIGNAL",
		"BREAK GOES TO");
	for (int n = inspect_child(fdt, 0, INSPECT_LEASES, -1); n >= 0;
	     n = inspect_child(fdt, 0, INSPECT_LEASES, n)) {
		inspect_read_lease(fdt, n, &l);
		fprintf(out, "  %-6s %-6s %-8s %-6s %-7s ", u32_or_unknown(id, l.id),
			text_escape(type, sizeof(type), l.type), u32_or_unknown(pid, l.pid),
			u32_or_unknown(file, l.file),
			l.signal.ok && !l.signal.u ? "SIGIO" : u32_or_unknown(sig, l.signal));
		if (!l.owner_type.ok || l.owner_type.u > 2)
			fprintf(out, "?\n");
		else if (!l.owner_id.u)
			fprintf(out, "nobody\n");
		else
			fprintf(out, "%s %s\n", owner_types[l.owner_type.u],
				u32_or_unknown(owner, l.owner_id));
	}
}

static void print_totals(struct inspect *ins, FILE *out)
{
	const struct ferry_header *h = &ins->img.hdr;
	char raw[TEXT_SIZE_LEN], stored[TEXT_SIZE_LEN];
	double ratio = inspect_compression_ratio(ins);

	fprintf(out, "\nTotals\n");
	fprintf(out, "  Raw pages  %s (%" PRIu64 " bytes, %" PRIu64 " pages)\n",
		text_size(raw, sizeof(raw), h->page_bytes_raw), h->page_bytes_raw, ins->pages);
	fprintf(out, "  Stored     %s (%" PRIu64 " bytes)\n",
		text_size(stored, sizeof(stored), h->page_bytes_stored), h->page_bytes_stored);
	if (ratio > 0)
		fprintf(out, "  Ratio      %.2f:1\n", ratio);
	else
		fprintf(out, "  Ratio      -\n");
	fprintf(out, "  Chunks     %" PRIu32 "\n", h->chunk_count);
	if (!ins->chunk_error[0] &&
	    (ins->raw_bytes != h->page_bytes_raw || ins->stored_bytes != h->page_bytes_stored))
		fprintf(out, "  warning: the chunks hold %" PRIu64 " raw / %" PRIu64
			" stored bytes, not what the header says\n",
			ins->raw_bytes, ins->stored_bytes);
}

static void print_chunks(struct inspect *ins, FILE *out)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;

	fprintf(out, "\nChunks\n  %-7s %-6s %-8s %-6s %-7s %-10s %s\n", "INDEX", "MM", "ENCODING",
		"PAGES", "EXTENTS", "STORED", "OFFSET");
	ferry_chunk_cursor_init(&ins->img, &cur);
	/* the same walk as inspect_load(); it stops at the same bad descriptor */
	while (ferry_chunk_next(&ins->img, &cur, &c, NULL) > 0)
		fprintf(out, "  %-7" PRIu32 " %-6" PRIu32 " %-8s %-6" PRIu32 " %-7u %-10" PRIu32
			" 0x%" PRIx64 "\n",
			c.index, c.mm_id, c.encoding == FERRY_ENCODING_DEFLATE ? "deflate" : "stored",
			c.page_count, c.extent_count, c.stored_size, c.offset);
}

static void print_problems(struct inspect *ins, FILE *out)
{
	if (ins->metadata_error[0])
		fprintf(out, "\nBAD: %s\n", ins->metadata_error);
	if (ins->chunk_error[0])
		fprintf(out, "\nBAD: %s\n", ins->chunk_error);
}

int inspect_print_text(struct inspect *ins, FILE *out)
{
	print_header(ins, out);
	if (ins->fdt) {
		print_processes(ins->fdt, out);
		print_memory(ins, out);
		print_files(ins->fdt, out);
		print_pipes(ins->fdt, out);
		print_locks(ins->fdt, out);
		print_leases(ins->fdt, out);
		print_image_kinds(ins->fdt, out);
	}
	print_totals(ins, out);
	if (ins->show_chunks)
		print_chunks(ins, out);
	print_problems(ins, out);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
