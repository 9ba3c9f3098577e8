/* SPDX-License-Identifier: MIT */
/*
 * vDSO entry points over updates in a row (vdso_updates.sh restores it
 * again and again onto a redirected vDSO): clock_gettime, gettimeofday,
 * time and getcpu, called through the pointers it looked up in the vDSO
 * at AT_SYSINFO_EHDR before the first checkpoint, through those it looks
 * up there again after each restore, and through glibc, agree with the
 * system calls. SIGUSR2 (after each restore): check now and say "checked N"
 * with where the kernel's [vdso] is; SIGUSR1: check once more and pass.
 *
 * host-test: by vdso_updates.sh
 */
#include <elf.h>
#include <sched.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/time.h>

#include "tlib.h"

struct vdso_fns {
	int (*clock_gettime)(clockid_t, struct timespec *);
	int (*gettimeofday)(struct timeval *, void *);
	time_t (*time)(time_t *);
	int (*getcpu)(unsigned *, unsigned *, void *);
};

static volatile sig_atomic_t check_now;

static void on_usr2(int sig)
{
	(void)sig;
	check_now = 1;
}

/* @name in the dynamic symbol table of the ELF image at @base, found as a
 * program finds it: PT_DYNAMIC, DT_SYMTAB, DT_STRTAB, DT_HASH. */
static void *vdso_sym(uintptr_t base, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *symtab = NULL;
	const uint32_t *hash = NULL;
	const char *strtab = NULL;
	uintptr_t load = 0;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		t_fail("no ELF image at %#lx", (unsigned long)base);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !load)
			load = base + ph[i].p_offset - ph[i].p_vaddr;
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
	}
	if (!load || !dyn)
		t_fail("the vDSO at %#lx has no PT_LOAD or no PT_DYNAMIC", (unsigned long)base);
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			symtab = (const Elf64_Sym *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (const uint32_t *)(load + dyn->d_un.d_ptr);
	}
	if (!symtab || !strtab || !hash)
		t_fail("the vDSO at %#lx has no DT_SYMTAB, DT_STRTAB or DT_HASH",
		       (unsigned long)base);
	for (uint32_t i = 0; i < hash[1]; i++) /* nchain: the number of symbols */
		if (ELF64_ST_TYPE(symtab[i].st_info) == STT_FUNC && symtab[i].st_shndx &&
		    strcmp(strtab + symtab[i].st_name, name) == 0)
			return (void *)(load + symtab[i].st_value);
	t_fail("no %s in the vDSO at %#lx", name, (unsigned long)base);
}

static void look_up(uintptr_t base, struct vdso_fns *f)
{
	f->clock_gettime = vdso_sym(base, "__vdso_clock_gettime");
	f->gettimeofday = vdso_sym(base, "__vdso_gettimeofday");
	f->time = vdso_sym(base, "__vdso_time");
	f->getcpu = vdso_sym(base, "__vdso_getcpu");
}

static long long ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

/* Each function of @f, @rounds times, against the system call. */
static void check_fns(const char *which, const struct vdso_fns *f, int rounds)
{
	static struct timespec prev;
	struct timespec a, b;
	struct timeval tv;
	unsigned cpu, node, scpu, snode;

	for (int i = 0; i < rounds; i++) {
		if (f->clock_gettime(CLOCK_MONOTONIC, &a) < 0)
			t_fail("%s clock_gettime: %s", which, strerror(errno));
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
		if (ns(&a) < ns(&prev) || ns(&b) < ns(&a) || ns(&b) - ns(&a) > 100000000ll)
			t_fail("%s clock_gettime(CLOCK_MONOTONIC) %lld, before %lld, system call "
			       "after it %lld", which, ns(&a), ns(&prev), ns(&b));
		prev = a;
		if (f->clock_gettime(CLOCK_REALTIME, &a) < 0)
			t_fail("%s clock_gettime(CLOCK_REALTIME): %s", which, strerror(errno));
		syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
		if (ns(&b) < ns(&a) || ns(&b) - ns(&a) > 100000000ll)
			t_fail("%s clock_gettime(CLOCK_REALTIME) %lld, system call %lld", which,
			       ns(&a), ns(&b));
		if (f->gettimeofday(&tv, NULL) < 0)
			t_fail("%s gettimeofday: %s", which, strerror(errno));
		if (tv.tv_sec < a.tv_sec || tv.tv_sec - a.tv_sec > 1)
			t_fail("%s gettimeofday %ld s, clock_gettime %ld s", which, (long)tv.tv_sec,
			       (long)a.tv_sec);
		/* time() reads the clock of the last tick: a little behind */
		if (f->time(NULL) + 1 < a.tv_sec || f->time(NULL) > (time_t)syscall(SYS_time, NULL))
			t_fail("%s time() %ld, clock_gettime %ld s", which, (long)f->time(NULL),
			       (long)a.tv_sec);
		if (f->getcpu(&cpu, &node, NULL) < 0)
			t_fail("%s getcpu: %s", which, strerror(errno));
		syscall(SYS_getcpu, &scpu, &snode, NULL);
		if (cpu != scpu || node != snode)
			t_fail("%s getcpu: cpu %u node %u, the system call says cpu %u node %u "
			       "(pinned to one cpu)", which, cpu, node, scpu, snode);
	}
}

static int glibc_gettimeofday(struct timeval *tv, void *tz)
{
	return gettimeofday(tv, tz);
}

static int glibc_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	(void)unused;
	return getcpu(cpu, node);
}

static void check_glibc(int rounds)
{
	struct vdso_fns f = { clock_gettime, glibc_gettimeofday, time, glibc_getcpu };

	check_fns("glibc's", &f, rounds);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = SA_RESTART };
	uintptr_t ehdr = getauxval(AT_SYSINFO_EHDR);
	struct vdso_fns first, now;
	cpu_set_t one;
	int checked = 0;

	t_init("vdso_updates", argc, argv);
	sigaction(SIGUSR2, &sa, NULL);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		t_fail("sched_setaffinity: %s", strerror(errno));
	if (!ehdr || t_vdso_start() != ehdr)
		t_fail("no vDSO at AT_SYSINFO_EHDR %#lx", (unsigned long)ehdr);
	look_up(ehdr, &first);
	check_fns("first", &first, 1000);
	printf("vDSO at %#lx\n", (unsigned long)ehdr);
	t_ready();
	for (;;) {
		check_fns("first", &first, 10);
		if (check_now) {
			check_now = 0;
			ehdr = getauxval(AT_SYSINFO_EHDR);
			look_up(ehdr, &now);
			check_fns("first", &first, 10000);
			check_fns("looked up again", &now, 10000);
			check_glibc(10000);
			printf("checked %d: AT_SYSINFO_EHDR %#lx, [vdso] at %#lx\n", ++checked,
			       (unsigned long)ehdr, (unsigned long)t_vdso_start());
		}
		if (t_go)
			break;
		usleep(2000);
	}
	look_up(getauxval(AT_SYSINFO_EHDR), &now);
	check_fns("first", &first, 100000);
	check_fns("looked up again", &now, 100000);
	check_glibc(100000);
	t_pass();
}
