/* SPDX-License-Identifier: MIT */
/*
 * ferry_restore(): load and verify the image; the stubs of every process,
 * parents first, each with its original PID; for each a trampoline and the
 * address space; the pages of all processes; then files, attributes,
 * process groups, threads, per-thread state and credentials, registers;
 * once every process is complete, each is read back and compared with the
 * image (verify.c), and only then do they run (the caller's
 * before_first_let_go first, then what each kind does last). Any failure
 * kills every process the restore made, a running one too, and waits
 * until their pids are free: the image can be tried again.
 * Around it, the network lock of the image's TCP connections: released
 * once every socket is restored and out of repair mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/meta.h"
#include "../common/netlock.h"
#include "../common/procfs.h"
#include "../kinds/socket.h"
#include "internal.h"
#include "plan.h"
#include "restore_time.h"

struct mapped_file {
	void *data;
	size_t size;
};

static int load_image(struct rst *r, struct mapped_file *mf)
{
	const char *path = r->opts->image ? r->opts->image : "(memory)";
	struct ferry_diag diag = { 0 };
	const void *fdt, *data = r->opts->image_data;
	size_t fdt_size, size = r->opts->image_size;
	struct stat st;
	int fd, k;

	if (data)
		goto mapped;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open image '%s'", path);
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		close(fd);
		return log_error_errno(st.st_size == 0 ? -EINVAL : -errno, "image '%s' is empty", path);
	}
	mf->size = st.st_size;
	mf->data = mmap(NULL, mf->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (mf->data == MAP_FAILED) {
		close(fd);
		mf->data = NULL;
		return log_error_errno(-errno, "cannot map image '%s'", path);
	}
	r->image_fd = fd; /* restore_pages() drops the pages it has passed */
	data = mf->data;
	size = mf->size;
mapped:
	k = ferry_image_open(&r->image, data, size, 0, &diag);
	if (k == 0)
		k = restore_verify_image(r, &diag);
	if (k < 0) {
		log_error("image '%s': %s: %s%s%s", path, diag.part ? diag.part : "image",
			   ferry_strerror(k), diag.what ? ": " : "", diag.what ? diag.what : "");
		return -EINVAL;
	}
	k = ferry_image_metadata(&r->image, &fdt, &fdt_size);
	if (k < 0) {
		log_error("image '%s': metadata: %s", path, ferry_strerror(k));
		return -EINVAL;
	}
	k = meta_read(fdt, &r->img);
	if (k == 0)
		k = restore_plan_check(&r->img);
	if (k == 0)
		k = restore_plan_check_pages(&r->image, &r->img);
	if (k == 0)
		k = restore_plan_check_here(&r->img);
	return k;
}

static void report(struct rst *r)
{
	FILE *out = r->opts->report ? r->opts->report : stdout;
	struct ferry_restored *procs;

	if (r->opts->report_fn) {
		procs = calloc(r->nprocs ? r->nprocs : 1, sizeof(*procs));
		if (!procs) {
			log_warning("no memory for the report of '%s'", r->opts->image);
			return;
		}
		for (size_t i = 0; i < r->nprocs; i++)
			procs[i] = (struct ferry_restored){
				.pid = r->procs[i].pid,
				.comm = r->procs[i].p->comm,
				.threads = r->procs[i].p->nthreads,
				.areas = r->procs[i].mm->nareas,
				.fds = r->procs[i].p->nfds,
				.pages = (unsigned long long)(r->procs[i].pages +
							      r->procs[i].lazy_pages),
				.lazy_pages = (unsigned long long)r->procs[i].lazy_pages,
				.verified = !r->opts->no_verify,
				.verify_ms = r->procs[i].verify_ns / 1e6,
			};
		r->opts->report_fn(r->opts->report_arg, r->opts->image, procs, r->nprocs,
				   restore_lazy_guard(r));
		free(procs);
		return;
	}
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct rproc *rp = &r->procs[i];

		fprintf(out, "restored pid %d (%s): %zu thread%s, %zu memory areas, %llu pages",
			rp->pid, rp->p->comm, rp->p->nthreads, rp->p->nthreads == 1 ? "" : "s",
			rp->mm->nareas, (unsigned long long)(rp->pages + rp->lazy_pages));
		if (r->lazy)
			fprintf(out, " (%llu left to the pager)", (unsigned long long)rp->lazy_pages);
		fprintf(out, ", %zu fds\n", rp->p->nfds);
	}
	if (restore_lazy_guard(r))
		fprintf(out, "pages not yet home are placed on first touch and in the background; "
			     "the pager's guard is pid %d, gone once every page is home\n",
			restore_lazy_guard(r));
	fflush(out);
}

/* Tests make the restore fail once @n processes run (and must find
 * nothing of them afterwards); 0: once every process is complete and
 * verified, right before anything is let go (a connection leaves repair
 * mode). */
#define TEST_FAIL_AFTER "FERRY_TEST_RESTORE_FAIL_AFTER"

static bool test_fail_after(size_t n)
{
	const char *v = getenv(TEST_FAIL_AFTER);

	return v && *v && strtoul(v, NULL, 10) == n;
}

static int restore_all(struct rst *r)
{
	int e;

	r->procs = calloc(r->img.nprocs, sizeof(*r->procs));
	if (!r->procs)
		return -ENOMEM;
	r->nprocs = r->img.nprocs;
	for (size_t i = 0; i < r->nprocs; i++) {
		r->procs[i].p = &r->img.procs[i];
		r->procs[i].mm = st_find_mm(&r->img, r->img.procs[i].mm_id);
		r->procs[i].memfd = -1;
		r->procs[i].uffd = -1;
		r->procs[i].pidfd = -1;
	}
	e = restore_open_files(r);
	if (e == 0)
		e = restore_shmem_objects(r);
	if (e == 0)
		e = restore_time_namespace(r);
	if (e == 0)
		e = restore_create_tree(r);
	for (size_t i = 0; i < r->nprocs && e == 0; i++) {
		struct rproc *rp = &r->procs[i];

		e = restore_trampoline(r, rp);
		if (e == 0)
			e = restore_mm(r, rp);
	}
	if (e == 0)
		e = restore_lazy_begin(r);
	if (e == 0)
		e = restore_pages(r);
	/* a lazy restore: the pager serves from here on (also a touch by a
	 * system call injected below), its background pass once they run */
	if (e == 0)
		e = restore_lazy_start(r);
	for (size_t i = 0; i < r->nprocs && e == 0; i++) {
		struct rproc *rp = &r->procs[i];

		e = restore_mm_finish(r, rp);
		if (e == 0)
			e = restore_fds(r, rp);
		if (e == 0)
			e = restore_process(r, rp);
	}
	if (e == 0)
		e = restore_groups(r);
	if (e == 0)
		e = restore_settle_files(r);
	/* threads need set_tid, so before the credentials may drop the right */
	for (size_t i = 0; i < r->nprocs && e == 0; i++) {
		e = restore_create_threads(r, &r->procs[i]);
		for (size_t k = 0; k < kind_count && e == 0; k++)
			if (kind_registry[k]->threads_made)
				e = kind_registry[k]->threads_made(r, &r->procs[i]);
		if (e == 0)
			e = restore_thread_state(r, &r->procs[i]);
	}
	/* what must come last, after every other call injected into them */
	for (size_t i = 0; i < r->nprocs && e == 0; i++)
		for (size_t k = 0; k < kind_count && e == 0; k++)
			if (kind_registry[k]->process_ready)
				e = kind_registry[k]->process_ready(r, &r->procs[i]);
	for (size_t i = 0; i < r->nprocs && e == 0; i++)
		e = restore_threads_finish(r, &r->procs[i]);
	/* before any runs, each is read back and compared with the image */
	if (e == 0 && !r->opts->no_verify)
		e = restore_verify(r);
	if (e == 0 && test_fail_after(0))
		e = log_error_errno(-ECANCELED, "%s: the restore fails here, before anything is "
				    "let go", TEST_FAIL_AFTER);
	/* the last instant a restore cut short leaves nothing that ran or
	 * was sent: the caller's (ferry-init: the image consumed) */
	if (e == 0 && r->opts->before_first_let_go)
		e = r->opts->before_first_let_go(r->opts->before_first_let_go_arg);
	for (size_t k = 0; k < kind_count && e == 0; k++)
		if (kind_registry[k]->before_let_go)
			e = kind_registry[k]->before_let_go(r);
	/* all are complete: let them go together */
	for (size_t i = 0; i < r->nprocs && e == 0; i++) {
		e = restore_let_go(r, &r->procs[i]);
		if (e == 0 && test_fail_after(i + 1))
			e = log_error_errno(-ECANCELED, "%s: the restore fails here, after %zu "
				     "process%s let go", TEST_FAIL_AFTER, i + 1, i ? "es" : "");
	}
	if (e < 0) {
		restore_remove_all(r);
		for (size_t k = 0; k < kind_count; k++)
			if (kind_registry[k]->restore_failed)
				kind_registry[k]->restore_failed(r);
		log_error("restore of '%s' failed; the processes it had begun were removed",
			   r->opts->image);
	}
	/* the pager's background pass begins: the processes run, or are gone */
	restore_lazy_go(r);
	return e;
}

/*
 * The lock before the restore: on a new kernel it is taken here, before
 * the first socket exists (an interface may be up already, and a peer's
 * segment would meet no socket and be answered with an RST).
 */
static int lock_before(struct rst *r, struct netlock_conn **conns, size_t *n)
{
	int e = tcp_image_conns(&r->img, conns, n);

	if (e < 0 || !r->opts->take_network_lock || !*n)
		return e;
	/* past the point of no return: restore without it rather than not at all */
	if (netlock_take(*conns, *n) < 0) {
		log_warning("restoring the %zu TCP connection%s of '%s' without the network lock: "
			  "a peer that sends before its socket exists gets an RST", *n,
			  *n == 1 ? "" : "s", r->opts->image);
		free(*conns);
		*conns = NULL;
		*n = 0;
	}
	return 0;
}

static void unlock_after(struct rst *r, struct netlock_conn *conns, size_t n, bool restored)
{
	const char *image = r->opts->image;

	if (!n || (!r->opts->take_network_lock && !r->img.network_lock))
		return;
	if (!restored && !r->opts->take_network_lock) {
		/*
		 * The peers still wait, their segments dropped: another restore
		 * of the same image can still keep them. Released by hand, their
		 * connections end (RST).
		 */
		log_error("the network lock of the %zu TCP connection%s of '%s' is kept for "
			   "another attempt; 'ferry netlock' lists its rules, and "
			   "'ferry netlock --release' gives up on the connections", n,
			   n == 1 ? "" : "s", image);
		return;
	}
	if (netlock_release(conns, n) < 0)
		log_warning("the network lock of '%s' could not be released entirely; "
			  "'ferry netlock' lists what is left, 'ferry netlock --release' "
			  "removes it", image);
}

/* *ret_guard: the guard of a lazy restore's pager, or 0 */
static int restore_here(const struct ferry_restore_options *opts, pid_t *ret_guard)
{
	struct rst r = { .opts = opts, .image_fd = -1 };
	struct mapped_file mf = { 0 };
	struct netlock_conn *conns = NULL;
	size_t nconns = 0;
	int e;

	e = load_image(&r, &mf);
	if (e == 0) {
		e = lock_before(&r, &conns, &nconns);
		if (e == 0) {
			if (opts->after_lock)
				opts->after_lock(opts->after_lock_arg);
			e = restore_all(&r);
			unlock_after(&r, conns, nconns, e == 0);
		}
		free(conns);
	}
	if (e == 0)
		report(&r);
	if (ret_guard)
		*ret_guard = restore_lazy_guard(&r);
	restore_lazy_end(&r);
	restore_close_files(&r);
	restore_shmem_close(&r);
	for (size_t i = 0; i < r.nprocs; i++) {
		restore_uffd_release(&r.procs[i]);
		if (r.procs[i].memfd >= 0)
			close(r.procs[i].memfd);
		free(r.procs[i].threads);
	}
	free(r.procs);
	st_image_free(&r.img);
	if (mf.data)
		munmap(mf.data, mf.size);
	if (r.image_fd >= 0)
		close(r.image_fd);
	return e;
}

/* Is the child @pid, exited but not yet reaped, a lazy restore's pager?
 * (It becomes our child when its guard goes first.) */
static bool is_pager(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
	}
	return strcmp(comm, "ferry-pager\n") == 0;
}

/* Whether a process other than us (its init) is still in our PID namespace:
 * one that entered it with setns() is no child of ours, and our exit would
 * kill it (a `ferry checkpoint --kill` run from inside, say, before it has
 * written its image). */
static bool pidns_has_others(void)
{
	pid_t *pids;
	size_t n;
	bool others;

	if (proc_list_pids(&pids, &n) < 0)
		return false;
	others = n > 1 || (n == 1 && pids[0] != 1);
	free(pids);
	return others;
}

/* As init of a new PID namespace: restore, then reap until it is empty. */
__attribute__((noreturn)) static void pidns_init(const struct ferry_restore_options *opts)
{
	int status, first_status = 0;
	pid_t first = 0, pid, guard = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		log_error_errno(-errno, "cannot mount /proc for the new PID namespace");
		_exit(126);
	}
	if (restore_here(opts, &guard) < 0)
		_exit(126);
	/* the pager's guard (and the pager, if the guard went first) are not
	 * restored processes: looked at before they are reaped */
	for (;;) {
		siginfo_t si = { 0 };
		bool helper;

		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD || !pidns_has_others())
				break;
			/* not children of ours, but they may leave some when they end */
			usleep(10000);
			continue;
		}
		pid = si.si_pid;
		helper = pid == guard || is_pager(pid);
		if (waitpid(pid, &status, 0) == pid && !first && !helper) {
			first = pid;
			first_status = status;
		}
	}
	_exit(WIFEXITED(first_status) ? WEXITSTATUS(first_status)
				      : 128 + WTERMSIG(first_status));
}

int ferry_restore(const struct ferry_restore_options *opts, int *ret_status)
{
	pid_t init;
	int status;

	if (!opts->pidns)
		return restore_here(opts, NULL);
	if (unshare(CLONE_NEWPID) < 0)
		return log_error_errno(-errno, "cannot create a PID namespace");
	fflush(NULL);
	init = fork();
	if (init < 0)
		return log_error_errno(-errno, "cannot start the PID namespace's init");
	if (init == 0)
		pidns_init(opts);
	while (waitpid(init, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		return -EIO;
	if (ret_status)
		*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}
