/* SPDX-License-Identifier: MIT */
/*
 * seccomp: each thread's filter mode and its chain of filters, read at the
 * freeze with PTRACE_SECCOMP_GET_FILTER and PTRACE_SECCOMP_GET_METADATA
 * (its flags). Strict mode is refused by the inventory: a thread in it
 * would be killed by the first call the checkpoint makes inside it.
 *
 * The image keeps every filter once (/seccomp-filters), each naming the
 * filter it was installed on top of; a thread names the newest filter of
 * its chain. User space cannot tell two filter objects apart (no kcmp type,
 * no id), so a filter is known by its program, its flags and the filter
 * below it: the filters a process inherited at fork, or that its threads
 * share (TSYNC, or installed before the thread was made), are one record.
 *
 * Restore installs them last, once the trampoline is gone and nothing
 * else will be injected (process_sealed), so that no filter sees the
 * restorer's own calls: the part of the chains all threads of a process
 * share is installed in the leader with SECCOMP_FILTER_FLAG_TSYNC, which
 * makes it one filter object shared by every thread again; then each
 * thread's own filters on top.
 * Between processes, the kernel has no way to share a filter after fork:
 * each process gets its own copy, which behaves the same (a filter that
 * could tell, one with a notification listener, is refused).
 *
 * Refused, before anything changes: a filter that returns
 * SECCOMP_RET_USER_NOTIF (its listener cannot be carried), a filter shared
 * by some threads of a process but not all above the common part (it
 * cannot be shared again), and a thread with a filter but neither
 * no_new_privs nor CAP_SYS_ADMIN, which the kernel would not let install it
 * again in its credentials.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "seccomp.h"

/* glibc's <sys/ptrace.h> and <linux/ptrace.h> do not mix: call by number */
#define GLUE_PTRACE_SECCOMP_GET_FILTER 0x420c
#define GLUE_PTRACE_SECCOMP_GET_METADATA 0x420d

#define FILTER_MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel takes no longer program */
#define CHAIN_MAX 512         /* filters in one chain: MAX_INSNS_PER_PATH / 8 at most */
#define CAP_SYS_ADMIN_BIT (1ull << 21)

static const struct meta_field filter_fields[] = {
	META_U32(FM_SF_ID, struct seccomp_filter_rec, id, META_REQUIRED | META_UNIT),
	META_U32(FM_SF_PARENT, struct seccomp_filter_rec, parent, META_OMIT_ZERO),
	META_U32(FM_SF_FLAGS, struct seccomp_filter_rec, flags, META_OMIT_ZERO),
	META_BYTES(FM_SF_PROGRAM, struct seccomp_filter_rec, program, len, META_REQUIRED),
	{ 0 },
};

static const struct meta_node filter_node = {
	.name = FM_SECCOMP_FILTER, .size = sizeof(struct seccomp_filter_rec),
	.fields = filter_fields,
};

static const struct meta_field seccomp_image_fields[] = {
	META_NODES(FM_SECCOMP_FILTERS, struct seccomp_image, filters, n, &filter_node,
		   META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_cell thread_cells[] = {
	META_CELL(struct seccomp_thread, tid, 4),
	META_CELL(struct seccomp_thread, mode, 4),
	META_CELL(struct seccomp_thread, filter, 4),
};

static const struct meta_field seccomp_process_fields[] = {
	META_RECORDS(FM_P_SECCOMP, struct seccomp_process, threads, n, struct seccomp_thread,
		     thread_cells, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_seccomp;

/* no mode, or filters: strict mode allows read, write and exit only, and
 * the checkpoint asks a thread about itself through system calls */
static bool not_strict(const struct inv_item *it)
{
	return strcmp(it->value, "0") == 0 || strcmp(it->value, "2") == 0;
}

const struct inv_claim seccomp_claims[] = {
	INV_CLAIM_IF(INV_STATUS, "Seccomp", not_strict,
		     "seccomp strict mode (SECCOMP_MODE_STRICT) is not carried: the thread would "
		     "be killed by the first system call ferry makes in it"),
	INV_CLAIM(INV_STATUS, "Seccomp_filters"),
	INV_CLAIMS_END,
};

static const struct seccomp_filter_rec *find_filter(const struct seccomp_image *si, uint32_t id)
{
	for (size_t i = 0; si && i < si->n; i++)
		if (si->filters[i].id == id)
			return &si->filters[i];
	return NULL;
}

/* The chain ending with @newest, oldest first, into @chain; its length, or
 * -1 when it does not end (the image check makes sure it does). */
static int chain_of(const struct seccomp_image *si, uint32_t newest, uint32_t chain[CHAIN_MAX])
{
	uint32_t rev[CHAIN_MAX];
	int n = 0;

	for (uint32_t id = newest; id; id = find_filter(si, id)->parent) {
		if (n == CHAIN_MAX || !find_filter(si, id))
			return -1;
		rev[n++] = id;
	}
	for (int i = 0; i < n; i++)
		chain[i] = rev[n - 1 - i];
	return n;
}

/* ---- checkpoint ---- */

static bool returns_user_notif(const uint8_t *program, size_t len)
{
	for (size_t i = 0; i + sizeof(struct sock_filter) <= len; i += sizeof(struct sock_filter)) {
		struct sock_filter insn;

		memcpy(&insn, program + i, sizeof(insn));
		if (insn.code == (BPF_RET | BPF_K) &&
		    (insn.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
			return true;
	}
	return false;
}

/* The record of a filter @program with @flags on top of @parent: the one
 * already there, or a new one (taking @program). 0 when out of memory. */
static uint32_t filter_record(struct seccomp_image *si, uint32_t parent, uint32_t flags,
			      uint8_t **program, size_t len)
{
	struct seccomp_filter_rec *f;

	for (size_t i = 0; i < si->n; i++) {
		f = &si->filters[i];
		if (f->parent == parent && f->flags == flags && f->len == len &&
		    memcmp(f->program, *program, len) == 0)
			return f->id;
	}
	f = ST_PUSH(si->filters, si->n);
	if (!f)
		return 0;
	f->id = si->n;
	f->parent = parent;
	f->flags = flags;
	f->program = *program;
	f->len = len;
	*program = NULL;
	return f->id;
}

/* Filter @index of @tid (0: the oldest), malloc'd into *@ret. */
static int read_filter(pid_t pid, pid_t tid, unsigned index, uint8_t **ret, size_t *ret_len,
		       uint32_t *ret_flags)
{
	struct {
		uint64_t filter_off, flags;
	} md = { index, 0 };
	long n = syscall(SYS_ptrace, GLUE_PTRACE_SECCOMP_GET_FILTER, tid, index, NULL);
	uint8_t *buf;

	if (n < 0)
		return log_error_errno(-errno, "pid %d tid %d: cannot read its seccomp filter %u%s", pid,
				tid, index,
				errno == EACCES ? " (reading a filter needs CAP_SYS_ADMIN, and ferry "
						  "itself under no seccomp filter)" : "");
	if (n == 0 || n > FILTER_MAX_INSNS)
		return log_error_errno(-EPROTO, "pid %d tid %d: its seccomp filter %u has %ld instructions",
				pid, tid, index, n);
	buf = malloc(n * sizeof(struct sock_filter));
	if (!buf)
		return -ENOMEM;
	if (syscall(SYS_ptrace, GLUE_PTRACE_SECCOMP_GET_FILTER, tid, index, buf) != n) {
		free(buf);
		return log_error_errno(-EIO, "pid %d tid %d: its seccomp filter %u changed while read", pid,
				tid, index);
	}
	if (syscall(SYS_ptrace, GLUE_PTRACE_SECCOMP_GET_METADATA, tid, sizeof(md), &md) < 0) {
		free(buf);
		return log_error_errno(-errno, "pid %d tid %d: cannot read the flags of its seccomp "
				"filter %u", pid, tid, index);
	}
	*ret = buf;
	*ret_len = n * sizeof(struct sock_filter);
	*ret_flags = md.flags;
	return 0;
}

/* The chain of @tid, oldest first, as records of the image; its newest. */
static int dump_chain(struct ckpt *c, pid_t pid, pid_t tid, unsigned count, uint32_t *ret_newest)
{
	struct seccomp_image *si = kind_image_data(&c->img, &kind_seccomp);
	uint32_t parent = 0;

	if (!si)
		return -ENOMEM;
	if (count > CHAIN_MAX)
		return log_error_errno(-EPROTO, "pid %d tid %d: %u seccomp filters", pid, tid, count);
	/* index 0 is the oldest (get_nth_filter() counts from the newest
	 * back to the count less the index) */
	for (unsigned i = 0; i < count; i++) {
		uint8_t *program = NULL;
		size_t len = 0;
		uint32_t flags = 0;
		int r = read_filter(pid, tid, i, &program, &len, &flags);

		if (r < 0)
			return r;
		if (returns_user_notif(program, len))
			ckpt_unsupported(c, "pid %d tid %d: its seccomp filter %u sends system calls "
					 "to a listener (SECCOMP_RET_USER_NOTIF), which is not "
					 "carried", pid, tid, i);
		parent = filter_record(si, parent, flags, &program, len);
		free(program);
		if (!parent)
			return -ENOMEM;
	}
	*ret_newest = parent;
	return 0;
}

static int status_number(const char *status, const char *key, unsigned *ret)
{
	char buf[32];
	int r = proc_status_field(status, key, buf, sizeof(buf));

	if (r == -ENOENT) {
		*ret = 0;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = strtoul(buf, NULL, 10);
	return 0;
}

/* The chain of thread @tid, oldest first, into @chain; its length (0: none). */
static int thread_chain(const struct seccomp_image *si, const struct seccomp_process *sp,
			pid_t tid, uint32_t chain[CHAIN_MAX])
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->threads[i].tid == (uint32_t)tid)
			return sp->threads[i].mode == SECCOMP_MODE_FILTER ?
				       chain_of(si, sp->threads[i].filter, chain) : 0;
	return 0;
}

/* How many filters, from the oldest, every thread of @p has in common
 * (the leader's chain into @first). */
static size_t shared_part(const struct seccomp_image *si, const struct seccomp_process *sp,
			  const struct st_process *p, uint32_t first[CHAIN_MAX])
{
	static uint32_t other[CHAIN_MAX];
	size_t common = thread_chain(si, sp, p->threads[0].tid, first);

	for (size_t i = 1; i < p->nthreads && common; i++) {
		int n = thread_chain(si, sp, p->threads[i].tid, other);
		size_t k = 0;

		while (k < common && k < (size_t)n && other[k] == first[k])
			k++;
		common = k;
	}
	return common;
}

/* Above the filters every thread shares, two threads with one filter: a
 * filter shared by a subset of the threads, which the kernel cannot make
 * again (TSYNC gives a filter to all). Sharing a filter means sharing the
 * ones below it, so comparing the first above the common part is enough. */
static void check_sharing(struct ckpt *c, const struct st_process *p,
			  const struct seccomp_process *sp)
{
	const struct seccomp_image *si = kind_image_data_if(&c->img, &kind_seccomp);
	static uint32_t first[CHAIN_MAX], a[CHAIN_MAX], b[CHAIN_MAX];
	size_t common = shared_part(si, sp, p, first);

	for (size_t i = 0; i < p->nthreads; i++) {
		size_t na = thread_chain(si, sp, p->threads[i].tid, a);

		for (size_t j = i + 1; na > common && j < p->nthreads; j++) {
			size_t nb = thread_chain(si, sp, p->threads[j].tid, b);

			if (nb > common && a[common] == b[common]) {
				ckpt_unsupported(c, "pid %d tid %d: a seccomp filter it shares with "
						 "tid %d but not with every thread of the process "
						 "cannot be shared again", p->pid, p->threads[i].tid,
						 p->threads[j].tid);
				return;
			}
		}
	}
}

static int seccomp_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct seccomp_process *sp = NULL;

	for (size_t i = 0; i < p->nthreads; i++) {
		pid_t tid = p->threads[i].tid;
		char path[64], *status;
		unsigned mode, count;
		struct seccomp_thread *t;
		int r;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
		r = proc_read_file(path, &status, NULL);
		if (r < 0)
			return log_error_errno(r, "pid %d tid %d: cannot read %s", pid, tid, path);
		r = status_number(status, "Seccomp", &mode);
		if (r == 0)
			r = status_number(status, "Seccomp_filters", &count);
		free(status);
		if (r < 0)
			return log_error_errno(r, "pid %d tid %d: cannot parse %s", pid, tid, path);
		if (mode == SECCOMP_MODE_DISABLED)
			continue;
		if (mode != SECCOMP_MODE_FILTER) { /* strict: the inventory refused it */
			ckpt_unsupported(c, "pid %d tid %d: seccomp mode %u is not carried", pid,
					 tid, mode);
			continue;
		}
		sp = sp ? sp : kind_process_data(p, &kind_seccomp);
		t = sp ? ST_PUSH(sp->threads, sp->n) : NULL;
		if (!t)
			return -ENOMEM;
		t->tid = tid;
		t->mode = mode;
		if (!count) /* a kernel without Seccomp_filters (before 5.9) */
			return log_error_errno(-ENOTSUP, "pid %d tid %d: this kernel does not show how many "
					"seccomp filters it has", pid, tid);
		r = dump_chain(c, pid, tid, count, &t->filter);
		if (r < 0)
			return r;
		/* installed again in its own credentials */
		if (!p->no_new_privs && !(p->have_caps && (p->caps.effective & CAP_SYS_ADMIN_BIT)))
			ckpt_unsupported(c, "pid %d tid %d: it has a seccomp filter but neither "
					 "no_new_privs nor CAP_SYS_ADMIN, so the filter cannot be "
					 "installed again once it has its credentials", pid, tid);
	}
	if (sp)
		check_sharing(c, p, sp);
	return 0;
}

/* ---- metadata ---- */

static int seccomp_image_check(struct meta_in *in, struct st_image *img)
{
	const struct seccomp_image *si = kind_image_data_if(img, &kind_seccomp);

	for (size_t i = 0; si && i < si->n && !in->err; i++) {
		const struct seccomp_filter_rec *f = &si->filters[i];
		size_t insns = f->len / sizeof(struct sock_filter);

		/* parents come first: a chain always ends */
		if (f->id != i + 1 || f->parent >= f->id)
			in->err = log_error_errno(-EINVAL, "image metadata: seccomp filter %u: its id or "
					   "its parent %u is out of order", f->id, f->parent);
		else if (f->len % sizeof(struct sock_filter) || !insns || insns > FILTER_MAX_INSNS)
			in->err = log_error_errno(-EINVAL, "image metadata: seccomp filter %u: a program "
					   "of %zu bytes", f->id, f->len);
	}
	for (size_t i = 0; i < img->nprocs && !in->err; i++) {
		const struct st_process *p = &img->procs[i];
		const struct seccomp_process *sp = kind_process_data_if(p, &kind_seccomp);
		uint32_t chain[CHAIN_MAX];

		for (size_t k = 0; sp && k < sp->n && !in->err; k++) {
			const struct seccomp_thread *t = &sp->threads[k];
			bool known = false;

			for (size_t j = 0; j < p->nthreads; j++)
				known |= (uint32_t)p->threads[j].tid == t->tid;
			for (size_t j = 0; j < k; j++)
				known &= sp->threads[j].tid != t->tid;
			if (!known || t->mode != SECCOMP_MODE_FILTER || !find_filter(si, t->filter) ||
			    chain_of(si, t->filter, chain) < 0)
				in->err = log_error_errno(-EINVAL, "image metadata: process %d: seccomp of "
						   "thread %u: mode %u, filter %u", p->pid, t->tid,
						   t->mode, t->filter);
		}
	}
	return in->err;
}

/* ---- restore ---- */

/* Where a program is put while it is installed: the start of a private
 * anonymous area of the process big enough, its bytes kept and put back
 * (every thread of it is stopped meanwhile). */
struct scratch {
	uint64_t addr;
	uint8_t *saved;
	size_t len;
};

static int scratch_take(struct rproc *rp, size_t len, struct scratch *s)
{
	for (size_t i = 0; i < rp->mm->nareas; i++) {
		const struct st_area *a = &rp->mm->areas[i];

		/* anonymous memory only: a private file page written would stop
		 * being the file's */
		if (!(a->prot & PROT_WRITE) || (a->flags & MAP_SHARED) || a->end - a->start < len ||
		    (a->kind != ST_AREA_ANON && a->kind != ST_AREA_HEAP && a->kind != ST_AREA_STACK))
			continue;
		s->saved = malloc(len);
		if (!s->saved)
			return -ENOMEM;
		if (mem_read(rp->memfd, a->start, s->saved, len) < 0) {
			free(s->saved);
			s->saved = NULL;
			continue;
		}
		s->addr = a->start;
		s->len = len;
		return 0;
	}
	return log_error_errno(-ENOSPC, "pid %d: no private writable area of %zu bytes to install its "
			"seccomp filters from", rp->pid, len);
}

static int scratch_give_back(struct rproc *rp, struct scratch *s)
{
	int e = 0;

	if (s->saved && mem_write(rp->memfd, s->addr, s->saved, s->len) < 0)
		e = log_error_errno(-EIO, "pid %d: cannot put back the memory at %#llx", rp->pid,
			     (unsigned long long)s->addr);
	free(s->saved);
	s->saved = NULL;
	return e;
}

static int install(struct rproc *rp, struct inject *in, const struct scratch *s,
		   const struct seccomp_filter_rec *f, unsigned flags)
{
	struct {
		uint16_t len;
		uint16_t pad[3];
		uint64_t filter;
	} prog = { f->len / sizeof(struct sock_filter), { 0 }, s->addr + 16 };
	long res;

	if (mem_write(rp->memfd, s->addr, &prog, sizeof(prog)) < 0 ||
	    mem_write(rp->memfd, s->addr + 16, f->program, f->len) < 0)
		return log_error_errno(-EIO, "pid %d: cannot write its seccomp filter %u", rp->pid, f->id);
	res = INJECT(in, SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | f->flags, s->addr);
	if (res > 0) /* TSYNC: the thread that could not be synchronized */
		return log_error_errno(-EBUSY, "pid %d: seccomp filter %u cannot be given to tid %ld",
				rp->pid, f->id, res);
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot install its seccomp filter %u", rp->pid,
				in->tid, f->id);
	return 0;
}

static struct inject *thread_inject(struct rproc *rp, size_t i)
{
	return i ? &rp->threads[i - 1].in : &rp->in;
}

static int seccomp_process_sealed(struct rst *r, struct rproc *rp)
{
	const struct seccomp_process *sp = kind_process_data_if(rp->p, &kind_seccomp);
	const struct seccomp_image *si = kind_image_data_if(&r->img, &kind_seccomp);
	static uint32_t first[CHAIN_MAX], chain[CHAIN_MAX];
	size_t nthreads = rp->p->nthreads, longest = 0, common;
	struct scratch s = { 0 };
	int e = 0;

	if (!sp || !sp->n)
		return 0;
	for (size_t i = 0; i < si->n; i++)
		longest = si->filters[i].len > longest ? si->filters[i].len : longest;
	e = scratch_take(rp, 16 + longest, &s);
	if (e < 0)
		return e;
	/* one filter object for every thread: TSYNC from the leader */
	common = shared_part(si, sp, rp->p, first);
	for (size_t k = 0; k < common && e == 0; k++)
		e = install(rp, &rp->in, &s, find_filter(si, first[k]),
			    nthreads > 1 ? SECCOMP_FILTER_FLAG_TSYNC : 0);
	/* each thread's own on top */
	for (size_t i = 0; i < nthreads && e == 0; i++) {
		int n = thread_chain(si, sp, rp->p->threads[i].tid, chain);

		for (int k = common; k < n && e == 0; k++)
			e = install(rp, thread_inject(rp, i), &s, find_filter(si, chain[k]), 0);
	}
	if (scratch_give_back(rp, &s) < 0 && e == 0)
		e = -EIO;
	return e;
}

const struct kind kind_seccomp = {
	.name = "seccomp",
	.claims = seccomp_claims,
	.dump_process = seccomp_dump_process,
	.process_size = sizeof(struct seccomp_process),
	.process_fields = seccomp_process_fields,
	.image_size = sizeof(struct seccomp_image),
	.image_fields = seccomp_image_fields,
	.image_check = seccomp_image_check,
	.process_sealed = seccomp_process_sealed,
};
