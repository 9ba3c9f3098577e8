/* SPDX-License-Identifier: MIT */
/* x86_64 code written over the entry points of an old vDSO image. */
#ifndef FERRY_GLUE_VDSO_STUB_H
#define FERRY_GLUE_VDSO_STUB_H

#include <stddef.h>
#include <stdint.h>

/* Largest distance a redirected entry may jump (rel32). */
#define ARCH_VDSO_JUMP_RANGE (1ull << 31)

/* `jmp TO` at @code, which will run at address @from; @room bytes may be
 * used. Returns the length, -ENOSPC, or -ERANGE when @to is too far. */
int arch_vdso_jump(uint8_t *code, size_t room, uint64_t from, uint64_t to);

/* Where the jump arch_vdso_jump() wrote at @code (the address @from) goes:
 * 0 and *ret_to, or -ENOENT when @code holds no such jump. */
int arch_vdso_jump_target(const uint8_t *code, size_t room, uint64_t from, uint64_t *ret_to);

/* The system call an entry point @name ("clock_gettime", "__vdso_time",
 * ...) stands for, made at @code: `mov $NR, %eax; syscall; ret`. Returns
 * the length, -ENOSPC, or -ENOENT for an entry with no such call. */
int arch_vdso_syscall_stub(uint8_t *code, size_t room, const char *name);

/* `syscall; int3`, for injecting system calls; returns its length. */
size_t arch_vdso_syscall_insn(uint8_t *code, size_t room);

#endif
