/* SPDX-License-Identifier: MIT */
/*
 * Signal dispositions. The kernel shows them nowhere outside the process, so
 * rt_sigaction(sig, NULL, &old) is run inside it: the thread is resumed
 * under PTRACE_SYSCALL at the `syscall` instruction of its own vDSO, with
 * the result written just below its stack's red zone, which is put back
 * afterwards. The thread's registers are put back at thaw.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/inject.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

#define RED_ZONE 128

struct kernel_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/* A `syscall` instruction in the target's vDSO. */
static int find_vdso_syscall(pid_t pid, int memfd, uint64_t *ret)
{
	struct proc_map *maps;
	size_t n;
	int r = proc_read_maps(pid, &maps, &n);

	if (r < 0)
		return glue_err(r, "pid %d: cannot read its memory map", pid);
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
		return glue_err(r, "pid %d: no system call instruction found in its vDSO", pid);
	return 0;
}

int dump_signals(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct frozen_task *ft = freeze_find(&c->fz, pid);
	struct kernel_sigaction saved;
	struct inject in;
	uint64_t insn = 0, scratch;
	int memfd, r;

	if (!ft)
		return glue_err(-ESRCH, "pid %d: its main thread is gone", pid);
	memfd = mem_open(pid, O_RDWR);
	if (memfd < 0)
		return glue_err(memfd, "pid %d: cannot open its memory", pid);
	r = find_vdso_syscall(pid, memfd, &insn);
	if (r < 0)
		goto out;
	scratch = (ft->regs.rsp - RED_ZONE - sizeof(saved)) & ~15ull;
	r = mem_read(memfd, scratch, &saved, sizeof(saved));
	if (r < 0) {
		glue_err(r, "pid %d: cannot read its stack at %#llx", pid,
			 (unsigned long long)scratch);
		goto out;
	}
	r = inject_begin(&in, pid, insn, INJECT_SYSCALL_STOPS);
	if (r < 0)
		goto out;
	ft->regs_changed = true;
	for (int sig = 1; sig <= ST_NSIG; sig++) {
		struct kernel_sigaction ka;
		long res;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		res = INJECT(&in, SYS_rt_sigaction, sig, 0, scratch, 8);
		if (res == -EINVAL)
			continue; /* not a signal on this kernel */
		if (res < 0) {
			r = glue_err(res, "pid %d: cannot read the action of signal %d", pid, sig);
			break;
		}
		r = mem_read(memfd, scratch, &ka, sizeof(ka));
		if (r < 0) {
			glue_err(r, "pid %d: cannot read the action of signal %d", pid, sig);
			break;
		}
		p->sigactions[sig - 1].handler = ka.handler;
		p->sigactions[sig - 1].flags = ka.flags;
		p->sigactions[sig - 1].restorer = ka.restorer;
		p->sigactions[sig - 1].mask = ka.mask;
	}
	if (in.deferred_signal)
		ft->deferred_signal = in.deferred_signal;
	if (mem_write(memfd, scratch, &saved, sizeof(saved)) < 0 && r == 0)
		r = glue_err(-EIO, "pid %d: cannot put its stack back", pid);
	if (inject_end(&in) < 0 && r == 0)
		r = -EIO;
out:
	close(memfd);
	return r;
}
