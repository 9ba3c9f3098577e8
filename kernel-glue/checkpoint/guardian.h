/* SPDX-License-Identifier: MIT */
/*
 * The guardian: a process forked by the checkpoint before the freeze that
 * outlives a ferry killed in the middle of it, and undoes what only ferry
 * could undo: a TCP socket left in repair mode, the network lock's rules,
 * a thread whose registers ferry had changed. ferry tells it, before each
 * such change, what to undo; it reads its messages until "done" (nothing
 * to undo) or the end of its socket without "done" (ferry died: undo).
 * Messages are sent before the change they guard, so a death between the
 * two only undoes something harmless.
 */
#ifndef FERRY_GLUE_GUARDIAN_H
#define FERRY_GLUE_GUARDIAN_H

#include <stdbool.h>
#include <sys/types.h>

#include "../arch/x86_64/arch.h"
#include "../common/netlock.h"

/* Zeroed: not started (then every call below does nothing). */
struct guardian {
	pid_t pid; /* 0 when not started */
	int sock;  /* ferry's end of the socket pair, when started */
};

/* Fork the guardian. Call before the freeze. Should ferry die, the guardian
 * runs @abandoned(@arg) first, unless NULL or after guardian_killing().
 * Returns 0 or -errno (logged). */
int guardian_start(struct guardian *g, void (*abandoned)(void *arg), void *arg);

/*
 * Before TCP_REPAIR is turned on for socket @sfd (ferry's copy of it): the
 * guardian gets its own duplicate and the socket's SO_REUSEADDR, to take
 * it out of repair mode should ferry die. Returns 0 or -errno (logged).
 */
int guardian_watch_socket(struct guardian *g, int sfd);

/* Before netlock_take() of @conn: its rule is removed should ferry die. */
int guardian_watch_netlock(struct guardian *g, const struct netlock_conn *conn);

/* The connections to lock are in the network namespace @nsfd (the
 * processes' own, kinds/net_ns.c), where ferry's thread is: should ferry
 * die, the guardian (in ferry's namespace) removes their rules there. The
 * guardian keeps its own copy of @nsfd. Returns 0 or -errno (logged). */
int guardian_watch_netns(struct guardian *g, int nsfd);

/*
 * Before ferry changes the registers of thread @tid of process @tgid:
 * @regs are those to put back, the thread's at the freeze. The thread's
 * process is then stopped (held, guardian_hold(), or stopped before the
 * checkpoint), so that it does not run on ferry's registers should ferry
 * die; the guardian traces it, puts them back and lets go of it stopped.
 */
int guardian_watch_thread(struct guardian *g, pid_t tgid, pid_t tid, const arch_regs_t *regs);
/* Thread @tid has its own registers again: nothing to undo for it. */
int guardian_unwatch_thread(struct guardian *g, pid_t tid);

/*
 * Before process @pid, running at the freeze, is held in a stop of
 * ferry's (freeze_hold()): should ferry die, the guardian continues it
 * (SIGCONT) once it has undone the rest, or, after guardian_killing(),
 * kills it as the checkpoint was about to.
 */
int guardian_hold(struct guardian *g, pid_t pid);

/*
 * Right before the processes are killed (--kill), their connections in
 * repair mode and locked on purpose: should ferry die from here on, the
 * guardian closes its sockets as they are and keeps the lock, as the
 * image has them.
 */
int guardian_killing(struct guardian *g);

/*
 * The targets are thawed or killed: nothing to undo. The guardian closes
 * the sockets it holds without touching their repair mode (a socket of a
 * killed process stays in repair until its last copy is closed, so that
 * its peer sees neither FIN nor RST) and exits; it is reaped here. Safe on
 * a guardian never started.
 */
void guardian_done(struct guardian *g);

#endif
