/* SPDX-License-Identifier: MIT */
/*
 * The metadata FDT of an image (format/SPEC.md §3): the field tables of its
 * own nodes (the root, processes and their threads and fds, address spaces
 * and their areas, the common part of file records), each kind's tables
 * plugged in where its data goes (kinds/kind.h), and meta_write() /
 * meta_read() over them. The tables are in the order the properties are
 * written, which fixes the bytes of the image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../kinds/kind.h"
#include "ferry/schema.h"
#include "log.h"
#include "meta.h"
#include "meta_fields.h"

/* ---- the kinds' data ---- */

/* The kinds' fields of a process or (@image) of the image; their data is
 * in the object's .kinds, written in the order of the registry. */
static const struct meta_field *kind_fields(const struct kind *k, bool image)
{
	return image ? k->image_fields : k->process_fields;
}

static void write_kinds(struct meta_out *o, const struct meta_field *f, const void *obj)
{
	const struct st_kind_data *kinds = (const void *)((const char *)obj + f->offset);
	bool image = f->count;

	for (size_t i = 0; i < kind_count && !o->err; i++) {
		const struct kind *k = kind_registry[i];
		size_t size = image ? k->image_size : k->process_size;
		void *data, *zeros = NULL;

		if (!kind_fields(k, image))
			continue;
		/* a kind with nothing here writes what its zeros say */
		data = st_kind_data((struct st_kind_data *)kinds, k, 0);
		if (!data)
			data = zeros = calloc(1, size ? size : 1);
		if (!data) {
			o->err = -FDT_ERR_INTERNAL;
			break;
		}
		meta_write_fields(o, kind_fields(k, image), data);
		free(zeros);
	}
}

static void read_kinds(struct meta_in *in, int node, const struct meta_field *f, void *obj)
{
	struct st_kind_data *kinds = (void *)((char *)obj + f->offset);
	bool image = f->count;

	for (size_t i = 0; i < kind_count && !in->err; i++) {
		const struct kind *k = kind_registry[i];
		void *data;

		if (!kind_fields(k, image))
			continue;
		data = st_kind_data(kinds, k, image ? k->image_size : k->process_size);
		if (!data)
			return meta_in_oom(in);
		meta_read_fields(in, node, kind_fields(k, image), data);
	}
}

static void free_kinds(const struct meta_field *f, void *obj)
{
	struct st_kind_data *kinds = (void *)((char *)obj + f->offset);

	for (size_t i = 0; i < kinds->n; i++) {
		const struct meta_field *fields = kind_fields(kinds->v[i].kind, f->count);

		if (fields)
			meta_free_fields(fields, kinds->v[i].data);
	}
	st_kind_data_free(kinds);
}

/* the kinds' data of @type (struct st_process or st_image) at its .kinds;
 * .count tells the image's (1) from a process's (0) */
#define META_KINDS(S, image)                                                                   \
	{ .name = "kinds", .type = META_T_CUSTOM, .offset = offsetof(S, kinds), .count = (image), \
	  .write = write_kinds, .read = read_kinds, .free = free_kinds }

/* ---- threads, fds, processes ---- */

static bool has_altstack(const void *obj)
{
	return ((const struct st_thread *)obj)->altstack_size != 0;
}

static const struct meta_cell rseq[] = {
	META_CELL(struct st_thread, rseq_addr, 8),
	META_CELL(struct st_thread, rseq_len, 8),
	META_CELL(struct st_thread, rseq_sig, 8),
};
static const struct meta_cell robust_list[] = {
	META_CELL(struct st_thread, robust_list, 8),
	META_CELL(struct st_thread, robust_len, 8),
};
static const struct meta_cell altstack[] = {
	META_CELL(struct st_thread, altstack_sp, 8),
	META_CELL(struct st_thread, altstack_flags, 8),
	META_CELL(struct st_thread, altstack_size, 8),
};
static const char *const arch[] = { "x86_64" };

static const struct meta_field thread_fields[] = {
	META_U32(FM_T_TID, struct st_thread, tid, META_REQUIRED | META_UNIT),
	{ .name = FM_T_ARCH, .type = META_T_CONST, .names = arch },
	META_U64(FM_T_SIGMASK, struct st_thread, sigmask, META_REQUIRED),
	META_BYTES(FM_T_REGS, struct st_thread, regs, regs_len, META_REQUIRED),
	META_BYTES(FM_T_XSAVE, struct st_thread, xsave, xsave_len, META_OMIT_ZERO),
	META_CELLS(FM_T_RSEQ, rseq, META_OMIT_ZERO),
	META_CELLS(FM_T_ROBUST_LIST, robust_list, META_OMIT_ZERO),
	META_CHARS(FM_T_COMM, struct st_thread, comm, META_OMIT_ZERO),
	META_CELLS(FM_T_SIGALTSTACK, altstack, 0, .write_if = has_altstack),
	META_U64(FM_T_CLEAR_CHILD_TID, struct st_thread, clear_child_tid, META_OMIT_ZERO),
	META_U32(FM_T_PDEATHSIG, struct st_thread, pdeathsig, META_OMIT_ZERO),
	META_U32(FM_T_SECUREBITS, struct st_thread, securebits, META_OMIT_ZERO),
	META_BYTES_OF(FM_T_SIGPENDING, struct st_thread, sigpending, nsigpending, ST_SIGINFO_SIZE,
		      META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_node thread_node = {
	.name = FM_THREAD, .size = sizeof(struct st_thread), .fields = thread_fields,
};

static const struct meta_field fd_fields[] = {
	META_U32(FM_FD_NUM, struct st_fd, num, META_REQUIRED | META_UNIT),
	META_U32(FM_FD_FILE, struct st_fd, file_id, META_REQUIRED),
	META_FLAG(FM_FD_CLOEXEC, struct st_fd, cloexec, 0),
	{ 0 },
};

static const struct meta_node fd_node = {
	.name = FM_FD, .size = sizeof(struct st_fd), .fields = fd_fields,
};

static int check_process(struct meta_in *in, int node, void *obj)
{
	const struct st_process *p = obj;

	if (!p->nthreads)
		return meta_fail(in, node, "process %d has no threads", p->pid);
	return 0;
}

static const struct meta_cell u32_cell[] = { { 0, 4, 4 } };

static const struct meta_field process_fields[] = {
	META_U32(FM_P_PID, struct st_process, pid, META_REQUIRED | META_UNIT),
	META_U32(FM_P_PPID, struct st_process, ppid, META_REQUIRED),
	META_U32(FM_P_PGID, struct st_process, pgid, META_REQUIRED),
	META_U32(FM_P_SID, struct st_process, sid, META_REQUIRED),
	META_CHARS(FM_P_COMM, struct st_process, comm, 0),
	META_STR(FM_P_EXE, struct st_process, exe, 0),
	META_U32(FM_P_MM, struct st_process, mm_id, META_REQUIRED),
	META_STR(FM_P_CWD, struct st_process, cwd, META_REQUIRED),
	META_STR(FM_P_ROOT, struct st_process, root, 0),
	META_U32(FM_P_UMASK, struct st_process, umask, META_REQUIRED),
	META_U32(FM_P_PERSONALITY, struct st_process, personality, 0),
	META_WORDS(FM_P_UIDS, struct st_process, uids, 4, META_REQUIRED),
	META_WORDS(FM_P_GIDS, struct st_process, gids, 4, META_REQUIRED),
	META_RECORDS(FM_P_GROUPS, struct st_process, groups, ngroups, uint32_t, u32_cell, 0),
	META_WORDS(FM_P_RLIMITS, struct st_process, rlimits, 8, META_ABSENT_ALL_ONES),
	META_WORDS(FM_P_SIGACTIONS, struct st_process, sigactions, 8, 0),
	META_BYTES_OF(FM_P_SIGPENDING_SHARED, struct st_process, sigpending_shared,
		      nsigpending_shared, ST_SIGINFO_SIZE, META_OMIT_ZERO),
	META_WORDS(FM_P_CAPS, struct st_process, caps, 8, 0,
		   .present = META_PRESENT(struct st_process, have_caps)),
	META_FLAG(FM_P_NO_NEW_PRIVS, struct st_process, no_new_privs, 0),
	META_KINDS(struct st_process, 0),
	META_NODES(FM_THREADS, struct st_process, threads, nthreads, &thread_node, 0),
	META_NODES(FM_FDS, struct st_process, fds, nfds, &fd_node, 0),
	{ 0 },
};

static const struct meta_node process_node = {
	.name = FM_PROCESS, .size = sizeof(struct st_process), .fields = process_fields,
	.check = check_process,
};

/* ---- address spaces and their areas ---- */

static bool is_vdso(const void *obj)
{
	return ((const struct st_area *)obj)->kind == ST_AREA_VDSO;
}

/* The vDSO's contents and entry points, kept with its address space and
 * written in its area. */
static void write_vdso(struct meta_out *o, const struct meta_field *f, const void *obj)
{
	const struct st_mm *mm = o->parent;
	size_t names_len = 0;
	uint64_t *vals;
	char *names, *p;

	(void)f;
	(void)obj;
	if (mm->vdso_len)
		meta_out_prop(o, FM_A_VDSO_IMAGE, mm->vdso, mm->vdso_len);
	if (!mm->nvdso_syms || o->err)
		return;
	for (size_t i = 0; i < mm->nvdso_syms; i++)
		names_len += strlen(mm->vdso_syms[i].name) + 1;
	names = malloc(names_len);
	vals = malloc(mm->nvdso_syms * 2 * sizeof(*vals));
	if (!names || !vals) {
		o->err = -FDT_ERR_INTERNAL;
	} else {
		p = names;
		for (size_t i = 0; i < mm->nvdso_syms; i++) {
			p = stpcpy(p, mm->vdso_syms[i].name) + 1;
			vals[2 * i] = mm->vdso_syms[i].offset;
			vals[2 * i + 1] = mm->vdso_syms[i].size;
		}
		meta_out_prop(o, FM_A_VDSO_SYMBOLS, names, names_len);
		meta_out_u64s(o, FM_A_VDSO_SYMBOL_VALUES, vals, 2 * mm->nvdso_syms);
	}
	free(names);
	free(vals);
}

static void free_vdso(void *obj)
{
	struct st_mm *mm = obj;

	free(mm->vdso);
	for (size_t k = 0; k < mm->nvdso_syms; k++)
		free(mm->vdso_syms[k].name);
	free(mm->vdso_syms);
	mm->vdso = NULL;
	mm->vdso_syms = NULL;
	mm->vdso_len = mm->nvdso_syms = 0;
}

static void read_vdso(struct meta_in *in, int node, const struct meta_field *f, void *obj)
{
	struct st_mm *mm = in->parent;
	const char *names, *p;
	const uint8_t *img, *v;
	int len, vlen, ilen;
	size_t n = 0;

	(void)f;
	(void)obj;
	img = meta_in_prop(in, node, FM_A_VDSO_IMAGE, &ilen, false);
	names = meta_in_prop(in, node, FM_A_VDSO_SYMBOLS, &len, false);
	if (!img && !names)
		return;
	free_vdso(mm);
	if (img && ilen > 0) {
		mm->vdso = malloc(ilen);
		if (!mm->vdso)
			return meta_in_oom(in);
		memcpy(mm->vdso, img, ilen);
		mm->vdso_len = ilen;
	}
	if (!names || len <= 0)
		return;
	if (names[len - 1]) {
		meta_fail(in, node, "property '%s' has a wrong size", FM_A_VDSO_SYMBOLS);
		return;
	}
	for (p = names; p < names + len; p += strlen(p) + 1)
		n++;
	v = meta_in_prop(in, node, FM_A_VDSO_SYMBOL_VALUES, &vlen, true);
	if (!v)
		return;
	if ((size_t)vlen != n * 16) {
		meta_fail(in, node, "property '%s' has a wrong size", FM_A_VDSO_SYMBOL_VALUES);
		return;
	}
	mm->vdso_syms = calloc(n, sizeof(*mm->vdso_syms));
	if (!mm->vdso_syms)
		return meta_in_oom(in);
	for (p = names; p < names + len; p += strlen(p) + 1, v += 16) {
		struct st_vdso_sym *s = &mm->vdso_syms[mm->nvdso_syms++];
		fdt64_t x;

		s->name = strdup(p);
		memcpy(&x, v, 8);
		s->offset = fdt64_to_cpu(x);
		memcpy(&x, v + 8, 8);
		s->size = fdt64_to_cpu(x);
		if (!s->name)
			return meta_in_oom(in);
	}
}

static bool is_sysv(const void *obj)
{
	return ((const struct st_area *)obj)->kind == ST_AREA_SYSV;
}

static int check_area(struct meta_in *in, int node, void *obj)
{
	const struct st_area *a = obj;

	if (a->end <= a->start)
		return meta_fail(in, node, "empty range");
	/* the size of a shared memory object is the largest pgoff + length of
	 * its areas (restore/restore_shmem.c; an object elsewhere is ignored) */
	if (a->object && a->pgoff > UINT64_MAX - (a->end - a->start))
		return meta_fail(in, node, "a shared memory object at an offset out of range");
	return 0;
}

static const char *const area_kinds[] = {
	[ST_AREA_ANON] = "anon", [ST_AREA_SHMEM] = "shmem", [ST_AREA_FILE] = "file",
	[ST_AREA_HEAP] = "heap", [ST_AREA_STACK] = "stack", [ST_AREA_VDSO] = "vdso",
	[ST_AREA_VVAR] = "vvar", [ST_AREA_VSYSCALL] = "vsyscall", [ST_AREA_SYSV] = "sysv",
};

const char *st_area_kind_name(enum st_area_kind k)
{
	return (size_t)k < sizeof(area_kinds) / sizeof(area_kinds[0]) ? area_kinds[k] : "?";
}

static const struct meta_field area_fields[] = {
	META_U64(FM_A_START, struct st_area, start, META_REQUIRED | META_UNIT | META_HEX),
	META_U64(FM_A_END, struct st_area, end, META_REQUIRED),
	META_U32(FM_A_PROT, struct st_area, prot, META_REQUIRED),
	META_U32(FM_A_FLAGS, struct st_area, flags, META_REQUIRED),
	META_U64(FM_A_PGOFF, struct st_area, pgoff, 0),
	META_NAME(FM_A_KIND, struct st_area, kind, area_kinds, META_REQUIRED),
	META_STR(FM_A_PATH, struct st_area, path, 0),
	META_STR(FM_A_NAME, struct st_area, name, 0),
	META_U32(FM_A_FILE, struct st_area, file_id, META_OMIT_ZERO),
	META_U32(FM_A_ADVICE, struct st_area, advice, META_OMIT_ZERO | META_HEX),
	META_U32(FM_A_OBJECT, struct st_area, object, META_OMIT_ZERO),
	META_U32(FM_A_SHM_ID, struct st_area, shmid, META_REQUIRED, .when = is_sysv),
	META_FLAG(FM_A_SHM_RDONLY, struct st_area, shm_rdonly, 0, .when = is_sysv),
	{ .name = FM_A_VDSO_IMAGE, .type = META_T_CUSTOM, .when = is_vdso, .write = write_vdso,
	  .read = read_vdso },
	{ 0 },
};

static const struct meta_node area_node = {
	.name = FM_AREA, .size = sizeof(struct st_area), .fields = area_fields,
	.check = check_area,
};

#define LAYOUT(name, member)                                                                   \
	META_U64(name, struct st_mm, layout.member, META_REQUIRED)

static const struct meta_field mm_fields[] = {
	META_U32(FM_MM_ID, struct st_mm, id, META_REQUIRED | META_UNIT),
	META_STR(FM_MM_EXE, struct st_mm, exe, 0),
	LAYOUT(FM_MM_START_CODE, start_code),
	LAYOUT(FM_MM_END_CODE, end_code),
	LAYOUT(FM_MM_START_DATA, start_data),
	LAYOUT(FM_MM_END_DATA, end_data),
	LAYOUT(FM_MM_START_BRK, start_brk),
	LAYOUT(FM_MM_BRK, brk),
	LAYOUT(FM_MM_START_STACK, start_stack),
	LAYOUT(FM_MM_ARG_START, arg_start),
	LAYOUT(FM_MM_ARG_END, arg_end),
	LAYOUT(FM_MM_ENV_START, env_start),
	LAYOUT(FM_MM_ENV_END, env_end),
	META_BYTES(FM_MM_AUXV, struct st_mm, auxv, auxv_len, 0),
	META_NODES(NULL, struct st_mm, areas, nareas, &area_node, 0),
	{ 0 },
};

static const struct meta_node mm_node = {
	.name = FM_MM, .size = sizeof(struct st_mm), .fields = mm_fields, .free = free_vdso,
};

/* ---- file records: the common part, then the kind's ---- */

static void write_type(struct meta_out *o, const struct meta_field *f, const void *obj)
{
	const struct st_file *file = obj;

	meta_out_prop(o, f->name, file->kind->name, strlen(file->kind->name) + 1);
}

static void read_type(struct meta_in *in, int node, const struct meta_field *f, void *obj)
{
	struct st_file *file = obj;
	const char *type = meta_in_prop(in, node, f->name, NULL, true);
	int len;

	if (!type)
		return;
	fdt_getprop(in->fdt, node, f->name, &len);
	if (len < 1 || type[len - 1]) {
		meta_fail(in, node, "property '%s' has a wrong size", f->name);
		return;
	}
	file->kind = kind_by_type(type);
	if (!file->kind) {
		meta_fail(in, node, "unknown type '%s'", type);
		return;
	}
	file->kind_data = calloc(1, file->kind->file_size ? file->kind->file_size : 1);
	if (!file->kind_data)
		meta_in_oom(in);
}

static void write_kind_part(struct meta_out *o, const struct meta_field *f, const void *obj)
{
	const struct st_file *file = obj;

	(void)f;
	if (file->kind->file_fields)
		meta_write_fields(o, file->kind->file_fields, file->kind_data);
}

static void read_kind_part(struct meta_in *in, int node, const struct meta_field *f, void *obj)
{
	struct st_file *file = obj;

	(void)f;
	if (file->kind && file->kind_data && file->kind->file_fields)
		meta_read_fields(in, node, file->kind->file_fields, file->kind_data);
}

static void free_kind_part(const struct meta_field *f, void *obj)
{
	struct st_file *file = obj;

	(void)f;
	if (file->kind && file->kind_data && file->kind->file_fields)
		meta_free_fields(file->kind->file_fields, file->kind_data);
	free(file->kind_data);
	file->kind_data = NULL;
}

static const struct meta_field file_fields[] = {
	META_U32(FM_F_ID, struct st_file, id, META_REQUIRED | META_UNIT),
	{ .name = FM_F_TYPE, .type = META_T_CUSTOM, .view = META_T_STR, .write = write_type,
	  .read = read_type },
	META_STR(FM_F_PATH, struct st_file, path, 0),
	META_U32(FM_F_FLAGS, struct st_file, flags, META_REQUIRED),
	META_U64(FM_F_POS, struct st_file, pos, 0),
	{ .name = "kind", .type = META_T_CUSTOM, .write = write_kind_part, .read = read_kind_part,
	  .free = free_kind_part },
	{ 0 },
};

static const struct meta_node file_node = {
	.name = FM_FILE, .size = sizeof(struct st_file), .fields = file_fields,
};

/* ---- the root ---- */

static const char *const compatible[] = { FERRY_META_COMPATIBLE };

static const struct meta_field image_fields[] = {
	{ .name = FM_ROOT_COMPATIBLE, .type = META_T_CONST, .names = compatible },
	META_STR(FM_ROOT_HOSTNAME, struct st_image, hostname, 0),
	META_U64(FM_ROOT_CLOCK_MONOTONIC, struct st_image, clock_monotonic_ns, 0),
	META_U64(FM_ROOT_CLOCK_BOOTTIME, struct st_image, clock_boottime_ns, 0),
	META_FLAG(FM_ROOT_NETWORK_LOCK, struct st_image, network_lock, 0),
	META_NODES(FM_PROCESSES, struct st_image, procs, nprocs, &process_node, 0),
	META_NODES(FM_MMS, struct st_image, mms, nmms, &mm_node, 0),
	META_NODES(FM_FILES, struct st_image, files, nfiles, &file_node, 0),
	META_KINDS(struct st_image, 1),
	{ 0 },
};

const struct meta_node meta_image_node = {
	.name = "", .size = sizeof(struct st_image), .fields = image_fields,
};
const struct meta_node *const meta_process_node = &process_node;
const struct meta_node *const meta_thread_node = &thread_node;
const struct meta_node *const meta_fd_node = &fd_node;
const struct meta_node *const meta_mm_node = &mm_node;
const struct meta_node *const meta_area_node = &area_node;
const struct meta_node *const meta_file_node = &file_node;

/* What spans nodes: processes, their address spaces, the kinds' own
 * checks, and the kind of each file record whose type several kinds share
 * (the family of a socket). */
static int check_image(struct meta_in *in, struct st_image *img)
{
	if (!img->nprocs)
		return in->err = log_error_errno(-EINVAL, "image metadata: no processes");
	for (size_t i = 0; i < img->nprocs; i++)
		if (!st_find_mm(img, img->procs[i].mm_id))
			return in->err = log_error_errno(-EINVAL, "image metadata: process %d: mm %u "
						  "missing", img->procs[i].pid,
						  img->procs[i].mm_id);
	for (size_t i = 0; i < kind_count && !in->err; i++)
		if (kind_registry[i]->image_check)
			kind_registry[i]->image_check(in, img);
	for (size_t i = 0; i < img->nfiles && !in->err; i++) {
		struct st_file *f = &img->files[i];
		const struct kind *k;

		if (!f->kind || !f->kind->owns_record)
			continue;
		k = kind_of_record(img, f);
		if (!k)
			in->err = log_error_errno(-EINVAL, "image metadata: file %u: no kind of %s "
					   "restores it", f->id, f->kind->name);
		else
			f->kind = k;
	}
	return in->err;
}

static int write_tree(const struct st_image *img, void *buf, size_t size)
{
	struct meta_out o = { .fdt = buf };
	int r = fdt_create(buf, size);

	if (r == 0)
		r = fdt_finish_reservemap(buf);
	if (r < 0)
		return r;
	meta_write_node(&o, &meta_image_node, img);
	return o.err ? o.err : fdt_finish(buf);
}

int meta_write(const struct st_image *img, void **ret_fdt, size_t *ret_size)
{
	void *buf = NULL;

	for (size_t size = 64 * 1024; size <= (64u << 20); size *= 2) {
		int r;

		free(buf);
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		r = write_tree(img, buf, size);
		if (r == -FDT_ERR_NOSPACE)
			continue;
		if (r < 0) {
			free(buf);
			return -EINVAL;
		}
		*ret_fdt = buf;
		*ret_size = fdt_totalsize(buf);
		return 0;
	}
	free(buf);
	return -E2BIG;
}

void st_image_free(struct st_image *img)
{
	meta_free_node(&meta_image_node, img);
	memset(img, 0, sizeof(*img));
}

int meta_read(const void *fdt, struct st_image *img)
{
	struct meta_in in = { .fdt = fdt };
	const char *compat;
	int len;

	memset(img, 0, sizeof(*img));
	compat = fdt_getprop(fdt, 0, FM_ROOT_COMPATIBLE, &len);
	if (!compat || (size_t)len != sizeof(FERRY_META_COMPATIBLE) ||
	    memcmp(compat, FERRY_META_COMPATIBLE, len) != 0)
		return log_error_errno(-EINVAL, "image metadata: not compatible with '%s'",
				FERRY_META_COMPATIBLE);
	meta_read_fields(&in, 0, image_fields, img);
	if (!in.err)
		check_image(&in, img);
	if (in.err)
		st_image_free(img);
	return in.err;
}
