/* SPDX-License-Identifier: MIT */
/*
 * The process tree: every stub is made by its parent's stub (roots by the
 * restorer), parents first, so each process has its real parent. A session
 * leader calls setsid() as soon as it exists, before it has children, so
 * that they are born in its session. Process groups come once every stub
 * exists: group leaders first, then the members join them.
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

#include "../common/log.h"
#include "internal.h"

static struct rproc *find_rproc(struct rst *r, pid_t pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].p->pid == pid)
			return &r->procs[i];
	return NULL;
}

static int create_one(struct rproc *rp)
{
	long res;
	int e;

	e = rp->parent ? stub_clone(rp->parent, rp, SIGCHLD) : stub_create(rp);
	if (e < 0)
		return e;
	if (rp->p->sid != rp->p->pid)
		return 0;
	res = INJECT(&rp->in, SYS_setsid);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot start its session", rp->pid);
	return 0;
}

int restore_create_tree(struct rst *r)
{
	size_t done = 0;

	for (size_t i = 0; i < r->nprocs; i++) {
		struct rproc *rp = &r->procs[i];

		rp->parent = find_rproc(r, rp->p->ppid);
		if (rp->parent == rp)
			rp->parent = NULL;
	}
	/* parents before children, whatever the order of the image */
	while (done < r->nprocs) {
		size_t before = done;

		for (size_t i = 0; i < r->nprocs; i++) {
			struct rproc *rp = &r->procs[i];
			int e;

			if (rp->created || (rp->parent && !rp->parent->created))
				continue;
			e = create_one(rp);
			for (size_t k = 0; k < kind_count && e == 0; k++)
				if (kind_registry[k]->process_created)
					e = kind_registry[k]->process_created(r, rp);
			if (e < 0)
				return e;
			done++;
		}
		if (done == before)
			return log_error_errno(-EINVAL, "image: the parents of its processes form a loop");
	}
	return 0;
}

static int join_group(struct rst *r, struct rproc *rp)
{
	const struct st_process *p = rp->p;
	long res;

	if (p->pgid == p->pid) {
		res = INJECT(&rp->in, SYS_setpgid, 0, 0);
		if (res < 0)
			return log_error_errno(res, "pid %d: cannot make its process group", rp->pid);
		return 0;
	}
	if (find_rproc(r, p->pgid)) {
		res = INJECT(&rp->in, SYS_setpgid, 0, p->pgid);
		if (res < 0)
			return log_error_errno(res, "pid %d: cannot join process group %d", rp->pid,
					p->pgid);
		return 0;
	}
	if (!rp->parent)
		log_warning("pid %d: its process group %d and session %d are not in the image; it "
			  "joins the restorer's", rp->pid, p->pgid, p->sid);
	/* else: the root's group, inherited from it */
	return 0;
}

int restore_groups(struct rst *r)
{
	/* leaders first (a session leader already leads its group) */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->nprocs; i++) {
			struct rproc *rp = &r->procs[i];
			bool leader = rp->p->pgid == rp->p->pid;
			int e;

			if (rp->p->sid == rp->p->pid || leader != (pass == 0))
				continue;
			e = join_group(r, rp);
			if (e < 0)
				return e;
		}
	return 0;
}
