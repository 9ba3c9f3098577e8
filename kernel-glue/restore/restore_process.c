/* SPDX-License-Identifier: MIT */
/*
 * Process-wide attributes: directories, umask, personality, name, resource
 * limits, signal actions; then credentials, capabilities, securebits and
 * no_new_privs, thread by thread (each thread has its own) and last, as they may take
 * away the right to do the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

static int restore_dir(struct rst *r, struct rproc *rp, const char *path, bool chroot_too)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC), e;
	uint64_t dot;
	long tfd, res;

	if (fd < 0)
		return log_error_errno(-errno, "pid %d: cannot open directory %s", rp->pid, path);
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
		return log_error_errno(res, "pid %d: cannot %s %s", rp->pid,
				chroot_too ? "change root to" : "change directory to", path);
	return 0;
}

/* The highest capability number of this kernel. */
static int cap_last(void)
{
	char buf[16] = { 0 };
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), n = 40;

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			n = atoi(buf);
		close(fd);
	}
	return n;
}

/* "SOFT HARD" as /proc/PID/limits writes them, in a static buffer. */
static const char *limit_words(const struct rlimit *rl)
{
	static char buf[48];
	char s[24], h[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)rl->rlim_cur);
	snprintf(h, sizeof(h), "%llu", (unsigned long long)rl->rlim_max);
	snprintf(buf, sizeof(buf), "%s %s", rl->rlim_cur == RLIM_INFINITY ? "unlimited" : s,
		 rl->rlim_max == RLIM_INFINITY ? "unlimited" : h);
	return buf;
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
			return log_error_errno(res, "pid %d: cannot set the action of signal %d (%s)",
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
		return log_error_errno(res, "pid %d: cannot set personality %#x", rp->pid, p->personality);
	memcpy(comm, p->comm, strnlen(p->comm, 15));
	e = tramp_data(rp, 0, comm, sizeof(comm), &addr);
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_prctl, PR_SET_NAME, addr, 0, 0, 0);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot set its name", rp->pid);
	for (int i = 0; i < ST_NRLIMITS; i++) {
		struct rlimit rl = { p->rlimits[i][0], p->rlimits[i][1] };

		/* the stub has the restorer's limits: raising a hard one
		 * needs CAP_SYS_RESOURCE (the checkpoint refused it if ferry
		 * lacked it then) */
		if (prlimit(rp->pid, i, &rl, NULL) < 0)
			return log_error_errno(-errno, "pid %d: cannot set its resource limit '%s' to %s",
					rp->pid, proc_limit_name(i), limit_words(&rl));
	}
	return restore_sigactions(rp);
}

/* Bounding set: drop what the process did not have (needs CAP_SETPCAP,
 * so before the user ids change). */
static int restore_bounding(struct rproc *rp, struct inject *in)
{
	int last = cap_last();

	for (int cap = 0; cap <= last && cap < 64; cap++) {
		long res;

		if (rp->p->caps.bounding & (1ull << cap))
			continue;
		res = INJECT(in, SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
		if (res < 0 && res != -EINVAL)
			return log_error_errno(res, "pid %d tid %d: cannot drop capability %d from its "
					"bounding set", rp->pid, in->tid, cap);
	}
	return 0;
}

/* capset(): @c's effective, permitted and inheritable sets, with @extra
 * added to the effective and permitted ones. */
static int restore_capsets(struct rproc *rp, struct inject *in, uint64_t extra)
{
	const struct st_caps *c = &rp->p->caps;
	uint64_t eff = c->effective | extra, prm = c->permitted | extra;
	struct {
		uint32_t version;
		int32_t pid;
		struct {
			uint32_t effective, permitted, inheritable;
		} data[2];
	} cap = {
		.version = 0x20080522, /* _LINUX_CAPABILITY_VERSION_3 */
		.data = { { eff, prm, c->inheritable },
			  { eff >> 32, prm >> 32, c->inheritable >> 32 } },
	};
	uint64_t addr;
	long res;
	int e;

	e = tramp_data(rp, 0, &cap, sizeof(cap), &addr);
	if (e < 0)
		return e;
	res = INJECT(in, SYS_capset, addr, addr + 8);
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot set its capabilities (effective %#llx, "
				"permitted %#llx)", rp->pid, in->tid,
				(unsigned long long)c->effective, (unsigned long long)c->permitted);
	return 0;
}

static int restore_ambient(struct rproc *rp, struct inject *in)
{
	uint64_t ambient = rp->p->caps.ambient;
	long res;

	INJECT(in, SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (int cap_nr = 0; cap_nr < 64; cap_nr++) {
		if (!(ambient & (1ull << cap_nr)))
			continue;
		res = INJECT(in, SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap_nr, 0, 0);
		if (res < 0)
			return log_error_errno(res, "pid %d tid %d: cannot raise ambient capability %d",
					rp->pid, in->tid, cap_nr);
	}
	return 0;
}

#define CAP_BIT(c) (1ull << (c))

/*
 * The order matters: the bounding set and the groups while the stub is
 * root; the user ids with PR_SET_KEEPCAPS, so that the permitted set
 * survives; then the thread's sets, with CAP_SETUID and CAP_SETPCAP held
 * on for what follows: the filesystem uid (which a change of user sets to
 * the effective one), the ambient capabilities, before the securebits
 * (SECBIT_NO_CAP_AMBIENT_RAISE would forbid them), the securebits; a last
 * capset() leaves exactly the sets the thread had.
 */
#define ID_IN(gid, id) user_ns_id_inside(rp, (gid), (id))

int restore_creds(struct rproc *rp, struct inject *in, const struct st_thread *t)
{
	const struct st_process *p = rp->p;
	bool keep = p->have_caps && (ID_IN(false, p->uids[0]) || ID_IN(false, p->uids[1]) ||
				     ID_IN(false, p->uids[2]));
	uint64_t addr = 0;
	long res;
	int e;

	if (p->have_caps) {
		e = restore_bounding(rp, in);
		if (e < 0)
			return e;
	}
	if (p->ngroups && !rp->userns) {
		e = tramp_data(rp, 0, p->groups, p->ngroups * 4, &addr);
		if (e < 0)
			return e;
	}
	/* in a user namespace: the groups were set before it joined
	 * (kinds/user_ns.c), and each id is given as it is seen inside */
	res = rp->userns ? 0 : INJECT(in, SYS_setgroups, p->ngroups, addr);
	if (res == 0)
		res = INJECT(in, SYS_setresgid, ID_IN(true, p->gids[0]), ID_IN(true, p->gids[1]),
			     ID_IN(true, p->gids[2]));
	if (res == 0) {
		INJECT(in, SYS_setfsgid, ID_IN(true, p->gids[3]));
		if ((uint32_t)INJECT(in, SYS_setfsgid, -1) != ID_IN(true, p->gids[3]))
			res = -EPERM;
	}
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot set its groups (gid %u, filesystem "
				"gid %u)", rp->pid, in->tid, p->gids[0], p->gids[3]);
	if (keep)
		INJECT(in, SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0);
	res = INJECT(in, SYS_setresuid, ID_IN(false, p->uids[0]), ID_IN(false, p->uids[1]),
		     ID_IN(false, p->uids[2]));
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot set its user ids (uid %u)", rp->pid,
				in->tid, p->uids[0]);
	if (p->have_caps) {
		e = restore_capsets(rp, in, CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETPCAP));
		if (e < 0)
			return e;
	}
	INJECT(in, SYS_setfsuid, ID_IN(false, p->uids[3]));
	if ((uint32_t)INJECT(in, SYS_setfsuid, -1) != ID_IN(false, p->uids[3]))
		return log_error_errno(-EPERM, "pid %d tid %d: cannot set its filesystem uid %u", rp->pid,
				in->tid, p->uids[3]);
	if (p->have_caps) {
		e = restore_ambient(rp, in);
		if (e < 0)
			return e;
	}
	if (keep)
		INJECT(in, SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (t->securebits) {
		res = INJECT(in, SYS_prctl, PR_SET_SECUREBITS, t->securebits, 0, 0, 0);
		if (res < 0)
			return log_error_errno(res, "pid %d tid %d: cannot set its securebits %#x", rp->pid,
					in->tid, t->securebits);
	}
	if (p->have_caps) {
		e = restore_capsets(rp, in, 0);
		if (e < 0)
			return e;
	}
	if (p->no_new_privs) {
		res = INJECT(in, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (res < 0)
			return log_error_errno(res, "pid %d tid %d: cannot set no_new_privs", rp->pid,
					in->tid);
	}
	/* a change of uid makes the process undumpable; it was not */
	INJECT(in, SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}
