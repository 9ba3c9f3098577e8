/* SPDX-License-Identifier: MIT */
/*
 * What a process can only be asked about itself through prctl(): whether
 * it is a child subreaper (PR_GET_CHILD_SUBREAPER: orphans among its
 * descendants are given to it, not to init), whether transparent huge
 * pages are off for its memory (PR_GET_THP_DISABLE: 1 off, 3 off except
 * where madvise(MADV_HUGEPAGE) asks for them, Linux 6.18 and later) and
 * whether it is dumpable (PR_GET_DUMPABLE: 0 or 1; 2, which only an
 * execve() under fs.suid_dumpable=2 gives, cannot be set and is refused).
 * Asked in its frozen leader; given back with the setters: the first two
 * as soon as the stub exists, before its children are made (they inherit
 * that they have a subreaper above them) and before its memory is (no
 * page of it may become huge meanwhile); dumpable last, since a change of
 * credentials resets it. None needs a privilege. The stub inherits
 * ferry's settings, so each is always set, and read back.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#define PR_GET_THP_DISABLE 42
#endif
#define THP_DISABLED 1
#define THP_EXCEPT_ADVISED 2 /* PR_THP_DISABLE_EXCEPT_ADVISED */

struct prctl_process {
	bool child_subreaper;
	uint32_t thp_disable; /* what PR_GET_THP_DISABLE returns */
	bool not_dumpable;
};

static const struct meta_field prctl_process_fields[] = {
	META_FLAG(FM_P_CHILD_SUBREAPER, struct prctl_process, child_subreaper, 0),
	META_U32(FM_P_THP_DISABLE, struct prctl_process, thp_disable, META_OMIT_ZERO),
	META_FLAG(FM_P_NOT_DUMPABLE, struct prctl_process, not_dumpable, 0),
	{ 0 },
};

static bool settable_dumpable(const struct inv_item *it)
{
	return strcmp(it->value, "0") == 0 || strcmp(it->value, "1") == 0;
}

static const struct inv_claim prctl_claims[] = {
	INV_CLAIM(INV_INSIDE, "child_subreaper"),
	INV_CLAIM(INV_STATUS, "THP_enabled"),
	INV_CLAIM_IF(INV_INSIDE, "dumpable", settable_dumpable,
		     "only dumpable (1) or not (0) can be set again (PR_SET_DUMPABLE); 2 comes "
		     "from an execve() under fs.suid_dumpable=2"),
	INV_CLAIMS_END,
};

extern const struct kind kind_prctl;

static int prctl_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct prctl_process *pp = kind_process_data(p, &kind_prctl);
	int32_t subreaper = 0;
	struct borrow b;
	long res, dumpable = 1;
	int r;

	if (!pp)
		return -ENOMEM;
	r = borrow_leader(c, pid, &b);
	if (r < 0)
		return r;
	res = BORROW(&b, SYS_prctl, PR_GET_CHILD_SUBREAPER, b.scratch, 0, 0, 0);
	if (res == 0)
		r = borrow_read(&b, 0, &subreaper, sizeof(subreaper));
	else
		r = log_error_errno(res, "pid %d: cannot ask whether it is a child subreaper", pid);
	if (r == 0) {
		dumpable = BORROW(&b, SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
		if (dumpable < 0)
			r = log_error_errno(dumpable, "pid %d: cannot ask whether it is dumpable", pid);
	}
	if (r == 0) {
		res = BORROW(&b, SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, 0);
		if (res < 0)
			r = log_error_errno(res, "pid %d: cannot ask whether its huge pages are off", pid);
	}
	if (borrow_end(&b) < 0 && r == 0)
		r = -EIO;
	if (r < 0)
		return r;
	pp->child_subreaper = subreaper != 0;
	pp->thp_disable = res;
	pp->not_dumpable = dumpable == 0;
	if (dumpable != 0 && dumpable != 1)
		ckpt_unsupported(c, "pid %d: its dumpable mode %ld (PR_GET_DUMPABLE) cannot be set "
				 "again", pid, dumpable);
	if (res & ~(long)(THP_DISABLED | THP_EXCEPT_ADVISED))
		ckpt_unsupported(c, "pid %d: its transparent huge page setting %#lx "
				 "(PR_GET_THP_DISABLE) is not supported", pid, res);
	return 0;
}

static int prctl_process_created(struct rst *r, struct rproc *rp)
{
	const struct prctl_process *pp = kind_process_data_if(rp->p, &kind_prctl);
	uint32_t thp = pp ? pp->thp_disable : 0;
	long res;

	(void)r;
	res = INJECT(&rp->in, SYS_prctl, PR_SET_THP_DISABLE, thp & THP_DISABLED,
		     thp & ~THP_DISABLED, 0, 0);
	if (res == 0) {
		res = INJECT(&rp->in, SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, 0);
		if (res >= 0 && res != thp)
			res = -EINVAL;
	}
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot set its transparent huge pages %s", rp->pid,
				thp & THP_EXCEPT_ADVISED ? "off except where advised"
				: thp ? "off" : "on");
	res = INJECT(&rp->in, SYS_prctl, PR_SET_CHILD_SUBREAPER, pp && pp->child_subreaper, 0, 0,
		     0);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot make it %sa child subreaper", rp->pid,
				pp && pp->child_subreaper ? "" : "not ");
	return 0;
}

/* After the credentials, which reset it, and every other injection. */
static int prctl_process_ready(struct rst *r, struct rproc *rp)
{
	const struct prctl_process *pp = kind_process_data_if(rp->p, &kind_prctl);
	long want = pp && pp->not_dumpable ? 0 : 1, res;

	(void)r;
	res = INJECT(&rp->in, SYS_prctl, PR_SET_DUMPABLE, want, 0, 0, 0);
	if (res == 0) {
		res = INJECT(&rp->in, SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
		if (res >= 0 && res != want)
			res = -EINVAL;
	}
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot make it %sdumpable", rp->pid, want ? "" : "not ");
	return 0;
}

const struct kind kind_prctl = {
	.name = "prctl",
	.claims = prctl_claims,
	.dump_process = prctl_dump_process,
	.process_size = sizeof(struct prctl_process),
	.process_fields = prctl_process_fields,
	.process_created = prctl_process_created,
	.process_ready = prctl_process_ready,
};
