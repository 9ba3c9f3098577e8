/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inject.h"
#include "log.h"

int ptrace_wait_stop(pid_t tid, int *ret_status)
{
	int status;

	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(-errno, "tid %d: waitpid", tid);
		}
		break;
	}
	if (WIFEXITED(status)) {
		log_error("tid %d exited with status %d while being driven", tid,
			   WEXITSTATUS(status));
		return -ESRCH;
	}
	if (WIFSIGNALED(status)) {
		log_error("tid %d was killed by signal %d (%s) while being driven", tid,
			   WTERMSIG(status), strsignal(WTERMSIG(status)));
		return -ESRCH;
	}
	*ret_status = status;
	return 0;
}

int inject_begin(struct inject *in, pid_t tid, uint64_t insn, enum inject_mode mode)
{
	int r;

	memset(in, 0, sizeof(*in));
	in->tid = tid;
	in->insn = insn;
	in->mode = mode;
	r = arch_get_regs(tid, &in->saved);
	if (r < 0)
		return log_error_errno(r, "tid %d: cannot read registers", tid);
	return 0;
}

int inject_end(struct inject *in)
{
	int r = arch_set_regs(in->tid, &in->saved);

	held_signals_lose(&in->held, in->tid, "while it ran injected system calls");
	if (r < 0)
		return log_error_errno(r, "tid %d: cannot put registers back", in->tid);
	return 0;
}

int held_signals_take(struct held_signals *h, pid_t tid, int sig)
{
	siginfo_t *si = realloc(h->si, (h->n + 1) * sizeof(*si));

	if (!si)
		return -ENOMEM;
	h->si = si;
	si += h->n;
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, si) < 0)
		return log_error_errno(-errno, "tid %d: cannot read the siginfo of signal %d (%s)", tid,
				sig, strsignal(sig));
	h->n++;
	return 0;
}

int held_signals_move(struct held_signals *to, struct held_signals *from)
{
	siginfo_t *si;

	if (!from->n)
		return 0;
	si = realloc(to->si, (to->n + from->n) * sizeof(*si));
	if (!si)
		return -ENOMEM;
	memcpy(si + to->n, from->si, from->n * sizeof(*si));
	to->si = si;
	to->n += from->n;
	free(from->si);
	from->si = NULL;
	from->n = 0;
	return 0;
}

void held_signals_lose(struct held_signals *h, pid_t tid, const char *why)
{
	for (size_t i = 0; i < h->n; i++)
		log_warning("tid %d: signal %d (%s), taken %s, is lost", tid, h->si[i].si_signo,
			    strsignal(h->si[i].si_signo), why);
	free(h->si);
	h->si = NULL;
	h->n = 0;
}

/* Resume with @request and wait for the stop we want; other signals that
 * show up are held back (held_signals_take). */
static int resume_until(struct inject *in, int request, int want_sig)
{
	int status, r, sig = 0;

	for (;;) {
		if (ptrace(request, in->tid, 0, (void *)(long)sig) < 0)
			return log_error_errno(-errno, "tid %d: cannot resume", in->tid);
		r = ptrace_wait_stop(in->tid, &status);
		if (r < 0)
			return r;
		sig = WSTOPSIG(status);
		if (sig == want_sig && (status >> 16) == 0)
			return 0;
		if ((status >> 16) != 0) {
			/* an event stop (e.g. group stop under PTRACE_SEIZE) */
			sig = 0;
			continue;
		}
		if (in->mode == INJECT_TRAP || sig == SIGTRAP) {
			arch_regs_t regs;

			arch_get_regs(in->tid, &regs);
			log_error("tid %d: stopped by signal %d (%s) at %#llx during an injected "
				   "system call", in->tid, sig, strsignal(sig),
				   (unsigned long long)regs.rip);
			return -EFAULT;
		}
		/* a signal for the target: not delivered now, held back */
		r = held_signals_take(&in->held, in->tid, sig);
		if (r < 0)
			return r;
		sig = 0;
	}
}

long inject_syscall(struct inject *in, long nr, const uint64_t args[6])
{
	arch_regs_t regs = in->saved;
	int r;

	arch_regs_syscall(&regs, in->insn, nr, args);
	r = arch_set_regs(in->tid, &regs);
	if (r < 0)
		return log_error_errno(r, "tid %d: cannot set registers for system call %ld", in->tid, nr);
	if (in->mode == INJECT_TRAP) {
		r = resume_until(in, PTRACE_CONT, SIGTRAP);
	} else {
		r = resume_until(in, PTRACE_SYSCALL, SIGTRAP | 0x80);
		if (r == 0)
			r = resume_until(in, PTRACE_SYSCALL, SIGTRAP | 0x80);
	}
	if (r < 0)
		return r;
	r = arch_get_regs(in->tid, &regs);
	if (r < 0)
		return log_error_errno(r, "tid %d: cannot read registers after system call %ld", in->tid,
				nr);
	log_debug("tid %d: syscall %ld(%#llx, %#llx, %#llx, ...) = %ld", in->tid, nr,
		   (unsigned long long)args[0], (unsigned long long)args[1],
		   (unsigned long long)args[2], arch_regs_retval(&regs));
	return arch_regs_retval(&regs);
}

int mem_open(pid_t pid, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

int mem_read(int memfd, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(memfd, (char *)buf + done, len - done, addr + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += n;
	}
	return 0;
}

int mem_write(int memfd, uint64_t addr, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(memfd, (const char *)buf + done, len - done, addr + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += n;
	}
	return 0;
}
