/* SPDX-License-Identifier: MIT */
/*
 * What the kinds borrow from the frozen processes: a copy of a descriptor
 * (pidfd_getfd), the fields of its fdinfo, whether a signal is taken as
 * soon as a process runs, and a frozen thread to run
 * system calls that only a process can ask about itself (rt_sigaction,
 * sigaltstack, prctl getters, waitid(WNOWAIT) of a child). The thread is
 * resumed under PTRACE_SYSCALL at the `syscall` instruction of its own
 * vDSO; results land in a scratch area just below its stack's red zone,
 * which is saved first and put back afterwards. The thread's registers are
 * put back at thaw (frozen_task.regs_changed). The guardian is told of
 * them first: should ferry die meanwhile, the thread's process is stopped
 * (freeze_hold()), and the guardian puts them back before it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

#define RED_ZONE 128

int dump_borrow_fd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), r;

	if (pidfd < 0)
		return -errno;
	r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (r < 0)
		r = -errno;
	close(pidfd);
	return r;
}

int fd_probe_read(struct fd_probe *p, struct fd_probe_store *s, pid_t pid, int fd)
{
	char path[64], buf[64];
	int r;

	memset(s, 0, sizeof(*s));
	*p = (struct fd_probe){ .pid = pid, .fd = fd, .path = s->path, .sfd = -1 };
	snprintf(s->path, sizeof(s->path), "/proc/%d/fd/%d", pid, fd);
	r = proc_read_link(s->path, &s->link);
	if (r < 0)
		return r;
	p->link = s->link;
	if (stat(s->path, &p->st) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	r = proc_read_file(path, &s->fdinfo, NULL);
	if (r < 0)
		return r;
	p->fdinfo = s->fdinfo;
	r = proc_status_field(s->fdinfo, "pos", buf, sizeof(buf));
	if (r == 0)
		s->pos = strtoull(buf, NULL, 10);
	if (r == 0)
		r = proc_status_field(s->fdinfo, "flags", buf, sizeof(buf));
	if (r == 0)
		s->flags = strtoul(buf, NULL, 8);
	p->flags = s->flags & ~O_CLOEXEC;
	return r;
}

void fd_probe_release(struct fd_probe *p, struct fd_probe_store *s)
{
	if (p->sfd >= 0)
		close(p->sfd);
	p->sfd = -1;
	free(s->link);
	free(s->fdinfo);
	s->link = s->fdinfo = NULL;
}

bool ckpt_signal_taken(struct ckpt *c, const struct st_process *p, int sig, pid_t tid)
{
	uint64_t bit = 1ull << (sig - 1), set = 0;
	bool taken = false;
	int memfd = -1;

	for (size_t i = 0; i < p->nthreads && !taken; i++) {
		struct frozen_task *ft = freeze_find(&c->fz, p->threads[i].tid);

		if (tid && p->threads[i].tid != tid)
			continue;
		if (!(p->threads[i].sigmask & bit)) {
			taken = true;
			break;
		}
		if (!ft || (long long)ft->regs.orig_rax != SYS_rt_sigtimedwait)
			continue;
		if (memfd < 0)
			memfd = mem_open(p->pid, O_RDONLY);
		taken = memfd >= 0 && mem_read(memfd, ft->regs.rdi, &set, sizeof(set)) == 0 &&
			(set & bit);
	}
	if (memfd >= 0)
		close(memfd);
	return taken;
}

int fd_probe_field(const struct fd_probe *fd, const char *key, char *buf, size_t size)
{
	return fd->fdinfo ? proc_status_field(fd->fdinfo, key, buf, size) : -ENOENT;
}

uint64_t fd_probe_u64(const struct fd_probe *fd, const char *key, int base)
{
	char buf[64];

	if (fd_probe_field(fd, key, buf, sizeof(buf)) < 0)
		return 0;
	return strtoull(buf, NULL, base);
}

static int sock_int(int sfd, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(sfd, SOL_SOCKET, name, ret, &len);
}

int fd_probe_socket(struct fd_probe *fd)
{
	fd->sfd = dump_borrow_fd(fd->pid, fd->fd);
	if (fd->sfd < 0)
		return log_error_errno(fd->sfd, "pid %d fd %d: %s: cannot take a copy of it", fd->pid,
				fd->fd, fd->link);
	if (sock_int(fd->sfd, SO_DOMAIN, &fd->sock_family) < 0 ||
	    sock_int(fd->sfd, SO_TYPE, &fd->sock_type) < 0 ||
	    sock_int(fd->sfd, SO_PROTOCOL, &fd->sock_protocol) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: cannot read its kind", fd->pid, fd->fd,
				fd->link);
	return 0;
}

void *ckpt_kind_state(struct ckpt *c, const struct kind *k, size_t size)
{
	return st_kind_data(&c->kinds, k, size);
}

int ckpt_vdso_syscall(pid_t pid, int memfd, uint64_t *ret)
{
	struct proc_map *maps;
	size_t n;
	int r = proc_read_maps(pid, &maps, &n);

	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read its memory map", pid);
	r = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		size_t len = maps[i].end - maps[i].start;
		uint8_t *code;
		long off;

		if (strcmp(maps[i].name, "[vdso]") != 0 || len > (1u << 20))
			continue;
		code = malloc(len);
		if (!code) {
			r = -ENOMEM;
			break;
		}
		r = mem_read(memfd, maps[i].start, code, len);
		off = r == 0 ? arch_find_syscall_insn(code, len) : -1;
		free(code);
		if (r < 0)
			break;
		r = off < 0 ? -ENOENT : 0;
		if (off >= 0)
			*ret = maps[i].start + off;
		break;
	}
	proc_maps_free(maps, n);
	if (r < 0)
		return log_error_errno(r, "pid %d: no system call instruction found in its vDSO", pid);
	return 0;
}

int borrow_begin(struct ckpt *c, struct frozen_task *ft, struct borrow *b)
{
	int r;

	memset(b, 0, sizeof(*b));
	b->ft = ft;
	b->memfd = mem_open(ft->tgid, O_RDWR);
	if (b->memfd < 0)
		return log_error_errno(b->memfd, "pid %d: cannot open its memory", ft->tgid);
	/* found once per process: the threads of one are borrowed one after
	 * another, and reading its areas for each would make the checkpoint
	 * quadratic in its threads */
	if (c->syscall_insn_pid != ft->tgid) {
		r = ckpt_vdso_syscall(ft->tgid, b->memfd, &c->syscall_insn);
		if (r < 0)
			goto fail;
		c->syscall_insn_pid = ft->tgid;
	}
	b->insn = c->syscall_insn;
	b->scratch = (ft->regs.rsp - RED_ZONE - BORROW_SCRATCH) & ~15ull;
	r = mem_read(b->memfd, b->scratch, b->saved, BORROW_SCRATCH);
	if (r < 0) {
		log_error_errno(r, "pid %d tid %d: cannot read its stack at %#llx", ft->tgid, ft->tid,
			 (unsigned long long)b->scratch);
		goto fail;
	}
	r = inject_begin(&b->in, ft->tid, b->insn, INJECT_SYSCALL_STOPS);
	if (r < 0)
		goto fail;
	/* what the thread had at the freeze, with which the kernel takes it
	 * on in its system call (the stop is at the end of a signal check) */
	r = guardian_watch_thread(&c->guardian, ft->tgid, ft->tid, &ft->regs);
	if (r < 0)
		goto fail;
	b->guardian = &c->guardian;
	ft->regs_changed = true;
	b->active = true;
	return 0;
fail:
	close(b->memfd);
	b->memfd = -1;
	return r;
}

int borrow_leader(struct ckpt *c, pid_t pid, struct borrow *b)
{
	struct frozen_task *ft = freeze_find(&c->fz, pid);

	if (!ft)
		return log_error_errno(-ESRCH, "pid %d: its main thread is not frozen", pid);
	return borrow_begin(c, ft, b);
}

int borrow_read(struct borrow *b, size_t off, void *buf, size_t len)
{
	int r;

	if (off + len > BORROW_SCRATCH)
		return -E2BIG;
	r = mem_read(b->memfd, b->scratch + off, buf, len);
	if (r < 0)
		return log_error_errno(r, "pid %d tid %d: cannot read a result", b->ft->tgid, b->ft->tid);
	return 0;
}

/*
 * The signals the kernel took off the borrowed thread's queue while it ran
 * our calls (inject.c holds them) go back on it, each with its siginfo,
 * queued by the thread itself: from another process rt_tgsigqueueinfo()
 * may not claim the si_code of the kernel, kill() or tgkill(). Every signal
 * is blocked meanwhile, or the next call would take the last one off again
 * (PTRACE_SETSIGMASK; by now the thread's saved mask of a sigsuspend() is
 * back, so clearing its restore flag loses nothing); its mask is then put
 * back, and it takes them when it runs.
 */
/* Whether standard signal @sig is on the thread's own queue (SigPnd). */
static bool pending_own(pid_t tgid, pid_t tid, int sig)
{
	char path[64], buf[32], *status;
	bool pending = false;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", tgid, tid);
	if (proc_read_file(path, &status, NULL) < 0)
		return false;
	if (proc_status_field(status, "SigPnd", buf, sizeof(buf)) == 0)
		pending = strtoull(buf, NULL, 16) & (1ull << (sig - 1));
	free(status);
	return pending;
}

/*
 * A standard signal is pending once at most: one of @si's number that
 * came since, on the thread's own queue, makes the kernel drop @si. That
 * later one is taken off first (rt_sigtimedwait(), every signal blocked by
 * now) and merged into @si, the earlier, as the kernel merges a signal
 * sent while one is pending: dropped, or for the same timer's, counted in
 * si_overrun.
 */
static int merge_later(struct borrow *b, siginfo_t *si)
{
	struct {
		uint64_t set;
		struct timespec zero;
	} ask = { 1ull << (si->si_signo - 1), { 0, 0 } };

	for (int n = 0; n < 8 && pending_own(b->ft->tgid, b->in.tid, si->si_signo); n++) {
		siginfo_t later;
		long res;
		int r = mem_write(b->memfd, b->scratch, &ask, sizeof(ask));

		res = r < 0 ? r
			    : BORROW(b, SYS_rt_sigtimedwait, b->scratch, b->scratch + 128,
				     b->scratch + offsetof(typeof(ask), zero), 8);
		if (res == -EAGAIN)
			return 0;
		if (res < 0)
			return log_error_errno(res, "pid %d tid %d: cannot take off the signal %d that "
					       "came since", b->ft->tgid, b->in.tid, si->si_signo);
		r = borrow_read(b, 128, &later, sizeof(later));
		if (r < 0)
			return r;
		if (si->si_code == SI_TIMER && later.si_code == SI_TIMER &&
		    si->si_timerid == later.si_timerid)
			si->si_overrun += 1 + later.si_overrun;
	}
	return 0;
}

/* glibc's <sys/ptrace.h> and <linux/ptrace.h> do not mix: by number */
#define GLUE_PTRACE_PEEKSIGINFO 0x4209
/* what the kernel keeps of a siginfo (struct kernel_siginfo) */
#define KERNEL_SIGINFO_SIZE 48

/* Is @si the first of its number on the thread's own queue? The whole
 * queue is read, 32 at a time: real-time signals queued ahead of it can
 * be many more. */
static bool queued_first(struct borrow *b, const siginfo_t *si)
{
	struct {
		uint64_t off;
		uint32_t flags;
		int32_t nr;
	} args = { 0, 0, 32 };
	siginfo_t q[32];

	for (;;) {
		long got = syscall(SYS_ptrace, GLUE_PTRACE_PEEKSIGINFO, b->in.tid, &args, q);

		for (long i = 0; i < got; i++)
			if (q[i].si_signo == si->si_signo)
				return memcmp(&q[i], si, KERNEL_SIGINFO_SIZE) == 0;
		if (got < args.nr)
			return false;
		args.off += got;
	}
}

/* how near its next expiry a timer is let fire before its signal is queued */
#define TIMER_MARGIN_NS 500000

/*
 * A timer's signal is queued again out of the way of its next expiry: its
 * own signal, coming between the merge and the queueing, would drop it
 * and could read the same (no overrun in either), so that it could not be
 * told it was dropped. Within TIMER_MARGIN_NS of it, that expiry is waited
 * for (and merged).
 */
static void clear_of_expiry(struct borrow *b, const siginfo_t *si)
{
	struct itimerspec its;
	long long left;

	if (si->si_code != SI_TIMER ||
	    BORROW(b, SYS_timer_gettime, si->si_timerid, b->scratch) < 0 ||
	    borrow_read(b, 0, &its, sizeof(its)) < 0)
		return;
	left = its.it_value.tv_sec * 1000000000ll + its.it_value.tv_nsec;
	if (left > 0 && left < TIMER_MARGIN_NS) {
		struct timespec nap = { 0, left + TIMER_MARGIN_NS / 5 };

		nanosleep(&nap, NULL);
	}
}

/*
 * Queue @si again from the thread, for a standard signal until it is on
 * its queue: one that came between the merge and the queueing would drop
 * it; that one is merged then, and @si queued again.
 */
static long queue_again(struct borrow *b, siginfo_t *si)
{
	bool standard = si->si_signo < 32 && si->si_signo != SIGSTOP;

	for (int tries = 0;; tries++) {
		long res;
		int r = 0;

		if (standard) {
			clear_of_expiry(b, si);
			r = merge_later(b, si);
		}

		if (r == 0)
			r = mem_write(b->memfd, b->scratch, si, sizeof(*si));
		res = r < 0 ? r
			    : BORROW(b, SYS_rt_tgsigqueueinfo, b->ft->tgid, b->in.tid, si->si_signo,
				     b->scratch);
		if (res < 0 || !standard || queued_first(b, si))
			return res;
		if (tries == 8) {
			log_warning("pid %d tid %d: signal %d (%s) does not stay queued: merged into "
				    "the one of its number queued since", b->ft->tgid, b->in.tid,
				    si->si_signo, strsignal(si->si_signo));
			return 0;
		}
	}
}

static int requeue_held(struct borrow *b)
{
	struct held_signals *h = &b->in.held;
	pid_t tid = b->in.tid;
	uint64_t mask, all = ~0ull;
	int r = 0;

	if (!h->n)
		return 0;
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(mask), &mask) < 0 ||
	    ptrace(PTRACE_SETSIGMASK, tid, sizeof(all), &all) < 0)
		return log_error_errno(-errno, "pid %d tid %d: cannot block its signals to queue "
				       "%zu again", b->ft->tgid, tid, h->n);
	while (h->n && r == 0) {
		size_t k = 0;
		siginfo_t si;
		long res;

		/* SIGSTOP, which no mask blocks, last: the call after it would
		 * take it again */
		while (k + 1 < h->n && h->si[k].si_signo == SIGSTOP)
			k++;
		si = h->si[k];
		memmove(h->si + k, h->si + k + 1, (--h->n - k) * sizeof(*h->si));
		if (si.si_signo == SIGSTOP)
			h->n = 0; /* one SIGSTOP pending is all there can be */
		res = queue_again(b, &si);
		if (res < 0)
			r = log_error_errno(res, "pid %d tid %d: cannot queue signal %d (%s) again",
					    b->ft->tgid, tid, si.si_signo, strsignal(si.si_signo));
	}
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask) < 0 && r == 0)
		r = log_error_errno(-errno, "pid %d tid %d: cannot put its signal mask back",
				    b->ft->tgid, tid);
	return r;
}

int borrow_end(struct borrow *b)
{
	int r;

	if (!b->active)
		return 0;
	r = requeue_held(b);
	if (mem_write(b->memfd, b->scratch, b->saved, BORROW_SCRATCH) < 0)
		r = log_error_errno(-EIO, "pid %d tid %d: cannot put its stack back", b->ft->tgid,
			     b->ft->tid);
	if (inject_end(&b->in) < 0) {
		if (r == 0)
			r = -EIO;
	} else if (b->guardian) {
		guardian_unwatch_thread(b->guardian, b->ft->tid);
	}
	close(b->memfd);
	b->memfd = -1;
	b->active = false;
	return r;
}

int borrow_waitid(struct ckpt *c, struct frozen_task *ft, pid_t pid, int options,
		  const char *what, siginfo_t *ret)
{
	struct borrow b;
	long res;
	int e = borrow_begin(c, ft, &b);

	if (e < 0)
		return e;
	res = BORROW(&b, SYS_waitid, P_PID, pid, b.scratch, options | WNOHANG | WNOWAIT | __WALL,
		     0);
	if (res < 0)
		e = log_error_errno(res, "pid %d: cannot ask its parent %d %s", pid, ft->tgid, what);
	else
		e = borrow_read(&b, 0, ret, sizeof(*ret));
	if (borrow_end(&b) < 0 && e == 0)
		e = -EIO;
	return e;
}

int borrow_requeue(struct ckpt *c, struct frozen_task *ft)
{
	struct borrow b;
	long res;
	int r;

	if (!ft->held.n)
		return 0;
	r = borrow_begin(c, ft, &b);
	if (r < 0)
		return r;
	/* one call first, which those taken before come ahead of: on its way
	 * the thread gets back the mask a sigsuspend() saved (which blocking
	 * every signal would lose), and takes what else is on its queue */
	r = held_signals_move(&b.in.held, &ft->held);
	res = r < 0 ? r : BORROW(&b, SYS_getpid);
	if (res < 0 && r == 0)
		r = log_error_errno(res, "pid %d tid %d: cannot lend it to queue its signals again",
				    ft->tgid, ft->tid);
	if (r < 0)
		held_signals_move(&ft->held, &b.in.held);
	if (borrow_end(&b) < 0 && r == 0)
		r = -EIO;
	return r;
}
