/* SPDX-License-Identifier: MIT */
/*
 * edit-image: a hostile writer for tests. Reads a sealed image, edits its
 * metadata FDT through libfdt, and writes a new image, whole and sealed,
 * with the project's writer (the same pages). What comes out is an image
 * only the meaning of its metadata can refuse.
 *
 *   edit-image IN OUT EDIT...
 *   edit-image --metadata IN OUT      only write IN's metadata FDT to OUT
 *
 * EDIT is one argument each:
 *   set:NODE:PROP:u32:V[,V...]   cells (decimal or 0x hex)
 *   set:NODE:PROP:u64:V[,V...]   two cells each
 *   set:NODE:PROP:str:TEXT       a string; TEXT of "@N" is N bytes of "a"
 *                                after a "/"
 *   del:NODE:PROP                remove a property
 *   add:NODE:NAME                a new empty child NAME of NODE
 *   copy:NODE:NAME               a deep copy of NODE beside it, named NAME
 *   copies:NODE:COUNT:PROP       COUNT copies of NODE beside it, the i-th
 *                                named BASE@V+i with u32 PROP set to V+i,
 *                                where V is NODE's PROP plus one
 *
 * Exit status 0, or 1 with the reason on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libfdt.h>

#include "ferry/image.h"
#include "ferry/writer.h"

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "edit-image: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static char *split(char **s)
{
	char *tok = *s, *c = tok ? strchr(tok, ':') : NULL;

	if (c) {
		*c = 0;
		*s = c + 1;
	} else {
		*s = NULL;
	}
	return tok;
}

static int node_of(void *fdt, const char *path)
{
	int node = fdt_path_offset(fdt, path);

	if (node < 0)
		die("no node %s", path);
	return node;
}

static void set_prop(void *fdt, const char *path, const char *prop, const char *type,
		     const char *value)
{
	int node = node_of(fdt, path), r;

	if (strcmp(type, "str") == 0) {
		char *buf = NULL;

		if (value[0] == '@') {
			size_t n = strtoul(value + 1, NULL, 0);

			buf = malloc(n + 2);
			if (!buf)
				die("%s", "out of memory");
			buf[0] = '/';
			memset(buf + 1, 'a', n);
			buf[n + 1] = 0;
			value = buf;
		}
		r = fdt_setprop_string(fdt, node, prop, value);
		free(buf);
	} else {
		uint8_t cells[4096];
		size_t n = 0, width = strcmp(type, "u64") == 0 ? 8 : 4;
		char *copy = strdup(value), *s = copy, *tok;

		while ((tok = strsep(&s, ",")) && n + width <= sizeof(cells)) {
			unsigned long long v = strtoull(tok, NULL, 0);

			if (width == 8) {
				fdt64_t x = cpu_to_fdt64(v);

				memcpy(cells + n, &x, 8);
			} else {
				fdt32_t x = cpu_to_fdt32((uint32_t)v);

				memcpy(cells + n, &x, 4);
			}
			n += width;
		}
		free(copy);
		r = fdt_setprop(fdt, node, prop, cells, (int)n);
	}
	if (r < 0)
		die("cannot set the property: %s", fdt_strerror(r));
}

/* Copy @from (in @src) and all below it as a new child @name of @parent. */
static void copy_into(void *fdt, int parent, const void *src, int from, const char *name)
{
	int node = fdt_add_subnode(fdt, parent, name), prop, child;

	if (node < 0)
		die("cannot add a node: %s", fdt_strerror(node));
	fdt_for_each_property_offset(prop, src, from) {
		const char *pname;
		int len;
		const void *val = fdt_getprop_by_offset(src, prop, &pname, &len);
		int r = fdt_setprop(fdt, node, pname, val, len);

		if (r < 0)
			die("cannot copy a property: %s", fdt_strerror(r));
	}
	/* fdt_add_subnode puts a new child first: copy the children last first */
	{
		int kids[4096], n = 0;

		fdt_for_each_subnode(child, src, from)
			if (n < 4096)
				kids[n++] = child;
		while (n-- > 0)
			copy_into(fdt, node, src, kids[n], fdt_get_name(src, kids[n], NULL));
	}
}

static void copy_node(void *fdt, size_t room, const char *path, const char *name)
{
	void *src = malloc(room);
	int from, parent;

	if (!src || fdt_open_into(fdt, src, (int)room) < 0)
		die("%s", "cannot snapshot the tree");
	from = node_of(src, path);
	parent = fdt_parent_offset(fdt, node_of(fdt, path));
	copy_into(fdt, parent, src, from, name);
	free(src);
}

/* ---- copies: the tree written again with the sequential writer ---- */

struct repeat {
	const char *path;
	int node;
	unsigned long count;
	const char *prop;
};

static int write_node(const void *in, int node, void *out, const struct repeat *rep, int depth)
{
	const char *name = depth ? fdt_get_name(in, node, NULL) : "";
	unsigned long n = node == rep->node ? rep->count + 1 : 1;
	uint32_t base = 0;
	int prop, child, r;

	if (node == rep->node) {
		const fdt32_t *v = fdt_getprop(in, node, rep->prop, NULL);

		if (!v)
			die("no property %s to count from", rep->prop);
		base = fdt32_to_cpu(*v);
	}
	for (unsigned long i = 0; i < n; i++) {
		char nm[256];

		if (i) {
			int len = (int)(strchrnul(name, '@') - name);

			snprintf(nm, sizeof(nm), "%.*s@%lu", len, name, (unsigned long)base + i);
		}
		r = fdt_begin_node(out, i ? nm : name);
		fdt_for_each_property_offset(prop, in, node) {
			const char *pname;
			int len;
			const void *val = fdt_getprop_by_offset(in, prop, &pname, &len);

			if (i && strcmp(pname, rep->prop) == 0) {
				fdt32_t x = cpu_to_fdt32(base + (uint32_t)i);

				r = r ? r : fdt_property(out, pname, &x, 4);
			} else {
				r = r ? r : fdt_property(out, pname, val, len);
			}
		}
		fdt_for_each_subnode(child, in, node)
			r = r ? r : write_node(in, child, out, rep, depth + 1);
		r = r ? r : fdt_end_node(out);
		if (r < 0)
			return r;
	}
	return 0;
}

static void *repeat_node(void *fdt, size_t *room, struct repeat *rep)
{
	size_t size = *room + (size_t)(rep->count + 1) * 1024;
	void *out;
	int r;

	rep->node = node_of(fdt, rep->path);
	/* a guess, doubled until the copies fit */
	for (;;) {
		out = malloc(size);
		if (!out)
			die("%s", "out of memory");
		r = fdt_create(out, (int)size);
		r = r ? r : fdt_finish_reservemap(out);
		r = r ? r : write_node(fdt, 0, out, rep, 0);
		r = r ? r : fdt_finish(out);
		if (r != -FDT_ERR_NOSPACE)
			break;
		free(out);
		size *= 2;
	}
	if (r < 0)
		die("cannot write the copies: %s", fdt_strerror(r));
	free(fdt);
	*room = size;
	return out;
}

/* ---- the image ---- */

static const uint8_t *map_image(const char *path, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p;

	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot open %s", path);
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die("cannot map %s", path);
	*ret_len = st.st_size;
	return p;
}

static void write_image(const struct ferry_image *img, const void *fdt, const char *out_path)
{
	struct ferry_writer_options opts = { .ferry_version = "edit-image", .level = 1 };
	struct ferry_inflater *inf = malloc(sizeof(*inf));
	struct ferry_chunk_cursor cur;
	struct ferry_fd_sink fs;
	struct ferry_sink sink;
	struct ferry_writer *w;
	struct ferry_chunk ch;
	struct ferry_diag diag;
	struct utsname u;
	uint8_t *buf = NULL;
	int fd, k;

	uname(&u);
	opts.kernel_release = u.release;
	opts.machine = u.machine;
	opts.page_size = img->hdr.page_size;
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("cannot create %s", out_path);
	ferry_sink_fd(&sink, &fs, fd);
	k = ferry_writer_begin(&w, &sink, &opts, fdt, fdt_totalsize(fdt));
	if (k < 0)
		die("cannot begin the image: %s", ferry_strerror(k));
	if (!inf || ferry_inflater_init(inf) < 0)
		die("%s", "out of memory");
	ferry_chunk_cursor_init(img, &cur);
	while ((k = ferry_chunk_next(img, &cur, &ch, &diag)) == 1) {
		uint64_t off = 0;

		buf = realloc(buf, ch.raw_size ? ch.raw_size : 1);
		if (!buf || ferry_chunk_inflate(inf, &ch, buf, ch.raw_size, &diag) < 0)
			die("%s", "cannot inflate a chunk");
		for (uint32_t i = 0; i < ch.extent_count; i++) {
			struct ferry_extent x;

			ferry_chunk_extent(&ch, i, &x);
			k = ferry_writer_add_pages(w, ch.mm_id, x.vaddr, buf + off, x.page_count);
			if (k < 0)
				die("cannot add pages: %s", ferry_strerror(k));
			off += (uint64_t)x.page_count * img->hdr.page_size;
		}
	}
	if (k < 0)
		die("%s", "cannot walk the chunks");
	k = ferry_writer_seal(w);
	if (k < 0)
		die("cannot seal: %s", ferry_strerror(k));
	ferry_writer_free(w);
	ferry_inflater_fini(inf);
	free(inf);
	free(buf);
	close(fd);
}

int main(int argc, char **argv)
{
	bool only_metadata = argc > 1 && strcmp(argv[1], "--metadata") == 0;
	struct ferry_image img;
	struct ferry_diag diag = { 0 };
	const void *meta;
	size_t len, meta_size, room;
	const uint8_t *data;
	void *fdt;
	int k;

	if (only_metadata) {
		argv++;
		argc--;
	}
	if (argc < 3 || (!only_metadata && argc < 4)) {
		fprintf(stderr, "usage: edit-image IN OUT EDIT... | --metadata IN OUT\n");
		return 2;
	}
	data = map_image(argv[1], &len);
	k = ferry_image_open(&img, data, len, 0, &diag);
	k = k ? k : ferry_image_verify(&img, &diag);
	k = k ? k : ferry_image_metadata(&img, &meta, &meta_size);
	if (k < 0)
		die("the image is not whole: %s", ferry_strerror(k));
	if (only_metadata) {
		FILE *f = fopen(argv[2], "wb");

		if (!f || fwrite(meta, 1, fdt_totalsize(meta), f) != fdt_totalsize(meta) || fclose(f))
			die("cannot write %s", argv[2]);
		return 0;
	}
	room = fdt_totalsize(meta) + (1 << 20);
	fdt = malloc(room);
	if (!fdt || fdt_open_into(meta, fdt, (int)room) < 0)
		die("%s", "cannot open the metadata for editing");
	for (int i = 3; i < argc; i++) {
		char *s = argv[i], *op = split(&s), *node = split(&s);

		if (!node)
			die("bad edit %s", argv[i]);
		if (strcmp(op, "set") == 0) {
			char *prop = split(&s), *type = split(&s);

			if (!prop || !type || !s)
				die("bad edit %s", argv[i]);
			set_prop(fdt, node, prop, type, s);
		} else if (strcmp(op, "del") == 0 && s) {
			k = fdt_delprop(fdt, node_of(fdt, node), s);
			if (k < 0)
				die("cannot remove the property: %s", fdt_strerror(k));
		} else if (strcmp(op, "add") == 0 && s) {
			k = fdt_add_subnode(fdt, node_of(fdt, node), s);
			if (k < 0)
				die("cannot add the node: %s", fdt_strerror(k));
		} else if (strcmp(op, "copy") == 0 && s) {
			copy_node(fdt, room, node, s);
		} else if (strcmp(op, "copies") == 0 && s) {
			struct repeat rep = { .path = node };
			char *count = split(&s);

			rep.count = strtoul(count, NULL, 0);
			rep.prop = s;
			if (!rep.prop)
				die("bad edit %s", argv[i]);
			fdt = repeat_node(fdt, &room, &rep);
			continue;
		} else {
			die("bad edit %s", argv[i]);
		}
		/* room for the next edit: fdt_open_into() made the whole buffer the
		 * tree's total size, with the free space after its strings */
		if (fdt_off_dt_strings(fdt) + fdt_size_dt_strings(fdt) + 65536 * 2 > room) {
			void *bigger = malloc(room * 2 + (1 << 20));

			if (!bigger || fdt_open_into(fdt, bigger, (int)(room * 2 + (1 << 20))) < 0)
				die("%s", "out of memory");
			free(fdt);
			fdt = bigger;
			room = room * 2 + (1 << 20);
		}
	}
	k = fdt_pack(fdt);
	if (k < 0)
		die("cannot pack the metadata: %s", fdt_strerror(k));
	write_image(&img, fdt, argv[2]);
	free(fdt);
	return 0;
}
