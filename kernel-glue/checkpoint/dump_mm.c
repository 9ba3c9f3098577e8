/* SPDX-License-Identifier: MIT */
/*
 * The address space: every area of /proc/PID/smaps, the mm layout, auxv.
 * Mappings of memfds and deleted files point to a file record carrying
 * the contents; the vDSO's image and entry points are kept, so a restore
 * onto a kernel with another vDSO can redirect them (and the copy a
 * restore left of an earlier one is that vDSO: dump_vdso_copy()).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/inject.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/vdso_elf.h"
#include "../kinds/by_path.h"
#include "../kinds/carried.h"
#include "dump_vdso.h"
#include "internal.h"

#define VDSO_MAX (1u << 20)

/* What madvise() set on an area, as smaps shows it in VmFlags. */
static const struct {
	char flag[3];
	int advice;
} advice_flags[] = {
	{ "rr", MADV_RANDOM },   { "sr", MADV_SEQUENTIAL }, { "dc", MADV_DONTFORK },
	{ "mg", MADV_MERGEABLE }, { "hg", MADV_HUGEPAGE },   { "nh", MADV_NOHUGEPAGE },
	{ "dd", MADV_DONTDUMP }, { "wf", MADV_WIPEONFORK },
};

static bool kernels_own_area(const char *area)
{
	const char *name = area ? strchr(area, ' ') : NULL;

	return name && (strcmp(name + 1, "[vdso]") == 0 || strncmp(name + 1, "[vvar", 5) == 0 ||
			strcmp(name + 1, "[vsyscall]") == 0);
}

/* the kernel's own areas are made by the kernel with these */
static bool on_kernels_own(const struct inv_item *it)
{
	return kernels_own_area(it->area);
}

const struct inv_claim dump_mm_claims[] = {
	INV_CLAIM(INV_AREA, "rd"), INV_CLAIM(INV_AREA, "wr"), INV_CLAIM(INV_AREA, "ex"),
	INV_CLAIM(INV_AREA, "sh"),
	INV_CLAIM(INV_AREA, "mr"), INV_CLAIM(INV_AREA, "mw"), INV_CLAIM(INV_AREA, "me"),
	INV_CLAIM(INV_AREA, "ms"),
	INV_CLAIM(INV_AREA, "gd"), INV_CLAIM(INV_AREA, "nr"),
	INV_CLAIM(INV_AREA, "ac"), /* commit accounting, which mapping again does */
	INV_CLAIM(INV_AREA, "rr"), INV_CLAIM(INV_AREA, "sr"), INV_CLAIM(INV_AREA, "dc"),
	INV_CLAIM(INV_AREA, "mg"),
	INV_CLAIM(INV_AREA, "hg"), INV_CLAIM(INV_AREA, "nh"), INV_CLAIM(INV_AREA, "dd"),
	INV_CLAIM(INV_AREA, "wf"),
	INV_CLAIM_IF(INV_AREA, "de", on_kernels_own, NULL),
	INV_CLAIM_IF(INV_AREA, "io", on_kernels_own, NULL),
	INV_CLAIM_IF(INV_AREA, "pf", on_kernels_own, NULL),
	INV_CLAIMS_END,
};

static const struct {
	const char *name;
	enum st_area_kind kind;
} special_areas[] = {
	{ "[heap]", ST_AREA_HEAP },   { "[stack]", ST_AREA_STACK },
	{ "[vdso]", ST_AREA_VDSO },   { "[vvar]", ST_AREA_VVAR },
	{ "[vvar_vclock]", ST_AREA_VVAR }, { "[vsyscall]", ST_AREA_VSYSCALL },
};

/*
 * The file record of a memfd or deleted file mapped at @start-@end (whose
 * name in maps is @name): an existing record of the same inode, or a new
 * one carrying its contents (kinds/carried.h). *ret_id is 0 when the file
 * cannot be carried (already named through ckpt_unsupported()). Returns 0
 * or -errno.
 */
static int dump_mapped_file(struct ckpt *c, pid_t pid, uint64_t start, uint64_t end,
			    const char *name, uint32_t *ret_id)
{
	bool memfd = strncmp(name, "/memfd:", 7) == 0;
	const struct kind *k = memfd ? &kind_memfd : &kind_regular;
	char path[96], what[96];
	unsigned before = c->problems;
	struct st_file *f;
	struct stat st;
	int r;

	*ret_id = 0;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)start, (unsigned long long)end);
	snprintf(what, sizeof(what), "area %#llx-%#llx", (unsigned long long)start,
		 (unsigned long long)end);
	if (stat(path, &st) < 0)
		return log_error_errno(-errno, "pid %d %s: %s: cannot inspect %s", pid, what, name, path);
	if (!S_ISREG(st.st_mode)) {
		ckpt_unsupported(c, "pid %d %s: %s: only regular files and memfd can be carried",
				 pid, what, name);
		return 0;
	}
	f = carried_find(c, k, &st);
	if (f) {
		*ret_id = f->id;
		return 0;
	}
	f = ST_PUSH(c->img.files, c->img.nfiles);
	if (!f)
		return -ENOMEM;
	f->id = c->img.nfiles;
	f->flags = O_RDWR;
	f->kind = k;
	f->kind_data = calloc(1, k->file_size);
	if (!f->kind_data)
		return -ENOMEM;
	r = (memfd ? memfd_carry : regular_carry)(c, pid, what, path, &st, name, f);
	if (r == 0 && c->problems == before)
		*ret_id = f->id;
	return r;
}

/*
 * A shared anonymous area: the object it maps, by the inode of its file
 * (/proc/PID/map_files/START-END), which every process mapping it shares.
 */
static int shared_object(struct ckpt *c, pid_t pid, const struct proc_map *m, struct st_area *a)
{
	char path[96];
	struct stat st;

	a->kind = ST_AREA_SHMEM;
	a->flags |= MAP_ANONYMOUS;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	if (stat(path, &st) < 0)
		return log_error_errno(-errno, "pid %d area %#llx-%#llx: cannot inspect %s",
				       pid, (unsigned long long)m->start,
				       (unsigned long long)m->end, path);
	a->object = shm_object_id(c, major(st.st_dev), minor(st.st_dev), st.st_ino);
	return a->object ? 0 : -ENOMEM;
}

static int classify(struct ckpt *c, pid_t pid, const struct proc_map *m, struct st_area *a)
{
	bool shared = m->perms[3] == 's';
	const char *name = m->name;

	a->flags |= shared ? MAP_SHARED : MAP_PRIVATE;
	if (name[0] == 0) {
		if (shared)
			return shared_object(c, pid, m, a);
		a->kind = ST_AREA_ANON;
		a->flags |= MAP_ANONYMOUS;
		return 0;
	}
	if (name[0] == '[') {
		for (size_t i = 0; i < sizeof(special_areas) / sizeof(special_areas[0]); i++)
			if (strcmp(name, special_areas[i].name) == 0) {
				a->kind = special_areas[i].kind;
				if (a->kind == ST_AREA_HEAP || a->kind == ST_AREA_STACK)
					a->flags |= MAP_ANONYMOUS;
				a->name = strdup(name);
				return a->name ? 0 : -ENOMEM;
			}
		if (strncmp(name, "[anon:", 6) == 0 || strncmp(name, "[anon_shmem:", 12) == 0) {
			/* a named anonymous area (PR_SET_VMA_ANON_NAME); the name is
			 * kept for the record, not set again yet */
			a->name = strdup(name);
			if (!a->name)
				return -ENOMEM;
			if (shared)
				return shared_object(c, pid, m, a);
			a->kind = ST_AREA_ANON;
			a->flags |= MAP_ANONYMOUS;
			return 0;
		}
		ckpt_unsupported(c, "pid %d area %#llx-%#llx %s: this kind of area is not "
				 "supported yet", pid, (unsigned long long)m->start,
				 (unsigned long long)m->end, name);
		return 0;
	}
	if (shared && strcmp(name, "/dev/zero (deleted)") == 0)
		return shared_object(c, pid, m, a);
	if (shared && strncmp(name, "/SYSV", 5) == 0 && strstr(name, " (deleted)")) {
		/* an attachment of a segment, whose shmid maps show as the inode;
		 * the segment itself is kinds/sysv_shm.c's */
		a->kind = ST_AREA_SYSV;
		a->shmid = (uint32_t)m->ino;
		a->shm_rdonly = !proc_vmflag(m->vmflags, "mw");
		a->path = strdup(name);
		return a->path ? 0 : -ENOMEM;
	}
	if (strstr(name, " (deleted)") || strncmp(name, "/memfd:", 7) == 0) {
		int r = dump_mapped_file(c, pid, m->start, m->end, name, &a->file_id);

		if (r < 0 || !a->file_id)
			return r;
		a->kind = ST_AREA_FILE;
		a->path = strdup(name);
		return a->path ? 0 : -ENOMEM;
	}
	if (proc_vmflag(m->vmflags, "io") || proc_vmflag(m->vmflags, "pf")) {
		ckpt_unsupported(c, "pid %d area %#llx-%#llx %s: device mappings are not "
				 "supported", pid, (unsigned long long)m->start,
				 (unsigned long long)m->end, name);
		return 0;
	}
	{
		char where[PATH_MAX + 64];
		struct stat st;

		if (stat(proc_path_of(pid, name, where, sizeof(where)), &st) < 0 || st.st_ino != m->ino ||
		    major(st.st_dev) != m->dev_major || minor(st.st_dev) != m->dev_minor) {
			ckpt_unsupported(c, "pid %d area %#llx-%#llx %s: the file at this path is "
					 "no longer the one mapped", pid,
					 (unsigned long long)m->start,
					 (unsigned long long)m->end, name);
			return 0;
		}
		if (c->opts->kernel_switch && by_path_lost_at_boot(st.st_dev, where, sizeof(where))) {
			ckpt_unsupported(c, "pid %d area %#llx-%#llx %s: a file of the memory "
					 "filesystem at %s, which the new boot does not have: its "
					 "contents would be lost with the kernel switch", pid,
					 (unsigned long long)m->start,
					 (unsigned long long)m->end, name, where);
			return 0;
		}
	}
	a->kind = ST_AREA_FILE;
	a->path = strdup(name);
	return a->path ? 0 : -ENOMEM;
}

static int dump_layout(pid_t pid, struct st_mm *mm)
{
	struct st_mm_layout *l = &mm->layout;
	uint64_t f[52];
	int r = proc_stat_fields(pid, f, 52);

	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read /proc/%d/stat", pid, pid);
	l->start_code = f[26];
	l->end_code = f[27];
	l->start_stack = f[28];
	l->start_data = f[45];
	l->end_data = f[46];
	l->start_brk = f[47];
	l->arg_start = f[48];
	l->arg_end = f[49];
	l->env_start = f[50];
	l->env_end = f[51];
	/* the kernel's brk is inside the last page of [heap]; its page end is
	 * as good a value for the program, which keeps its own */
	l->brk = l->start_brk;
	for (size_t i = 0; i < mm->nareas; i++)
		if (mm->areas[i].kind == ST_AREA_HEAP)
			l->brk = mm->areas[i].end;
	return 0;
}

/* The vDSO's contents and function symbols (not fatal: a restore onto the
 * same kernel does without). */
static int dump_vdso(pid_t pid, struct st_mm *mm, const struct st_area *a)
{
	size_t len = a->end - a->start;
	int fd, r;

	if (len > VDSO_MAX)
		return 0;
	mm->vdso = malloc(len);
	if (!mm->vdso)
		return -ENOMEM;
	fd = mem_open(pid, O_RDONLY);
	r = fd < 0 ? fd : mem_read(fd, a->start, mm->vdso, len);
	if (fd >= 0)
		close(fd);
	if (r == 0)
		r = vdso_elf_symbols(mm->vdso, len, &mm->vdso_syms, &mm->nvdso_syms);
	if (r < 0) {
		log_warning("pid %d: cannot read the symbols of its vDSO at %#llx: %s (a restore "
			  "onto another kernel will not be possible)", pid,
			  (unsigned long long)a->start, strerror(-r));
		free(mm->vdso);
		mm->vdso = NULL;
		return r == -ENOMEM ? r : 0;
	}
	mm->vdso_len = len;
	return 0;
}

int dump_mm(struct ckpt *c, pid_t pid, struct st_mm *mm)
{
	struct proc_map *maps;
	char path[64];
	size_t n;
	int r;

	mm->id = pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	r = proc_read_link(path, &mm->exe);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s (a kernel thread?)", pid, path);
	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	r = proc_read_file(path, (char **)&mm->auxv, &mm->auxv_len);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);

	r = proc_read_maps(pid, &maps, &n);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read /proc/%d/smaps", pid, pid);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct proc_map *m = &maps[i];
		struct st_area *a = ST_PUSH(mm->areas, mm->nareas);

		if (!a) {
			r = -ENOMEM;
			break;
		}
		a->start = m->start;
		a->end = m->end;
		a->pgoff = m->pgoff;
		a->prot = (m->perms[0] == 'r' ? PROT_READ : 0) |
			  (m->perms[1] == 'w' ? PROT_WRITE : 0) |
			  (m->perms[2] == 'x' ? PROT_EXEC : 0);
		if (proc_vmflag(m->vmflags, "gd"))
			a->flags |= MAP_GROWSDOWN;
		if (proc_vmflag(m->vmflags, "nr"))
			a->flags |= MAP_NORESERVE;
		r = classify(c, pid, m, a);
		if (a->kind == ST_AREA_VDSO || a->kind == ST_AREA_VVAR ||
		    a->kind == ST_AREA_VSYSCALL)
			continue; /* the kernel makes them with their own */
		for (size_t k = 0; k < sizeof(advice_flags) / sizeof(advice_flags[0]); k++)
			if (proc_vmflag(m->vmflags, advice_flags[k].flag))
				a->advice |= 1u << advice_flags[k].advice;
	}
	proc_maps_free(maps, n);
	for (size_t i = 0; i < mm->nareas && r >= 0; i++)
		if (mm->areas[i].kind == ST_AREA_VDSO)
			r = dump_vdso(pid, mm, &mm->areas[i]);
	if (r >= 0)
		r = dump_vdso_copy(c, pid, mm);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot record its memory areas", pid);
	return dump_layout(pid, mm);
}
