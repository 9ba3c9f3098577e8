/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../kinds/kind.h"
#include "ferry/schema.h"
#include "log.h"
#include "meta.h"
#include "meta_prop.h"

/* n * ST_SIGINFO_SIZE bytes of queued signals */
static uint8_t *get_siginfos(struct meta_in *in, int node, const char *name, size_t *ret_n)
{
	size_t len;
	uint8_t *b = meta_prop_bytes(in, node, name, &len, false);

	*ret_n = 0;
	if (b && len % ST_SIGINFO_SIZE) {
		meta_prop_bad_len(in, node, name);
		free(b);
		return NULL;
	}
	*ret_n = len / ST_SIGINFO_SIZE;
	return b;
}

/* What the kinds check across nodes, and the kind of each file record
 * whose type several kinds share (the family of a socket). */
static void check_kinds(struct meta_in *in, struct st_image *img)
{
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
			in->err = glue_err(-EINVAL, "image metadata: file %u: no kind of %s "
					   "restores it", f->id, f->kind->name);
		else
			f->kind = k;
	}
}

/* The kinds' fields of a process or (@image) of the image. */
static void read_kinds(struct meta_in *in, int node, struct st_kind_data *kinds, bool image)
{
	for (size_t i = 0; i < kind_count && !in->err; i++) {
		const struct kind *k = kind_registry[i];
		const struct meta_field *fields = image ? k->image_fields : k->process_fields;
		void *data;

		if (!fields)
			continue;
		data = st_kind_data(kinds, k, image ? k->image_size : k->process_size);
		if (!data)
			return meta_prop_oom(in);
		meta_read_fields(in, node, fields, data);
	}
}

static void read_thread_more(struct meta_in *in, int node, struct st_thread *t)
{
	const char *comm;
	uint64_t v[3];
	int len;

	comm = meta_prop_get(in, node, FM_T_COMM, &len, false);
	if (comm && len > 0)
		snprintf(t->comm, sizeof(t->comm), "%.*s", len, comm);
	if (meta_prop_u64s(in, node, FM_T_SIGALTSTACK, v, 3, false)) {
		t->altstack_sp = v[0];
		t->altstack_flags = v[1];
		t->altstack_size = v[2];
	}
	t->clear_child_tid = meta_prop_u64(in, node, FM_T_CLEAR_CHILD_TID, false);
	t->pdeathsig = meta_prop_u32(in, node, FM_T_PDEATHSIG, false);
	t->sigpending = get_siginfos(in, node, FM_T_SIGPENDING, &t->nsigpending);
}

static void read_process_more(struct meta_in *in, int node, struct st_process *p)
{
	uint64_t caps[5];
	int len;

	p->sigpending_shared = get_siginfos(in, node, FM_P_SIGPENDING_SHARED,
					    &p->nsigpending_shared);
	if (meta_prop_u64s(in, node, FM_P_CAPS, caps, 5, false)) {
		p->have_caps = true;
		p->caps.effective = caps[0];
		p->caps.permitted = caps[1];
		p->caps.inheritable = caps[2];
		p->caps.bounding = caps[3];
		p->caps.ambient = caps[4];
	}
	p->no_new_privs = meta_prop_get(in, node, FM_P_NO_NEW_PRIVS, &len, false) != NULL;
	read_kinds(in, node, &p->kinds, false);
}

static void read_thread(struct meta_in *in, int node, struct st_process *p)
{
	struct st_thread *t = ST_PUSH(p->threads, p->nthreads);
	uint64_t v[3];

	if (!t)
		return meta_prop_oom(in);
	t->tid = meta_prop_u32(in, node, FM_T_TID, true);
	t->sigmask = meta_prop_u64(in, node, FM_T_SIGMASK, true);
	t->regs = meta_prop_bytes(in, node, FM_T_REGS, &t->regs_len, true);
	t->xsave = meta_prop_bytes(in, node, FM_T_XSAVE, &t->xsave_len, false);
	if (meta_prop_u64s(in, node, FM_T_RSEQ, v, 3, false)) {
		t->rseq_addr = v[0];
		t->rseq_len = v[1];
		t->rseq_sig = v[2];
	}
	if (meta_prop_u64s(in, node, FM_T_ROBUST_LIST, v, 2, false)) {
		t->robust_list = v[0];
		t->robust_len = v[1];
	}
	read_thread_more(in, node, t);
}

static void read_process(struct meta_in *in, int node, struct st_image *img)
{
	struct st_process *p = ST_PUSH(img->procs, img->nprocs);
	uint64_t sa[4 * ST_NSIG];
	const char *comm;
	int len, sub, child;

	if (!p)
		return meta_prop_oom(in);
	p->pid = meta_prop_u32(in, node, FM_P_PID, true);
	p->ppid = meta_prop_u32(in, node, FM_P_PPID, true);
	p->pgid = meta_prop_u32(in, node, FM_P_PGID, true);
	p->sid = meta_prop_u32(in, node, FM_P_SID, true);
	comm = meta_prop_get(in, node, FM_P_COMM, &len, false);
	if (comm && len > 0)
		snprintf(p->comm, sizeof(p->comm), "%.*s", len, comm);
	p->mm_id = meta_prop_u32(in, node, FM_P_MM, true);
	p->cwd = meta_prop_str(in, node, FM_P_CWD, true);
	p->root = meta_prop_str(in, node, FM_P_ROOT, false);
	p->umask = meta_prop_u32(in, node, FM_P_UMASK, true);
	p->personality = meta_prop_u32(in, node, FM_P_PERSONALITY, false);
	meta_prop_u32s(in, node, FM_P_UIDS, p->uids, 4, true);
	meta_prop_u32s(in, node, FM_P_GIDS, p->gids, 4, true);
	if (meta_prop_get(in, node, FM_P_GROUPS, &len, false) && len > 0 && len % 4 == 0) {
		p->ngroups = len / 4;
		p->groups = calloc(p->ngroups, 4);
		if (!p->groups)
			return meta_prop_oom(in);
		meta_prop_u32s(in, node, FM_P_GROUPS, p->groups, p->ngroups, true);
	}
	if (!meta_prop_u64s(in, node, FM_P_RLIMITS, &p->rlimits[0][0], 2 * ST_NRLIMITS, false))
		memset(p->rlimits, 0xff, sizeof(p->rlimits));
	if (meta_prop_u64s(in, node, FM_P_SIGACTIONS, sa, 4 * ST_NSIG, false))
		for (int i = 0; i < ST_NSIG; i++) {
			p->sigactions[i].handler = sa[4 * i];
			p->sigactions[i].flags = sa[4 * i + 1];
			p->sigactions[i].restorer = sa[4 * i + 2];
			p->sigactions[i].mask = sa[4 * i + 3];
		}

	read_process_more(in, node, p);
	sub = fdt_subnode_offset(in->fdt, node, FM_THREADS);
	if (sub >= 0)
		fdt_for_each_subnode(child, in->fdt, sub)
			read_thread(in, child, p);
	if (!p->nthreads && !in->err)
		in->err = glue_err(-EINVAL, "image metadata: process %d has no threads", p->pid);
	sub = fdt_subnode_offset(in->fdt, node, FM_FDS);
	if (sub >= 0)
		fdt_for_each_subnode(child, in->fdt, sub) {
			struct st_fd *fd = ST_PUSH(p->fds, p->nfds);

			if (!fd)
				return meta_prop_oom(in);
			fd->num = meta_prop_u32(in, child, FM_FD_NUM, true);
			fd->file_id = meta_prop_u32(in, child, FM_FD_FILE, true);
			fd->cloexec = meta_prop_get(in, child, FM_FD_CLOEXEC, &len, false) != NULL;
		}
}

static void read_vdso(struct meta_in *in, int node, struct st_mm *mm)
{
	const char *names, *p;
	int len, vlen;
	uint64_t *vals;
	size_t n = 0;

	mm->vdso = meta_prop_bytes(in, node, FM_A_VDSO_IMAGE, &mm->vdso_len, false);
	names = meta_prop_get(in, node, FM_A_VDSO_SYMBOLS, &len, false);
	if (!names || len <= 0)
		return;
	if (names[len - 1])
		return meta_prop_bad_len(in, node, FM_A_VDSO_SYMBOLS);
	for (p = names; p < names + len; p += strlen(p) + 1)
		n++;
	if (!meta_prop_get(in, node, FM_A_VDSO_SYMBOL_VALUES, &vlen, true))
		return;
	if ((size_t)vlen != n * 16)
		return meta_prop_bad_len(in, node, FM_A_VDSO_SYMBOL_VALUES);
	vals = malloc(n * 16);
	mm->vdso_syms = calloc(n, sizeof(*mm->vdso_syms));
	if (!vals || !mm->vdso_syms) {
		free(vals);
		return meta_prop_oom(in);
	}
	meta_prop_u64s(in, node, FM_A_VDSO_SYMBOL_VALUES, vals, 2 * n, true);
	for (p = names; p < names + len; p += strlen(p) + 1) {
		struct st_vdso_sym *s = &mm->vdso_syms[mm->nvdso_syms++];

		s->name = strdup(p);
		s->offset = vals[2 * (mm->nvdso_syms - 1)];
		s->size = vals[2 * (mm->nvdso_syms - 1) + 1];
		if (!s->name) {
			free(vals);
			return meta_prop_oom(in);
		}
	}
	free(vals);
}

static void read_mm(struct meta_in *in, int node, struct st_image *img)
{
	struct st_mm *mm = ST_PUSH(img->mms, img->nmms);
	struct st_mm_layout *l;
	int child;

	if (!mm)
		return meta_prop_oom(in);
	l = &mm->layout;
	mm->id = meta_prop_u32(in, node, FM_MM_ID, true);
	mm->exe = meta_prop_str(in, node, FM_MM_EXE, false);
	l->start_code = meta_prop_u64(in, node, FM_MM_START_CODE, true);
	l->end_code = meta_prop_u64(in, node, FM_MM_END_CODE, true);
	l->start_data = meta_prop_u64(in, node, FM_MM_START_DATA, true);
	l->end_data = meta_prop_u64(in, node, FM_MM_END_DATA, true);
	l->start_brk = meta_prop_u64(in, node, FM_MM_START_BRK, true);
	l->brk = meta_prop_u64(in, node, FM_MM_BRK, true);
	l->start_stack = meta_prop_u64(in, node, FM_MM_START_STACK, true);
	l->arg_start = meta_prop_u64(in, node, FM_MM_ARG_START, true);
	l->arg_end = meta_prop_u64(in, node, FM_MM_ARG_END, true);
	l->env_start = meta_prop_u64(in, node, FM_MM_ENV_START, true);
	l->env_end = meta_prop_u64(in, node, FM_MM_ENV_END, true);
	mm->auxv = meta_prop_bytes(in, node, FM_MM_AUXV, &mm->auxv_len, false);
	fdt_for_each_subnode(child, in->fdt, node) {
		struct st_area *a = ST_PUSH(mm->areas, mm->nareas);
		char *kind;

		if (!a)
			return meta_prop_oom(in);
		a->start = meta_prop_u64(in, child, FM_A_START, true);
		a->end = meta_prop_u64(in, child, FM_A_END, true);
		a->prot = meta_prop_u32(in, child, FM_A_PROT, true);
		a->flags = meta_prop_u32(in, child, FM_A_FLAGS, true);
		a->pgoff = meta_prop_u64(in, child, FM_A_PGOFF, false);
		a->path = meta_prop_str(in, child, FM_A_PATH, false);
		a->name = meta_prop_str(in, child, FM_A_NAME, false);
		a->file_id = meta_prop_u32(in, child, FM_A_FILE, false);
		if (a->kind == ST_AREA_VDSO || (a->name && strcmp(a->name, "[vdso]") == 0))
			read_vdso(in, child, mm);
		kind = meta_prop_str(in, child, FM_A_KIND, true);
		if (kind && st_area_kind_parse(kind, &a->kind) < 0 && !in->err)
			in->err = glue_err(-EINVAL, "image metadata: area %#llx: unknown kind '%s'",
					   (unsigned long long)a->start, kind);
		free(kind);
		if (a->end <= a->start && !in->err)
			in->err = glue_err(-EINVAL, "image metadata: area %#llx: empty range",
					   (unsigned long long)a->start);
	}
}

static void read_file(struct meta_in *in, int node, struct st_image *img)
{
	struct st_file *f = ST_PUSH(img->files, img->nfiles);
	char *type;

	if (!f)
		return meta_prop_oom(in);
	f->id = meta_prop_u32(in, node, FM_F_ID, true);
	type = meta_prop_str(in, node, FM_F_TYPE, true);
	f->kind = type ? kind_by_type(type) : NULL;
	if (f->kind) {
		f->kind_data = calloc(1, f->kind->file_size ? f->kind->file_size : 1);
		if (!f->kind_data)
			meta_prop_oom(in);
	} else if (type && !in->err) {
		in->err = glue_err(-EINVAL, "image metadata: file %u: unknown type '%s'", f->id,
				   type);
	}
	free(type);
	f->path = meta_prop_str(in, node, FM_F_PATH, false);
	f->flags = meta_prop_u32(in, node, FM_F_FLAGS, true);
	f->pos = meta_prop_u64(in, node, FM_F_POS, false);
	if (!in->err && f->kind && f->kind->file_fields)
		meta_read_fields(in, node, f->kind->file_fields, f->kind_data);
}

int meta_read(const void *fdt, struct st_image *img)
{
	struct meta_in in = { .fdt = fdt };
	const char *compat;
	int node, child;

	memset(img, 0, sizeof(*img));
	compat = fdt_getprop(fdt, 0, FM_ROOT_COMPATIBLE, NULL);
	if (!compat || strcmp(compat, FERRY_META_COMPATIBLE) != 0)
		return glue_err(-EINVAL, "image metadata: not compatible with '%s'",
				FERRY_META_COMPATIBLE);
	img->clock_monotonic_ns = meta_prop_u64(&in, 0, FM_ROOT_CLOCK_MONOTONIC, false);
	img->clock_boottime_ns = meta_prop_u64(&in, 0, FM_ROOT_CLOCK_BOOTTIME, false);
	img->hostname = meta_prop_str(&in, 0, FM_ROOT_HOSTNAME, false);
	img->network_lock = fdt_getprop(fdt, 0, FM_ROOT_NETWORK_LOCK, NULL) != NULL;

	node = fdt_subnode_offset(fdt, 0, FM_MMS);
	if (node >= 0)
		fdt_for_each_subnode(child, fdt, node)
			read_mm(&in, child, img);
	node = fdt_subnode_offset(fdt, 0, FM_FILES);
	if (node >= 0)
		fdt_for_each_subnode(child, fdt, node)
			read_file(&in, child, img);
	read_kinds(&in, 0, &img->kinds, true);
	node = fdt_subnode_offset(fdt, 0, FM_PROCESSES);
	if (node >= 0)
		fdt_for_each_subnode(child, fdt, node)
			read_process(&in, child, img);
	if (!in.err && !img->nprocs)
		in.err = glue_err(-EINVAL, "image metadata: no processes");
	check_kinds(&in, img);
	if (!in.err)
		for (size_t i = 0; i < img->nprocs; i++)
			if (!st_find_mm(img, img->procs[i].mm_id)) {
				in.err = glue_err(-EINVAL, "image metadata: process %d: mm %u missing",
						  img->procs[i].pid, img->procs[i].mm_id);
				break;
			}
	if (in.err)
		st_image_free(img);
	return in.err;
}
