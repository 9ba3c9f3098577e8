/* SPDX-License-Identifier: MIT */
/*
 * Process-wide attributes: directories, umask, personality, name, session
 * and process group, resource limits, signal actions; then credentials,
 * last, as they may take away the right to do the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

static int restore_dir(struct rst *r, struct rproc *rp, const char *path, bool chroot_too)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC), e;
	uint64_t dot;
	long tfd, res;

	if (fd < 0)
		return glue_err(-errno, "pid %d: cannot open directory %s", rp->pid, path);
	e = restore_pull_fd(r, rp, fd, &tfd);
	close(fd);
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_fchdir, tfd);
	if (res == 0 && chroot_too) {
		e = tramp_data(rp, 0, ".", 2, &dot);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_chroot, dot);
	}
	INJECT(&rp->in, SYS_close, tfd);
	if (res < 0)
		return glue_err(res, "pid %d: cannot %s %s", rp->pid,
				chroot_too ? "change root to" : "change directory to", path);
	return 0;
}

static int restore_session(struct rproc *rp)
{
	const struct st_process *p = rp->p;
	long res;

	if (p->sid == p->pid) {
		res = INJECT(&rp->in, SYS_setsid);
		if (res < 0)
			return glue_err(res, "pid %d: cannot start its session", rp->pid);
		return 0;
	}
	if (p->pgid == p->pid) {
		res = INJECT(&rp->in, SYS_setpgid, 0, 0);
		if (res < 0)
			return glue_err(res, "pid %d: cannot make its process group", rp->pid);
		return 0;
	}
	res = INJECT(&rp->in, SYS_setpgid, 0, p->pgid);
	if (res < 0)
		glue_warn("pid %d: process group %d and session %d are not restored yet (it "
			  "joins the restorer's)", rp->pid, p->pgid, p->sid);
	return 0;
}

static int restore_sigactions(struct rproc *rp)
{
	for (int sig = 1; sig <= ST_NSIG; sig++) {
		const struct st_sigaction *sa = &rp->p->sigactions[sig - 1];
		uint64_t addr;
		long res;
		int e;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (!sa->handler && !sa->flags && !sa->mask)
			continue; /* SIG_DFL with nothing else: what the stub has */
		e = tramp_data(rp, 0, sa, sizeof(*sa), &addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_rt_sigaction, sig, addr, 0, 8);
		if (res < 0)
			return glue_err(res, "pid %d: cannot set the action of signal %d (%s)",
					rp->pid, sig, strsignal(sig));
	}
	return 0;
}

int restore_process(struct rst *r, struct rproc *rp)
{
	const struct st_process *p = rp->p;
	char comm[16] = { 0 };
	uint64_t addr;
	long res;
	int e;

	if (p->root && strcmp(p->root, "/") != 0) {
		e = restore_dir(r, rp, p->root, true);
		if (e < 0)
			return e;
	}
	e = restore_dir(r, rp, p->cwd, false);
	if (e < 0)
		return e;
	INJECT(&rp->in, SYS_umask, p->umask);
	res = INJECT(&rp->in, SYS_personality, p->personality);
	if (res < 0)
		return glue_err(res, "pid %d: cannot set personality %#x", rp->pid, p->personality);
	memcpy(comm, p->comm, strnlen(p->comm, 15));
	e = tramp_data(rp, 0, comm, sizeof(comm), &addr);
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_prctl, PR_SET_NAME, addr, 0, 0, 0);
	if (res < 0)
		return glue_err(res, "pid %d: cannot set its name", rp->pid);
	e = restore_session(rp);
	if (e < 0)
		return e;
	for (int i = 0; i < ST_NRLIMITS; i++) {
		struct rlimit rl = { p->rlimits[i][0], p->rlimits[i][1] };

		if (prlimit(rp->pid, i, &rl, NULL) < 0)
			return glue_err(-errno, "pid %d: cannot set resource limit %d", rp->pid, i);
	}
	return restore_sigactions(rp);
}

int restore_creds(struct rst *r, struct rproc *rp)
{
	const struct st_process *p = rp->p;
	uint64_t addr = 0;
	long res;
	int e;

	(void)r;
	if (rp->pidfd >= 0) {
		INJECT(&rp->in, SYS_close, rp->pidfd);
		rp->pidfd = -1;
	}
	res = INJECT(&rp->in, SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (res < 0)
		return glue_err(res, "pid %d: cannot clear its parent-death signal", rp->pid);
	if (p->ngroups) {
		e = tramp_data(rp, 0, p->groups, p->ngroups * 4, &addr);
		if (e < 0)
			return e;
	}
	res = INJECT(&rp->in, SYS_setgroups, p->ngroups, addr);
	if (res == 0)
		res = INJECT(&rp->in, SYS_setresgid, p->gids[0], p->gids[1], p->gids[2]);
	if (res == 0)
		INJECT(&rp->in, SYS_setfsgid, p->gids[3]);
	if (res < 0)
		return glue_err(res, "pid %d: cannot set its groups (gid %u)", rp->pid, p->gids[0]);
	res = INJECT(&rp->in, SYS_setresuid, p->uids[0], p->uids[1], p->uids[2]);
	if (res == 0)
		INJECT(&rp->in, SYS_setfsuid, p->uids[3]);
	if (res < 0)
		return glue_err(res, "pid %d: cannot set its user ids (uid %u)", rp->pid,
				p->uids[0]);
	/* a change of uid makes the process undumpable; it was not */
	INJECT(&rp->in, SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}
