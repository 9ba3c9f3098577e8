/* SPDX-License-Identifier: MIT */
/*
 * The pager of a lazy restore: a process of its own that holds the
 * userfaultfd of every restored address space. A first touch of a page not
 * yet home stops the toucher until the pager has placed the chunk holding
 * it (UFFDIO_COPY, which also wakes it); between touches a background pass
 * places the rest in image order. It exits 0 once every page is home (or
 * its process gone), and with any other status on a failure: its guard
 * (restore_lazy.c) then ends the restored processes, so that none reads a
 * zero page where the image has data.
 *
 * The processes run while this happens, so the pager follows what they do
 * to their memory (the uffd's non-cooperative events):
 *   - fork: the child's uffd comes with the event; its pages not home are
 *     those of the parent at that instant, placed in the child as well;
 *   - munmap, madvise(MADV_DONTNEED/REMOVE): those pages are settled with
 *     nothing to place (a later touch gets zeros, as without a pager);
 *   - mremap: the pages of the moved range not home are placed at their
 *     new addresses at once (translated while that is under way).
 * While an event is unread the kernel refuses every copy (EAGAIN), so the
 * pager always reads the events first: what it places is never older than
 * what the process did.
 *
 * A touch of a page the image has no data for (never written, or dropped
 * by the process) is answered with a zero page.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_PREFIX "pager"
#include "../common/log.h"
#include "restore_lazy.h"

#define MSGS 32
#define RELEASE_STEP (4ull << 20)

/* A remap whose pages not home are still to be placed at their new place. */
struct move {
	uint64_t from, to, len;
};

struct space {
	int uffd;       /* -1 once its process is gone */
	uint32_t mm_id;
	pid_t pid;
	uint64_t *settled; /* bit per lazy page: home, or nothing to place */
	uint64_t left;     /* lazy pages of its mm not settled */
	struct move *moves;
	size_t nmoves;
};

enum task_kind { TASK_FAULT, TASK_MOVE };

struct task {
	enum task_kind kind;
	size_t space;
	uint64_t addr; /* TASK_FAULT: the page touched */
};

struct pager {
	const struct ferry_image *image;
	const struct lazy *lz;
	uint64_t page;
	int image_fd;
	int go_fd;
	int guard_sock;
	struct space *sp;
	size_t nsp;
	struct task *tasks;
	size_t ntasks, tasks_cap;
	size_t background; /* next extent (image order) of the background pass */
	uint64_t left_at_pass; /* pages left when the pass last began again */
	bool faults_only;  /* FERRY_TEST_LAZY_FAULTS_ONLY: no background pass */
	uint64_t released; /* image bytes given back from the start */
	struct ferry_inflater inf;
	uint8_t *buf;
	size_t buf_len;
	uint32_t loaded;   /* chunk whose pages are at @data, or UINT32_MAX */
	const uint8_t *data;
};

__attribute__((noreturn)) static void pager_fail(const char *why)
{
	log_error("%s; its guard ends the restored processes", why);
	_exit(1);
}

static bool test_bit(const uint64_t *b, uint64_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void settle(struct space *s, uint64_t page)
{
	if (test_bit(s->settled, page))
		return;
	s->settled[page / 64] |= 1ull << (page % 64);
	s->left--;
}

/* The pages of the chunk of @x, checked again (the file may have changed
 * since the restorer checked it) and inflated if need be. */
static const uint8_t *chunk_data(struct pager *pg, const struct lazy_extent *x)
{
	struct ferry_chunk_cursor cur = { .next_offset = x->chunk_offset,
					  .next_index = x->chunk_index };
	struct ferry_diag diag = { 0 };
	struct ferry_chunk ch;
	int k;

	if (pg->loaded == x->chunk_index)
		return pg->data;
	k = ferry_chunk_next(pg->image, &cur, &ch, &diag);
	if (k <= 0 || ch.index != x->chunk_index)
		pager_fail("an image chunk cannot be read any more");
	if (ferry_chunk_check_payload(&ch, &diag) < 0)
		pager_fail("an image chunk no longer matches its CRC");
	if (ch.encoding == FERRY_ENCODING_STORED) {
		pg->data = ch.payload;
	} else {
		if (pg->buf_len < ch.raw_size) {
			free(pg->buf);
			pg->buf = malloc(ch.raw_size);
			pg->buf_len = pg->buf ? ch.raw_size : 0;
			if (!pg->buf)
				pager_fail("out of memory");
		}
		if (ferry_chunk_inflate(&pg->inf, &ch, pg->buf, pg->buf_len, &diag) < 0)
			pager_fail("an image chunk does not inflate");
		pg->data = pg->buf;
	}
	pg->loaded = x->chunk_index;
	return pg->data;
}

static void space_gone(struct space *s)
{
	if (s->uffd >= 0)
		close(s->uffd);
	s->uffd = -1;
	s->left = 0;
	s->nmoves = 0;
}

/*
 * Copy @len bytes to @dst of @s. Returns 0 when all of it is home (pages
 * already there are left as they are), -EAGAIN when an event must be read
 * first (*ret_done bytes are placed), -ESRCH when the process is gone.
 */
static int place(struct space *s, uint64_t dst, const uint8_t *src, uint64_t len,
		 uint64_t page, uint64_t *ret_done)
{
	uint64_t done = 0;

	*ret_done = 0;
	while (done < len) {
		struct uffdio_copy c = { .dst = dst + done, .src = (uintptr_t)(src + done),
					 .len = len - done };

		if (ioctl(s->uffd, UFFDIO_COPY, &c) == 0) {
			done = len;
			break;
		}
		if (c.copy > 0)
			done += (uint64_t)c.copy;
		if (errno == EAGAIN && c.copy > 0)
			continue; /* a partial copy: go on */
		if (errno == EEXIST) {
			done += page; /* that page is there already */
			continue;
		}
		*ret_done = done;
		if (errno == EAGAIN)
			return -EAGAIN;
		if (errno == ESRCH)
			return -ESRCH;
		if (errno == ENOENT || errno == EFAULT) {
			*ret_done = len; /* no area of ours there any more: nothing to place */
			return 0;
		}
		log_error_errno(-errno, "pid %d: UFFDIO_COPY at %#llx", s->pid,
			 (unsigned long long)(dst + done));
		pager_fail("a page cannot be placed");
	}
	*ret_done = len;
	return 0;
}

/* Where the page at original address @o is now (through pending moves). */
static uint64_t forward(const struct space *s, uint64_t o)
{
	for (size_t i = 0; i < s->nmoves; i++)
		if (o >= s->moves[i].from && o < s->moves[i].from + s->moves[i].len)
			o = s->moves[i].to + (o - s->moves[i].from);
	return o;
}

/* The original address of what is now at @c. */
static uint64_t backward(const struct space *s, uint64_t c)
{
	for (size_t i = s->nmoves; i-- > 0;)
		if (c >= s->moves[i].to && c < s->moves[i].to + s->moves[i].len)
			c = s->moves[i].from + (c - s->moves[i].to);
	return c;
}

/* The first extent (by address) of @mm_id ending after @from. */
static size_t first_extent_from(const struct pager *pg, uint32_t mm_id, uint64_t from)
{
	const struct lazy *lz = pg->lz;
	size_t lo = 0, hi = lz->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lazy_extent *x = &lz->ext[lz->by_addr[mid]];

		if (x->mm_id < mm_id ||
		    (x->mm_id == mm_id && x->vaddr + (uint64_t)x->pages * pg->page <= from))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The lazy extent (its index in image order) of @mm_id holding @o, or -1. */
static long find_extent(const struct pager *pg, uint32_t mm_id, uint64_t o)
{
	size_t i = first_extent_from(pg, mm_id, o);
	const struct lazy_extent *x;

	if (i == pg->lz->n)
		return -1;
	x = &pg->lz->ext[pg->lz->by_addr[i]];
	if (x->mm_id != mm_id || o < x->vaddr)
		return -1;
	return pg->lz->by_addr[i];
}

/* Settle with nothing to place the pages of [@start, @end) (original
 * addresses) of @s. */
static void settle_range(struct pager *pg, struct space *s, uint64_t start, uint64_t end)
{
	const struct lazy *lz = pg->lz;

	for (size_t i = first_extent_from(pg, s->mm_id, start); i < lz->n; i++) {
		const struct lazy_extent *x = &lz->ext[lz->by_addr[i]];
		uint64_t xend = x->vaddr + (uint64_t)x->pages * pg->page;

		if (x->mm_id != s->mm_id || x->vaddr >= end)
			break;
		for (uint64_t a = x->vaddr > start ? x->vaddr : start; a < xend && a < end;
		     a += pg->page)
			settle(s, x->first + (a - x->vaddr) / pg->page);
	}
}

/* munmap, madvise: what is now at [start, end) has nothing to place. */
static void range_dropped(struct pager *pg, struct space *s, uint64_t start, uint64_t end)
{
	if (!s->nmoves) {
		settle_range(pg, s, start, end);
		return;
	}
	for (uint64_t c = start; c < end; c += pg->page) {
		uint64_t o = backward(s, c);

		/* not what moved away from here (mremap unmaps its source after) */
		if (forward(s, o) == c)
			settle_range(pg, s, o, o + pg->page);
	}
}

/*
 * Place the pages of extent @xi not yet home in @s, those of
 * [@lo, @hi) of it (original addresses) only; page by page at their
 * translated places when moves are pending. 0, -EAGAIN, -ESRCH.
 */
static int place_extent(struct pager *pg, struct space *s, size_t xi, uint64_t lo, uint64_t hi)
{
	const struct lazy_extent *x = &pg->lz->ext[xi];
	uint64_t xend = x->vaddr + (uint64_t)x->pages * pg->page;
	const uint8_t *data = NULL;

	if (lo < x->vaddr)
		lo = x->vaddr;
	if (hi > xend)
		hi = xend;
	for (uint64_t a = lo; a < hi && s->uffd >= 0;) {
		uint64_t p = x->first + (a - x->vaddr) / pg->page, run = 0, done;
		int e;

		if (test_bit(s->settled, p)) {
			a += pg->page;
			continue;
		}
		while (a + run < hi && !test_bit(s->settled, p + run / pg->page) &&
		       (run == 0 || !s->nmoves))
			run += pg->page;
		if (!data)
			data = chunk_data(pg, x);
		e = place(s, forward(s, a),
			  data + ((uint64_t)x->raw_page * pg->page + (a - x->vaddr)), run, pg->page,
			  &done);
		for (uint64_t d = 0; d < done; d += pg->page)
			settle(s, p + d / pg->page);
		if (e == -ESRCH) {
			space_gone(s);
			return 0;
		}
		if (e < 0)
			return e;
		a += run;
	}
	return 0;
}

/* Every extent of @s in the chunk of extent @xi (they are next to each
 * other in image order). */
static int place_chunk(struct pager *pg, struct space *s, size_t xi)
{
	const struct lazy *lz = pg->lz;
	uint32_t chunk = lz->ext[xi].chunk_index;
	size_t i = xi;

	while (i > 0 && lz->ext[i - 1].chunk_index == chunk)
		i--;
	for (; i < lz->n && lz->ext[i].chunk_index == chunk && s->uffd >= 0; i++) {
		int e;

		if (lz->ext[i].mm_id != s->mm_id)
			continue;
		e = place_extent(pg, s, i, 0, UINT64_MAX);
		if (e < 0)
			return e;
	}
	return 0;
}

static void wake(struct space *s, uint64_t addr, uint64_t len)
{
	struct uffdio_range r = { .start = addr, .len = len };

	if (s->uffd >= 0)
		ioctl(s->uffd, UFFDIO_WAKE, &r);
}

static int serve_fault(struct pager *pg, struct space *s, uint64_t c)
{
	uint64_t o = backward(s, c);
	long xi = forward(s, o) == c ? find_extent(pg, s->mm_id, o) : -1;
	int e = 0;

	if (xi >= 0 && !test_bit(s->settled, pg->lz->ext[xi].first +
					     (o - pg->lz->ext[xi].vaddr) / pg->page)) {
		/* with moves pending, the page touched alone */
		e = s->nmoves ? place_extent(pg, s, xi, o, o + pg->page) : place_chunk(pg, s, xi);
	} else {
		struct uffdio_zeropage z = { .range = { .start = c, .len = pg->page } };

		if (ioctl(s->uffd, UFFDIO_ZEROPAGE, &z) < 0) {
			if (errno == EAGAIN)
				return -EAGAIN;
			if (errno == ESRCH) {
				space_gone(s);
				return 0;
			}
			/* EEXIST: it is there; ENOENT: not ours any more */
		}
	}
	if (e == 0)
		wake(s, c, pg->page);
	return e;
}

static int do_move(struct pager *pg, struct space *s)
{
	const struct move m = s->moves[0];
	const struct lazy *lz = pg->lz;

	for (size_t i = first_extent_from(pg, s->mm_id, m.from); i < lz->n && s->uffd >= 0; i++) {
		const struct lazy_extent *x = &lz->ext[lz->by_addr[i]];
		int e;

		if (x->mm_id != s->mm_id || x->vaddr >= m.from + m.len)
			break;
		e = place_extent(pg, s, lz->by_addr[i], m.from, m.from + m.len);
		if (e < 0)
			return e;
	}
	if (s->uffd >= 0) {
		memmove(s->moves, s->moves + 1, (s->nmoves - 1) * sizeof(*s->moves));
		s->nmoves--;
	}
	return 0;
}

static void push_task(struct pager *pg, enum task_kind kind, size_t space, uint64_t addr)
{
	if (pg->ntasks == pg->tasks_cap) {
		size_t cap = pg->tasks_cap ? 2 * pg->tasks_cap : 64;
		struct task *t = realloc(pg->tasks, cap * sizeof(*t));

		if (!t)
			pager_fail("out of memory");
		pg->tasks = t;
		pg->tasks_cap = cap;
	}
	pg->tasks[pg->ntasks++] = (struct task){ kind, space, addr };
}

/* The guard holds every uffd too: while it does, a pager's death leaves
 * touches waiting instead of filled with zeros. */
static void give_to_guard(struct pager *pg, int fd)
{
	char byte = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(pg->guard_sock, &mh, MSG_NOSIGNAL) != 1)
		log_warning("cannot hand a forked process's userfaultfd to the guard: %s",
			  strerror(errno));
}

static void forked(struct pager *pg, size_t parent, int fd)
{
	size_t words = (pg->lz->pages + 63) / 64 + 1;
	struct space *sp = realloc(pg->sp, (pg->nsp + 1) * sizeof(*sp)), *s, *p;

	if (!sp)
		pager_fail("out of memory");
	pg->sp = sp;
	p = &sp[parent];
	s = &sp[pg->nsp++];
	*s = (struct space){ .uffd = fd, .mm_id = p->mm_id, .pid = p->pid, .left = p->left };
	s->settled = malloc(words * sizeof(uint64_t));
	s->moves = p->nmoves ? malloc(p->nmoves * sizeof(struct move)) : NULL;
	if (!s->settled || (p->nmoves && !s->moves))
		pager_fail("out of memory");
	memcpy(s->settled, p->settled, words * sizeof(uint64_t));
	if (p->nmoves) {
		memcpy(s->moves, p->moves, p->nmoves * sizeof(struct move));
		s->nmoves = p->nmoves;
		for (size_t i = 0; i < s->nmoves; i++)
			push_task(pg, TASK_MOVE, pg->nsp - 1, 0);
	}
	give_to_guard(pg, fd);
	log_debug("pid %d forked: its child's pages are served too", p->pid);
}

static void add_move(struct pager *pg, size_t si, uint64_t from, uint64_t to, uint64_t len)
{
	struct space *s = &pg->sp[si];
	struct move *m = realloc(s->moves, (s->nmoves + 1) * sizeof(*m));

	if (!m)
		pager_fail("out of memory");
	s->moves = m;
	m[s->nmoves++] = (struct move){ from, to, len };
	push_task(pg, TASK_MOVE, si, 0);
}

/* Read what @si's uffd has: events at once, faults as tasks. */
static void read_messages(struct pager *pg, size_t si)
{
	struct uffd_msg msg[MSGS];

	for (;;) {
		ssize_t got;

		if (pg->sp[si].uffd < 0)
			return;
		got = read(pg->sp[si].uffd, msg, sizeof(msg));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		for (size_t i = 0; i < (size_t)got / sizeof(msg[0]); i++) {
			const struct uffd_msg *m = &msg[i];

			switch (m->event) {
			case UFFD_EVENT_PAGEFAULT:
				push_task(pg, TASK_FAULT, si,
					  m->arg.pagefault.address & ~(pg->page - 1));
				break;
			case UFFD_EVENT_FORK:
				forked(pg, si, (int)m->arg.fork.ufd);
				break;
			case UFFD_EVENT_REMAP:
				add_move(pg, si, m->arg.remap.from, m->arg.remap.to,
					 m->arg.remap.len);
				break;
			case UFFD_EVENT_REMOVE:
			case UFFD_EVENT_UNMAP:
				range_dropped(pg, &pg->sp[si], m->arg.remove.start,
					      m->arg.remove.end);
				break;
			default:
				break;
			}
		}
	}
}

/* Run the tasks in order; stop at one that must wait for an event. */
static void run_tasks(struct pager *pg)
{
	size_t done = 0;

	while (done < pg->ntasks) {
		const struct task *t = &pg->tasks[done];
		struct space *s = &pg->sp[t->space];
		int e = 0;

		if (s->uffd >= 0)
			e = t->kind == TASK_FAULT ? serve_fault(pg, s, t->addr) : do_move(pg, s);
		if (e == -EAGAIN)
			break;
		done++;
	}
	memmove(pg->tasks, pg->tasks + done, (pg->ntasks - done) * sizeof(*pg->tasks));
	pg->ntasks -= done;
}

/* Give back the image pages the background pass has passed. */
static void release_passed(struct pager *pg, uint64_t upto)
{
	upto &= ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	if (pg->image_fd < 0 || upto < pg->released + RELEASE_STEP)
		return;
	madvise((void *)(pg->image->base + pg->released), upto - pg->released, MADV_DONTNEED);
	posix_fadvise(pg->image_fd, (off_t)pg->released, (off_t)(upto - pg->released),
		      POSIX_FADV_DONTNEED);
	pg->released = upto;
}

/* One chunk of the background pass into every space; false when none is left. */
static uint64_t pages_left(const struct pager *pg)
{
	uint64_t left = 0;

	for (size_t i = 0; i < pg->nsp; i++)
		if (pg->sp[i].uffd >= 0)
			left += pg->sp[i].left;
	return left;
}

static bool background_step(struct pager *pg)
{
	const struct lazy *lz = pg->lz;
	size_t i = pg->background;

	if (i >= lz->n) {
		/* pages a pass left (a space that was moving, or made by a
		 * fork behind it): once more, unless a pass placed nothing */
		uint64_t left = pages_left(pg);

		if (!left)
			return false;
		if (left == pg->left_at_pass)
			pager_fail("pages that cannot be placed are left");
		pg->left_at_pass = left;
		pg->background = i = 0;
	}
	for (size_t si = 0; si < pg->nsp; si++) {
		struct space *s = &pg->sp[si];

		if (s->uffd < 0 || s->nmoves || s->mm_id != lz->ext[i].mm_id)
			continue;
		if (place_chunk(pg, s, i) == -EAGAIN)
			return true; /* an event first; this chunk again */
	}
	while (i < lz->n && lz->ext[i].chunk_index == lz->ext[pg->background].chunk_index)
		i++;
	pg->background = i;
	release_passed(pg, i < lz->n ? lz->ext[i].chunk_offset : pg->image->len);
	return true;
}

static bool all_home(const struct pager *pg)
{
	for (size_t i = 0; i < pg->nsp; i++)
		if (pg->sp[i].uffd >= 0 && pg->sp[i].left)
			return false;
	return true;
}

__attribute__((noreturn)) void pager_main(struct pager_setup *ps)
{
	struct pager pg = {
		.image = ps->image, .lz = ps->lz, .page = ps->image->hdr.page_size,
		.image_fd = ps->image_fd, .go_fd = ps->go_fd, .guard_sock = ps->guard_sock,
		.loaded = UINT32_MAX, .faults_only = getenv("FERRY_TEST_LAZY_FAULTS_ONLY") != NULL,
	};
	size_t words = (ps->lz->pages + 63) / 64 + 1;
	struct pollfd *pfd = NULL;

	if (ferry_inflater_init(&pg.inf) < 0)
		pager_fail("out of memory");
	pg.sp = calloc(ps->nspaces ? ps->nspaces : 1, sizeof(*pg.sp));
	if (!pg.sp)
		pager_fail("out of memory");
	for (size_t i = 0; i < ps->nspaces; i++) {
		struct space *s = &pg.sp[pg.nsp++];

		*s = (struct space){ .uffd = ps->spaces[i].uffd, .mm_id = ps->spaces[i].mm_id,
				     .pid = ps->spaces[i].pid };
		s->settled = calloc(words, sizeof(uint64_t));
		if (!s->settled)
			pager_fail("out of memory");
		for (size_t k = 0; k < ps->lz->n; k++)
			if (ps->lz->ext[k].mm_id == s->mm_id)
				s->left += ps->lz->ext[k].pages;
	}
	pg.released = ps->image->hdr.chunks_offset & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	pg.left_at_pass = UINT64_MAX;
	for (;;) {
		bool more = !pg.faults_only && pg.go_fd < 0;
		size_t n = 0;
		int k;

		if (pg.go_fd < 0 && all_home(&pg))
			_exit(0);
		free(pfd);
		pfd = calloc(pg.nsp + 1, sizeof(*pfd));
		if (!pfd)
			pager_fail("out of memory");
		for (size_t i = 0; i < pg.nsp; i++)
			pfd[n++] = (struct pollfd){ .fd = pg.sp[i].uffd, .events = POLLIN };
		if (pg.go_fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = pg.go_fd, .events = POLLIN };
		k = poll(pfd, n, more || pg.ntasks ? 0 : -1);
		if (k < 0 && errno != EINTR)
			pager_fail("poll failed");
		if (pg.go_fd >= 0 && pfd[n - 1].revents) {
			char c;

			if (read(pg.go_fd, &c, 1) <= 0) {
				/* the restorer is done: the processes run, or were removed */
				close(pg.go_fd);
				pg.go_fd = -1;
			}
		}
		for (size_t i = 0; i < pg.nsp; i++)
			if (pg.sp[i].uffd >= 0)
				read_messages(&pg, i);
		run_tasks(&pg);
		if (more && !pg.ntasks)
			background_step(&pg);
	}
}
