/* SPDX-License-Identifier: MIT */
/*
 * Running system calls inside a traced, stopped thread.
 *
 * INJECT_TRAP: the thread resumes at a `syscall; int3` sequence and stops
 * again on the breakpoint (one stop per call; needs the sequence mapped).
 * INJECT_SYSCALL_STOPS: the thread resumes at any `syscall` instruction
 * under PTRACE_SYSCALL and is caught at the system call's exit (two stops;
 * works in an untouched process, e.g. with the one in its vDSO).
 * Either way the registers are only borrowed: inject_end() puts back the
 * ones inject_begin() found, or the caller sets its own.
 */
#ifndef FERRY_GLUE_INJECT_H
#define FERRY_GLUE_INJECT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "../arch/x86_64/arch.h"

enum inject_mode {
	INJECT_TRAP,
	INJECT_SYSCALL_STOPS,
};

/*
 * Signals the kernel took off a traced thread's queue while ferry drove it
 * (each at a signal-delivery stop, left undelivered), with their siginfo
 * (a timer's id and overrun, a sender's pid), in the order taken, so that
 * they can be queued again exactly: whoever drove the thread queues them
 * again from the thread itself (borrow.c). malloc'd.
 */
struct held_signals {
	siginfo_t *si;
	size_t n;
};

/* At a signal-delivery stop of @tid: keep its signal @sig, already off its
 * queue, at the end of @h. Returns 0 or -errno (logged). */
int held_signals_take(struct held_signals *h, pid_t tid, int sig);
/* Append what @from holds to @to, in order; @from is left empty. */
int held_signals_move(struct held_signals *to, struct held_signals *from);
/* Forget what @h holds, with a warning per signal that names it as lost
 * (@why: while what). */
void held_signals_lose(struct held_signals *h, pid_t tid, const char *why);

struct inject {
	pid_t tid;
	uint64_t insn;       /* address of the `syscall` instruction */
	enum inject_mode mode;
	arch_regs_t saved;   /* registers at inject_begin() */
	/* signals taken off the thread's queue while it ran our calls */
	struct held_signals held;
};

int inject_begin(struct inject *in, pid_t tid, uint64_t insn, enum inject_mode mode);

/* Run system call @nr; returns its result (negative errno on failure), or
 * a negative errno logged here when the thread could not be driven. */
long inject_syscall(struct inject *in, long nr, const uint64_t args[6]);
#define INJECT(in, nr, ...) inject_syscall((in), (nr), (const uint64_t[6]){ __VA_ARGS__ })

/* Put the registers of inject_begin() back. A signal still held is lost
 * with a warning that names it. */
int inject_end(struct inject *in);

/* Wait for @tid to stop; returns the waitpid status or -errno. Exits and
 * deaths are returned as -ESRCH after logging. */
int ptrace_wait_stop(pid_t tid, int *ret_status);

/* Read/write a traced process's memory through /proc/PID/mem. */
int mem_open(pid_t pid, int flags);
int mem_read(int memfd, uint64_t addr, void *buf, size_t len);
int mem_write(int memfd, uint64_t addr, const void *buf, size_t len);

#endif
