/* SPDX-License-Identifier: MIT */
/*
 * Zombies: a child of a checkpointed process that exited and is not yet
 * reaped. It holds no memory, thread or file, only what its parent's
 * wait() will read: its pid, its group and session, its real uid, how it
 * ended, and the signal its parent was sent (SIGCHLD, or another for a
 * clone child, which only __WCLONE or __WALL waits for). It is recorded in
 * its parent's node; the freeze does not seize it (checkpoint/freeze.c
 * keeps it apart from the processes).
 *
 * How it ended is asked of the parent itself, through a borrowed thread:
 * waitid(WEXITED | WNOWAIT) reports it as wait() will and leaves it there.
 * (/proc/PID/stat shows exit_code only to who may trace the zombie, and
 * shows 0, an exit 0, to anyone else.)
 *
 * Restore: once its parent's stub exists, that stub makes it with its pid
 * and exit signal. Once every process is in its group, it joins its own
 * session and group, takes its uid, and ends: exit_group() with its code,
 * or the signal at its default action, not dumpable so that a signal whose
 * action is a core dump writes none (and reports none). ferry, its tracer,
 * collects its end first, and the kernel then hands the zombie to its
 * parent with the exit signal. The parent blocks that signal meanwhile
 * and takes it back right after (its queued signals, those of the image,
 * come later), with SIGCHLD at its default action meanwhile: a parent
 * that ignores SIGCHLD or sets SA_NOCLDWAIT would have it reaped at once.
 *
 * Not carried: a core dump (WCOREDUMP: none can be made again without
 * writing a core), a zombie main thread whose other threads run, a
 * zombie's resource usage (wait4() rusage, waitid() si_utime and
 * si_stime: those of its few calls in the restore), refused or said by
 * the inventory.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "zombie.h"

#define STAT_FIELDS 39 /* /proc/PID/stat up to exit_signal (38) */
#define PID_MAX 4194303

static const struct meta_field zombie_fields[] = {
	META_U32(FM_Z_PID, struct zombie, pid, META_REQUIRED | META_UNIT),
	META_U32(FM_Z_PGID, struct zombie, pgid, META_REQUIRED),
	META_U32(FM_Z_SID, struct zombie, sid, META_REQUIRED),
	META_U32(FM_Z_UID, struct zombie, uid, META_REQUIRED),
	META_U32(FM_Z_STATUS, struct zombie, status, META_REQUIRED),
	META_U32(FM_Z_EXIT_SIGNAL, struct zombie, exit_signal, META_REQUIRED),
	{ 0 },
};

static const struct meta_node zombie_node = {
	.name = FM_ZOMBIE, .size = sizeof(struct zombie), .fields = zombie_fields,
};

static const struct meta_field zombies_fields[] = {
	META_NODES(FM_ZOMBIES, struct zombies_process, v, n, &zombie_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_zombie;

/* A signal whose default action ends a process. */
static bool ends_process(int sig)
{
	switch (sig) {
	case SIGCHLD: case SIGCONT: case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
	case SIGURG: case SIGWINCH:
		return false;
	default:
		return sig > 0 && sig < _NSIG;
	}
}

/* A status waitpid() can report of a zombie that did not dump core. */
static bool carried_status(uint32_t status)
{
	if (status & ~0xffffu)
		return false;
	if (WIFEXITED(status))
		return true;
	return WIFSIGNALED(status) && !WCOREDUMP(status) && ends_process(WTERMSIG(status));
}

/* ---- inventory ---- */

/* A zombie main thread, carried alone, as a child (not the root), that did
 * not dump core; an exiting thread goes away by itself. */
static bool zombie_carried(const struct inv_item *it)
{
	uint64_t st[53];
	pid_t *tids;
	size_t n = 0;

	if (it->tid != it->pid)
		return true;
	if (it->pid == it->root || proc_list_tasks(it->pid, &tids, &n) < 0)
		return false;
	free(tids);
	/* exit_code, where ferry may read it (else 0, and the freeze asks the parent) */
	return n == 1 && proc_stat_fields(it->pid, st, 53) == 0 && !(st[52] & 0x80);
}

static const struct inv_claim zombie_claims[] = {
	INV_CLAIM_IF(INV_STATE, "zombie", zombie_carried,
		     "a zombie is carried as the child of a process of the selection, alone (not a "
		     "main thread whose other threads run), with its exit status, and not when "
		     "it dumped core (WCOREDUMP: made again only by writing a core); its resource "
		     "usage (wait4() rusage, si_utime, si_stime) is not carried"),
	INV_CLAIMS_END,
};

/* ---- checkpoint ---- */

/* How @pid ended, as its frozen parent's wait() will say: *ret_status,
 * *ret_uid; -ECHILD when the parent cannot wait for it. */
static int ask_parent(struct ckpt *c, pid_t parent, pid_t pid, uint32_t *ret_status,
		      uint32_t *ret_uid)
{
	struct frozen_task *ft = freeze_find(&c->fz, parent);
	uint32_t status;
	siginfo_t si;
	int e;

	if (!ft)
		return -ECHILD;
	e = borrow_waitid(c, ft, pid, WEXITED, "how it ended", &si);
	if (e < 0)
		return e;
	if (si.si_pid != pid)
		return -ECHILD;
	status = (uint32_t)si.si_status;
	*ret_uid = si.si_uid;
	if (si.si_code == CLD_EXITED)
		*ret_status = (status & 0xff) << 8;
	else if (si.si_code == CLD_KILLED)
		*ret_status = status & 0x7f;
	else if (si.si_code == CLD_DUMPED)
		*ret_status = (status & 0x7f) | 0x80;
	else
		return -ECHILD;
	return 0;
}

/* Can restore put @z in its session and group? (as dump_tree.c asks of a
 * process: its own, or its parent's session; its own group, or one led by
 * a process of the image in its session, or the root's) */
static bool tree_fits(struct ckpt *c, const struct st_process *parent, const struct zombie *z)
{
	const struct st_process *root = &c->img.procs[0];
	const struct st_process *leader = st_find_process(&c->img, z->pgid);

	if (z->sid != z->pid && z->sid != (uint32_t)parent->sid)
		return false;
	if (z->pgid == z->pid)
		return true;
	if (leader)
		return leader->pgid == leader->pid && (uint32_t)leader->sid == z->sid;
	return z->pgid == (uint32_t)root->pgid && z->sid == (uint32_t)root->sid;
}

static int record_zombie(struct ckpt *c, pid_t pid)
{
	uint64_t st[STAT_FIELDS];
	struct st_process *parent;
	struct zombies_process *zs;
	struct zombie z = { .pid = pid }, *slot;
	int e = proc_stat_fields(pid, st, STAT_FIELDS);

	if (e < 0)
		return e == -ENOENT ? 0 : log_error_errno(e, "pid %d: cannot read its stat", pid);
	parent = st_find_process(&c->img, (pid_t)st[4]);
	if (!parent) {
		ckpt_unsupported(c, "pid %d: a zombie whose parent %d is not in the checkpoint", pid,
				 (pid_t)st[4]);
		return 0;
	}
	z.pgid = st[5];
	z.sid = st[6];
	z.exit_signal = st[38];
	e = ask_parent(c, parent->pid, pid, &z.status, &z.uid);
	if (e == -ECHILD) {
		ckpt_unsupported(c, "pid %d: a zombie its parent %d cannot wait for", pid, parent->pid);
		return 0;
	}
	if (e < 0)
		return e;
	if (WIFSIGNALED(z.status) && WCOREDUMP(z.status)) {
		ckpt_unsupported(c, "pid %d: a zombie killed by signal %d (%s) that dumped core: "
				 "WCOREDUMP cannot be made again without writing a core", pid,
				 WTERMSIG(z.status), strsignal(WTERMSIG(z.status)));
		return 0;
	}
	if (!carried_status(z.status) || z.exit_signal >= _NSIG) {
		ckpt_unsupported(c, "pid %d: a zombie of status %#x, exit signal %u", pid, z.status,
				 z.exit_signal);
		return 0;
	}
	if (!tree_fits(c, parent, &z)) {
		ckpt_unsupported(c, "pid %d: a zombie in session %u and process group %u, which "
				 "cannot be made again under its parent %d (session %d)", pid,
				 z.sid, z.pgid, parent->pid, parent->sid);
		return 0;
	}
	zs = kind_process_data(parent, &kind_zombie);
	slot = zs ? ST_PUSH(zs->v, zs->n) : NULL;
	if (!slot)
		return -ENOMEM;
	*slot = z;
	log_debug("pid %d: a zombie of %d, wait status %#x, exit signal %u", pid, parent->pid,
		  z.status, z.exit_signal);
	return 0;
}

static int zombie_dump_check(struct ckpt *c)
{
	for (size_t i = 0; i < c->fz.nzombies; i++) {
		int e = record_zombie(c, c->fz.zombies[i]);

		if (e < 0)
			return e;
	}
	return 0;
}

/* ---- metadata ---- */

static bool pid_taken(const struct st_image *img, uint32_t pid)
{
	for (size_t i = 0; i < img->nprocs; i++)
		for (size_t t = 0; t < img->procs[i].nthreads; t++)
			if ((uint32_t)img->procs[i].threads[t].tid == pid)
				return true;
	return false;
}

static int zombie_image_check(struct meta_in *in, struct st_image *img)
{
	size_t seen = 0;

	for (size_t i = 0; i < img->nprocs && !in->err; i++) {
		const struct st_process *p = &img->procs[i];
		const struct zombies_process *zs = kind_process_data_if(p, &kind_zombie);

		for (size_t k = 0; zs && k < zs->n && !in->err; k++) {
			const struct zombie *z = &zs->v[k];
			bool twice = pid_taken(img, z->pid);

			/* once in the whole image (zombies are few) */
			for (size_t j = 0; j < img->nprocs && !twice; j++) {
				const struct zombies_process *o =
					kind_process_data_if(&img->procs[j], &kind_zombie);

				for (size_t m = 0; o && m < o->n && !twice; m++)
					twice = o->v[m].pid == z->pid && (j != i || m != k);
			}
			if (z->pid < 2 || z->pid > PID_MAX || twice || !carried_status(z->status) ||
			    z->exit_signal >= _NSIG || z->uid == (uint32_t)-1)
				in->err = log_error_errno(-EINVAL, "image metadata: process %d: zombie %u: "
						   "its pid, status %#x, exit signal %u or uid", p->pid,
						   z->pid, z->status, z->exit_signal);
			seen++;
		}
	}
	if (seen > 65536 && !in->err)
		in->err = log_error_errno(-EINVAL, "image metadata: %zu zombies", seen);
	return in->err;
}

/* ---- restore ---- */

struct made {
	const struct zombie *z;
	struct rproc *parent;
	struct st_process p; /* what the stub knows of it: its pid */
	struct rproc rp;
	bool ended;
};

struct rst_zombies {
	struct made *v;
	size_t n, cap;
};

static struct rst_zombies *restore_state(struct rst *r)
{
	struct rst_zombies *rz = rst_kind_state(r, &kind_zombie, sizeof(*rz));

	if (!rz || rz->v)
		return rz;
	/* every zombie of the image, once: the stubs keep pointers into it */
	for (size_t i = 0; i < r->img.nprocs; i++) {
		const struct zombies_process *zs = kind_process_data_if(&r->img.procs[i], &kind_zombie);

		rz->cap += zs ? zs->n : 0;
	}
	rz->v = calloc(rz->cap ? rz->cap : 1, sizeof(*rz->v));
	return rz->v ? rz : NULL;
}

/* The zombies of @rp, as stubs of its stub, alive until they end. */
static int zombie_process_created(struct rst *r, struct rproc *rp)
{
	const struct zombies_process *zs = kind_process_data_if(rp->p, &kind_zombie);
	struct rst_zombies *rz;

	if (!zs || !zs->n)
		return 0;
	rz = restore_state(r);
	if (!rz)
		return -ENOMEM;
	for (size_t k = 0; k < zs->n && rz->n < rz->cap; k++) {
		struct made *m = &rz->v[rz->n++];
		int e;

		m->z = &zs->v[k];
		m->parent = rp;
		m->p.pid = m->p.ppid = (pid_t)m->z->pid;
		m->rp.p = &m->p;
		e = stub_clone(rp, &m->rp, (int)m->z->exit_signal);
		if (e < 0)
			return log_error_errno(e, "pid %d: cannot make its zombie %u", rp->pid, m->z->pid);
	}
	return 0;
}

static uint64_t sigbit(int sig)
{
	return 1ull << (sig - 1);
}

/* Session, group and uid of the living stub, as the zombie had them. */
static int take_place(struct rst *r, struct made *m)
{
	const struct zombie *z = m->z;
	pid_t group = (pid_t)z->pgid;
	long res = 0;

	if (z->sid == z->pid)
		res = INJECT(&m->rp.in, SYS_setsid);
	else if (z->pgid != z->pid && !st_find_process(&r->img, group) && r->nprocs)
		group = getpgid(r->procs[0].pid); /* the root's group, outside the image */
	if (res >= 0 && z->sid != z->pid)
		res = INJECT(&m->rp.in, SYS_setpgid, 0, z->pgid == z->pid ? 0 : group);
	if (res < 0)
		return log_error_errno(res, "zombie %u: cannot join session %u and process group %u",
				z->pid, z->sid, z->pgid);
	if (z->uid != (uint32_t)getuid()) {
		res = INJECT(&m->rp.in, SYS_setresuid, z->uid, z->uid, z->uid);
		if (res < 0)
			return log_error_errno(res, "zombie %u: cannot take its uid %u", z->pid, z->uid);
	}
	return 0;
}

/* End the stub as the zombie ended; ferry, its tracer, collects that first
 * and the kernel hands the zombie to its parent. */
static int end_stub(struct made *m)
{
	const struct zombie *z = m->z;
	pid_t pid = m->rp.pid;
	int sig = WIFSIGNALED(z->status) ? WTERMSIG(z->status) : 0, status, e = 0;
	long deliver = 0;

	if (sig) {
		/* struct sigaction: SIG_DFL, at the same address in the stub, a copy of ferry */
		static const uint64_t dfl[4] = { 0 };
		long res = sig == SIGKILL ? 0
					  : INJECT(&m->rp.in, SYS_rt_sigaction, sig, (uintptr_t)dfl, 0, 8);

		/* no core, and none reported: PR_SET_DUMPABLE 0 */
		if (res >= 0)
			res = INJECT(&m->rp.in, SYS_prctl, PR_SET_DUMPABLE, 0);
		if (res < 0)
			return log_error_errno(res, "zombie %u: cannot give signal %d its default action",
					z->pid, sig);
		e = set_thread_sigmask(pid, 0);
		if (e == 0 && kill(pid, sig) < 0)
			e = -errno;
	} else {
		arch_regs_t regs = m->rp.in.saved;

		arch_regs_syscall(&regs, m->rp.in.insn, SYS_exit_group,
				  (const uint64_t[6]){ WEXITSTATUS(z->status) });
		e = arch_set_regs(pid, &regs);
	}
	if (e < 0)
		return log_error_errno(e, "zombie %u: cannot end it", z->pid);
	for (int stops = 0;; stops++) {
		if (stops > 100)
			return log_error_errno(-EPROTO, "zombie %u: does not end", z->pid);
		/* SIGKILL ends it in its stop, where it cannot be resumed */
		if (ptrace(PTRACE_CONT, pid, 0, (void *)deliver) < 0 && errno != ESRCH)
			return log_error_errno(-errno, "zombie %u: cannot resume it", z->pid);
		deliver = 0;
		if (waitpid(pid, &status, __WALL) < 0)
			return log_error_errno(-errno, "zombie %u: waitpid", z->pid);
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		/* its signal: let it take it (an event stop: go on) */
		if (!(status >> 16) && WSTOPSIG(status) == sig)
			deliver = sig;
	}
	m->ended = true;
	if ((uint32_t)status != z->status)
		return log_error_errno(-EPROTO, "zombie %u: ended with status %#x, not %#x", z->pid,
				status, z->status);
	return 0;
}

/*
 * End @m with its parent's exit signal blocked and SIGCHLD at its default
 * action (not ignored: no reaping at once), then take the signal back and
 * put the action and mask back.
 */
static int end_zombie(struct made *m)
{
	static const uint8_t dfl[32]; /* struct sigaction: SIG_DFL */
	struct rproc *parent = m->parent;
	int sig = (int)m->z->exit_signal;
	uint64_t mask, set = sig ? sigbit(sig) : 0, ts[2] = { 0, 0 };
	uint64_t dfl_addr, old_addr, set_addr, ts_addr;
	bool chld = sig == SIGCHLD;
	long res = 0;
	int e;

	e = thread_sigmask(parent->pid, &mask);
	if (e == 0)
		e = tramp_data(parent, 0, dfl, sizeof(dfl), &dfl_addr);
	if (e == 0)
		e = tramp_data(parent, 64, &set, sizeof(set), &set_addr);
	if (e == 0)
		e = tramp_data(parent, 72, ts, sizeof(ts), &ts_addr);
	if (e < 0)
		return e;
	old_addr = dfl_addr + 32;
	if (sig)
		e = set_thread_sigmask(parent->pid, mask | set);
	if (e == 0 && chld)
		res = INJECT(&parent->in, SYS_rt_sigaction, SIGCHLD, dfl_addr, old_addr, 8);
	if (e < 0 || res < 0)
		return log_error_errno(e < 0 ? e : res, "pid %d: cannot hold back the signal of its "
				"zombie %u", parent->pid, m->z->pid);
	e = end_stub(m);
	if (e == 0 && sig) {
		res = INJECT(&parent->in, SYS_rt_sigtimedwait, set_addr, 0, ts_addr, 8);
		if (res < 0 && res != -EAGAIN)
			e = log_error_errno(res, "pid %d: cannot take back the signal %d its zombie %u "
					"sent it", parent->pid, sig, m->z->pid);
	}
	if (e == 0 && chld) {
		res = INJECT(&parent->in, SYS_rt_sigaction, SIGCHLD, old_addr, 0, 8);
		if (res < 0)
			e = log_error_errno(res, "pid %d: cannot put its SIGCHLD action back",
					parent->pid);
	}
	if (e == 0 && sig)
		e = set_thread_sigmask(parent->pid, mask);
	return e;
}

/* Every process in its group: the zombies take theirs, and end. */
static int zombie_restore_finish(struct rst *r)
{
	struct rst_zombies *rz = rst_kind_state(r, &kind_zombie, sizeof(struct rst_zombies));
	int e = 0;

	if (!rz)
		return -ENOMEM;
	for (size_t i = 0; i < rz->n && e == 0; i++)
		e = take_place(r, &rz->v[i]);
	for (size_t i = 0; i < rz->n && e == 0; i++) {
		e = end_zombie(&rz->v[i]);
		if (e == 0)
			log_debug("zombie %u of %d made again, wait status %#x", rz->v[i].z->pid,
				  rz->v[i].parent->pid, rz->v[i].z->status);
	}
	return e;
}

/*
 * After a failure, the parents are gone (restore_remove_all) and their
 * zombies, or stubs not yet ended, came to ferry, the subreaper then:
 * killed and reaped here so that their pids are free. After a restore,
 * they are their parents' children and none is ferry's to wait for.
 */
static void zombie_restore_end(struct rst *r)
{
	struct rst_zombies *rz = rst_kind_state(r, &kind_zombie, sizeof(struct rst_zombies));
	int status;

	for (size_t i = 0; rz && i < rz->n; i++) {
		struct made *m = &rz->v[i];

		if (!m->rp.created)
			continue;
		if (!m->ended)
			stub_kill(&m->rp);
		waitpid(m->rp.pid, &status, WNOHANG | __WALL);
	}
	if (rz)
		free(rz->v);
}

const struct kind kind_zombie = {
	.name = "zombie",
	.claims = zombie_claims,
	.dump_check = zombie_dump_check,
	.process_size = sizeof(struct zombies_process),
	.process_fields = zombies_fields,
	.image_check = zombie_image_check,
	.process_created = zombie_process_created,
	.restore_finish = zombie_restore_finish,
	.restore_end = zombie_restore_end,
};
