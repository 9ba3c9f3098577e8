/* SPDX-License-Identifier: MIT */
/*
 * Can the process tree be rebuilt as it is? Restore creates each child
 * from its restored parent, a session leader calls setsid() before it has
 * children, then group leaders and members call setpgid(). That gives back
 * every tree where each process either leads its own session or shares its
 * parent's, and belongs to a process group led by a member of its session
 * (or to the group of the root, when that group's leader is outside).
 */
#include <errno.h>

#include "../common/log.h"
#include "internal.h"

static void check_member(struct ckpt *c, const struct st_process *root, const struct st_process *p)
{
	struct st_process *parent = st_find_process(&c->img, p->ppid);
	struct st_process *leader = st_find_process(&c->img, p->pgid);

	if (!parent) {
		ckpt_unsupported(c, "pid %d: its parent %d is not in the checkpoint", p->pid,
				 p->ppid);
		return;
	}
	if (p->sid != p->pid && p->sid != parent->sid)
		ckpt_unsupported(c, "pid %d: session %d is neither its own nor its parent's (%d "
				 "in session %d): such trees are not supported yet", p->pid,
				 p->sid, parent->pid, parent->sid);
	if (p->pgid == p->pid)
		return;
	if (leader && leader->pgid == leader->pid && leader->sid == p->sid)
		return;
	if (!leader && p->pgid == root->pgid && p->sid == root->sid)
		return;
	ckpt_unsupported(c, "pid %d: process group %d %s: such groups are not supported yet",
			 p->pid, p->pgid,
			 leader ? "is led by a process that left it" :
				  "has its leader outside the checkpoint");
}

int dump_check_tree(struct ckpt *c)
{
	const struct st_process *root;

	if (!c->img.nprocs)
		return 0;
	root = &c->img.procs[0];
	if (root->sid != root->pid && root->pgid != root->pid)
		log_debug("pid %d: session %d and process group %d are outside the checkpoint; "
			   "restore puts it in the restorer's", root->pid, root->sid, root->pgid);
	for (size_t i = 1; i < c->img.nprocs; i++)
		check_member(c, root, &c->img.procs[i]);
	return 0;
}
