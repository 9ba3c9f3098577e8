/* SPDX-License-Identifier: MIT */
/*
 * The CPU affinity of each thread (sched_getaffinity(): the CPUs it may
 * run on, of those online), for CPUs 0 to 255. Every thread's is kept,
 * since a stub starts with the restorer's, which need not be the one the
 * checkpointing ferry had. Set from outside once every thread exists and
 * read back: a CPU the restoring side does not offer (offline, or outside
 * its cpuset) is an error there, naming the thread. At the checkpoint a
 * child of ferry tries each mask on itself, and a thread whose mask it
 * cannot take (outside ferry's cpuset, or a CPU above 255) is refused
 * before the freeze.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define AFFINITY_WORDS 4 /* CPUs 0-255 */
#define AFFINITY_CPUS (AFFINITY_WORDS * 64)

struct affinity_thread {
	uint32_t tid;
	uint64_t mask[AFFINITY_WORDS];
};

struct affinity_process {
	struct affinity_thread *threads;
	size_t n;
};

static const struct meta_cell affinity_cells[] = {
	META_CELL(struct affinity_thread, tid, 4),
	META_CELL(struct affinity_thread, mask[0], 8),
	META_CELL(struct affinity_thread, mask[1], 8),
	META_CELL(struct affinity_thread, mask[2], 8),
	META_CELL(struct affinity_thread, mask[3], 8),
};

static const struct meta_field affinity_process_fields[] = {
	META_RECORDS(FM_P_AFFINITY, struct affinity_process, threads, n, struct affinity_thread,
		     affinity_cells, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_affinity;

/* Thread @tid's mask (0: the caller): 0, -E2BIG with a CPU above 255, or
 * -errno. */
static int read_mask(pid_t tid, uint64_t mask[AFFINITY_WORDS])
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(tid, sizeof(set), &set) < 0)
		return -errno;
	memset(mask, 0, AFFINITY_WORDS * sizeof(mask[0]));
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (cpu >= AFFINITY_CPUS)
			return -E2BIG;
		mask[cpu / 64] |= 1ull << (cpu % 64);
	}
	return 0;
}

static int set_mask(pid_t tid, const uint64_t mask[AFFINITY_WORDS])
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int cpu = 0; cpu < AFFINITY_CPUS; cpu++)
		if (mask[cpu / 64] & (1ull << (cpu % 64)))
			CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) < 0 ? -errno : 0;
}

/* "0-3,8" */
static void describe(const uint64_t mask[AFFINITY_WORDS], char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int cpu = 0; cpu < AFFINITY_CPUS && n + 16 < size; cpu++) {
		int last = cpu;

		if (!(mask[cpu / 64] & (1ull << (cpu % 64))))
			continue;
		while (last + 1 < AFFINITY_CPUS && (mask[(last + 1) / 64] & (1ull << ((last + 1) % 64))))
			last++;
		n += snprintf(buf + n, size - n, n ? ",%d" : "%d", cpu);
		if (last > cpu)
			n += snprintf(buf + n, size - n, "-%d", last);
		cpu = last;
	}
}

/* ---- checkpoint ---- */

static int try_mask(const void *arg)
{
	uint64_t now[AFFINITY_WORDS];
	int e = set_mask(0, arg);

	if (e == 0)
		e = read_mask(0, now);
	if (e == 0 && memcmp(now, arg, sizeof(now)) != 0)
		e = -EINVAL;
	return e;
}

/* Could the restorer give a thread @mask? 0 or -errno, asked of a child
 * of ferry once per mask. */
static int restorer_can(const uint64_t mask[AFFINITY_WORDS])
{
	static struct {
		bool asked;
		uint64_t mask[AFFINITY_WORDS];
		int result;
	} last[4];
	static size_t next;
	uint64_t own[AFFINITY_WORDS];

	if (read_mask(0, own) == 0 && memcmp(own, mask, sizeof(own)) == 0)
		return 0; /* every stub has it already */
	for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++)
		if (last[i].asked && memcmp(last[i].mask, mask, sizeof(own)) == 0)
			return last[i].result;
	next = (next + 1) % (sizeof(last) / sizeof(last[0]));
	last[next].asked = true;
	memcpy(last[next].mask, mask, sizeof(own));
	last[next].result = ckpt_restorer_can(try_mask, mask);
	return last[next].result;
}

#define NOT_SETTABLE                                                                     \
	"a restorer with ferry's CPUs could not give it back (a CPU outside ferry's own "  \
	"cpuset, or above 255)"

/* Cpus_allowed and Cpus_allowed_list of a thread: its mask as it is now */
static bool mask_settable(const struct inv_item *it)
{
	uint64_t mask[AFFINITY_WORDS];

	return read_mask(it->tid, mask) == 0 && restorer_can(mask) == 0;
}

static const struct inv_claim affinity_claims[] = {
	INV_CLAIM_IF(INV_STATUS, "Cpus_allowed", mask_settable, NOT_SETTABLE),
	INV_CLAIM_IF(INV_STATUS, "Cpus_allowed_list", mask_settable, NOT_SETTABLE),
	INV_CLAIMS_END,
};

static int affinity_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct affinity_process *ap = kind_process_data(p, &kind_affinity);

	if (!ap)
		return -ENOMEM;
	for (size_t i = 0; i < p->nthreads; i++) {
		pid_t tid = p->threads[i].tid;
		struct affinity_thread *slot = ST_PUSH(ap->threads, ap->n);
		char cpus[128];
		int r;

		if (!slot)
			return -ENOMEM;
		slot->tid = tid;
		r = read_mask(tid, slot->mask);
		if (r == -E2BIG) {
			ckpt_unsupported(c, "pid %d tid %d: its CPU affinity names a CPU above %d, "
					 "which is not supported", pid, tid, AFFINITY_CPUS - 1);
			continue;
		}
		if (r < 0)
			return log_error_errno(r, "pid %d tid %d: cannot read its CPU affinity", pid, tid);
		r = restorer_can(slot->mask);
		if (r < 0) {
			describe(slot->mask, cpus, sizeof(cpus));
			ckpt_unsupported(c, "pid %d tid %d: its CPU affinity %s: " NOT_SETTABLE " (%s)",
					 pid, tid, cpus, strerror(-r));
		}
	}
	return 0;
}

/* ---- restore ---- */

static int affinity_threads_made(struct rst *r, struct rproc *rp)
{
	const struct affinity_process *ap = kind_process_data_if(rp->p, &kind_affinity);

	(void)r;
	for (size_t i = 0; ap && i < ap->n; i++) {
		const struct affinity_thread *t = &ap->threads[i];
		uint64_t now[AFFINITY_WORDS];
		char want[128], got[128];
		int e = read_mask(t->tid, now);

		if (e == 0 && memcmp(now, t->mask, sizeof(now)) == 0)
			continue;
		e = set_mask(t->tid, t->mask);
		if (e == 0)
			e = read_mask(t->tid, now);
		describe(t->mask, want, sizeof(want));
		if (e < 0)
			return log_error_errno(e, "pid %d tid %u: cannot give it its CPU affinity %s", rp->pid,
					t->tid, want);
		if (memcmp(now, t->mask, sizeof(now)) != 0) {
			describe(now, got, sizeof(got));
			return log_error_errno(-EINVAL, "pid %d tid %u: its CPU affinity is %s, not %s: this "
					"system does not offer every CPU it had", rp->pid, t->tid,
					got, want);
		}
	}
	return 0;
}

const struct kind kind_affinity = {
	.name = "affinity",
	.claims = affinity_claims,
	.dump_process = affinity_dump_process,
	.process_size = sizeof(struct affinity_process),
	.process_fields = affinity_process_fields,
	.threads_made = affinity_threads_made,
};
