/* SPDX-License-Identifier: MIT */
/*
 * x86_64 specifics: register sets, system call restart, the instruction
 * sequences used to inject system calls into a traced thread.
 */
#ifndef FERRY_GLUE_ARCH_H
#define FERRY_GLUE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#define ARCH_NAME "x86_64"

typedef struct user_regs_struct arch_regs_t;

/* Read or write the general registers (NT_PRSTATUS, with fs/gs base). */
int arch_get_regs(pid_t tid, arch_regs_t *ret);
int arch_set_regs(pid_t tid, const arch_regs_t *regs);

/* Read or write the extended state (NT_X86_XSTATE); malloc'd. */
int arch_get_xstate(pid_t tid, uint8_t **ret, size_t *ret_len);
int arch_set_xstate(pid_t tid, const uint8_t *buf, size_t len);

/* Registers that make the thread run system call @nr with @args when it
 * resumes at @insn, a `syscall` instruction. */
void arch_regs_syscall(arch_regs_t *r, uint64_t insn, long nr, const uint64_t args[6]);
long arch_regs_retval(const arch_regs_t *r);

/* The thread was stopped inside a system call that wants to be restarted
 * (-ERESTART*). True if so, with the call's number in @ret_nr. */
bool arch_in_restartable_syscall(const arch_regs_t *r, long *ret_nr, long *ret_err);

/*
 * Make @r re-issue the interrupted system call when the thread resumes,
 * as the kernel would have done: the instruction pointer goes back to the
 * `syscall` instruction. With @fresh_task (restore into a new process that
 * has no kernel restart block), calls that used a restart block are
 * re-issued from their saved arguments, sleeping for the time that was left.
 */
void arch_rewind_syscall(arch_regs_t *r, bool fresh_task);

/*
 * A thread stopped in restart_syscall(), which a call that uses a restart
 * block becomes once a stop interrupted it (SIGSTOP and SIGCONT, a
 * tracer): @code holds the ARCH_RESTARTED_CODE bytes that end at its
 * `syscall` instruction. True, with the number of the call it restarts in
 * @ret_nr, if they load that number right before (`mov $NR, %eax`, as
 * glibc's wrappers do).
 */
#define ARCH_RESTARTED_CODE 7
bool arch_in_restarted_syscall(const arch_regs_t *r);
bool arch_restarted_call(const uint8_t code[ARCH_RESTARTED_CODE], long *ret_nr);

/* `syscall; int3` in ferry's own text; the same address in a forked child. */
extern const char arch_syscall_gadget[];
/* The bytes of that sequence, for copying into a trampoline page. */
extern const uint8_t arch_gadget_code[];
extern const size_t arch_gadget_size;

/* Find a `syscall` instruction in @buf (code read from a target). */
long arch_find_syscall_insn(const uint8_t *buf, size_t len);

/* Describe registers for debug output. */
void arch_regs_debug(const char *what, pid_t tid, const arch_regs_t *r);

#endif
