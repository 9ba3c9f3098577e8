/* SPDX-License-Identifier: MIT */
/*
 * Streaming image writer (SPEC.md §6). Host side only: uses malloc,
 * threads and libdeflate. Memory is fixed at begin() by the chunk size.
 *
 * The caller's thread fills raw chunk buffers (zero test and payload CRC
 * per page, while it is in cache). With compression on, a page that looks
 * random (a byte sample with many distinct values) goes to a chunk that is
 * stored, every other page to one that may be deflated, so random or
 * compressed pages among compressible ones cost no deflate time. A full
 * chunk goes to a queue. Workers
 * take chunks from it, deflate them where a sample says it pays, and
 * commit them in chunk order: the sink write, the digest and the header
 * totals, one worker at a time. With threads = 1 the caller's thread does
 * all of it, in the same order, so the bytes are the same either way.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "ferry/writer.h"
#include "crc.h"
#include "digest.h"
#include "fdt_check.h"
#include "layout.h"
#include "le.h"

#define DEFAULT_CHUNK_PAGES 256u
#define MAX_WORKERS 4u
/* a chunk is deflated only when its sample shrinks below 15/16 */
#define SAMPLE_PAGES 2u
#define SAMPLE_KEEP_NUM 15u
#define SAMPLE_KEEP_DEN 16u

struct chunk_job {
	struct chunk_job *next;
	uint64_t seq;
	uint32_t mm_id, pages, nextents;
	uint32_t raw_crc; /* CRC of the raw pages, for a stored chunk */
	int may_deflate;  /* filled with pages that did not look random */
	uint8_t *raw;     /* chunk_pages * page_size */
	struct ferry_extent *extents; /* chunk_pages: one per page at most */
};

struct worker {
	struct ferry_writer *w;
	pthread_t thread;
	struct libdeflate_compressor *deflate;
	uint8_t *packed; /* deflate output, chunk size */
	uint8_t *sample; /* deflate output of the sample */
	size_t sample_size;
	uint8_t *record; /* descriptor and extents */
};

struct ferry_writer {
	struct ferry_sink sink;
	struct ferry_header hdr;
	struct ferry_digest digest;
	uint64_t pos; /* where the next record goes; the committing worker's */
	int level;
	int failed; /* sticky first error (atomic) */
	int sealed;

	uint32_t chunk_pages;
	size_t chunk_bytes;
	struct chunk_job *jobs;
	size_t njobs;
	struct chunk_job *cur;  /* being filled by the caller; hands out page space */
	struct chunk_job *cur_deflate; /* level > 0: pages that may compress */
	struct worker *workers;
	unsigned nworkers;     /* 0: the caller's thread commits */
	unsigned nslots;       /* worker buffers allocated: nworkers, or 1 */
	int threads_started;
	int lock_ready;

	pthread_mutex_t lock;
	pthread_cond_t changed; /* the queue, the free list or next_commit moved */
	struct chunk_job *queue_head, *queue_tail, *free_list;
	uint64_t next_seq;    /* given to the next chunk flushed */
	uint64_t next_commit; /* the chunk whose turn it is to be written */
	int stopping;
};

static int get_failed(struct ferry_writer *w)
{
	return __atomic_load_n(&w->failed, __ATOMIC_ACQUIRE);
}

static void set_failed(struct ferry_writer *w, int r)
{
	int expected = 0;

	__atomic_compare_exchange_n(&w->failed, &expected, r, 0, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
}

static int sink_write(struct ferry_writer *w, const void *buf, size_t len, uint64_t off)
{
	int r;

	if (get_failed(w))
		return get_failed(w);
	r = w->sink.write(w->sink.ctx, buf, len, off);
	if (r < 0)
		set_failed(w, r);
	return r;
}

static int sink_barrier(struct ferry_writer *w)
{
	int r;

	if (get_failed(w))
		return get_failed(w);
	if (!w->sink.barrier)
		return 0;
	r = w->sink.barrier(w->sink.ctx);
	if (r < 0)
		set_failed(w, r);
	return r;
}

static int write_zeros(struct ferry_writer *w, size_t n, uint64_t off)
{
	static const uint8_t zeros[8];

	return n ? sink_write(w, zeros, n, off) : 0;
}

/* ---- compressing and committing a chunk (a worker, or the caller) ---------- */

/*
 * Does deflating pay for this chunk? Compress a few of its pages: random
 * or already compressed data (the common incompressible case) fails here
 * for a small part of the cost of deflating the whole chunk.
 */
static int sample_compresses(struct ferry_writer *w, struct worker *k, const struct chunk_job *j)
{
	size_t ps = w->hdr.page_size, in = 0, out = 0;
	uint32_t step = j->pages / SAMPLE_PAGES;

	for (uint32_t s = 0; s < SAMPLE_PAGES && s * step < j->pages; s++) {
		size_t n = libdeflate_deflate_compress(k->deflate, j->raw + (size_t)s * step * ps, ps,
						       k->sample, k->sample_size);

		in += ps;
		out += n ? n : ps;
		if (step == 0)
			break;
	}
	return out * SAMPLE_KEEP_DEN < in * SAMPLE_KEEP_NUM;
}

/* The deflated size of the chunk in k->packed, or 0: store it. */
static uint32_t deflate_chunk(struct ferry_writer *w, struct worker *k, const struct chunk_job *j)
{
	size_t raw_size = (size_t)j->pages * w->hdr.page_size;

	if (!w->level || !j->may_deflate || !sample_compresses(w, k, j))
		return 0;
	return (uint32_t)libdeflate_deflate_compress(k->deflate, j->raw, raw_size, k->packed,
						     raw_size - 1);
}

/* Encode the descriptor of @j into k->record; its size. */
static size_t encode_descriptor(struct worker *k, const struct chunk_job *j, uint16_t encoding,
				uint32_t stored, uint32_t payload_crc)
{
	size_t desc_size = FERRY_CHUNK_DESC_SIZE + (size_t)j->nextents * FERRY_EXTENT_SIZE;
	uint8_t *d = k->record;
	uint32_t crc;

	memset(d, 0, desc_size);
	le32_store(d + CHK_MAGIC, FERRY_CHUNK_MAGIC);
	le32_store(d + CHK_INDEX, (uint32_t)j->seq);
	le32_store(d + CHK_MM_ID, j->mm_id);
	le16_store(d + CHK_ENCODING, encoding);
	le16_store(d + CHK_EXTENT_COUNT, (uint16_t)j->nextents);
	le32_store(d + CHK_PAGE_COUNT, j->pages);
	le32_store(d + CHK_STORED_SIZE, stored);
	le32_store(d + CHK_PAYLOAD_CRC, payload_crc);
	for (uint32_t i = 0; i < j->nextents; i++) {
		uint8_t *e = d + FERRY_CHUNK_DESC_SIZE + (size_t)i * FERRY_EXTENT_SIZE;

		le64_store(e + EXT_VADDR, j->extents[i].vaddr);
		le32_store(e + EXT_PAGE_COUNT, j->extents[i].page_count);
	}
	crc = ferry_crc32(0, d, CHK_DESC_CRC);
	crc = ferry_crc32(crc, d + FERRY_CHUNK_DESC_SIZE, desc_size - FERRY_CHUNK_DESC_SIZE);
	le32_store(d + CHK_DESC_CRC, crc);
	return desc_size;
}

/* Write the record of @j at w->pos; only the chunk whose turn it is. */
static void commit_record(struct ferry_writer *w, const uint8_t *record, size_t desc_size,
			  uint32_t pages, uint16_t encoding, const uint8_t *payload,
			  uint32_t stored)
{
	size_t raw_size = (size_t)pages * w->hdr.page_size;
	int r;

	if (get_failed(w))
		return;
	r = sink_write(w, record, desc_size, w->pos);
	if (r == 0)
		r = sink_write(w, payload, stored, w->pos + desc_size);
	if (r == 0)
		r = write_zeros(w, FERRY_ALIGN8(desc_size + stored) - (desc_size + stored),
				w->pos + desc_size + stored);
	if (r < 0)
		return;
	ferry_digest_update(&w->digest, record, desc_size);
	w->pos += FERRY_ALIGN8(desc_size + stored);
	w->hdr.chunk_count++;
	w->hdr.page_bytes_raw += raw_size;
	w->hdr.page_bytes_stored += stored;
	if (encoding == FERRY_ENCODING_DEFLATE)
		w->hdr.flags |= FERRY_FLAG_COMPRESSED;
}

static void commit_chunk(struct ferry_writer *w, struct worker *k, const struct chunk_job *j,
			 size_t desc_size, uint16_t encoding, const uint8_t *payload,
			 uint32_t stored)
{
	commit_record(w, k->record, desc_size, j->pages, encoding, payload, stored);
}

/* Compress and describe @j (in parallel), then commit it in its turn. */
static void process_chunk(struct ferry_writer *w, struct worker *k, struct chunk_job *j)
{
	uint32_t packed = get_failed(w) ? 0 : deflate_chunk(w, k, j);
	uint16_t encoding = packed ? FERRY_ENCODING_DEFLATE : FERRY_ENCODING_STORED;
	const uint8_t *payload = packed ? k->packed : j->raw;
	uint32_t stored = packed ? packed : j->pages * w->hdr.page_size;
	uint32_t crc = packed ? ferry_crc32(0, k->packed, packed) : j->raw_crc;
	size_t desc_size = encode_descriptor(k, j, encoding, stored, crc);

	if (w->nworkers) {
		pthread_mutex_lock(&w->lock);
		while (w->next_commit != j->seq)
			pthread_cond_wait(&w->changed, &w->lock);
		pthread_mutex_unlock(&w->lock);
	}
	commit_chunk(w, k, j, desc_size, encoding, payload, stored);
	if (w->nworkers) {
		pthread_mutex_lock(&w->lock);
		w->next_commit++;
		j->next = w->free_list;
		w->free_list = j;
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
	} else {
		w->next_commit++;
	}
}

static void *worker_main(void *arg)
{
	struct worker *k = arg;
	struct ferry_writer *w = k->w;

	for (;;) {
		struct chunk_job *j;

		pthread_mutex_lock(&w->lock);
		while (!w->queue_head && !w->stopping)
			pthread_cond_wait(&w->changed, &w->lock);
		j = w->queue_head;
		if (!j) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		w->queue_head = j->next;
		if (!w->queue_head)
			w->queue_tail = NULL;
		pthread_mutex_unlock(&w->lock);
		process_chunk(w, k, j);
	}
}

/* ---- filling chunks (the caller's thread) ---------------------------------- */

static void job_reset(struct chunk_job *j)
{
	j->pages = 0;
	j->nextents = 0;
	j->raw_crc = 0;
}

/* Hand the chunk in @slot (w->cur or w->cur_deflate) on, put an empty one there. */
static int flush_chunk(struct ferry_writer *w, struct chunk_job **slot)
{
	struct chunk_job *j = *slot;
	int may_deflate = j->may_deflate;

	if (j->pages == 0)
		return get_failed(w);
	j->seq = w->next_seq++;
	if (!w->nworkers) {
		process_chunk(w, &w->workers[0], j);
		job_reset(j);
		return get_failed(w);
	}
	pthread_mutex_lock(&w->lock);
	j->next = NULL;
	if (w->queue_tail)
		w->queue_tail->next = j;
	else
		w->queue_head = j;
	w->queue_tail = j;
	pthread_cond_broadcast(&w->changed);
	while (!w->free_list)
		pthread_cond_wait(&w->changed, &w->lock);
	*slot = w->free_list;
	w->free_list = (*slot)->next;
	pthread_mutex_unlock(&w->lock);
	job_reset(*slot);
	(*slot)->may_deflate = may_deflate;
	return get_failed(w);
}

/* Wait until every chunk flushed so far is committed. */
static void drain(struct ferry_writer *w)
{
	if (!w->nworkers)
		return;
	pthread_mutex_lock(&w->lock);
	while (w->next_commit != w->next_seq)
		pthread_cond_wait(&w->changed, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void stop_workers(struct ferry_writer *w)
{
	if (!w->threads_started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->nworkers; i++)
		pthread_join(w->workers[i].thread, NULL);
	w->threads_started = 0;
}

static int setup_workers(struct ferry_writer *w, unsigned threads)
{
	unsigned nk;

	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n < 1 ? 1 : n > (long)MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
	}
	if (threads > MAX_WORKERS)
		threads = MAX_WORKERS;
	/* threads = 1: no worker, the caller commits with workers[0]'s buffers */
	w->nworkers = threads > 1 ? threads : 0;
	nk = w->nworkers ? w->nworkers : 1;
	w->nslots = nk;
	/* two being filled, one per worker, one more so the filling never waits */
	w->njobs = w->nworkers ? w->nworkers + 3 : 2;
	w->workers = calloc(nk, sizeof(*w->workers));
	w->jobs = calloc(w->njobs, sizeof(*w->jobs));
	if (!w->workers || !w->jobs)
		return -FERRY_ERR_NOMEM;
	for (size_t i = 0; i < w->njobs; i++) {
		w->jobs[i].raw = malloc(w->chunk_bytes);
		w->jobs[i].extents = calloc(w->chunk_pages, sizeof(struct ferry_extent));
		if (!w->jobs[i].raw || !w->jobs[i].extents)
			return -FERRY_ERR_NOMEM;
		if (i > 1) {
			w->jobs[i].next = w->free_list;
			w->free_list = &w->jobs[i];
		}
	}
	w->cur = &w->jobs[0];
	w->cur_deflate = &w->jobs[1];
	w->cur_deflate->may_deflate = 1;
	for (unsigned i = 0; i < nk; i++) {
		struct worker *k = &w->workers[i];

		k->w = w;
		k->record = malloc(FERRY_CHUNK_DESC_SIZE + (size_t)w->chunk_pages * FERRY_EXTENT_SIZE);
		if (!k->record)
			return -FERRY_ERR_NOMEM;
		if (w->level == 0)
			continue;
		k->deflate = libdeflate_alloc_compressor(w->level);
		k->packed = malloc(w->chunk_bytes);
		k->sample_size = libdeflate_deflate_compress_bound(k->deflate, w->hdr.page_size);
		k->sample = malloc(k->sample_size);
		if (!k->deflate || !k->packed || !k->sample)
			return -FERRY_ERR_NOMEM;
	}
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		return -FERRY_ERR_NOMEM;
	if (pthread_cond_init(&w->changed, NULL) != 0) {
		pthread_mutex_destroy(&w->lock);
		return -FERRY_ERR_NOMEM;
	}
	w->lock_ready = 1;
	for (unsigned i = 0; i < w->nworkers; i++) {
		if (pthread_create(&w->workers[i].thread, NULL, worker_main, &w->workers[i]) != 0) {
			w->nworkers = i; /* the ones started are joined */
			w->threads_started = i > 0;
			return -FERRY_ERR_NOMEM;
		}
		w->threads_started = 1;
	}
	return 0;
}

int ferry_writer_begin(struct ferry_writer **ret, const struct ferry_sink *sink,
		       const struct ferry_writer_options *opts, const void *fdt, size_t fdt_size)
{
	struct ferry_writer *w;
	uint8_t raw_header[FERRY_HEADER_SIZE];
	int r;

	if (!ret || !sink || !sink->write || !opts || !fdt)
		return -FERRY_ERR_INVAL;
	/* never write an image whose readers would refuse its metadata */
	if (fdt_size > FERRY_METADATA_MAX ||
	    ferry_fdt_check(fdt, fdt_size, -FERRY_ERR_METADATA, "metadata", 0, NULL) < 0)
		return -FERRY_ERR_METADATA;
	if (opts->level < 0 || opts->level > 9)
		return -FERRY_ERR_INVAL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -FERRY_ERR_NOMEM;
	w->sink = *sink;
	w->level = opts->level;
	w->hdr.version_major = FERRY_IMAGE_VERSION_MAJOR;
	w->hdr.version_minor = FERRY_IMAGE_VERSION_MINOR;
	w->hdr.header_size = FERRY_HEADER_SIZE;
	w->hdr.page_size = opts->page_size ? opts->page_size : 4096;
	w->hdr.created_sec = opts->created_sec;
	w->hdr.created_nsec = opts->created_nsec;
	w->chunk_pages = opts->chunk_pages ? opts->chunk_pages : DEFAULT_CHUNK_PAGES;
	if (w->chunk_pages > FERRY_CHUNK_MAX_PAGES || (w->hdr.page_size & (w->hdr.page_size - 1)) ||
	    w->hdr.page_size < 4096 || w->hdr.page_size > 65536 || opts->created_nsec >= 1000000000u) {
		free(w);
		return -FERRY_ERR_INVAL;
	}
	if (opts->kernel_release)
		strncpy(w->hdr.kernel_release, opts->kernel_release, FERRY_RELEASE_LEN);
	if (opts->machine)
		strncpy(w->hdr.machine, opts->machine, FERRY_MACHINE_LEN);
	if (opts->ferry_version)
		strncpy(w->hdr.ferry_version, opts->ferry_version, FERRY_VERSION_LEN);

	w->chunk_bytes = (size_t)w->chunk_pages * w->hdr.page_size;
	r = setup_workers(w, opts->threads);
	if (r < 0) {
		ferry_writer_free(w);
		return r;
	}

	w->hdr.metadata_offset = FERRY_HEADER_SIZE;
	w->hdr.metadata_size = fdt_size;
	w->hdr.chunks_offset = FERRY_ALIGN8(FERRY_HEADER_SIZE + fdt_size);

	/* an unsealed header first: a reader of a half-written image says so */
	ferry_header_encode(&w->hdr, raw_header);
	r = sink_write(w, raw_header, sizeof(raw_header), 0);
	if (r == 0)
		r = sink_write(w, fdt, fdt_size, w->hdr.metadata_offset);
	if (r == 0)
		r = write_zeros(w, w->hdr.chunks_offset - (FERRY_HEADER_SIZE + fdt_size),
				FERRY_HEADER_SIZE + fdt_size);
	if (r < 0) {
		ferry_writer_free(w);
		return r;
	}
	ferry_digest_begin(&w->digest);
	ferry_digest_update(&w->digest, fdt, fdt_size);
	w->pos = w->hdr.chunks_offset;
	*ret = w;
	return 0;
}

static int page_is_zero(const uint8_t *p, size_t n)
{
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Is @p inside the current chunk's buffer (handed out as page space)? */
static int in_page_space(const struct ferry_writer *w, const uint8_t *p)
{
	return p >= w->cur->raw && p < w->cur->raw + w->chunk_bytes;
}

/*
 * Does the page look random? 256 bytes sampled from 8 places of random
 * data take about 160 distinct values, text and typical program data far
 * fewer.
 * This costs a small part of copying the page (the 8 places are counted
 * apart, so the loads do not wait on each other); deflating such a page
 * costs a hundred times more and gains nothing.
 */
static int page_looks_random(const uint8_t *p, size_t n)
{
	uint64_t seen[8][4] = { { 0 } }, all[4];
	unsigned distinct = 0;

	for (size_t i = 0; i < 32; i++)
		for (size_t part = 0; part < 8; part++) {
			uint8_t b = p[part * (n / 8) + i];

			seen[part][b >> 6] |= 1ull << (b & 63);
		}
	for (int w = 0; w < 4; w++) {
		all[w] = 0;
		for (int part = 0; part < 8; part++)
			all[w] |= seen[part][w];
		distinct += (unsigned)__builtin_popcountll(all[w]);
	}
	return distinct > 128;
}

static int append_page(struct ferry_writer *w, uint32_t mm_id, uint64_t vaddr, const uint8_t *page)
{
	const uint64_t ps = w->hdr.page_size;
	struct chunk_job **slot = w->level && !page_looks_random(page, ps) ? &w->cur_deflate
									   : &w->cur;
	struct chunk_job *j = *slot;
	struct ferry_extent *last = j->nextents ? &j->extents[j->nextents - 1] : NULL;
	/* the last extent's last page, not its end: the end of an extent at the
	 * top of the address space wraps to 0, and nothing continues it */
	uint64_t last_page = last ? last->vaddr + (last->page_count - 1) * ps : 0;
	int contiguous = last && vaddr != 0 && vaddr == last_page + ps;
	uint8_t *dest;
	int r;

	if (j->pages && (mm_id != j->mm_id || j->pages == w->chunk_pages || (last && vaddr <= last_page))) {
		/* page space holds pages that must go into this chunk */
		if (slot == &w->cur && in_page_space(w, page))
			return -FERRY_ERR_INVAL;
		r = flush_chunk(w, slot);
		if (r < 0)
			return r;
		j = *slot;
		contiguous = 0;
	}
	dest = j->raw + (size_t)j->pages * ps;
	if (slot == &w->cur && in_page_space(w, page) && page < dest)
		return -FERRY_ERR_INVAL;
	if (j->pages == 0)
		j->mm_id = mm_id;
	if (contiguous) {
		j->extents[j->nextents - 1].page_count++;
	} else {
		j->extents[j->nextents].vaddr = vaddr;
		j->extents[j->nextents].page_count = 1;
		j->nextents++;
	}
	if (page != dest)
		memmove(dest, page, ps);
	j->raw_crc = ferry_crc32(j->raw_crc, dest, ps);
	j->pages++;
	return 0;
}

int ferry_writer_add_pages(struct ferry_writer *w, uint32_t mm_id, uint64_t vaddr,
			   const void *pages, size_t npages)
{
	const uint8_t *p = pages;
	const uint64_t ps = w ? w->hdr.page_size : 0;

	if (!w || (!pages && npages) || w->sealed)
		return -FERRY_ERR_INVAL;
	if (get_failed(w))
		return get_failed(w);
	if ((vaddr & (ps - 1)) || (npages && vaddr > UINT64_MAX - (npages * ps) + 1))
		return -FERRY_ERR_INVAL;

	for (size_t i = 0; i < npages; i++, p += ps) {
		int r;

		if (page_is_zero(p, ps))
			continue;
		r = append_page(w, mm_id, vaddr + i * ps, p);
		if (r < 0)
			return r;
	}
	return 0;
}

int ferry_writer_page_space(struct ferry_writer *w, uint32_t mm_id, void **ret_buf,
			    size_t *ret_npages)
{
	struct chunk_job *j;
	int r;

	if (!w || !ret_buf || !ret_npages || w->sealed)
		return -FERRY_ERR_INVAL;
	if (get_failed(w))
		return get_failed(w);
	j = w->cur;
	if (j->pages && (mm_id != j->mm_id || j->pages == w->chunk_pages)) {
		r = flush_chunk(w, &w->cur);
		if (r < 0)
			return r;
		j = w->cur;
	}
	if (j->pages == 0)
		j->mm_id = mm_id;
	*ret_buf = j->raw + (size_t)j->pages * w->hdr.page_size;
	*ret_npages = w->chunk_pages - j->pages;
	return 0;
}

int ferry_writer_add_chunk(struct ferry_writer *w, uint32_t mm_id, const struct ferry_chunk *c)
{
	size_t desc_size;
	uint8_t *d;
	uint64_t seq;
	uint32_t crc;

	if (!w || !c || w->sealed || !c->extent_count || c->page_count > w->chunk_pages ||
	    c->raw_size != (uint64_t)c->page_count * w->hdr.page_size ||
	    (c->encoding != FERRY_ENCODING_STORED && c->encoding != FERRY_ENCODING_DEFLATE))
		return -FERRY_ERR_INVAL;
	if (get_failed(w))
		return get_failed(w);
	desc_size = FERRY_CHUNK_DESC_SIZE + (size_t)c->extent_count * FERRY_EXTENT_SIZE;
	d = malloc(desc_size);
	if (!d)
		return -FERRY_ERR_NOMEM;
	/* the descriptor sits right before its extents */
	memcpy(d, c->extents - FERRY_CHUNK_DESC_SIZE, desc_size);
	/* its turn: after every chunk flushed so far, before the next ones */
	seq = w->next_seq++;
	if (w->nworkers) {
		pthread_mutex_lock(&w->lock);
		while (w->next_commit != seq)
			pthread_cond_wait(&w->changed, &w->lock);
		pthread_mutex_unlock(&w->lock);
	}
	le32_store(d + CHK_INDEX, (uint32_t)seq);
	le32_store(d + CHK_MM_ID, mm_id);
	crc = ferry_crc32(0, d, CHK_DESC_CRC);
	crc = ferry_crc32(crc, d + FERRY_CHUNK_DESC_SIZE, desc_size - FERRY_CHUNK_DESC_SIZE);
	le32_store(d + CHK_DESC_CRC, crc);
	commit_record(w, d, desc_size, c->page_count, c->encoding, c->payload, c->stored_size);
	if (w->nworkers) {
		pthread_mutex_lock(&w->lock);
		w->next_commit++;
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
	} else {
		w->next_commit++;
	}
	free(d);
	return get_failed(w);
}

int ferry_writer_seal(struct ferry_writer *w)
{
	uint8_t raw_header[FERRY_HEADER_SIZE], flags[4];
	int r;

	if (!w || w->sealed)
		return -FERRY_ERR_INVAL;
	r = flush_chunk(w, &w->cur);
	if (r == 0)
		r = flush_chunk(w, &w->cur_deflate);
	drain(w);
	stop_workers(w);
	if (r == 0)
		r = get_failed(w);
	if (r < 0)
		return r;

	w->hdr.chunks_size = w->pos - w->hdr.chunks_offset;
	w->hdr.image_size = w->pos;
	memset(w->hdr.digest, 0, sizeof(w->hdr.digest));
	ferry_header_encode(&w->hdr, raw_header);
	ferry_digest_header(&w->digest, raw_header, FERRY_HEADER_SIZE);
	ferry_digest_end(&w->digest, w->hdr.digest);
	ferry_header_encode(&w->hdr, raw_header);

	/* everything but the seal, durable; then the seal alone (SPEC.md §6) */
	r = sink_barrier(w);
	if (r == 0)
		r = sink_write(w, raw_header, sizeof(raw_header), 0);
	if (r == 0)
		r = sink_barrier(w);
	if (r < 0)
		return r;
	w->hdr.flags |= FERRY_FLAG_SEALED;
	le32_store(flags, w->hdr.flags);
	r = sink_write(w, flags, sizeof(flags), FERRY_HEADER_FLAGS_OFFSET);
	if (r == 0)
		r = sink_barrier(w);
	if (r < 0)
		return r;
	w->sealed = 1;
	return 0;
}

const struct ferry_header *ferry_writer_header(const struct ferry_writer *w)
{
	return w ? &w->hdr : NULL;
}

void ferry_writer_free(struct ferry_writer *w)
{
	if (!w)
		return;
	if (w->threads_started) {
		/* a writer given up on: let the queued chunks go without writing */
		set_failed(w, -FERRY_ERR_INVAL);
		drain(w);
		stop_workers(w);
	}
	if (!w->sealed && w->pos)
		mbedtls_sha256_free(&w->digest.sha);
	for (size_t i = 0; w->workers && i < w->nslots; i++) {
		if (w->workers[i].deflate)
			libdeflate_free_compressor(w->workers[i].deflate);
		free(w->workers[i].packed);
		free(w->workers[i].sample);
		free(w->workers[i].record);
	}
	for (size_t i = 0; w->jobs && i < w->njobs; i++) {
		free(w->jobs[i].raw);
		free(w->jobs[i].extents);
	}
	if (w->lock_ready) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->changed);
	}
	free(w->workers);
	free(w->jobs);
	free(w);
}
