/* SPDX-License-Identifier: MIT */
/*
 * Could the restorer give a restored process this value? Asked of a child
 * of ferry, which starts as every process the restorer makes starts: the
 * stubs are copies of ferry, with its scheduling, OOM score adjustment and
 * its floor, audit login uid, user, capabilities and cgroup. The child
 * tries to set the value on itself and exits; nothing of the checkpointed
 * processes is touched. The restoring side is taken to be a ferry with
 * this one's privileges: `ferry restore` here; ferry-init, which has every
 * capability, can set at least as much.
 */
#include "../common/child_step.h"
#include "internal.h"

struct probe {
	int (*try_set)(const void *arg);
	const void *arg;
};

/* In the child: 0 or -errno, nothing more sent back. */
static int probe_step(const void *arg, void *out, size_t size)
{
	const struct probe *p = arg;
	int r = p->try_set(p->arg);

	(void)out;
	(void)size;
	return r < 0 ? r : 0;
}

int ckpt_restorer_can(int (*try_set)(const void *arg), const void *arg)
{
	struct probe p = { try_set, arg };

	return child_step(probe_step, &p, NULL, 0);
}
