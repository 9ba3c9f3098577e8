/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#include "../../common/log.h"
#include "arch.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/* errno values the kernel uses internally for restartable calls */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define XSTATE_MAX (64 * 1024)

int arch_get_regs(pid_t tid, arch_regs_t *ret)
{
	struct iovec iov = { ret, sizeof(*ret) };

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	return iov.iov_len == sizeof(*ret) ? 0 : -EIO;
}

int arch_set_regs(pid_t tid, const arch_regs_t *regs)
{
	struct iovec iov = { (void *)regs, sizeof(*regs) };

	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	return 0;
}

int arch_get_xstate(pid_t tid, uint8_t **ret, size_t *ret_len)
{
	uint8_t *buf = malloc(XSTATE_MAX);
	struct iovec iov = { buf, XSTATE_MAX };
	uint8_t *shrunk;

	if (!buf)
		return -ENOMEM;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0) {
		int r = -errno;

		free(buf);
		return r;
	}
	shrunk = realloc(buf, iov.iov_len);
	*ret = shrunk ? shrunk : buf;
	*ret_len = iov.iov_len;
	return 0;
}

int arch_set_xstate(pid_t tid, const uint8_t *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	return 0;
}

void arch_regs_syscall(arch_regs_t *r, uint64_t insn, long nr, const uint64_t args[6])
{
	r->rip = insn;
	r->rax = nr;
	r->orig_rax = -1; /* not inside a system call: no restart games on resume */
	r->rdi = args[0];
	r->rsi = args[1];
	r->rdx = args[2];
	r->r10 = args[3];
	r->r8 = args[4];
	r->r9 = args[5];
}

long arch_regs_retval(const arch_regs_t *r)
{
	return (long)r->rax;
}

bool arch_in_restartable_syscall(const arch_regs_t *r, long *ret_nr, long *ret_err)
{
	long nr = (long)r->orig_rax, err = -(long)r->rax;

	if (nr < 0)
		return false;
	if (err != ERESTARTSYS && err != ERESTARTNOINTR && err != ERESTARTNOHAND &&
	    err != ERESTART_RESTARTBLOCK)
		return false;
	if (ret_nr)
		*ret_nr = nr;
	if (ret_err)
		*ret_err = err;
	return true;
}

void arch_rewind_syscall(arch_regs_t *r, bool fresh_task)
{
	long nr, err;

	if (!arch_in_restartable_syscall(r, &nr, &err))
		return;
	r->rip -= 2; /* back onto the 2-byte `syscall` */
	r->orig_rax = -1;
	if (err != ERESTART_RESTARTBLOCK) {
		r->rax = nr;
		return;
	}
	if (!fresh_task) {
		/* the same task: its restart block is still there */
		r->rax = SYS_restart_syscall;
		return;
	}
	/*
	 * A new task has no restart block: issue the original call again.
	 * The sleeps wrote the time left into their `rem` argument when they
	 * were interrupted; sleep for that instead of the whole request.
	 */
	r->rax = nr;
	if (nr == SYS_nanosleep && r->rsi)
		r->rdi = r->rsi;
	else if (nr == SYS_clock_nanosleep && !(r->rsi & TIMER_ABSTIME) && r->r10)
		r->rdx = r->r10;
}

bool arch_in_restarted_syscall(const arch_regs_t *r)
{
	long nr;

	return arch_in_restartable_syscall(r, &nr, NULL) && nr == SYS_restart_syscall;
}

bool arch_restarted_call(const uint8_t code[ARCH_RESTARTED_CODE], long *ret_nr)
{
	uint32_t nr;

	/* b8 imm32 (mov $imm32, %eax), 0f 05 (syscall) */
	if (code[0] != 0xb8 || code[5] != 0x0f || code[6] != 0x05)
		return false;
	memcpy(&nr, code + 1, sizeof(nr));
	*ret_nr = nr;
	return true;
}

long arch_find_syscall_insn(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == 0x0f && buf[i + 1] == 0x05)
			return i;
	return -1;
}

void arch_regs_debug(const char *what, pid_t tid, const arch_regs_t *r)
{
	log_debug("%s: tid %d rip=%#llx rsp=%#llx rax=%#llx orig_rax=%lld", what, tid,
		   r->rip, r->rsp, r->rax, (long long)r->orig_rax);
}

/* The gadget lives in ferry's text. */
__asm__(".pushsection .text\n"
	".globl arch_syscall_gadget\n"
	".type arch_syscall_gadget, @function\n"
	"arch_syscall_gadget:\n"
	"\tsyscall\n"
	"\tint3\n"
	".size arch_syscall_gadget, .-arch_syscall_gadget\n"
	".popsection\n");

const uint8_t arch_gadget_code[] = { 0x0f, 0x05, 0xcc };
const size_t arch_gadget_size = sizeof(arch_gadget_code);
