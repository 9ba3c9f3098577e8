/* SPDX-License-Identifier: MIT */
/* Threads frozen inside the vDSO are stepped out of it (see dump_vdso.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "../common/inject.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "dump_vdso.h"

#define MAX_STEPS 100000

static int vdso_range(pid_t pid, uint64_t *ret_start, uint64_t *ret_end)
{
	struct proc_map *maps;
	size_t n;
	int r = proc_read_maps(pid, &maps, &n);

	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read its memory map", pid);
	*ret_start = *ret_end = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(maps[i].name, "[vdso]") == 0) {
			*ret_start = maps[i].start;
			*ret_end = maps[i].end;
		}
	proc_maps_free(maps, n);
	return 0;
}

static int step_out(struct frozen_task *t, uint64_t start, uint64_t end)
{
	uint64_t from = t->regs.rip;
	int steps = 0, status, r;

	while (t->regs.rip >= start && t->regs.rip < end) {
		if (++steps > MAX_STEPS) {
			log_warning("tid %d: still inside the vDSO at %#llx after %d steps", t->tid,
				  (unsigned long long)t->regs.rip, MAX_STEPS);
			return 0;
		}
		if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) < 0)
			return log_error_errno(-errno, "tid %d: cannot step it out of the vDSO", t->tid);
		r = ptrace_wait_stop(t->tid, &status);
		if (r < 0)
			return r;
		if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP && !t->deferred_signal)
			t->deferred_signal = WSTOPSIG(status); /* sent again at thaw */
		r = arch_get_regs(t->tid, &t->regs);
		if (r < 0)
			return log_error_errno(r, "tid %d: cannot read registers", t->tid);
	}
	log_debug("tid %d: stepped out of the vDSO in %d steps (%#llx -> %#llx)", t->tid, steps,
		   (unsigned long long)from, (unsigned long long)t->regs.rip);
	return 0;
}

int dump_leave_vdso(struct ckpt *c)
{
	for (size_t p = 0; p < c->fz.npids; p++) {
		uint64_t start = 0, end = 0;
		int r = vdso_range(c->fz.pids[p], &start, &end);

		if (r < 0)
			return r;
		for (size_t i = 0; i < c->fz.ntasks && end; i++) {
			struct frozen_task *t = &c->fz.tasks[i];

			if (t->tgid != c->fz.pids[p] || !t->stopped || t->regs.rip < start ||
			    t->regs.rip >= end)
				continue;
			r = step_out(t, start, end);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
