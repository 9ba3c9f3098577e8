/* SPDX-License-Identifier: MIT */
/* The function symbols of a vDSO image (an ELF64 shared object in memory). */
#ifndef FERRY_GLUE_VDSO_ELF_H
#define FERRY_GLUE_VDSO_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* Where a copy of a vDSO that ferry redirects keeps a system call
 * instruction of its own: e_ident[EI_PAD], unused bytes of the ELF header,
 * which a kernel's vDSO leaves zero (restore/vdso_redirect.c). */
#define VDSO_ELF_PAD_OFFSET 9

/*
 * The defined function symbols of the dynamic symbol table of @img (@len
 * bytes, as mapped), with their offsets from the image's start, into a
 * malloc'd array (free each name, then the array). Checks every offset
 * against @len. Returns 0, -ENOEXEC for an image that is not a usable
 * ELF64 vDSO, or -ENOMEM.
 */
int vdso_elf_symbols(const uint8_t *img, size_t len, struct st_vdso_sym **ret, size_t *ret_n);

void vdso_syms_free(struct st_vdso_sym *syms, size_t n);

/* The bytes from the entry point @s of an image of @len bytes that a
 * redirect may write over: to its end, or to the image's. */
size_t vdso_sym_room(const struct st_vdso_sym *s, size_t len);

/* The symbol called @name, or NULL. */
const struct st_vdso_sym *vdso_sym_find(const struct st_vdso_sym *syms, size_t n,
					const char *name);

#endif
