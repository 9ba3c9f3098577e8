/* SPDX-License-Identifier: MIT */
/*
 * Page contents: each chunk of the image goes into the address space it
 * belongs to with one process_vm_writev (all its extents at once: one copy,
 * from the image itself for a stored chunk, from the inflated pages for a
 * deflated one). Workers take chunks in turn: one per CPU for an image with
 * deflated chunks, whose inflating is work for a CPU; one for a stored
 * image, where the bound is the kernel making the target's pages, which a
 * second thread writing into the same address space only slows (1 GiB of
 * random pages here: 1.6 s with one worker, 2.0 s with two, medians of 4).
 *
 * The payload CRC of a chunk is checked as it is used, not in a pass over
 * the whole image first: load_image() verified the header, metadata,
 * descriptors and digest, and a chunk whose payload does not match fails
 * the restore before any process runs (the stubs are killed).
 *
 * The restorer's memory stays bounded whatever the image size: pages of an
 * image file that every worker has passed are unmapped and dropped from the
 * page cache as the workers go.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

#define MAX_WORKERS 4
#define WRITE_IOVS 1024           /* IOV_MAX */
#define RELEASE_STEP (4ull << 20) /* release image pages in steps of this */
/* no worker starts a chunk further than this past the oldest one in work,
 * so that a stalled worker does not leave the image mapped behind it */
#define WORK_WINDOW (16ull << 20)

struct page_pass {
	struct rst *r;
	pthread_mutex_t lock;
	pthread_cond_t passed; /* a worker finished a chunk */
	struct ferry_chunk_cursor cur;
	int error;      /* first failure, -errno */
	bool done;      /* no chunk left */
	uint64_t busy[MAX_WORKERS]; /* offset of the chunk a worker is on, or UINT64_MAX */
	uint64_t released;          /* image bytes released from the start */
};

struct page_worker {
	struct page_pass *pass;
	int slot;
	pthread_t thread;
	struct ferry_inflater inf;
	uint8_t *buf;
	size_t buf_len;
	struct iovec remote[WRITE_IOVS];
};

static struct rproc *find_mm_owner(struct rst *r, uint32_t mm_id)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].mm->id == mm_id)
			return &r->procs[i];
	return NULL;
}

/* Is [start, end) covered by areas (an extent may span adjacent ones)?
 * Areas are in ascending order. */
static bool inside_areas(const struct st_mm *mm, uint64_t start, uint64_t end)
{
	while (start < end) {
		size_t lo = 0, hi = mm->nareas;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (mm->areas[mid].end <= start)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == mm->nareas || start < mm->areas[lo].start)
			return false;
		start = mm->areas[lo].end;
	}
	return true;
}

/* Write @len bytes at @buf to the extents [@first, @first + @n) of @ch. */
static int write_extents(struct page_worker *k, struct rproc *rp, const struct ferry_chunk *ch,
			 uint32_t first, uint32_t n, const uint8_t *buf, size_t len)
{
	uint64_t page_size = k->pass->r->image.hdr.page_size;
	struct iovec local = { .iov_base = (void *)buf, .iov_len = len };
	ssize_t got = process_vm_writev(rp->pid, &local, 1, k->remote, n, 0);
	size_t at = 0;

	if (got == (ssize_t)len)
		return 0;
	if (got < 0)
		got = 0;
	/* what it could not write (a page without PROT_WRITE): through
	 * /proc/PID/mem, which writes whatever the protection */
	for (uint32_t i = 0; i < n; i++) {
		struct ferry_extent ext;
		size_t elen;

		ferry_chunk_extent(ch, first + i, &ext);
		elen = (size_t)ext.page_count * page_size;
		if ((size_t)got < at + elen) {
			size_t done = (size_t)got > at ? (size_t)got - at : 0;
			int e = mem_write(rp->memfd, ext.vaddr + done, buf + at + done, elen - done);

			if (e < 0)
				return log_error_errno(e, "pid %d: cannot write %u pages at %#llx", rp->pid,
						ext.page_count, (unsigned long long)ext.vaddr);
		}
		at += elen;
	}
	return 0;
}

/* Write the @n extents gathered in k->remote (from @first), whose pages
 * are at @buf, with one process_vm_writev; *at moves past them. */
static int flush_extents(struct page_worker *k, struct rproc *rp, const struct ferry_chunk *ch,
			 uint32_t first, uint32_t n, const uint8_t *buf, size_t *at)
{
	size_t run = 0;
	int e;

	if (n == 0)
		return 0;
	for (uint32_t j = 0; j < n; j++)
		run += k->remote[j].iov_len;
	e = write_extents(k, rp, ch, first, n, buf, run);
	if (e == 0)
		*at += run;
	return e;
}

/*
 * A lazy restore's extent that spans areas (adjacent mappings), some
 * registered with the uffd and some not: each piece on its own, the
 * pager's listed, the others written (through /proc/PID/mem: the pages of
 * a registered area must not be touched here, the pager does not run yet).
 * *ret_lazy counts the pager's pages.
 */
static int split_extent(struct rst *r, struct rproc *rp, const struct ferry_chunk *ch,
			const struct ferry_extent *ext, const uint8_t *buf, size_t at,
			uint32_t *ret_lazy)
{
	uint64_t page_size = r->image.hdr.page_size;
	uint64_t a = ext->vaddr, end = ext->vaddr + (uint64_t)ext->page_count * page_size;

	while (a < end) {
		const struct st_area *area = NULL;
		size_t i;
		uint64_t b;
		int e;

		for (i = 0; i < rp->mm->nareas; i++)
			if (a >= rp->mm->areas[i].start && a < rp->mm->areas[i].end) {
				area = &rp->mm->areas[i];
				break;
			}
		if (!area)
			return log_error_errno(-EINVAL, "pid %d: image pages at %#llx are outside its memory "
					"areas", rp->pid, (unsigned long long)a);
		b = area->end < end ? area->end : end;
		if (restore_uffd_area(rp, a, b) >= 0) {
			struct ferry_extent piece = { .vaddr = a,
						      .page_count = (uint32_t)((b - a) / page_size) };

			e = restore_lazy_add(r, rp, ch, &piece,
					     (uint32_t)((at + (a - ext->vaddr)) / page_size));
			*ret_lazy += piece.page_count;
		} else {
			e = mem_write(rp->memfd, a, buf + (a - ext->vaddr), b - a);
			if (e < 0)
				log_error_errno(e, "pid %d: cannot write %llu pages at %#llx", rp->pid,
					 (unsigned long long)((b - a) / page_size),
					 (unsigned long long)a);
		}
		if (e < 0)
			return e;
		a = b;
	}
	return 0;
}

/* Are all pages of @ch left to the pager of a lazy restore? Then a
 * deflated chunk is not inflated here. */
static bool all_lazy(struct rst *r, const struct rproc *rp, const struct ferry_chunk *ch)
{
	uint64_t page_size = r->image.hdr.page_size;

	if (!r->lazy)
		return false;
	for (uint32_t i = 0; i < ch->extent_count; i++) {
		struct ferry_extent ext;

		ferry_chunk_extent(ch, i, &ext);
		if (restore_uffd_area(rp, ext.vaddr,
				      ext.vaddr + (uint64_t)ext.page_count * page_size) < 0)
			return false;
	}
	return true;
}

static int restore_chunk(struct page_worker *k, const struct ferry_chunk *ch)
{
	struct rst *r = k->pass->r;
	struct rproc *rp = find_mm_owner(r, ch->mm_id);
	uint64_t page_size = r->image.hdr.page_size;
	struct ferry_diag diag = { 0 };
	const uint8_t *pages = ch->payload;
	size_t at = 0;
	uint32_t first = 0, lazy = 0;
	int e;

	if (!rp)
		return log_error_errno(-EINVAL, "image chunk %u: address space %u is not in the image",
				ch->index, ch->mm_id);
	/* a lazy restore too checks every payload before any process runs */
	e = ferry_chunk_check_payload(ch, &diag);
	if (e < 0)
		return log_error_errno(-EIO, "image chunk %u: %s", ch->index, ferry_strerror(e));
	if (ch->encoding != FERRY_ENCODING_STORED && !all_lazy(r, rp, ch)) {
		if (k->buf_len < ch->raw_size) {
			free(k->buf);
			k->buf = malloc(ch->raw_size);
			k->buf_len = k->buf ? ch->raw_size : 0;
			if (!k->buf)
				return -ENOMEM;
		}
		e = ferry_chunk_inflate(&k->inf, ch, k->buf, k->buf_len, &diag);
		if (e < 0)
			return log_error_errno(-EIO, "image chunk %u: %s", ch->index, ferry_strerror(e));
		pages = k->buf;
	}
	for (uint32_t i = 0; i < ch->extent_count; i++) {
		struct ferry_extent ext;
		uint64_t len;

		ferry_chunk_extent(ch, i, &ext);
		len = (uint64_t)ext.page_count * page_size;
		if (!inside_areas(rp->mm, ext.vaddr, ext.vaddr + len))
			return log_error_errno(-EINVAL, "pid %d: image pages at %#llx (%u) are outside "
					"its memory areas", rp->pid, (unsigned long long)ext.vaddr,
					ext.page_count);
		if (restore_uffd_spans(rp, ext.vaddr, ext.vaddr + len)) {
			/* partly the pager's */
			e = flush_extents(k, rp, ch, first, i - first, pages + at, &at);
			if (e == 0)
				e = split_extent(r, rp, ch, &ext, pages + at, at, &lazy);
			if (e < 0)
				return e;
			at += len;
			first = i + 1;
			continue;
		}
		if (restore_uffd_area(rp, ext.vaddr, ext.vaddr + len) >= 0) {
			/* the extents gathered so far first; this one is the pager's */
			e = flush_extents(k, rp, ch, first, i - first, pages + at, &at);
			if (e == 0)
				e = restore_lazy_add(r, rp, ch, &ext, (uint32_t)(at / page_size));
			lazy += ext.page_count;
			if (e < 0)
				return e;
			at += len;
			first = i + 1;
			continue;
		}
		k->remote[i - first] = (struct iovec){ .iov_base = (void *)(uintptr_t)ext.vaddr,
						       .iov_len = len };
		if (i - first + 1 == WRITE_IOVS || i + 1 == ch->extent_count) {
			e = flush_extents(k, rp, ch, first, i - first + 1, pages + at, &at);
			if (e < 0)
				return e;
			first = i + 1;
		}
	}
	__atomic_fetch_add(&rp->pages, ch->page_count - lazy, __ATOMIC_RELAXED);
	return 0;
}

/* Unmap [from, to) of an image file and drop it from the page cache. */
static void release_range(struct rst *r, uint64_t from, uint64_t to)
{
	madvise((void *)(r->image.base + from), to - from, MADV_DONTNEED);
	posix_fadvise(r->image_fd, (off_t)from, (off_t)(to - from), POSIX_FADV_DONTNEED);
}

/*
 * Everything ferry_image_verify() checks but the payload CRCs, which
 * restore_chunk() checks as it uses each payload. Reading a descriptor
 * maps the pages around it, so the walk gives back what it has passed.
 * Returns 0 or the format error, described in @diag.
 */
int restore_verify_image(struct rst *r, struct ferry_diag *diag)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk ch;
	struct ferry_verify v;
	uint64_t released = r->image.hdr.chunks_offset & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	int k;

	k = ferry_verify_begin(&v, &r->image, diag);
	if (k < 0)
		return k;
	ferry_chunk_cursor_init(&r->image, &cur);
	while ((k = ferry_chunk_next(&r->image, &cur, &ch, diag)) > 0) {
		ferry_verify_chunk(&v, &ch);
		if (r->image_fd >= 0 && ch.offset >= released + 2 * RELEASE_STEP) {
			release_range(r, released, released + RELEASE_STEP);
			released += RELEASE_STEP;
		}
	}
	if (r->image_fd >= 0 && r->image.len > released)
		release_range(r, released, r->image.len);
	if (k < 0) {
		/* the walk stopped early: only the digest state goes */
		ferry_verify_end(&v, NULL);
		return k;
	}
	return ferry_verify_end(&v, diag);
}

/*
 * Give back the image pages below every chunk still in work: unmap them
 * from the restorer and drop them from the page cache (a disk-backed image
 * is not kept there whole). Called with the lock held.
 */
static uint64_t oldest_in_work(const struct page_pass *p)
{
	uint64_t low = p->done ? p->r->image.len : p->cur.next_offset;

	for (int i = 0; i < MAX_WORKERS; i++)
		if (p->busy[i] < low)
			low = p->busy[i];
	return low;
}

static void release_passed(struct page_pass *p)
{
	struct rst *r = p->r;
	uint64_t low = oldest_in_work(p) & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);

	if (r->image_fd < 0)
		return; /* an image in memory (the region) is not ours to drop */
	if (low < p->released + RELEASE_STEP && !(p->done && low > p->released))
		return;
	release_range(r, p->released, low);
	p->released = low;
}

static void *worker_main(void *arg)
{
	struct page_worker *k = arg;
	struct page_pass *p = k->pass;

	for (;;) {
		struct ferry_diag diag = { 0 };
		struct ferry_chunk ch;
		int more, e;

		pthread_mutex_lock(&p->lock);
		p->busy[k->slot] = UINT64_MAX;
		release_passed(p);
		pthread_cond_broadcast(&p->passed);
		while (!p->error && !p->done && p->cur.next_offset > oldest_in_work(p) + WORK_WINDOW)
			pthread_cond_wait(&p->passed, &p->lock);
		if (p->error || p->done) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		more = ferry_chunk_next(&p->r->image, &p->cur, &ch, &diag);
		if (more < 0)
			p->error = log_error_errno(-EIO, "image: %s", ferry_strerror(more));
		else if (more == 0)
			p->done = true;
		else
			p->busy[k->slot] = ch.offset;
		pthread_mutex_unlock(&p->lock);
		if (more <= 0)
			continue;
		e = restore_chunk(k, &ch);
		if (e < 0) {
			pthread_mutex_lock(&p->lock);
			if (!p->error)
				p->error = e;
			pthread_mutex_unlock(&p->lock);
		}
	}
}

int restore_pages(struct rst *r)
{
	struct page_pass pass = { .r = r };
	struct page_worker *workers;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = ncpu < 1 ? 1 : ncpu > MAX_WORKERS ? MAX_WORKERS : (int)ncpu, started = 0;

	if (!(r->image.hdr.flags & FERRY_FLAG_COMPRESSED))
		n = 1;

	workers = calloc(n, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (int i = 0; i < MAX_WORKERS; i++)
		pass.busy[i] = UINT64_MAX;
	pthread_mutex_init(&pass.lock, NULL);
	pthread_cond_init(&pass.passed, NULL);
	ferry_chunk_cursor_init(&r->image, &pass.cur);
	pass.released = pass.cur.next_offset & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	for (int i = 0; i < n; i++) {
		workers[i].pass = &pass;
		workers[i].slot = i;
		if (ferry_inflater_init(&workers[i].inf) < 0) {
			pass.error = -ENOMEM;
			n = i;
			break;
		}
	}
	for (size_t i = 0; i < r->nprocs && !pass.error; i++)
		pass.error = restore_uffd_attach(r, &r->procs[i]);
	/* the calling thread is worker 0 */
	for (int i = 1; i < n && !pass.error; i++, started++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
			break;
	if (!pass.error)
		worker_main(&workers[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(workers[i].thread, NULL);
	/* a lazy restore keeps them registered for the pager */
	for (size_t i = 0; i < r->nprocs && pass.error; i++)
		restore_uffd_detach(&r->procs[i]);
	for (int i = 0; i < n; i++) {
		ferry_inflater_fini(&workers[i].inf);
		free(workers[i].buf);
	}
	free(workers);
	pthread_mutex_destroy(&pass.lock);
	pthread_cond_destroy(&pass.passed);
	return pass.error;
}
