/* SPDX-License-Identifier: MIT */
/*
 * Signals: dispositions, and the signals queued but not yet delivered.
 * The kernel shows dispositions nowhere outside the process, so
 * rt_sigaction(sig, NULL, &old) is run inside it (borrow.c). Queued
 * signals are read with PTRACE_PEEKSIGINFO, which leaves them queued.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

/* glibc's <sys/ptrace.h> and <linux/ptrace.h> do not mix: call by number */
#define GLUE_PTRACE_PEEKSIGINFO 0x4209
#define GLUE_PTRACE_PEEKSIGINFO_SHARED 1
#define PEEK_BATCH 32

struct peeksiginfo_args {
	uint64_t off;
	uint32_t flags;
	int32_t nr;
};

struct kernel_sigaction {
	uint64_t handler, flags, restorer, mask;
};

const struct inv_claim dump_signals_claims[] = {
	INV_CLAIM(INV_STATUS, "ShdPnd"),
	INV_CLAIM(INV_STATUS, "SigIgn"),
	INV_CLAIM(INV_STATUS, "SigCgt"),
	INV_CLAIMS_END,
};

int dump_pending(pid_t tid, bool shared, uint8_t **ret, size_t *ret_n)
{
	uint8_t *all = NULL;
	size_t n = 0;

	for (;;) {
		struct peeksiginfo_args args = {
			.off = n,
			.flags = shared ? GLUE_PTRACE_PEEKSIGINFO_SHARED : 0,
			.nr = PEEK_BATCH,
		};
		uint8_t *grown;
		long got;

		grown = realloc(all, (n + PEEK_BATCH) * ST_SIGINFO_SIZE);
		if (!grown) {
			free(all);
			return -ENOMEM;
		}
		all = grown;
		got = syscall(SYS_ptrace, GLUE_PTRACE_PEEKSIGINFO, tid, &args,
			      all + n * ST_SIGINFO_SIZE);
		if (got < 0) {
			int r = -errno;

			free(all);
			return log_error_errno(r, "tid %d: cannot read its %s pending signals", tid,
					shared ? "process-wide" : "");
		}
		if (got == 0)
			break;
		n += got;
	}
	if (!n) {
		free(all);
		all = NULL;
	}
	*ret = all;
	*ret_n = n;
	return 0;
}

int dump_pending_all(struct ckpt *c)
{
	for (size_t i = 0; i < c->fz.ntasks; i++) {
		struct frozen_task *ft = &c->fz.tasks[i];
		int r = dump_pending(ft->tid, false, &ft->sigpending, &ft->nsigpending);

		if (r == 0 && ft->tid == ft->tgid)
			r = dump_pending(ft->tid, true, &ft->sigpending_shared,
					 &ft->nsigpending_shared);
		if (r < 0)
			return r;
	}
	return 0;
}

int dump_signals(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct frozen_task *ft = freeze_find(&c->fz, pid);
	struct borrow b;
	int r;

	if (!ft)
		return log_error_errno(-ESRCH, "pid %d: its main thread is gone", pid);
	p->sigpending_shared = ft->sigpending_shared;
	p->nsigpending_shared = ft->nsigpending_shared;
	ft->sigpending_shared = NULL;
	ft->nsigpending_shared = 0;
	r = borrow_begin(c, ft, &b);
	if (r < 0)
		return r;
	for (int sig = 1; sig <= ST_NSIG; sig++) {
		struct kernel_sigaction ka;
		long res;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		res = BORROW(&b, SYS_rt_sigaction, sig, 0, b.scratch, 8);
		if (res == -EINVAL)
			continue; /* not a signal on this kernel */
		if (res < 0) {
			r = log_error_errno(res, "pid %d: cannot read the action of signal %d", pid, sig);
			break;
		}
		r = borrow_read(&b, 0, &ka, sizeof(ka));
		if (r < 0)
			break;
		p->sigactions[sig - 1].handler = ka.handler;
		p->sigactions[sig - 1].flags = ka.flags;
		p->sigactions[sig - 1].restorer = ka.restorer;
		p->sigactions[sig - 1].mask = ka.mask;
	}
	if (borrow_end(&b) < 0 && r == 0)
		r = -EIO;
	return r;
}
