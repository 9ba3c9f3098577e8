/* SPDX-License-Identifier: MIT */
/*
 * A vDSO is a small ELF64 shared object mapped from its file offset 0, so
 * file offsets are offsets in the mapping. Its dynamic symbols are found
 * through the section headers (SHT_DYNSYM and the string table it links
 * to), and made relative to the image's start by the first PT_LOAD's
 * p_vaddr - p_offset (vDSOs are linked at 0 today; older ones were not).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vdso_elf.h"

static bool in_image(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

static int load_bias(const uint8_t *img, size_t len, const Elf64_Ehdr *eh, uint64_t *ret)
{
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_image(len, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return -ENOEXEC;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD) {
			*ret = ph.p_vaddr - ph.p_offset;
			return 0;
		}
	}
	return -ENOEXEC;
}

void vdso_syms_free(struct st_vdso_sym *syms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}

int vdso_elf_symbols(const uint8_t *img, size_t len, struct st_vdso_sym **ret, size_t *ret_n)
{
	struct st_vdso_sym *syms = NULL;
	Elf64_Shdr symtab, strtab;
	Elf64_Ehdr eh;
	uint64_t bias;
	size_t n = 0;
	int e;

	if (len < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, img, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_image(len, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
		return -ENOEXEC;
	e = load_bias(img, len, &eh, &bias);
	if (e < 0)
		return e;
	memset(&symtab, 0, sizeof(symtab));
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		memcpy(&symtab, img + eh.e_shoff + i * sizeof(symtab), sizeof(symtab));
		if (symtab.sh_type == SHT_DYNSYM)
			break;
		symtab.sh_type = SHT_NULL;
	}
	if (symtab.sh_type != SHT_DYNSYM || symtab.sh_entsize != sizeof(Elf64_Sym) ||
	    symtab.sh_link >= eh.e_shnum || !in_image(len, symtab.sh_offset, symtab.sh_size))
		return -ENOEXEC;
	memcpy(&strtab, img + eh.e_shoff + symtab.sh_link * sizeof(strtab), sizeof(strtab));
	if (!in_image(len, strtab.sh_offset, strtab.sh_size) || strtab.sh_size == 0 ||
	    img[strtab.sh_offset + strtab.sh_size - 1] != 0)
		return -ENOEXEC;

	for (uint64_t i = 0; i < symtab.sh_size / sizeof(Elf64_Sym); i++) {
		struct st_vdso_sym *s;
		Elf64_Sym sym;
		uint64_t off;

		memcpy(&sym, img + symtab.sh_offset + i * sizeof(sym), sizeof(sym));
		if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
		    sym.st_name >= strtab.sh_size || sym.st_value < bias)
			continue;
		off = sym.st_value - bias;
		if (!in_image(len, off, sym.st_size ? sym.st_size : 1))
			continue;
		s = ST_PUSH(syms, n);
		if (!s || !(s->name = strdup((const char *)img + strtab.sh_offset + sym.st_name))) {
			vdso_syms_free(syms, n);
			return -ENOMEM;
		}
		s->offset = off;
		s->size = sym.st_size;
	}
	*ret = syms;
	*ret_n = n;
	return 0;
}

size_t vdso_sym_room(const struct st_vdso_sym *s, size_t len)
{
	size_t room = s->offset < len ? len - s->offset : 0;

	return s->size && s->size < room ? s->size : room;
}

const struct st_vdso_sym *vdso_sym_find(const struct st_vdso_sym *syms, size_t n,
					const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(syms[i].name, name) == 0)
			return &syms[i];
	return NULL;
}
