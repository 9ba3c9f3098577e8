/* SPDX-License-Identifier: MIT */
/*
 * Verify after restore: every process of the image is complete but still
 * stopped; before any runs, each is read back from /proc and compared with
 * the image. What ferry carries is compared here (ids, threads,
 * credentials, limits, directories, signal masks, actions and queued
 * signals, memory areas and their protections, fds with their flags,
 * offsets and sharing) and by each kind for its own objects (its verify
 * hooks); what it does not carry must be as a process ferry makes has it,
 * which the inventory walk of the restored process checks
 * (inventory_verify). A difference is named and fails the restore: the
 * processes are removed before they ran, and the image is kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

#define GLUE_PTRACE_GETSIGMASK 0x420a
/* O_LARGEFILE as the kernel shows it in fdinfo on x86_64 (glibc's is 0) */
#define LARGEFILE_FLAG 0100000u

/* Name a difference; returns -EPROTO for the caller to pass on. */
int verify_differs(struct rproc *rp, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("restored pid %d differs from the image: %s", rp->pid, msg);
	return -EPROTO;
}

long long fdinfo_number(const char *fdinfo, const char *key, int base)
{
	char buf[64];

	if (proc_status_field(fdinfo, key, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, base);
}

/* ---- the process ---- */

static int verify_ids(struct rst *r, struct rproc *rp)
{
	const struct st_process *p = rp->p;
	uint64_t stat[8];
	int e = proc_stat_fields(rp->pid, stat, 8);

	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read its stat", rp->pid);
	if (rp->parent && (pid_t)stat[4] != rp->parent->pid)
		return verify_differs(rp, "its parent is %d, not %d", (pid_t)stat[4], rp->parent->pid);
	if ((p->sid == p->pid || st_find_process(&r->img, p->sid)) && (pid_t)stat[6] != p->sid)
		return verify_differs(rp, "its session is %d, not %d", (pid_t)stat[6], p->sid);
	if ((p->pgid == p->pid || st_find_process(&r->img, p->pgid)) && (pid_t)stat[5] != p->pgid)
		return verify_differs(rp, "its process group is %d, not %d", (pid_t)stat[5],
				      p->pgid);
	return 0;
}

static int verify_threads(struct rproc *rp)
{
	pid_t *tids;
	size_t n;
	int e = proc_list_tasks(rp->pid, &tids, &n);

	if (e < 0)
		return log_error_errno(e, "pid %d: cannot list its threads", rp->pid);
	e = n == rp->p->nthreads ? 0 :
		verify_differs(rp, "it has %zu threads, not %zu", n, rp->p->nthreads);
	for (size_t i = 0; i < rp->p->nthreads && e == 0; i++) {
		bool found = false;

		for (size_t k = 0; k < n; k++)
			found |= tids[k] == rp->p->threads[i].tid;
		if (!found)
			e = verify_differs(rp, "its thread %d is missing", rp->p->threads[i].tid);
	}
	free(tids);
	return e;
}

/* Is "KEY:\tVALUE" of @status what @want says (compared as text)? */
static int status_is(struct rproc *rp, pid_t tid, const char *status, const char *key,
		     const char *want)
{
	char got[4096];

	if (proc_status_field(status, key, got, sizeof(got)) < 0)
		return verify_differs(rp, "tid %d: its status has no %s", tid, key);
	for (size_t n = strlen(got); n && (got[n - 1] == ' ' || got[n - 1] == '\t');)
		got[--n] = 0;
	if (strcmp(got, want) != 0)
		return verify_differs(rp, "tid %d: its %s is '%s', not '%s'", tid, key, got, want);
	return 0;
}

static uint64_t signal_bits(const uint8_t *infos, size_t n)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t signo;

		memcpy(&signo, infos + i * ST_SIGINFO_SIZE, sizeof(signo));
		if (signo > 0 && signo <= 64)
			bits |= 1ull << (signo - 1);
	}
	return bits;
}

/*
 * Are the queued signals of the image @bits pending in "KEY:" of @status?
 * SIGSTOP and SIGKILL are not yet: they are sent once the process is let
 * go (restore_held_signals). More may be: a timer given back may have
 * fired since it was armed, and its signal waits like any other.
 */
static int pending_has(struct rproc *rp, pid_t tid, const char *status, const char *key,
		       uint64_t bits)
{
	char got[64];
	uint64_t pending;

	bits &= ~(1ull << (SIGSTOP - 1) | 1ull << (SIGKILL - 1));
	if (proc_status_field(status, key, got, sizeof(got)) < 0)
		return verify_differs(rp, "tid %d: its status has no %s", tid, key);
	pending = strtoull(got, NULL, 16);
	if ((pending & bits) != bits)
		return verify_differs(rp, "tid %d: signals %#" PRIx64 " are not pending (%s %s)",
				      tid, bits & ~pending, key, got);
	return 0;
}

/* Credentials, umask, signal state of each thread, from its status. */
static int verify_status(struct rproc *rp)
{
	const struct st_process *p = rp->p;
	uint64_t ign = 0, cgt = 0;
	char want[4096];
	int e = 0;

	for (int sig = 1; sig <= ST_NSIG; sig++) {
		uint64_t h = p->sigactions[sig - 1].handler;

		if (h == (uintptr_t)SIG_IGN)
			ign |= 1ull << (sig - 1);
		else if (h > (uintptr_t)SIG_IGN)
			cgt |= 1ull << (sig - 1);
	}
	for (size_t i = 0; i < p->nthreads && e == 0; i++) {
		const struct st_thread *t = &p->threads[i];
		char path[64], *status;
		size_t n = 0;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", rp->pid, t->tid);
		e = proc_read_file(path, &status, NULL);
		if (e < 0)
			return log_error_errno(e, "pid %d: cannot read %s", rp->pid, path);
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", p->uids[0], p->uids[1], p->uids[2],
			 p->uids[3]);
		e = status_is(rp, t->tid, status, "Uid", want);
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", p->gids[0], p->gids[1], p->gids[2],
			 p->gids[3]);
		if (e == 0)
			e = status_is(rp, t->tid, status, "Gid", want);
		want[0] = 0;
		for (size_t g = 0; g < p->ngroups && n < sizeof(want) - 16; g++)
			n += snprintf(want + n, sizeof(want) - n, "%s%u", g ? " " : "", p->groups[g]);
		if (e == 0)
			e = status_is(rp, t->tid, status, "Groups", want);
		if (e == 0 && p->have_caps) {
			const struct { const char *key; uint64_t v; } caps[] = {
				{ "CapInh", p->caps.inheritable }, { "CapPrm", p->caps.permitted },
				{ "CapEff", p->caps.effective },   { "CapBnd", p->caps.bounding },
				{ "CapAmb", p->caps.ambient },
			};

			for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]) && e == 0; c++) {
				snprintf(want, sizeof(want), "%016" PRIx64, caps[c].v);
				e = status_is(rp, t->tid, status, caps[c].key, want);
			}
		}
		if (e == 0)
			e = status_is(rp, t->tid, status, "NoNewPrivs", p->no_new_privs ? "1" : "0");
		snprintf(want, sizeof(want), "%04o", p->umask);
		if (e == 0)
			e = status_is(rp, t->tid, status, "Umask", want);
		snprintf(want, sizeof(want), "%016" PRIx64, ign);
		if (e == 0)
			e = status_is(rp, t->tid, status, "SigIgn", want);
		snprintf(want, sizeof(want), "%016" PRIx64, cgt);
		if (e == 0)
			e = status_is(rp, t->tid, status, "SigCgt", want);
		if (e == 0)
			e = pending_has(rp, t->tid, status, "SigPnd",
					signal_bits(t->sigpending, t->nsigpending));
		if (e == 0)
			e = pending_has(rp, t->tid, status, "ShdPnd",
					signal_bits(p->sigpending_shared, p->nsigpending_shared));
		free(status);
	}
	return e;
}

/* Each thread's signal mask, as ptrace gives it (the thread is stopped). */
static int verify_sigmasks(struct rproc *rp)
{
	for (size_t i = 0; i < rp->p->nthreads; i++) {
		const struct st_thread *t = &rp->p->threads[i];
		uint64_t mask;

		if (syscall(SYS_ptrace, GLUE_PTRACE_GETSIGMASK, t->tid, sizeof(mask), &mask) < 0)
			return log_error_errno(-errno, "pid %d tid %d: cannot read its signal mask", rp->pid,
					t->tid);
		if (mask != t->sigmask)
			return verify_differs(rp, "tid %d: its signal mask is %#" PRIx64 ", not %#"
					      PRIx64, t->tid, mask, t->sigmask);
	}
	return 0;
}

static int verify_limits_and_dirs(struct rproc *rp)
{
	const struct st_process *p = rp->p;
	char path[64], *s;
	int e;

	/* from /proc/PID/limits, as the checkpoint read them: prlimit() on a
	 * process of another user needs CAP_SYS_RESOURCE */
	struct proc_limit lim[32];
	size_t nlim;

	e = proc_read_limits(rp->pid, lim, 32, &nlim);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read /proc/%d/limits", rp->pid, rp->pid);
	for (size_t i = 0; i < nlim; i++) {
		int res = lim[i].resource;

		if (res < 0 || res >= ST_NRLIMITS)
			continue; /* the inventory's */
		if (lim[i].soft != p->rlimits[res][0] || lim[i].hard != p->rlimits[res][1])
			return verify_differs(rp, "its limit '%s' is %llu/%llu, not %llu/%llu",
					      lim[i].name, (unsigned long long)lim[i].soft,
					      (unsigned long long)lim[i].hard,
					      (unsigned long long)p->rlimits[res][0],
					      (unsigned long long)p->rlimits[res][1]);
	}
	for (int k = 0; k < 2; k++) {
		const char *want = k ? p->root : p->cwd;

		if (!want)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/%s", rp->pid, k ? "root" : "cwd");
		e = proc_read_link(path, &s);
		if (e < 0)
			return log_error_errno(e, "pid %d: cannot read %s", rp->pid, path);
		e = strcmp(s, want) == 0 ? 0 :
			verify_differs(rp, "its %s is %s, not %s", k ? "root" : "working directory",
				       s, want);
		free(s);
		if (e < 0)
			return e;
	}
	snprintf(path, sizeof(path), "/proc/%d/personality", rp->pid);
	e = proc_read_file(path, &s, NULL);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read %s", rp->pid, path);
	e = strtoul(s, NULL, 16) == p->personality ? 0 :
		verify_differs(rp, "its personality is %s, not %#x", s, p->personality);
	free(s);
	return e;
}

/* ---- memory areas ---- */

/* What of an area a restore gives back, adjacent equal ones merged. */
struct span {
	uint64_t start, end, pgoff;
	uint32_t prot, flags, advice;
	bool file;
	const char *path; /* a file's, when it is opened by path */
};

static bool special(const char *name)
{
	return name && (strcmp(name, "[vdso]") == 0 || strncmp(name, "[vvar", 5) == 0 ||
			strcmp(name, "[vsyscall]") == 0);
}

/* Where the image had the kernel's own areas: a vDSO redirected onto a
 * new kernel leaves a copy of the old one there (vdso_redirect.c). */
static bool in_kernels_own(const struct st_mm *mm, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < mm->nareas; i++) {
		const struct st_area *a = &mm->areas[i];

		if ((a->kind == ST_AREA_VDSO || a->kind == ST_AREA_VVAR ||
		     a->kind == ST_AREA_VSYSCALL) && start < a->end && a->start < end)
			return true;
	}
	return false;
}

static bool joins(const struct span *a, const struct span *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       a->advice == b->advice && a->file == b->file &&
	       (!a->file || (a->pgoff + (a->end - a->start) == b->pgoff &&
			     !strcmp(a->path ? a->path : "", b->path ? b->path : "")));
}

static int push_span(struct span **v, size_t *n, const struct span *s)
{
	struct span *slot;

	if (*n && joins(&(*v)[*n - 1], s)) {
		(*v)[*n - 1].end = s->end;
		return 0;
	}
	slot = ST_PUSH(*v, *n);
	if (!slot)
		return -ENOMEM;
	*slot = *s;
	return 0;
}

static const struct {
	char flag[3];
	int advice;
} advice_flags[] = {
	{ "rr", MADV_RANDOM },   { "sr", MADV_SEQUENTIAL }, { "dc", MADV_DONTFORK },
	{ "mg", MADV_MERGEABLE }, { "hg", MADV_HUGEPAGE },   { "nh", MADV_NOHUGEPAGE },
	{ "dd", MADV_DONTDUMP }, { "wf", MADV_WIPEONFORK },
};

static int verify_areas(struct rproc *rp)
{
	struct span *want = NULL, *got = NULL;
	size_t nwant = 0, ngot = 0, nmaps;
	struct proc_map *maps;
	int e = proc_read_maps(rp->pid, &maps, &nmaps);

	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read its memory map", rp->pid);
	for (size_t i = 0; i < rp->mm->nareas && e == 0; i++) {
		const struct st_area *a = &rp->mm->areas[i];
		struct span s = { a->start, a->end, a->pgoff, a->prot,
				  a->flags & (MAP_SHARED | MAP_PRIVATE | MAP_GROWSDOWN | MAP_NORESERVE),
				  a->advice, a->kind == ST_AREA_FILE || a->kind == ST_AREA_SYSV,
				  a->file_id ? NULL : a->path };

		if (a->kind == ST_AREA_VDSO || a->kind == ST_AREA_VVAR ||
		    a->kind == ST_AREA_VSYSCALL)
			continue;
		if (!s.file)
			s.pgoff = 0;
		e = push_span(&want, &nwant, &s);
	}
	for (size_t i = 0; i < nmaps && e == 0; i++) {
		const struct proc_map *m = &maps[i];
		bool anon = !m->name[0] || m->name[0] == '[' ||
			    (m->perms[3] == 's' && strcmp(m->name, "/dev/zero (deleted)") == 0);
		struct span s = {
			m->start, m->end, anon ? 0 : m->pgoff,
			(m->perms[0] == 'r' ? PROT_READ : 0) | (m->perms[1] == 'w' ? PROT_WRITE : 0) |
				(m->perms[2] == 'x' ? PROT_EXEC : 0),
			(m->perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE) |
				(proc_vmflag(m->vmflags, "gd") ? MAP_GROWSDOWN : 0) |
				(proc_vmflag(m->vmflags, "nr") ? MAP_NORESERVE : 0),
			0, !anon, NULL,
		};

		if (special(m->name) || in_kernels_own(rp->mm, m->start, m->end))
			continue;
		for (size_t k = 0; k < sizeof(advice_flags) / sizeof(advice_flags[0]); k++)
			if (proc_vmflag(m->vmflags, advice_flags[k].flag))
				s.advice |= 1u << advice_flags[k].advice;
		s.path = s.file ? m->name : NULL;
		e = push_span(&got, &ngot, &s);
	}
	/* a carried file (memfd, deleted) may come back under another name */
	for (size_t i = 0; i < nwant && e == 0; i++) {
		const struct span *w = &want[i], *g = i < ngot ? &got[i] : NULL;

		if (!g || g->start != w->start || g->end != w->end)
			e = verify_differs(rp, "area %#" PRIx64 "-%#" PRIx64 " is %s", w->start,
					   w->end, g ? "mapped at another range" : "missing");
		else if (g->prot != w->prot || g->flags != w->flags || g->file != w->file ||
			 (w->file && g->pgoff != w->pgoff) ||
			 (w->path && (!g->path || strcmp(g->path, w->path) != 0)))
			e = verify_differs(rp, "area %#" PRIx64 "-%#" PRIx64 ": protection %#x, "
					   "flags %#x, %s%s at %#" PRIx64 ", not protection %#x, "
					   "flags %#x, %s%s at %#" PRIx64, w->start, w->end, g->prot,
					   g->flags, g->file ? "file " : "anonymous",
					   g->path ? g->path : "", g->pgoff, w->prot, w->flags,
					   w->file ? "file " : "anonymous", w->path ? w->path : "",
					   w->pgoff);
		else if (g->advice != w->advice)
			e = verify_differs(rp, "area %#" PRIx64 "-%#" PRIx64 ": madvise() advice %#x, "
					   "not %#x", w->start, w->end, g->advice, w->advice);
	}
	if (e == 0 && ngot != nwant)
		e = verify_differs(rp, "it has %zu memory areas, not %zu (%#" PRIx64 "-%#" PRIx64
				   " is new)", ngot, nwant, got[ngot > nwant ? nwant : 0].start,
				   got[ngot > nwant ? nwant : 0].end);
	free(want);
	free(got);
	proc_maps_free(maps, nmaps);
	return e;
}

/* ---- open files ---- */

/* Where each file record was met first, to check that fds share it. */
struct first_open {
	pid_t pid;
	int fd;
};

static int verify_fd(struct rst *r, struct rproc *rp, const struct st_fd *rec,
		     struct first_open *first)
{
	const struct st_file *f = st_find_file(&r->img, rec->file_id);
	char path[64], buf[64], *fdinfo;
	uint32_t flags, want;
	uint64_t pos;
	int e;

	if (!f)
		return log_error_errno(-EINVAL, "pid %d fd %d: file %u is not in the image", rp->pid,
				rec->num, rec->file_id);
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", rp->pid, rec->num);
	e = proc_read_file(path, &fdinfo, NULL);
	if (e == -ENOENT)
		return verify_differs(rp, "fd %d (%s) is not open", rec->num, st_file_what(f));
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read %s", rp->pid, path);
	e = proc_status_field(fdinfo, "flags", buf, sizeof(buf));
	flags = e == 0 ? strtoul(buf, NULL, 8) : 0;
	if (e == 0)
		e = proc_status_field(fdinfo, "pos", buf, sizeof(buf));
	pos = e == 0 ? strtoull(buf, NULL, 10) : 0;
	want = f->flags;
	/* a file opened with O_TMPFILE that has a name since is opened again
	 * by it, without: F_GETFL no longer shows O_TMPFILE */
	if ((want & O_TMPFILE) == O_TMPFILE && (flags & O_TMPFILE) != O_TMPFILE)
		want &= ~O_TMPFILE;
	/* O_LARGEFILE changes nothing on a 64-bit kernel, which gives it to
	 * every open() and not to pipe() or a pty's peer: not compared */
	flags &= ~LARGEFILE_FLAG;
	want &= ~LARGEFILE_FLAG;
	if (e < 0)
		e = log_error_errno(e, "pid %d: %s has no flags or pos", rp->pid, path);
	else if ((flags & ~O_CLOEXEC) != want)
		e = verify_differs(rp, "fd %d (%s %s): its flags are %#o, not %#o", rec->num,
				   st_file_what(f), f->path ? f->path : "", flags & ~O_CLOEXEC, want);
	else if (!(flags & O_CLOEXEC) != !rec->cloexec)
		e = verify_differs(rp, "fd %d (%s): close-on-exec is %s", rec->num, st_file_what(f),
				   rec->cloexec ? "off" : "on");
	else if (pos != f->pos)
		e = verify_differs(rp, "fd %d (%s %s): its offset is %llu, not %llu", rec->num,
				   st_file_what(f), f->path ? f->path : "", (unsigned long long)pos,
				   (unsigned long long)f->pos);
	else if (first->pid && syscall(SYS_kcmp, first->pid, rp->pid, KCMP_FILE, first->fd,
				       rec->num) != 0)
		e = verify_differs(rp, "fd %d (%s) does not share its open file with pid %d fd %d",
				   rec->num, st_file_what(f), first->pid, first->fd);
	else if (f->kind && f->kind->verify)
		e = f->kind->verify(r, rp, rec->num, f, fdinfo);
	if (!first->pid) {
		first->pid = rp->pid;
		first->fd = rec->num;
	}
	free(fdinfo);
	return e;
}

static int verify_fds(struct rst *r, struct rproc *rp, struct first_open *firsts)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	int e = 0;
	DIR *d;

	for (size_t i = 0; i < rp->p->nfds && e == 0; i++) {
		uint32_t id = rp->p->fds[i].file_id;
		struct first_open *first = id <= r->img.nfiles ? &firsts[id] : NULL;
		struct first_open none = { 0 };

		e = verify_fd(r, rp, &rp->p->fds[i], first ? first : &none);
	}
	if (e < 0)
		return e;
	snprintf(path, sizeof(path), "/proc/%d/fd", rp->pid);
	d = opendir(path);
	if (!d)
		return log_error_errno(-errno, "pid %d: cannot list %s", rp->pid, path);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	if (n != rp->p->nfds)
		return verify_differs(rp, "it has %zu fds, not %zu", n, rp->p->nfds);
	return 0;
}

/* ---- all of it ---- */

int restore_verify(struct rst *r)
{
	struct first_open *firsts = calloc(r->img.nfiles + 2, sizeof(*firsts));
	struct timespec t0, t1;
	uint64_t total = 0;
	int e = 0;

	if (!firsts)
		return -ENOMEM;
	for (size_t i = 0; i < r->nprocs && e == 0; i++) {
		struct rproc *rp = &r->procs[i];
		int n;

		clock_gettime(CLOCK_MONOTONIC, &t0);

		e = verify_ids(r, rp);
		if (e == 0)
			e = verify_threads(rp);
		if (e == 0)
			e = verify_status(rp);
		if (e == 0)
			e = verify_sigmasks(rp);
		if (e == 0)
			e = verify_limits_and_dirs(rp);
		if (e == 0)
			e = verify_areas(rp);
		if (e == 0)
			e = verify_fds(r, rp, firsts);
		for (size_t k = 0; k < kind_count && e == 0; k++)
			if (kind_registry[k]->verify_process)
				e = kind_registry[k]->verify_process(r, rp);
		if (e < 0)
			break;
		/* what no kind carries, as a new process has it */
		n = inventory_verify(r->procs[0].pid, rp->pid, r->opts->lazy);
		if (n != 0)
			e = n < 0 ? n : -EPROTO;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		rp->verify_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec -
				t0.tv_nsec;
		total += rp->verify_ns;
	}
	free(firsts);
	if (e == 0)
		log_debug("verified %zu processes in %.1f ms", r->nprocs, total / 1e6);
	return e;
}
