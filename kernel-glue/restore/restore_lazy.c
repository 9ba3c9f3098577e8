/* SPDX-License-Identifier: MIT */
/*
 * Lazy restore (ferry restore --lazy): the processes run as soon as
 * everything but the contents of their userfaultfd areas is restored.
 *
 * The page pass (restore_pages.c) checks the CRC of every chunk as always,
 * writes what uffd cannot serve (private file mappings, an area the kernel
 * would not register) and lists the rest here. Then two processes take the
 * uffds: the guard, and its child the pager (restore_pager.c), which
 * places the pages listed, on first touch and in a background pass. Both
 * hold every uffd, so while either lives a touch of a page not yet home
 * waits rather than reading a zero page. The guard waits for the pager:
 * when it exits 0 every page is home and the guard goes too; when it dies
 * in any other way (killed, out of memory, an image that changed) the guard
 * kills the restored processes (and their descendants) before it lets the
 * uffds go, and says why. Both ask for oom_score_adj -1000 (which takes
 * CAP_SYS_RESOURCE: without it they say so) and leave the restorer's
 * session, so that neither a terminal's signals nor the restorer's end
 * reach them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"
#include "restore_lazy.h"

int restore_lazy_begin(struct rst *r)
{
	if (!r->opts->lazy)
		return 0;
	r->lazy = calloc(1, sizeof(*r->lazy));
	if (!r->lazy)
		return -ENOMEM;
	pthread_mutex_init(&r->lazy->lock, NULL);
	r->lazy->go_fd = -1;
	return 0;
}

int restore_lazy_add(struct rst *r, struct rproc *rp, const struct ferry_chunk *ch,
		     const struct ferry_extent *ext, uint32_t raw_page)
{
	struct lazy *lz = r->lazy;
	int e = 0;

	pthread_mutex_lock(&lz->lock);
	if (lz->n == lz->cap) {
		size_t cap = lz->cap ? 2 * lz->cap : 1024;
		struct lazy_extent *x = realloc(lz->ext, cap * sizeof(*x));

		if (!x)
			e = -ENOMEM;
		else {
			lz->ext = x;
			lz->cap = cap;
		}
	}
	if (e == 0) {
		lz->ext[lz->n++] = (struct lazy_extent){
			.vaddr = ext->vaddr, .chunk_offset = ch->offset,
			.chunk_index = ch->index, .mm_id = ch->mm_id,
			.pages = ext->page_count, .raw_page = raw_page,
		};
		lz->pages += ext->page_count;
		rp->lazy_pages += ext->page_count;
	}
	pthread_mutex_unlock(&lz->lock);
	return e;
}

static int by_image_order(const void *a, const void *b)
{
	const struct lazy_extent *x = a, *y = b;

	if (x->chunk_index != y->chunk_index)
		return x->chunk_index < y->chunk_index ? -1 : 1;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static const struct lazy_extent *sort_ext;

static int by_address(const void *a, const void *b)
{
	const struct lazy_extent *x = &sort_ext[*(const uint32_t *)a];
	const struct lazy_extent *y = &sort_ext[*(const uint32_t *)b];

	if (x->mm_id != y->mm_id)
		return x->mm_id < y->mm_id ? -1 : 1;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* The extents in image order, numbered, and by address. */
static int index_extents(struct lazy *lz)
{
	uint64_t first = 0;

	if (lz->n > UINT32_MAX)
		return -E2BIG;
	qsort(lz->ext, lz->n, sizeof(*lz->ext), by_image_order);
	lz->by_addr = malloc((lz->n ? lz->n : 1) * sizeof(*lz->by_addr));
	if (!lz->by_addr)
		return -ENOMEM;
	for (size_t i = 0; i < lz->n; i++) {
		lz->ext[i].first = first;
		first += lz->ext[i].pages;
		lz->by_addr[i] = (uint32_t)i;
	}
	sort_ext = lz->ext;
	qsort(lz->by_addr, lz->n, sizeof(*lz->by_addr), by_address);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every descriptor but stderr and those in @keep; stdin and stdout
 * to /dev/null. */
static void keep_only(int *keep, size_t n)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), next = 3;

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		close(null);
	}
	qsort(keep, n, sizeof(*keep), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < next)
			continue;
		if (keep[i] > next)
			syscall(SYS_close_range, next, keep[i] - 1, 0);
		next = keep[i] + 1;
	}
	syscall(SYS_close_range, next, ~0u, 0);
}

static void unkillable(const char *name)
{
	int fd;

	prctl(PR_SET_NAME, name);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "-1000", 5) != 5)
		log_warning("%s: cannot set oom_score_adj -1000 (%s): the OOM killer may choose it, "
			  "and then the restored processes are ended", name, strerror(errno));
	if (fd >= 0)
		close(fd);
}

struct guard {
	pid_t *pids;     /* the restored processes */
	int *pidfds;
	size_t n;
	int *held;       /* uffds of forked processes */
	size_t nheld;
};

static void take_fds(struct guard *g, int sock)
{
	for (;;) {
		char byte, cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		int *h;

		if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		cm = CMSG_FIRSTHDR(&mh);
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			continue;
		h = realloc(g->held, (g->nheld + 1) * sizeof(*h));
		if (!h)
			continue; /* the pager holds it still */
		g->held = h;
		memcpy(&g->held[g->nheld++], CMSG_DATA(cm), sizeof(int));
	}
}

/* Is @pid a descendant of one in @set? */
static bool descends(pid_t pid, const pid_t *set, size_t n)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		uint64_t stat[5];

		for (size_t i = 0; i < n; i++)
			if (set[i] == pid)
				return depth > 0;
		if (proc_stat_fields(pid, stat, 5) < 0)
			return false;
		pid = (pid_t)stat[4];
	}
	return false;
}

/* End the restored processes and every descendant they made since. */
static void end_restored(struct guard *g)
{
	pid_t *found = NULL;
	size_t nfound = 0, n = 0;

	/* found before any is killed: a killed one's children go to another parent */
	if (proc_list_pids(&found, &n) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++)
		if (descends(found[i], g->pids, g->n))
			found[nfound++] = found[i];
	/* by pidfd: one that has exited is not confused with a new holder of its pid */
	for (size_t i = 0; i < g->n; i++)
		if (g->pidfds[i] >= 0)
			syscall(SYS_pidfd_send_signal, g->pidfds[i], SIGKILL, NULL, 0);
		else
			kill(g->pids[i], SIGKILL);
	for (size_t i = 0; i < nfound; i++)
		kill(found[i], SIGKILL);
	free(found);
}

__attribute__((noreturn)) static void guard_main(struct guard *g, pid_t pager, int sock)
{
	int pager_fd = syscall(SYS_pidfd_open, pager, 0), status;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = sock, .events = POLLIN },
					 { .fd = pager_fd, .events = POLLIN } };

		if (poll(pfd, 2, pager_fd < 0 ? 100 : -1) < 0 && errno != EINTR)
			break;
		take_fds(g, sock);
		if (pager_fd >= 0 && !pfd[1].revents)
			continue;
		if (waitpid(pager, &status, pager_fd < 0 ? WNOHANG : 0) == 0)
			continue;
		take_fds(g, sock);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			_exit(0); /* every page is home */
		break;
	}
	{
		/* for the test of the pager's death: touches wait meanwhile */
		const char *delay = getenv("FERRY_TEST_LAZY_GUARD_DELAY_MS");

		if (delay)
			usleep((useconds_t)atoi(delay) * 1000);
	}
	end_restored(g);
	if (WIFSIGNALED(status))
		log_error("the pager (pid %d) was killed by signal %d before every page was "
			   "home: the restored processes were ended, none runs on missing pages",
			   pager, WTERMSIG(status));
	else
		log_error("the pager (pid %d) failed before every page was home: the restored "
			   "processes were ended, none runs on missing pages", pager);
	_exit(1);
}

/* In the guard: the pager's setup from what the restorer has. */
static void pager_child(struct rst *r, int go, int sock)
{
	struct pager_setup ps = { .image = &r->image, .image_fd = r->image_fd, .lz = r->lazy,
				  .go_fd = go, .guard_sock = sock };

	unkillable("ferry-pager");
	ps.spaces = calloc(r->nprocs ? r->nprocs : 1, sizeof(*ps.spaces));
	if (!ps.spaces)
		_exit(1);
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].uffd >= 0)
			ps.spaces[ps.nspaces++] = (struct lazy_space){
				.uffd = r->procs[i].uffd, .mm_id = r->procs[i].mm->id,
				.pid = r->procs[i].pid };
	pager_main(&ps);
}

/* The guard process: starts the pager, then watches it. */
__attribute__((noreturn)) static void guard_child(struct rst *r, int go)
{
	struct guard g = { 0 };
	size_t nkeep = 0;
	int *keep = calloc(3 * r->nprocs + 5, sizeof(int)), sv[2];
	pid_t pager;

	setsid();
	unkillable("ferry-guard");
	g.pids = calloc(r->nprocs + 1, sizeof(*g.pids));
	g.pidfds = calloc(r->nprocs + 1, sizeof(*g.pidfds));
	if (!keep || !g.pids || !g.pidfds ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		_exit(1);
	for (size_t i = 0; i < r->nprocs; i++) {
		if (r->procs[i].uffd >= 0)
			keep[nkeep++] = r->procs[i].uffd;
		g.pids[g.n] = r->procs[i].pid;
		g.pidfds[g.n] = syscall(SYS_pidfd_open, r->procs[i].pid, 0);
		if (g.pidfds[g.n] >= 0)
			keep[nkeep++] = g.pidfds[g.n];
		g.n++;
	}
	keep[nkeep++] = go;
	keep[nkeep++] = sv[0];
	keep[nkeep++] = sv[1];
	if (r->image_fd >= 0)
		keep[nkeep++] = r->image_fd;
	/* a log file (ferry-init's) gets the pager's and the guard's lines too */
	if (log_file_fd() >= 0)
		keep[nkeep++] = log_file_fd();
	keep_only(keep, nkeep);
	pager = fork();
	if (pager == 0) {
		close(sv[0]);
		pager_child(r, go, sv[1]);
	}
	close(sv[1]);
	close(go);
	if (pager < 0) {
		log_error_errno(-errno, "cannot start the pager");
		end_restored(&g);
		_exit(1);
	}
	if (r->image_fd >= 0) {
		munmap((void *)r->image.base, r->image.len);
		close(r->image_fd);
	}
	guard_main(&g, pager, sv[0]);
}

int restore_lazy_start(struct rst *r)
{
	struct lazy *lz = r->lazy;
	int go[2], e;
	pid_t guard;

	if (!lz)
		return 0;
	if (!lz->pages) {
		/* nothing left to place: no pager */
		for (size_t i = 0; i < r->nprocs; i++)
			restore_uffd_detach(&r->procs[i]);
		return 0;
	}
	e = index_extents(lz);
	if (e < 0)
		return e;
	if (pipe2(go, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "cannot start the pager");
	fflush(NULL);
	guard = fork();
	if (guard == 0) {
		close(go[1]);
		guard_child(r, go[0]);
	}
	close(go[0]);
	if (guard < 0) {
		close(go[1]);
		return log_error_errno(-errno, "cannot start the pager");
	}
	lz->guard = guard;
	lz->go_fd = go[1];
	/* the uffds are the guard's and the pager's now */
	for (size_t i = 0; i < r->nprocs; i++)
		restore_uffd_release(&r->procs[i]);
	log_debug("lazy restore: %llu pages for the pager (guard pid %d)",
		   (unsigned long long)lz->pages, guard);
	return 0;
}

void restore_lazy_go(struct rst *r)
{
	if (r->lazy && r->lazy->go_fd >= 0) {
		close(r->lazy->go_fd);
		r->lazy->go_fd = -1;
	}
}

pid_t restore_lazy_guard(const struct rst *r)
{
	return r->lazy ? r->lazy->guard : 0;
}

void restore_lazy_end(struct rst *r)
{
	if (!r->lazy)
		return;
	restore_lazy_go(r);
	pthread_mutex_destroy(&r->lazy->lock);
	free(r->lazy->ext);
	free(r->lazy->by_addr);
	free(r->lazy);
	r->lazy = NULL;
}
