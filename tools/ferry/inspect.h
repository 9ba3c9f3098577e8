/* SPDX-License-Identifier: MIT */
/*
 * ferry inspect: what the command learns about an image (inspect_model.c),
 * printed as text (inspect_text.c) or JSON (inspect_json.c). Both printers
 * read the metadata through the same inspect_read_* functions, so they
 * always show the same content.
 */
#ifndef FERRY_TOOL_INSPECT_H
#define FERRY_TOOL_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ferry/image.h"

#include "../../kernel-glue/common/meta_fields.h"
#include "image_diag.h"

/* Pages the chunks hold for one address space (mm id). */
struct inspect_mm_pages {
	uint32_t mm_id;
	uint32_t chunks;
	uint64_t pages;
	uint64_t stored_bytes;
	bool described; /* an /mms node names this id */
};

struct inspect {
	const char *path;
	size_t file_size;
	struct ferry_image img;
	bool show_chunks;

	const void *fdt; /* NULL when the metadata is unreadable */
	char metadata_error[IMAGE_DIAG_LEN]; /* "" when the metadata is fine */

	/* totals from walking the chunk descriptors */
	uint32_t chunks_read;
	uint64_t pages;
	uint64_t raw_bytes;
	uint64_t stored_bytes;
	struct inspect_mm_pages *mm_pages;
	size_t mm_pages_count;
	char chunk_error[IMAGE_DIAG_LEN]; /* "" when every descriptor is fine */
};

/* Check the metadata and walk the chunk descriptors of @ins->img. Problems
 * with either are recorded in the *_error fields, not returned. Returns 0
 * or -ENOMEM. */
int inspect_load(struct inspect *ins);
void inspect_free(struct inspect *ins);

/* Pages stored for @mm_id (NULL when none), and marks it described. */
struct inspect_mm_pages *inspect_mm_pages(struct inspect *ins, uint32_t mm_id);

/*
 * What is shown of each node, read through the field tables of the image
 * (kernel-glue/common/meta.c and the kinds'): a value absent or of the
 * wrong size is not ok, and shown as "?" or null.
 */
struct process_info {
	struct meta_value pid, ppid, pgid, sid, mm, comm, exe;
	int node;
	struct meta_value thread_count, fd_count; /* not ok without their node */
};

struct mm_info {
	struct meta_value id;
	uint32_t area_count;
};

struct area_info {
	struct meta_value start, end, prot, flags, kind, path;
};

struct file_info {
	struct meta_value id, flags, pipe, pos, type, path;
};

struct pipe_info {
	struct meta_value id, capacity;
	int buffered; /* bytes of data, -1 when the property is absent */
};

struct lock_info {
	struct meta_value id, kind, file, pid, type, start, length;
};

struct lease_info {
	struct meta_value id, file, pid, type, signal;
	struct meta_value owner_type, owner_id; /* the two cells of lease-owner */
};

/* The kinds of nodes ferry inspect walks: the NODES fields of their
 * parents' tables. */
enum inspect_nodes {
	INSPECT_PROCESSES, /* of the root */
	INSPECT_THREADS,   /* of a process */
	INSPECT_MMS,       /* of the root */
	INSPECT_AREAS,     /* of an address space */
	INSPECT_FILES,     /* of the root */
	INSPECT_PIPES,     /* of the root */
	INSPECT_LOCKS,     /* of the root */
	INSPECT_LEASES,    /* of the root */
};

/* The first child of kind @which of @node when @prev < 0, else the one
 * after @prev; -1 when there is none left. */
int inspect_child(const void *fdt, int node, enum inspect_nodes which, int prev);
/* How many there are; whether the node holding them is there. */
uint32_t inspect_count(const void *fdt, int node, enum inspect_nodes which);
bool inspect_has(const void *fdt, int node, enum inspect_nodes which);
/* The root's hostname; the tid of a thread node. */
struct meta_value inspect_hostname(const void *fdt);
struct meta_value inspect_tid(const void *fdt, int node);

void inspect_read_process(const void *fdt, int node, struct process_info *ret);
void inspect_read_mm(const void *fdt, int node, struct mm_info *ret);
void inspect_read_area(const void *fdt, int node, struct area_info *ret);
void inspect_read_file(const void *fdt, int node, struct file_info *ret);
void inspect_read_pipe(const void *fdt, int node, struct pipe_info *ret);
void inspect_read_lock(const void *fdt, int node, struct lock_info *ret);
void inspect_read_lease(const void *fdt, int node, struct lease_info *ret);

/*
 * What the kinds keep in a process node (kernel-glue/kinds: a stop,
 * timers, a controlling terminal, ...), walked through their field tables:
 * each property that is there, and each child node of theirs with its
 * properties. Shown as the image has them, named as the image names them.
 */
#define INSPECT_MAX_CELLS 8

struct inspect_prop {
	const char *name;
	enum meta_type type;     /* META_T_U32, U64, FLAG, STR, CELLS, or other: bytes */
	bool hex;                /* a number better read in hexadecimal */
	struct meta_value v;     /* U32, U64: v.u; STR: v.s; bytes: v.s, v.len */
	uint64_t cells[INSPECT_MAX_CELLS]; /* CELLS: the first ncells cells */
	size_t ncells;
};

struct inspect_kinds_visitor {
	void *arg;
	void (*prop)(void *arg, const struct inspect_prop *p);
	/* child nodes: @list is their container ("posix-timers"), @name one of
	 * them ("posix-timer@4") */
	void (*list_begin)(void *arg, const char *list);
	void (*item_begin)(void *arg, const char *name);
	void (*item_end)(void *arg);
	void (*list_end)(void *arg);
};

void inspect_process_kinds(const void *fdt, int node, const struct inspect_kinds_visitor *vis);
/* The same for the kinds' own nodes under the root that ferry inspect has
 * no table of its own for (System V shared memory segments): none in an
 * image without them. */
void inspect_image_kinds(const void *fdt, const struct inspect_kinds_visitor *vis);

/* "rwxp": PROT_* bits, then 'p'rivate or 's'hared; '?' for what is unknown. */
void inspect_prot_text(char ret[5], struct meta_value prot, struct meta_value flags);

/* open(2) flags as "rdwr|append|nonblock". */
const char *inspect_open_flags_text(char *buf, size_t size, uint32_t flags);

/* "sealed, compressed", or "none". */
const char *inspect_flags_text(char *buf, size_t size, uint32_t flags);

/* raw / stored, or a negative number when nothing is stored. */
double inspect_compression_ratio(const struct inspect *ins);

/* Printers. Return 0 or -EIO when the output could not be written. */
int inspect_print_text(struct inspect *ins, FILE *out);
int inspect_print_json(struct inspect *ins, FILE *out);

#endif
