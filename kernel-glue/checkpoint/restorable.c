/* SPDX-License-Identifier: MIT */
/*
 * Before `checkpoint --kill` kills anything, what a restore on this
 * machine will meet once the processes are gone:
 *  - a process outside the selection whose process group or session is led
 *    by one of them keeps that id in use (the kernel frees a pid only when
 *    nothing refers to it), so restoring its leader would fail ("pid in
 *    use") after the kill;
 *  - a killed process stays a zombie, its pid taken, until its parent
 *    reaps it: a parent outside the selection that cannot (it is stopped)
 *    or does not (a child of its own it left a zombie) would keep it.
 * Such a selection is refused before the kill, the processes thawed as
 * they were.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

/* how long a zombie child of a parent outside is given to be reaped */
#define REAP_WAIT_MS 1000

static bool selected(const struct ckpt *c, pid_t pid)
{
	for (size_t i = 0; i < c->img.nprocs; i++)
		if (c->img.procs[i].pid == pid)
			return true;
	/* a zombie child, carried with its parent (kinds/zombie.c) */
	for (size_t i = 0; i < c->fz.nzombies; i++)
		if (c->fz.zombies[i] == pid)
			return true;
	return false;
}

/* The process of the selection whose parent, outside it, is @ppid, or 0. */
static pid_t child_of_outside(const struct ckpt *c, pid_t ppid)
{
	if (ppid <= 0 || selected(c, ppid))
		return 0;
	for (size_t i = 0; i < c->img.nprocs; i++)
		if (c->img.procs[i].ppid == ppid)
			return c->img.procs[i].pid;
	return 0;
}

/* Is @pid, seen as a zombie, still one after REAP_WAIT_MS? */
static bool stays_zombie(pid_t pid, const struct timespec *start)
{
	for (;;) {
		struct timespec now;

		if (proc_state(pid) != 'Z')
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000 >
		    REAP_WAIT_MS)
			return true;
		usleep(10 * 1000);
	}
}

/* A parent outside the selection that will not reap what is killed. */
static void check_parents(struct ckpt *c, const pid_t *zombies, size_t nzombies)
{
	struct timespec start;

	for (size_t i = 0; i < c->img.nprocs; i++) {
		const struct st_process *p = &c->img.procs[i];
		int st;

		if (child_of_outside(c, p->ppid) != p->pid)
			continue;
		st = proc_state(p->ppid);
		if (st == 'T' || st == 't')
			ckpt_unsupported(c, "pid %d: its parent %d, outside the checkpoint, is stopped "
					 "and cannot reap it: after the kill its id would stay in use "
					 "and a restore here would fail (let %d run, or checkpoint "
					 "without --kill)", p->pid, p->ppid, p->ppid);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; i < nzombies; i++) {
		uint64_t stat[5];
		pid_t ppid, pid;

		if (proc_stat_fields(zombies[i], stat, 5) < 0)
			continue;
		ppid = (pid_t)stat[4];
		pid = child_of_outside(c, ppid);
		if (pid && stays_zombie(zombies[i], &start))
			ckpt_unsupported(c, "pid %d: its parent %d, outside the checkpoint, leaves its "
					 "exited child %d unreaped (a zombie for more than %d ms): "
					 "after the kill pid %d would stay a zombie too, its id in use, "
					 "and a restore here would fail (have %d reap its children, or "
					 "checkpoint without --kill)", pid, ppid, zombies[i],
					 REAP_WAIT_MS, pid, ppid);
	}
}

int dump_check_restorable(struct ckpt *c)
{
	pid_t *pids, *zombies = NULL;
	size_t npids, nzombies = 0;
	int e = proc_list_pids(&pids, &npids);

	if (e < 0)
		return log_error_errno(e, "cannot list /proc");
	for (size_t i = 0; i < npids; i++) {
		pid_t pid = pids[i];
		uint64_t stat[8];

		if (selected(c, pid) || proc_stat_fields(pid, stat, 8) < 0)
			continue;
		for (int k = 5; k <= 6; k++)
			if (selected(c, (pid_t)stat[k]))
				ckpt_unsupported(c, "pid %d: it leads the %s of pid %d, which is outside "
						 "the checkpoint: after the kill its id would stay in "
						 "use and a restore here would fail (checkpoint the "
						 "whole %s with --tree, or without --kill)",
						 (pid_t)stat[k], k == 5 ? "process group" : "session",
						 pid, k == 5 ? "group" : "session");
		if (stat[3] == 'Z' && child_of_outside(c, (pid_t)stat[4])) {
			pid_t *slot = ST_PUSH(zombies, nzombies);

			if (!slot) {
				e = -ENOMEM;
				break;
			}
			*slot = pid;
		}
	}
	free(pids);
	if (e == 0)
		check_parents(c, zombies, nzombies);
	free(zombies);
	return e;
}
