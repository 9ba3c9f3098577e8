/* SPDX-License-Identifier: MIT */
/*
 * The metadata schema, described once. Each node of the image's FDT is a
 * table of fields: the property's name (format/include/ferry/schema.h), its
 * type, where its value lives in the in-memory struct (state.h and the
 * kinds' own structs), whether it is required. The same table writes the
 * node (meta_write_fields), reads it back (meta_read_fields), frees what
 * reading allocated (meta_free_fields) and shows it leniently for
 * `ferry inspect` (meta_view), so the four can never disagree.
 *
 *	static const struct meta_field pipe_fields[] = {
 *		META_U32(FM_PI_ID, struct st_pipe, id, META_REQUIRED | META_UNIT),
 *		META_U32(FM_PI_CAPACITY, struct st_pipe, capacity, 0),
 *		META_BYTES(FM_PI_DATA, struct st_pipe, data, len, 0),
 *		{ 0 },
 *	};
 *	const struct meta_node pipe_node = {
 *		.name = FM_PIPE, .size = sizeof(struct st_pipe), .fields = pipe_fields,
 *	};
 *
 * Properties are written in table order, so a table fixes the bytes of its
 * node. Reading checks every size against the type; a missing required
 * property or one of the wrong size is logged with the node's path and
 * kept as the reader's first error, and reading goes on (the caller looks
 * at in->err once).
 */
#ifndef FERRY_GLUE_META_FIELDS_H
#define FERRY_GLUE_META_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum meta_type {
	META_T_END,     /* ends a table: { 0 } */
	META_T_U32,     /* a 1-, 4- or 8-byte member written as one cell (u32) */
	META_T_U64,     /* a 4- or 8-byte member written as two cells (u64) */
	META_T_STR,     /* char *: a string; NULL is not written */
	META_T_CHARS,   /* char[.count]: an inline string */
	META_T_BYTES,   /* uint8_t * and its size_t count of .elem-byte elements at .count */
	META_T_FIXED,   /* .count (or .count_of()) inline bytes */
	META_T_FLAG,    /* bool: an empty property, present when true */
	META_T_CELLS,   /* a fixed number of cells, each from a member (.cells), or
			 * .count consecutive members of .elem bytes */
	META_T_RECORDS, /* an array (pointer, size_t count at .count) of .elem-byte
			 * records, each written as its .cells one after another */
	META_T_NAME,    /* an enum or bool member written as .names[value] */
	META_T_CONST,   /* the constant string .names[0]; not read back */
	META_T_NODES,   /* an array (pointer, size_t count at .count) of .node objects,
			 * each a child node; .name is their container node, or NULL
			 * when they are children of this node */
	META_T_INLINE,  /* the fields of .node, of the struct at .offset, in this node */
	META_T_CUSTOM,  /* .write, .read, .free */
};

/* field flags */
#define META_REQUIRED  0x01 /* reading fails without it */
#define META_OMIT_ZERO 0x02 /* not written when zero, empty or (CELLS) its first cell 0 */
#define META_UNIT      0x04 /* this value is the unit address of the node (name@UNIT) */
#define META_HEX       0x08 /* shown (and as a unit address written) in hexadecimal */
#define META_ABSENT_ALL_ONES 0x10 /* when absent, every byte of the value is 0xff */
#define META_SAME_COUNT 0x20 /* RECORDS: shares .count with an earlier field: the
			      * same number of records, or none */

/* A member of an object (or of a record) as a cell of an array property. */
struct meta_cell {
	uint32_t offset; /* in the object or record */
	uint8_t size;    /* of the member: 1, 4 or 8 */
	uint8_t width;   /* in the FDT: 4 (one cell) or 8 (two cells, high first) */
};

struct meta_out;
struct meta_in;
struct meta_node;

struct meta_field {
	const char *name;
	enum meta_type type;
	unsigned flags;
	size_t offset;   /* of the value in the object */
	size_t size;     /* of a scalar member */
	size_t count;    /* see the types */
	size_t elem;     /* see the types */
	size_t present;  /* 1 + offset of a bool: written when true, set when read;
			  * the required fields sharing it are required together */
	const struct meta_cell *cells;
	size_t ncells;
	const char *const *names; /* NAME, CONST */
	const struct meta_node *node; /* NODES, INLINE */
	/* written, and read, only when this says so (NULL: always); it may look
	 * only at fields before this one, which reading has filled in */
	bool (*when)(const void *obj);
	/* written only when this says so; read whenever it is there */
	bool (*write_if)(const void *obj);
	/* reading fails without it when this says so (and it applies) */
	bool (*required_if)(const void *obj);
	/* FIXED: how many bytes of it this object has (NULL: .count) */
	size_t (*count_of)(const void *obj);
	/* CUSTOM: the type meta_view() shows it as (0: its bytes) */
	enum meta_type view;
	/* CUSTOM: the whole field, through the helpers below */
	void (*write)(struct meta_out *o, const struct meta_field *f, const void *obj);
	void (*read)(struct meta_in *in, int node, const struct meta_field *f, void *obj);
	void (*free)(const struct meta_field *f, void *obj);
};

/* One kind of node: name@UNIT, an object of @size bytes described by @fields. */
struct meta_node {
	const char *name;
	size_t size;
	const struct meta_field *fields; /* ends with { 0 } */
	/* after reading a node: what the fields alone cannot check; 0 or -errno
	 * (through meta_fail()) */
	int (*check)(struct meta_in *in, int node, void *obj);
	/* what the fields do not free */
	void (*free)(void *obj);
};

#define META_SIZEOF(S, m) sizeof(((S *)0)->m)
/* .present = META_PRESENT(S, m): the field is there when bool m of S is */
#define META_PRESENT(S, m) (1 + offsetof(S, m))

/* The macros below take more designated initializers after their own
 * arguments: META_U32(FM_TY_INDEX, struct tty_record, index, META_REQUIRED,
 * .when = is_pty). */

#define META_SCALAR(t, n, S, m, fl, ...)                                                       \
	{ .name = (n), .type = (t), .flags = (fl), .offset = offsetof(S, m),                   \
	  .size = META_SIZEOF(S, m), __VA_ARGS__ }
#define META_U32(n, S, m, fl, ...) META_SCALAR(META_T_U32, n, S, m, fl, __VA_ARGS__)
#define META_U64(n, S, m, fl, ...) META_SCALAR(META_T_U64, n, S, m, fl, __VA_ARGS__)
#define META_STR(n, S, m, fl, ...) META_SCALAR(META_T_STR, n, S, m, fl, __VA_ARGS__)
#define META_FLAG(n, S, m, fl, ...) META_SCALAR(META_T_FLAG, n, S, m, fl, __VA_ARGS__)
#define META_CHARS(n, S, m, fl, ...)                                                           \
	{ .name = (n), .type = META_T_CHARS, .flags = (fl), .offset = offsetof(S, m),          \
	  .count = META_SIZEOF(S, m), __VA_ARGS__ }
#define META_FIXED(n, S, m, fl, ...)                                                           \
	{ .name = (n), .type = META_T_FIXED, .flags = (fl), .offset = offsetof(S, m),          \
	  .count = META_SIZEOF(S, m), __VA_ARGS__ }
/* @m points to @count_member elements of @elem bytes */
#define META_BYTES_OF(n, S, m, count_member, elem_size, fl, ...)                               \
	{ .name = (n), .type = META_T_BYTES, .flags = (fl), .offset = offsetof(S, m),          \
	  .count = offsetof(S, count_member), .elem = (elem_size), __VA_ARGS__ }
#define META_BYTES(n, S, m, len_member, fl, ...)                                               \
	META_BYTES_OF(n, S, m, len_member, 1, fl, __VA_ARGS__)
/* @n_words consecutive @width-byte words from @m (uint32_t or uint64_t), as
 * cells of that width */
#define META_RUN(n, S, m, n_words, width, fl, ...)                                             \
	{ .name = (n), .type = META_T_CELLS, .flags = (fl), .offset = offsetof(S, m),          \
	  .count = (n_words), .elem = (width), __VA_ARGS__ }
/* all of @m (an array, or a struct of words) as @width-byte cells */
#define META_WORDS(n, S, m, width, fl, ...)                                                    \
	META_RUN(n, S, m, META_SIZEOF(S, m) / (width), width, fl, __VA_ARGS__)
/* the members @cell_list (META_CELL) as the cells of one property */
#define META_CELLS(n, cell_list, fl, ...)                                                      \
	{ .name = (n), .type = META_T_CELLS, .flags = (fl), .cells = (cell_list),              \
	  .ncells = sizeof(cell_list) / sizeof((cell_list)[0]), __VA_ARGS__ }
/* an array @m of @count_member records of @S, each written as @cell_list */
#define META_RECORDS(n, S, m, count_member, record, cell_list, fl, ...)                        \
	{ .name = (n), .type = META_T_RECORDS, .flags = (fl), .offset = offsetof(S, m),        \
	  .count = offsetof(S, count_member), .elem = sizeof(record), .cells = (cell_list),    \
	  .ncells = sizeof(cell_list) / sizeof((cell_list)[0]), __VA_ARGS__ }
#define META_NAME(n, S, m, name_list, fl, ...)                                                 \
	{ .name = (n), .type = META_T_NAME, .flags = (fl), .offset = offsetof(S, m),           \
	  .size = META_SIZEOF(S, m), .names = (name_list),                                     \
	  .count = sizeof(name_list) / sizeof((name_list)[0]), __VA_ARGS__ }
#define META_NODES(container, S, m, count_member, child, fl, ...)                              \
	{ .name = (container), .type = META_T_NODES, .flags = (fl),                            \
	  .offset = offsetof(S, m), .count = offsetof(S, count_member),                        \
	  .node = (child), __VA_ARGS__ }
/* member @m of @S (its offset and size) as a cell of @width bytes */
#define META_CELL(S, m, width)                                                                 \
	{ offsetof(S, m), META_SIZEOF(S, m), (width) }

/* ---- writing (libfdt's sequential-write mode) ---- */

struct meta_out {
	void *fdt;
	int err;          /* the first libfdt error; every later call does nothing */
	const void *parent; /* the object whose NODES field is being written */
};

/* The properties of @fields (and the child nodes) for @obj. */
void meta_write_fields(struct meta_out *o, const struct meta_field *fields, const void *obj);
/* The node @n@UNIT for @obj, with its fields. */
void meta_write_node(struct meta_out *o, const struct meta_node *n, const void *obj);
/* Low-level steps, for CUSTOM fields. */
void meta_out_begin(struct meta_out *o, const char *name);
void meta_out_end(struct meta_out *o);
void meta_out_prop(struct meta_out *o, const char *name, const void *value, size_t len);
void meta_out_u32(struct meta_out *o, const char *name, uint32_t v);
void meta_out_u64s(struct meta_out *o, const char *name, const uint64_t *v, size_t n);

/* ---- reading (a blob that passed fdt_check_full()) ---- */

struct meta_in {
	const void *fdt;
	int err;          /* the first error, already logged */
	void *parent;     /* the object whose NODES field is being read */
};

/* @fields of node @node into @obj (zeroed by the caller). */
void meta_read_fields(struct meta_in *in, int node, const struct meta_field *fields, void *obj);
/* Log "image metadata: PATH: MESSAGE" for node @node, keep -EINVAL as the
 * first error, and return it. */
int meta_fail(struct meta_in *in, int node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The property @name of @node: NULL when absent, and then an error when
 * @required. */
const void *meta_in_prop(struct meta_in *in, int node, const char *name, int *ret_len,
			 bool required);
void meta_in_oom(struct meta_in *in);
/* The next child of @parent named @base or @base@UNIT after @prev (the first
 * when @prev < 0); -1 when there is none. */
int meta_next_child(const void *fdt, int parent, const char *base, int prev);

/* ---- freeing what reading (or a checkpoint) allocated ---- */

void meta_free_fields(const struct meta_field *fields, void *obj);
void meta_free_node(const struct meta_node *n, void *obj);

/* ---- looking, for ferry inspect: never an error ---- */

struct meta_value {
	bool ok;        /* present, and of the size its type wants */
	uint64_t u;     /* U32, U64, FLAG */
	const char *s;  /* STR, CHARS, NAME: up to the first NUL (or all of it); BYTES: the bytes */
	size_t len;
};

/* NODES field @f of @node: the node that holds its children (@node itself
 * or its container), or -1 when there is none. Iterate them with
 * meta_next_child(fdt, container, f->node->name, prev). */
int meta_view_container(const void *fdt, int node, const struct meta_field *f);
/* How many children of @container are named @base (0 when @container < 0). */
uint32_t meta_count_children(const void *fdt, int container, const char *base);

/* The field @name of @fields (NULL when there is none). */
const struct meta_field *meta_field_named(const struct meta_field *fields, const char *name);
/* Property @f of @node as it is in the image. */
struct meta_value meta_view(const void *fdt, int node, const struct meta_field *f);

#endif
