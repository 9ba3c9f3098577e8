/* SPDX-License-Identifier: MIT */
/*
 * The I/O priority of each thread (ioprio_get(IOPRIO_WHO_PROCESS, tid):
 * its class, real-time, best-effort or idle, and its level; 0 when it
 * follows its nice value). Set from outside once every thread exists
 * (a thread made later would inherit its maker's), while the threads
 * still have the restorer's user, and read back. A real-time class needs
 * CAP_SYS_ADMIN or CAP_SYS_NICE (by kernel); the inventory asks a child of
 * ferry to give itself the value and refuses the thread before the freeze
 * when it cannot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define IOPRIO_WHO_PROCESS 1

struct ioprio_thread {
	uint32_t tid;
	uint32_t ioprio;
};

struct ioprio_process {
	struct ioprio_thread *threads; /* only those not at 0 */
	size_t n;
};

static const struct meta_cell ioprio_cells[] = {
	META_CELL(struct ioprio_thread, tid, 4),
	META_CELL(struct ioprio_thread, ioprio, 4),
};

static const struct meta_field ioprio_process_fields[] = {
	META_RECORDS(FM_P_IOPRIO, struct ioprio_process, threads, n, struct ioprio_thread,
		     ioprio_cells, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_ioprio;

static long get_ioprio(pid_t tid)
{
	long r = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, tid);

	return r < 0 ? -errno : r;
}

static int set_ioprio(pid_t tid, uint32_t ioprio)
{
	return syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, ioprio) < 0 ? -errno : 0;
}

/* ---- checkpoint ---- */

static int try_ioprio(const void *arg)
{
	return set_ioprio(0, *(const uint32_t *)arg);
}

/* Could the restorer give a thread @ioprio? 0 or -errno, asked of a child
 * of ferry once per value. */
static int restorer_can(uint32_t ioprio)
{
	static struct {
		bool asked;
		uint32_t ioprio;
		int result;
	} last[4];
	static size_t next;

	if (ioprio == 0)
		return 0;
	for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++)
		if (last[i].asked && last[i].ioprio == ioprio)
			return last[i].result;
	next = (next + 1) % (sizeof(last) / sizeof(last[0]));
	last[next].asked = true;
	last[next].ioprio = ioprio;
	last[next].result = ckpt_restorer_can(try_ioprio, &ioprio);
	return last[next].result;
}

#define NOT_SETTABLE                                                                     \
	"a restorer with ferry's privileges could not set it again (the real-time class " \
	"needs CAP_SYS_ADMIN or CAP_SYS_NICE)"

static bool ioprio_settable(const struct inv_item *it)
{
	char *end;
	long v = strtol(it->value, &end, 10);

	return end != it->value && !*end && v >= 0 && v <= UINT16_MAX && restorer_can(v) == 0;
}

static const struct inv_claim ioprio_claims[] = {
	INV_CLAIM_IF(INV_SCHED, "ioprio", ioprio_settable, NOT_SETTABLE),
	INV_CLAIMS_END,
};

static int ioprio_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct ioprio_process *ip;

	for (size_t i = 0; i < p->nthreads; i++) {
		pid_t tid = p->threads[i].tid;
		struct ioprio_thread *slot;
		long prio = get_ioprio(tid);
		int r;

		if (prio < 0)
			return log_error_errno(prio, "pid %d tid %d: cannot read its I/O priority", pid, tid);
		if (prio == 0)
			continue;
		r = restorer_can(prio);
		if (r < 0) {
			ckpt_unsupported(c, "pid %d tid %d: its I/O priority %ld: " NOT_SETTABLE " (%s)",
					 pid, tid, prio, strerror(-r));
			continue;
		}
		ip = kind_process_data(p, &kind_ioprio);
		slot = ip ? ST_PUSH(ip->threads, ip->n) : NULL;
		if (!slot)
			return -ENOMEM;
		slot->tid = tid;
		slot->ioprio = prio;
	}
	return 0;
}

/* ---- restore ---- */

static int ioprio_threads_made(struct rst *r, struct rproc *rp)
{
	const struct ioprio_process *ip = kind_process_data_if(rp->p, &kind_ioprio);

	(void)r;
	for (size_t i = 0; i < rp->p->nthreads; i++) {
		pid_t tid = rp->p->threads[i].tid;
		uint32_t want = 0;
		long now = get_ioprio(tid);
		int e = 0;

		for (size_t k = 0; ip && k < ip->n; k++)
			if ((pid_t)ip->threads[k].tid == tid)
				want = ip->threads[k].ioprio;
		if (now >= 0 && now != want) {
			e = set_ioprio(tid, want);
			now = e < 0 ? e : get_ioprio(tid);
		}
		if (now >= 0 && now != want)
			e = -EINVAL;
		else if (now < 0)
			e = now;
		if (e < 0)
			return log_error_errno(e, "pid %d tid %d: cannot give it its I/O priority %u", rp->pid,
					tid, want);
	}
	return 0;
}

const struct kind kind_ioprio = {
	.name = "ioprio",
	.claims = ioprio_claims,
	.dump_process = ioprio_dump_process,
	.process_size = sizeof(struct ioprio_process),
	.process_fields = ioprio_process_fields,
	.threads_made = ioprio_threads_made,
};
