/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "../kinds/kind.h"
#include "ferry/schema.h"
#include "meta.h"
#include "meta_fields.h"

/* Every fdt_* call below goes through these, so the first error sticks and
 * the whole tree is retried in a bigger buffer on -FDT_ERR_NOSPACE. */
struct fdt_out {
	void *buf;
	int err;
};

static void out_check(struct fdt_out *o, int r)
{
	if (r < 0 && !o->err)
		o->err = r;
}

static void begin(struct fdt_out *o, const char *name)
{
	if (!o->err)
		out_check(o, fdt_begin_node(o->buf, name));
}

/* "base@unit", the unit in decimal (ids, pids) or hex (addresses) */
static void begin_unit(struct fdt_out *o, const char *base, unsigned long long unit, int hex)
{
	char name[64];

	snprintf(name, sizeof(name), hex ? "%s@%llx" : "%s@%llu", base, unit);
	begin(o, name);
}

static void end(struct fdt_out *o)
{
	if (!o->err)
		out_check(o, fdt_end_node(o->buf));
}

static void prop_u32(struct fdt_out *o, const char *name, uint32_t v)
{
	if (!o->err)
		out_check(o, fdt_property_u32(o->buf, name, v));
}

static void prop_u64(struct fdt_out *o, const char *name, uint64_t v)
{
	if (!o->err)
		out_check(o, fdt_property_u64(o->buf, name, v));
}

static void prop_str(struct fdt_out *o, const char *name, const char *v)
{
	if (!o->err && v)
		out_check(o, fdt_property_string(o->buf, name, v));
}

static void prop_bytes(struct fdt_out *o, const char *name, const void *v, size_t len)
{
	if (!o->err)
		out_check(o, fdt_property(o->buf, name, v, len));
}

static void prop_empty(struct fdt_out *o, const char *name)
{
	prop_bytes(o, name, NULL, 0);
}

static void prop_u32s(struct fdt_out *o, const char *name, const uint32_t *v, size_t n)
{
	void *p;

	if (o->err)
		return;
	out_check(o, fdt_property_placeholder(o->buf, name, n * 4, &p));
	if (!o->err)
		for (size_t i = 0; i < n; i++)
			((fdt32_t *)p)[i] = cpu_to_fdt32(v[i]);
}

static void prop_u64s(struct fdt_out *o, const char *name, const uint64_t *v, size_t n)
{
	void *p;

	if (o->err)
		return;
	out_check(o, fdt_property_placeholder(o->buf, name, n * 8, &p));
	if (!o->err)
		for (size_t i = 0; i < n; i++) {
			fdt64_t x = cpu_to_fdt64(v[i]);

			memcpy((char *)p + i * 8, &x, 8);
		}
}

/* The kinds' fields of a process or (@image) of the image, in the order of
 * the registry; a kind without data there writes what zeros say. */
static void write_kinds(struct fdt_out *o, struct st_kind_data kinds, bool image)
{
	for (size_t i = 0; i < kind_count && !o->err; i++) {
		const struct kind *k = kind_registry[i];
		const struct meta_field *fields = image ? k->image_fields : k->process_fields;
		size_t size = image ? k->image_size : k->process_size;
		struct meta_out mo = { .fdt = o->buf };
		void *data, *zeros = NULL;

		if (!fields)
			continue;
		data = st_kind_data(&kinds, k, 0);
		if (!data)
			data = zeros = calloc(1, size ? size : 1);
		if (!data) {
			o->err = -FDT_ERR_INTERNAL;
			break;
		}
		meta_write_fields(&mo, fields, data);
		o->err = mo.err;
		free(zeros);
	}
}

static void write_thread(struct fdt_out *o, const struct st_thread *t)
{
	begin_unit(o, FM_THREAD, t->tid, 0);
	prop_u32(o, FM_T_TID, t->tid);
	prop_str(o, FM_T_ARCH, "x86_64");
	prop_u64(o, FM_T_SIGMASK, t->sigmask);
	prop_bytes(o, FM_T_REGS, t->regs, t->regs_len);
	if (t->xsave_len)
		prop_bytes(o, FM_T_XSAVE, t->xsave, t->xsave_len);
	if (t->rseq_addr) {
		uint64_t v[3] = { t->rseq_addr, t->rseq_len, t->rseq_sig };

		prop_u64s(o, FM_T_RSEQ, v, 3);
	}
	if (t->robust_list) {
		uint64_t v[2] = { t->robust_list, t->robust_len };

		prop_u64s(o, FM_T_ROBUST_LIST, v, 2);
	}
	if (t->comm[0])
		prop_str(o, FM_T_COMM, t->comm);
	if (t->altstack_size) {
		uint64_t v[3] = { t->altstack_sp, t->altstack_flags, t->altstack_size };

		prop_u64s(o, FM_T_SIGALTSTACK, v, 3);
	}
	if (t->clear_child_tid)
		prop_u64(o, FM_T_CLEAR_CHILD_TID, t->clear_child_tid);
	if (t->pdeathsig)
		prop_u32(o, FM_T_PDEATHSIG, t->pdeathsig);
	if (t->nsigpending)
		prop_bytes(o, FM_T_SIGPENDING, t->sigpending, t->nsigpending * ST_SIGINFO_SIZE);
	end(o);
}

static void write_process(struct fdt_out *o, const struct st_process *p)
{
	uint64_t sa[4 * ST_NSIG];

	begin_unit(o, FM_PROCESS, p->pid, 0);
	prop_u32(o, FM_P_PID, p->pid);
	prop_u32(o, FM_P_PPID, p->ppid);
	prop_u32(o, FM_P_PGID, p->pgid);
	prop_u32(o, FM_P_SID, p->sid);
	prop_str(o, FM_P_COMM, p->comm);
	prop_u32(o, FM_P_MM, p->mm_id);
	prop_str(o, FM_P_CWD, p->cwd);
	prop_str(o, FM_P_ROOT, p->root);
	prop_u32(o, FM_P_UMASK, p->umask);
	prop_u32(o, FM_P_PERSONALITY, p->personality);
	prop_u32s(o, FM_P_UIDS, p->uids, 4);
	prop_u32s(o, FM_P_GIDS, p->gids, 4);
	prop_u32s(o, FM_P_GROUPS, p->groups, p->ngroups);
	prop_u64s(o, FM_P_RLIMITS, &p->rlimits[0][0], 2 * ST_NRLIMITS);
	for (int i = 0; i < ST_NSIG; i++) {
		sa[4 * i + 0] = p->sigactions[i].handler;
		sa[4 * i + 1] = p->sigactions[i].flags;
		sa[4 * i + 2] = p->sigactions[i].restorer;
		sa[4 * i + 3] = p->sigactions[i].mask;
	}
	prop_u64s(o, FM_P_SIGACTIONS, sa, 4 * ST_NSIG);
	if (p->nsigpending_shared)
		prop_bytes(o, FM_P_SIGPENDING_SHARED, p->sigpending_shared,
			   p->nsigpending_shared * ST_SIGINFO_SIZE);
	if (p->have_caps) {
		uint64_t caps[5] = { p->caps.effective, p->caps.permitted, p->caps.inheritable,
				     p->caps.bounding, p->caps.ambient };

		prop_u64s(o, FM_P_CAPS, caps, 5);
	}
	if (p->no_new_privs)
		prop_empty(o, FM_P_NO_NEW_PRIVS);
	write_kinds(o, p->kinds, false);

	begin(o, FM_THREADS);
	for (size_t i = 0; i < p->nthreads; i++)
		write_thread(o, &p->threads[i]);
	end(o);

	begin(o, FM_FDS);
	for (size_t i = 0; i < p->nfds; i++) {
		begin_unit(o, FM_FD, p->fds[i].num, 0);
		prop_u32(o, FM_FD_NUM, p->fds[i].num);
		prop_u32(o, FM_FD_FILE, p->fds[i].file_id);
		if (p->fds[i].cloexec)
			prop_empty(o, FM_FD_CLOEXEC);
		end(o);
	}
	end(o);
	end(o);
}

/* The vDSO's contents and entry points, for a restore onto another kernel. */
static void write_vdso(struct fdt_out *o, const struct st_mm *mm)
{
	size_t names_len = 0;
	uint64_t *vals;
	char *names, *p;

	if (mm->vdso_len)
		prop_bytes(o, FM_A_VDSO_IMAGE, mm->vdso, mm->vdso_len);
	if (!mm->nvdso_syms || o->err)
		return;
	for (size_t i = 0; i < mm->nvdso_syms; i++)
		names_len += strlen(mm->vdso_syms[i].name) + 1;
	names = malloc(names_len);
	vals = malloc(mm->nvdso_syms * 2 * sizeof(*vals));
	if (!names || !vals) {
		out_check(o, -FDT_ERR_INTERNAL);
	} else {
		p = names;
		for (size_t i = 0; i < mm->nvdso_syms; i++) {
			p = stpcpy(p, mm->vdso_syms[i].name) + 1;
			vals[2 * i] = mm->vdso_syms[i].offset;
			vals[2 * i + 1] = mm->vdso_syms[i].size;
		}
		prop_bytes(o, FM_A_VDSO_SYMBOLS, names, names_len);
		prop_u64s(o, FM_A_VDSO_SYMBOL_VALUES, vals, 2 * mm->nvdso_syms);
	}
	free(names);
	free(vals);
}

static void write_mm(struct fdt_out *o, const struct st_mm *mm)
{
	const struct st_mm_layout *l = &mm->layout;

	begin_unit(o, FM_MM, mm->id, 0);
	prop_u32(o, FM_MM_ID, mm->id);
	prop_str(o, FM_MM_EXE, mm->exe);
	prop_u64(o, FM_MM_START_CODE, l->start_code);
	prop_u64(o, FM_MM_END_CODE, l->end_code);
	prop_u64(o, FM_MM_START_DATA, l->start_data);
	prop_u64(o, FM_MM_END_DATA, l->end_data);
	prop_u64(o, FM_MM_START_BRK, l->start_brk);
	prop_u64(o, FM_MM_BRK, l->brk);
	prop_u64(o, FM_MM_START_STACK, l->start_stack);
	prop_u64(o, FM_MM_ARG_START, l->arg_start);
	prop_u64(o, FM_MM_ARG_END, l->arg_end);
	prop_u64(o, FM_MM_ENV_START, l->env_start);
	prop_u64(o, FM_MM_ENV_END, l->env_end);
	prop_bytes(o, FM_MM_AUXV, mm->auxv, mm->auxv_len);
	for (size_t i = 0; i < mm->nareas; i++) {
		const struct st_area *a = &mm->areas[i];

		begin_unit(o, FM_AREA, a->start, 1);
		prop_u64(o, FM_A_START, a->start);
		prop_u64(o, FM_A_END, a->end);
		prop_u32(o, FM_A_PROT, a->prot);
		prop_u32(o, FM_A_FLAGS, a->flags);
		prop_u64(o, FM_A_PGOFF, a->pgoff);
		prop_str(o, FM_A_KIND, st_area_kind_name(a->kind));
		prop_str(o, FM_A_PATH, a->path);
		prop_str(o, FM_A_NAME, a->name);
		if (a->file_id)
			prop_u32(o, FM_A_FILE, a->file_id);
		if (a->kind == ST_AREA_VDSO)
			write_vdso(o, mm);
		end(o);
	}
	end(o);
}

static void write_file(struct fdt_out *o, const struct st_file *f)
{
	begin_unit(o, FM_FILE, f->id, 0);
	prop_u32(o, FM_F_ID, f->id);
	prop_str(o, FM_F_TYPE, st_file_what(f));
	prop_str(o, FM_F_PATH, f->path);
	prop_u32(o, FM_F_FLAGS, f->flags);
	prop_u64(o, FM_F_POS, f->pos);
	if (f->kind && f->kind->file_fields) {
		struct meta_out mo = { .fdt = o->buf, .err = o->err };

		meta_write_fields(&mo, f->kind->file_fields, f->kind_data);
		o->err = mo.err;
	}
	end(o);
}

static int write_tree(const struct st_image *img, struct fdt_out *o, size_t size)
{
	o->err = 0;
	out_check(o, fdt_create(o->buf, size));
	if (!o->err)
		out_check(o, fdt_finish_reservemap(o->buf));
	begin(o, "");
	prop_str(o, FM_ROOT_COMPATIBLE, FERRY_META_COMPATIBLE);
	prop_str(o, FM_ROOT_HOSTNAME, img->hostname);
	prop_u64(o, FM_ROOT_CLOCK_MONOTONIC, img->clock_monotonic_ns);
	prop_u64(o, FM_ROOT_CLOCK_BOOTTIME, img->clock_boottime_ns);
	if (img->network_lock)
		prop_empty(o, FM_ROOT_NETWORK_LOCK);

	begin(o, FM_PROCESSES);
	for (size_t i = 0; i < img->nprocs; i++)
		write_process(o, &img->procs[i]);
	end(o);
	begin(o, FM_MMS);
	for (size_t i = 0; i < img->nmms; i++)
		write_mm(o, &img->mms[i]);
	end(o);
	begin(o, FM_FILES);
	for (size_t i = 0; i < img->nfiles; i++)
		write_file(o, &img->files[i]);
	end(o);
	write_kinds(o, img->kinds, true);
	end(o);
	if (!o->err)
		out_check(o, fdt_finish(o->buf));
	return o->err;
}

int meta_write(const struct st_image *img, void **ret_fdt, size_t *ret_size)
{
	struct fdt_out o = { 0 };

	for (size_t size = 64 * 1024; size <= (64u << 20); size *= 2) {
		int r;

		free(o.buf);
		o.buf = malloc(size);
		if (!o.buf)
			return -ENOMEM;
		r = write_tree(img, &o, size);
		if (r == -FDT_ERR_NOSPACE)
			continue;
		if (r < 0) {
			free(o.buf);
			return -EINVAL;
		}
		*ret_fdt = o.buf;
		*ret_size = fdt_totalsize(o.buf);
		return 0;
	}
	free(o.buf);
	return -E2BIG;
}
