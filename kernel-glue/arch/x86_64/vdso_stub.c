/* SPDX-License-Identifier: MIT */
/*
 * Entry points of a vDSO image put back at its old address, each made a
 * jump to the new kernel's function of the same name, or, where the new
 * vDSO has none, the system call the function stands for (the vDSO
 * functions take their arguments as the system calls do, in rdi, rsi,
 * rdx; a `syscall` clobbers rcx and r11, which the C ABI lets a callee
 * clobber too).
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "vdso_stub.h"

int arch_vdso_jump(uint8_t *code, size_t room, uint64_t from, uint64_t to)
{
	int64_t rel = (int64_t)(to - (from + 5));
	int32_t rel32 = (int32_t)rel;

	if (room < 5)
		return -ENOSPC;
	if (rel != rel32)
		return -ERANGE;
	code[0] = 0xe9; /* jmp rel32 */
	memcpy(code + 1, &rel32, 4);
	return 5;
}

int arch_vdso_jump_target(const uint8_t *code, size_t room, uint64_t from, uint64_t *ret_to)
{
	int32_t rel32;

	if (room < 5 || code[0] != 0xe9)
		return -ENOENT;
	memcpy(&rel32, code + 1, 4);
	*ret_to = from + 5 + (int64_t)rel32;
	return 0;
}

static const struct {
	const char *name;
	int nr;
} vdso_calls[] = {
	{ "clock_gettime", SYS_clock_gettime }, { "gettimeofday", SYS_gettimeofday },
	{ "time", SYS_time },                   { "getcpu", SYS_getcpu },
	{ "clock_getres", SYS_clock_getres },   { "getrandom", SYS_getrandom },
};

int arch_vdso_syscall_stub(uint8_t *code, size_t room, const char *name)
{
	uint32_t nr;

	if (strncmp(name, "__vdso_", 7) == 0)
		name += 7;
	for (size_t i = 0; i < sizeof(vdso_calls) / sizeof(vdso_calls[0]); i++) {
		if (strcmp(name, vdso_calls[i].name) != 0)
			continue;
		if (room < 8)
			return -ENOSPC;
		nr = vdso_calls[i].nr;
		code[0] = 0xb8; /* mov $nr, %eax */
		memcpy(code + 1, &nr, 4);
		code[5] = 0x0f; /* syscall */
		code[6] = 0x05;
		code[7] = 0xc3; /* ret */
		return 8;
	}
	return -ENOENT;
}

size_t arch_vdso_syscall_insn(uint8_t *code, size_t room)
{
	if (room < 3)
		return 0;
	code[0] = 0x0f;
	code[1] = 0x05;
	code[2] = 0xcc;
	return 3;
}
