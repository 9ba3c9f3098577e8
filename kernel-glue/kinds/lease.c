/* SPDX-License-Identifier: MIT */
/*
 * Leases (fcntl F_SETLEASE): a read or write lease of an open file
 * description, and who is told when someone breaks it, in the image's
 * /leases/lease@ID nodes.
 *
 * Checkpoint: the "lock:" lines of fdinfo show a lease with its open file
 * description (lockinfo.h), once per file; its break signal (F_GETSIG) and
 * the process it goes to (F_GETOWN_EX) are read from a copy of the
 * descriptor. A lease being broken (an open of its file waits for it to be
 * given up, or has been told it must) is refused, and so is a lease whose
 * break would go to a process outside the selection, a lease ferry sees
 * in /proc/locks but not on a descriptor of the selection, and one whose
 * open file description a process outside the selection shares.
 *
 * Restore: once every process has every file (no other open of the file
 * may come after a write lease), the lease is set again inside the process
 * that set it (its pid in /proc/locks) through its lowest descriptor of the
 * file, whose number a break signal carries (si_fd), and its signal with
 * it; F_SETLEASE made its caller the file's owner: the one it had comes
 * back once every thread exists. Last, the fdinfo of every descriptor must
 * show exactly the image's leases.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "lockinfo.h"

struct lease_record {
	uint32_t id;
	uint32_t file_id;
	pid_t pid;          /* the process it is set through */
	bool write;
	uint32_t signal;    /* F_GETSIG: 0 is SIGIO */
	uint32_t owner[2];  /* F_GETOWN_EX: F_OWNER_TID 0, F_OWNER_PID 1, F_OWNER_PGRP 2; pid */
	long shown_pid;     /* checkpoint only: the pid /proc/locks shows */
};

struct lease_image {
	struct lease_record *v;
	size_t n;
};

static const char *const lease_types[] = { "read", "write" };

static const struct meta_field lease_fields[] = {
	META_U32(FM_LE_ID, struct lease_record, id, META_REQUIRED | META_UNIT),
	META_U32(FM_LE_FILE, struct lease_record, file_id, META_REQUIRED),
	META_U32(FM_LE_PID, struct lease_record, pid, META_REQUIRED),
	META_NAME(FM_LE_TYPE, struct lease_record, write, lease_types, META_REQUIRED),
	META_U32(FM_LE_SIGNAL, struct lease_record, signal, META_OMIT_ZERO),
	META_WORDS(FM_LE_OWNER, struct lease_record, owner, 4, META_REQUIRED),
	{ 0 },
};

static const struct meta_node lease_node = {
	.name = FM_LEASE, .size = sizeof(struct lease_record), .fields = lease_fields,
};

static const struct meta_field lease_image_fields[] = {
	META_NODES(FM_LEASES, struct lease_image, v, n, &lease_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_lease;

static bool owns_lease(const struct lock_line *l)
{
	return lock_is(l, "LEASE");
}

/* ---- checkpoint ---- */

/* Whether the owner (F_GETOWN_EX) a break goes to is in the selection. */
static bool owner_in_selection(const struct ckpt *c, const uint32_t owner[2])
{
	if (!owner[1])
		return true;
	for (size_t i = 0; i < c->img.nprocs; i++) {
		const struct st_process *p = &c->img.procs[i];

		if ((owner[0] == F_OWNER_PID && (uint32_t)p->pid == owner[1]) ||
		    (owner[0] == F_OWNER_PGRP && (uint32_t)p->pgid == owner[1]))
			return true;
		for (size_t t = 0; owner[0] == F_OWNER_TID && t < p->nthreads; t++)
			if ((uint32_t)p->threads[t].tid == owner[1])
				return true;
	}
	return false;
}

static int take(struct ckpt *c, pid_t pid, int fd, const struct st_file *f,
		const struct lock_line *l)
{
	struct lease_image *li;
	struct lease_record *rec;
	struct f_owner_ex owner;
	char what[64];
	int bfd, sig;

	lock_describe(l, what, sizeof(what));
	if (strcmp(l->mode, "ACTIVE") != 0) {
		ckpt_unsupported(c, "pid %d fd %d: %s: %s (%s): an open of the file waits for it "
				 "to be given up, or was told it must be: not carried", pid, fd,
				 lock_file_name(f), what, l->mode);
		return 0;
	}
	if (!lock_carried(c, pid, fd, f, l))
		return 0;
	bfd = dump_borrow_fd(pid, fd);
	if (bfd < 0)
		return log_error_errno(bfd, "pid %d fd %d: cannot take a copy of it", pid, fd);
	sig = fcntl(bfd, F_GETSIG);
	if (sig < 0 || fcntl(bfd, F_GETOWN_EX, &owner) < 0) {
		int r = log_error_errno(-errno,
					"pid %d fd %d: %s: cannot read whom its lease break "
					"goes to",
					pid, fd, lock_file_name(f));

		close(bfd);
		return r;
	}
	close(bfd);
	li = kind_image_data(&c->img, &kind_lease);
	rec = li ? ST_PUSH(li->v, li->n) : NULL;
	if (!rec)
		return -ENOMEM;
	*rec = (struct lease_record){
		.id = li->n,
		.file_id = f->id,
		.pid = pid,
		.write = strcmp(l->type, "WRITE") == 0,
		.signal = sig,
		.owner = { owner.type, owner.pid },
		.shown_pid = l->pid,
	};
	return 0;
}

static int lease_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct lock_seen *s = ckpt_kind_state(c, &kind_lease, sizeof(*s));

	(void)pid;
	if (!s)
		return -ENOMEM;
	s->owns = owns_lease;
	return lock_dump_fds(c, p, s, take);
}

static int lease_dump_check(struct ckpt *c)
{
	struct lock_seen *s = ckpt_kind_state(c, &kind_lease, sizeof(*s));
	struct lease_image *li = kind_image_data_if(&c->img, &kind_lease);
	int r = 0;

	if (!s)
		return -ENOMEM;
	s->owns = owns_lease;
	for (size_t i = 0; li && i < li->n && r == 0; i++) {
		struct lease_record *rec = &li->v[i];
		const struct st_file *f = st_find_file(&c->img, rec->file_id);

		/* set again by the process that set it, when it holds the file */
		rec->pid = lock_taker(c, rec->shown_pid, rec->file_id, rec->pid);
		if (!owner_in_selection(c, rec->owner))
			ckpt_unsupported(c,
					 "pid %d: %s: a break of its %s lease goes to %s %u, "
					 "outside the selection: not carried",
					 rec->pid, lock_file_name(f), rec->write ? "write" : "read",
					 rec->owner[0] == F_OWNER_PGRP	? "process group"
					 : rec->owner[0] == F_OWNER_TID ? "thread"
									: "pid",
					 rec->owner[1]);
		r = lock_add_holder(c, s, rec->pid, rec->file_id, "its lease");
	}
	return r < 0 ? r : lock_dump_check(c, s);
}

static void lease_dump_end(struct ckpt *c, bool kept)
{
	struct lock_seen *s = ckpt_kind_state(c, &kind_lease, 0);

	(void)kept;
	if (s)
		lock_seen_free(s);
}

/* ---- restore ---- */

static int lease_restore_begin(struct rst *r)
{
	const struct lease_image *li = kind_image_data_if(&r->img, &kind_lease);

	for (size_t i = 0; li && i < li->n; i++) {
		const struct lease_record *rec = &li->v[i];
		const struct st_process *p = st_find_process(&r->img, rec->pid);

		if (!p || lock_fd_of(p, rec->file_id) < 0)
			return log_error_errno(-EINVAL,
					       "image metadata: lease %u: pid %d is not a process "
					       "of the image with a descriptor of file %u",
					       rec->id, rec->pid, rec->file_id);
		if (rec->signal > 64 || rec->owner[0] > F_OWNER_PGRP)
			return log_error_errno(-EINVAL,
					       "image metadata: lease %u: signal %u, owner type "
					       "%u",
					       rec->id, rec->signal, rec->owner[0]);
		for (size_t k = 0; k < i; k++)
			if (li->v[k].file_id == rec->file_id)
				return log_error_errno(-EINVAL,
						       "image metadata: leases %u and %u are of "
						       "the same file %u",
						       li->v[k].id, rec->id, rec->file_id);
	}
	return 0;
}

static int restore_lease(struct rst *r, const struct lease_record *rec)
{
	struct rproc *rp = lock_rproc(r, rec->pid);
	const struct st_file *f = st_find_file(&r->img, rec->file_id);
	const char *type = rec->write ? "write" : "read";
	long res;
	int fd;

	if (!rp || !f)
		return -EINVAL; /* lease_restore_begin() said otherwise */
	fd = lock_fd_of(rp->p, rec->file_id);
	res = INJECT(&rp->in, SYS_fcntl, fd, F_SETLEASE, rec->write ? F_WRLCK : F_RDLCK);
	if (res == -EAGAIN)
		return log_error_errno(res,
				       "pid %d fd %d: %s: cannot set its %s lease again: the file "
				       "is "
				       "open %selsewhere since the checkpoint",
				       rp->pid, fd, lock_file_name(f), type,
				       rec->write ? "" : "for writing ");
	if (res < 0)
		return log_error_errno(res, "pid %d fd %d: %s: cannot set its %s lease again",
				       rp->pid, fd, lock_file_name(f), type);
	res = INJECT(&rp->in, SYS_fcntl, fd, F_SETSIG, rec->signal);
	if (res < 0)
		return log_error_errno(res,
				       "pid %d fd %d: %s: cannot give its lease break signal %u "
				       "again",
				       rp->pid, fd, lock_file_name(f), rec->signal);
	return 0;
}

/* Every process has every file: no open comes after a write lease. */
static int lease_restore_finish(struct rst *r)
{
	const struct lease_image *li = kind_image_data_if(&r->img, &kind_lease);
	int e = 0;

	for (size_t i = 0; li && i < li->n && e == 0; i++)
		e = restore_lease(r, &li->v[i]);
	return e;
}

/* F_SETLEASE made its caller the owner of the file; the one it had comes
 * back once every thread exists (an owner may be a thread). */
static int restore_owners(struct rproc *rp, const struct lease_image *li)
{
	for (size_t i = 0; i < li->n; i++) {
		const struct lease_record *rec = &li->v[i];
		struct f_owner_ex owner = { .type = rec->owner[0], .pid = rec->owner[1] };
		int fd = lock_fd_of(rp->p, rec->file_id), e;
		uint64_t addr;
		long res;

		if (rec->pid != rp->p->pid)
			continue;
		e = tramp_data(rp, 0, &owner, sizeof(owner), &addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_fcntl, fd, F_SETOWN_EX, addr);
		if (res < 0)
			return log_error_errno(res,
					       "pid %d fd %d: cannot send a break of its lease to "
					       "%u "
					       "again",
					       rp->pid, fd, rec->owner[1]);
	}
	return 0;
}

/* Before @rp runs: each of its descriptors shows the image's lease of its
 * file, if any, and no other. */
static int lease_process_ready(struct rst *r, struct rproc *rp)
{
	const struct lease_image *li = kind_image_data_if(&r->img, &kind_lease);
	int e = li ? restore_owners(rp, li) : 0;

	for (size_t i = 0; li && li->n && i < rp->p->nfds && e == 0; i++) {
		const struct st_fd *fd = &rp->p->fds[i];
		const struct lease_record *want = NULL;
		struct lock_line *lines;
		size_t n, found = 0;
		bool ok = true;

		for (size_t k = 0; k < li->n; k++)
			if (li->v[k].file_id == fd->file_id)
				want = &li->v[k];
		e = lock_fdinfo(rp->pid, fd->num, &lines, &n);
		if (e < 0)
			return log_error_errno(e, "pid %d fd %d: cannot read its locks", rp->pid,
					       fd->num);
		for (size_t k = 0; k < n; k++) {
			if (!owns_lease(&lines[k]))
				continue;
			found++;
			ok &= want && !strcmp(lines[k].mode, "ACTIVE") &&
			      lines[k].pid == want->pid &&
			      !strcmp(lines[k].type, want->write ? "WRITE" : "READ");
		}
		free(lines);
		if (!ok || found != (want != NULL))
			return log_error_errno(-EPROTO,
					       "pid %d fd %d: after the restore its lease is not "
					       "the image's",
					       rp->pid, fd->num);
	}
	return e;
}

/* ---- inventory ---- */

/* A lease: the kind records it or names why it cannot be carried (one
 * being broken, a break told to a process outside the selection). */
static bool own_lease(const struct inv_item *it)
{
	struct lock_line l;

	return lock_parse_line(it->value, &l) && owns_lease(&l) && !l.waiter;
}

/* A descriptor with a lease: whom its break is told (F_SETOWN_EX, which
 * F_SETLEASE sets), with which signal (F_SETSIG), and its O_ASYNC flag,
 * which F_SETLEASE sets too (the kernel tells a break through the file's
 * fasync list), are the lease's, and come back with it. */
static bool has_lease(const struct inv_item *it)
{
	for (const char *p = it->fd->fdinfo; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		struct lock_line l;

		if (!strncmp(p, "lock:", 5) && lock_parse_line(p, &l) && lock_is(&l, "LEASE"))
			return true;
	}
	return false;
}

static const struct inv_claim lease_claims[] = {
	INV_CLAIM_IF(INV_FD, "lock", own_lease, NULL),
	INV_CLAIM_IF(INV_FD, "flags", has_lease, NULL),
	INV_CLAIM_IF(INV_FD, "owner", has_lease, NULL),
	INV_CLAIM_IF(INV_FD, "signal", has_lease, NULL),
	INV_CLAIMS_END,
};

const struct kind kind_lease = {
	.name = "lease",
	.claims = lease_claims,
	.dump_process = lease_dump_process,
	.dump_check = lease_dump_check,
	.dump_end = lease_dump_end,
	.image_size = sizeof(struct lease_image),
	.image_fields = lease_image_fields,
	.restore_begin = lease_restore_begin,
	.restore_finish = lease_restore_finish,
	.process_ready = lease_process_ready,
};
