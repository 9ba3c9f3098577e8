/* SPDX-License-Identifier: MIT */
/* Synthetic checkpoint images: metadata with libfdt's sequential writer,
 * pages through the streaming writer. See synth.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "ferry/schema.h"
#include "synth.h"

#define SYNTH_MM_SPAN (1ull << 40)      /* address space given to each mm */
#define SYNTH_MM_BASE 0x550000000000ull /* where the first mm starts */
#define SYNTH_AREA_GAP 16u              /* unmapped pages between two areas */
#define SYNTH_THREADS_MAX 3u
#define SYNTH_REGS_SIZE (27u * 8u)      /* sizeof(struct user_regs_struct) on x86_64 */

const struct synth_shape synth_sample_shape = {
	.name = "sample",
	.seed = 0x666572727953414full,
	.created_sec = 1700000000,
	.created_nsec = 123456789,
	.page_size = 4096,
	.chunk_pages = 3,
	.level = 6,
	.processes = 3,
	.mm_count = 2,
	.areas_per_mm = 3,
	.pages_per_area = 8,
	.hole_pct = 10,
	.zero_pct = 30,
	.random_pct = 30,
	.batch_pages = 8,
	.interleave = 1,
};

uint64_t synth_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* One well-mixed value per (seed, mm, area, n): page kinds and contents
 * depend on nothing else, so any order of generation gives the same bytes. */
static uint64_t mix(const struct synth_shape *s, uint32_t mm, uint32_t area, uint64_t n)
{
	uint64_t st = s->seed ^ ((uint64_t)mm << 48) ^ ((uint64_t)area << 32) ^ n;

	synth_rand(&st);
	return synth_rand(&st);
}

uint32_t synth_page_size(const struct synth_shape *s)
{
	return s->page_size ? s->page_size : 4096;
}

uint64_t synth_page_count(const struct synth_shape *s)
{
	return (uint64_t)s->mm_count * s->areas_per_mm * s->pages_per_area;
}

static uint64_t area_stride(const struct synth_shape *s)
{
	return ((uint64_t)s->pages_per_area + SYNTH_AREA_GAP) * synth_page_size(s);
}

uint64_t synth_page_vaddr(const struct synth_shape *s, uint32_t mm, uint32_t area,
			  uint32_t page)
{
	return SYNTH_MM_BASE + mm * SYNTH_MM_SPAN + area * area_stride(s) +
	       (uint64_t)page * synth_page_size(s);
}

int64_t synth_page_index(const struct synth_shape *s, uint32_t mm, uint64_t vaddr)
{
	uint64_t base = SYNTH_MM_BASE + mm * SYNTH_MM_SPAN, off, area, page;

	if (mm >= s->mm_count || vaddr < base || vaddr - base >= SYNTH_MM_SPAN)
		return -1;
	off = vaddr - base;
	area = off / area_stride(s);
	if (off % synth_page_size(s) || area >= s->areas_per_mm)
		return -1;
	page = off % area_stride(s) / synth_page_size(s);
	if (page >= s->pages_per_area)
		return -1;
	return (int64_t)(((uint64_t)mm * s->areas_per_mm + area) * s->pages_per_area + page);
}

enum synth_kind synth_page_kind(const struct synth_shape *s, uint32_t mm, uint32_t area,
				uint32_t page)
{
	uint32_t run = s->run_pages ? s->run_pages : 1;
	uint32_t pct = (uint32_t)(mix(s, mm, area, page / run) % 100);

	if (pct < s->hole_pct)
		return SYNTH_HOLE;
	pct -= s->hole_pct;
	if (pct < s->zero_pct)
		return SYNTH_ZERO;
	pct -= s->zero_pct;
	if (pct < s->random_pct)
		return SYNTH_RANDOM;
	return SYNTH_TEXT;
}

static const char *const words[] = {
	"the", "of", "connection", "request", "GET", "/index.html", "HTTP/1.1", "200",
	"Content-Length:", "user", "session", "cache", "key", "value", "error", "timeout",
	"localhost", "ferry", "process", "memory", "thread", "0", "1", "null",
	"true", "false", "{\"id\":", "\"name\":", "LD_LIBRARY_PATH=", "/usr/lib", "libc.so.6", "\n",
};

/* Something like a heap: strings, structs of pointers and small integers,
 * zeroed padding, a little noise. Compresses about as well as real heaps. */
static void fill_text(uint8_t *out, size_t len, uint64_t st)
{
	const uint64_t heap = 0x000055d3a0000000ull + (synth_rand(&st) & 0xfffff000ull);
	size_t pos = 0;

	while (pos < len) {
		uint64_t r = synth_rand(&st);
		size_t n = 64 < len - pos ? 64 : len - pos;
		uint8_t rec[64];

		switch (r % 10) {
		case 0: case 1: case 2: case 3: { /* text */
			size_t k = 0;

			while (k < n) {
				const char *w = words[synth_rand(&st) % (sizeof(words) / sizeof(words[0]))];
				size_t wl = strlen(w);

				wl = wl < n - k ? wl : n - k;
				memcpy(rec + k, w, wl);
				k += wl;
				if (k < n)
					rec[k++] = ' ';
			}
			break;
		}
		case 4: case 5: case 6: /* struct: pointer, length, flags, pointer */
			for (size_t k = 0; k < n; k += 8) {
				uint64_t v, q = synth_rand(&st);

				switch (k / 8 % 4) {
				case 0: case 3: v = heap + (q & 0x3ff0); break;
				case 1: v = q & 0xff; break;
				default: v = q & 0x7; break;
				}
				for (size_t b = 0; b < 8 && k + b < n; b++)
					rec[k + b] = (uint8_t)(v >> (8 * b));
			}
			break;
		case 7: case 8:
			memset(rec, 0, n);
			break;
		default: /* a hash or a key: 16 random bytes, then padding */
			memset(rec, 0, n);
			for (size_t k = 0; k < n && k < 16; k++)
				rec[k] = (uint8_t)(synth_rand(&st) >> 56);
			break;
		}
		memcpy(out + pos, rec, n);
		pos += n;
	}
}

void synth_page_fill(const struct synth_shape *s, uint32_t mm, uint32_t area, uint32_t page,
		     uint8_t *out)
{
	const size_t ps = synth_page_size(s);
	uint64_t st = mix(s, mm, area, (1ull << 31) | page);

	switch (synth_page_kind(s, mm, area, page)) {
	case SYNTH_HOLE:
	case SYNTH_ZERO:
		memset(out, 0, ps);
		break;
	case SYNTH_RANDOM:
		for (size_t i = 0; i < ps; i += 8) {
			uint64_t v = synth_rand(&st);

			memcpy(out + i, &v, 8);
		}
		/* never all zero, or the writer would drop it */
		out[0] |= 1;
		break;
	case SYNTH_TEXT:
		fill_text(out, ps, st);
		out[0] = 'T';
		break;
	}
}

/* ---- metadata ---------------------------------------------------------------- */

static uint32_t process_count(const struct synth_shape *s)
{
	if (s->processes)
		return s->processes;
	return s->mm_count ? s->mm_count : 1;
}

/* The files every process shares: stdio on a terminal-like chardev, a log
 * file, its directory, both ends of a pipe, a memfd and an eventfd. */
enum { F_NULL = 1, F_LOG, F_DIR, F_PIPE_R, F_PIPE_W, F_MEMFD, F_EVENTFD, F_COUNT };

static int begin_node_fmt(void *fdt, const char *name, uint64_t unit, int hex)
{
	char buf[64];

	snprintf(buf, sizeof(buf), hex ? "%s@%llx" : "%s@%llu", name, (unsigned long long)unit);
	return fdt_begin_node(fdt, buf);
}

static int put_file(void *fdt, uint32_t id, const char *type, const char *path, uint32_t flags,
		    uint64_t pos)
{
	int r;

	r = begin_node_fmt(fdt, FM_FILE, id, 0);
	r = r ?: fdt_property_u32(fdt, FM_F_ID, id);
	r = r ?: fdt_property_string(fdt, FM_F_TYPE, type);
	r = r ?: fdt_property_string(fdt, FM_F_PATH, path);
	r = r ?: fdt_property_u32(fdt, FM_F_FLAGS, flags);
	r = r ?: fdt_property_u64(fdt, FM_F_POS, pos);
	if (!r && strcmp(type, "pipe") == 0)
		r = fdt_property_u32(fdt, FM_F_PIPE, 1);
	if (!r && strcmp(type, "memfd") == 0)
		r = fdt_property(fdt, FM_F_DATA, "memfd contents\n", 15);
	return r ?: fdt_end_node(fdt);
}

static int put_files(void *fdt)
{
	int r;

	r = fdt_begin_node(fdt, FM_FILES);
	r = r ?: put_file(fdt, F_NULL, "chardev", "/dev/null", 02, 0);
	r = r ?: put_file(fdt, F_LOG, "regular", "/var/log/app.log", 02101, 123456);
	r = r ?: put_file(fdt, F_DIR, "directory", "/var/lib/app", 0200000, 0);
	r = r ?: put_file(fdt, F_PIPE_R, "pipe", "pipe:[4242]", 0, 0);
	r = r ?: put_file(fdt, F_PIPE_W, "pipe", "pipe:[4242]", 01, 0);
	r = r ?: put_file(fdt, F_MEMFD, "memfd", "/memfd:state (deleted)", 02, 15);
	r = r ?: put_file(fdt, F_EVENTFD, "eventfd", "anon_inode:[eventfd]", 04002, 0);
	r = r ?: fdt_end_node(fdt); /* files */
	r = r ?: fdt_begin_node(fdt, FM_PIPES);
	r = r ?: fdt_begin_node(fdt, "pipe@1");
	r = r ?: fdt_property_u32(fdt, FM_PI_ID, 1);
	r = r ?: fdt_property_u32(fdt, FM_PI_CAPACITY, 65536);
	r = r ?: fdt_property(fdt, FM_PI_DATA, "buffered line 1\nbuffered line 2\n", 32);
	r = r ?: fdt_end_node(fdt);
	return r ?: fdt_end_node(fdt); /* pipes */
}

static int put_threads(void *fdt, const struct synth_shape *s, uint32_t pid, uint32_t n)
{
	uint8_t regs[SYNTH_REGS_SIZE];
	uint64_t st = s->seed ^ pid;
	int r;

	r = fdt_begin_node(fdt, FM_THREADS);
	for (uint32_t t = 0; !r && t < n; t++) {
		for (size_t i = 0; i < sizeof(regs); i++)
			regs[i] = (uint8_t)synth_rand(&st);
		r = begin_node_fmt(fdt, FM_THREAD, pid + t, 0);
		r = r ?: fdt_property_u32(fdt, FM_T_TID, pid + t);
		r = r ?: fdt_property_u64(fdt, FM_T_SIGMASK, t ? 1ull << 13 : 0);
		r = r ?: fdt_property(fdt, FM_T_REGS, regs, sizeof(regs));
		r = r ?: fdt_property_string(fdt, FM_T_ARCH, "x86_64");
		r = r ?: fdt_end_node(fdt);
	}
	return r ?: fdt_end_node(fdt);
}

static int put_fd(void *fdt, uint32_t num, uint32_t file, int cloexec)
{
	int r;

	r = begin_node_fmt(fdt, FM_FD, num, 0);
	r = r ?: fdt_property_u32(fdt, FM_FD_NUM, num);
	r = r ?: fdt_property_u32(fdt, FM_FD_FILE, file);
	if (!r && cloexec)
		r = fdt_property(fdt, FM_FD_CLOEXEC, NULL, 0);
	return r ?: fdt_end_node(fdt);
}

static int put_process(void *fdt, const struct synth_shape *s, uint32_t i)
{
	const uint32_t pid = 100 + 10 * i;
	char comm[32];
	int r;

	snprintf(comm, 16, "worker-%u", i % 1000);
	r = begin_node_fmt(fdt, FM_PROCESS, pid, 0);
	r = r ?: fdt_property_u32(fdt, FM_P_PID, pid);
	r = r ?: fdt_property_u32(fdt, FM_P_PPID, i ? 100 : 1);
	r = r ?: fdt_property_u32(fdt, FM_P_PGID, 100);
	r = r ?: fdt_property_u32(fdt, FM_P_SID, 100);
	r = r ?: fdt_property_string(fdt, FM_P_COMM, comm);
	r = r ?: fdt_property_string(fdt, FM_P_EXE, "/usr/bin/app");
	if (!r && s->mm_count)
		r = fdt_property_u32(fdt, FM_P_MM, i % s->mm_count);
	r = r ?: fdt_property_string(fdt, FM_P_CWD, "/var/lib/app");
	r = r ?: fdt_property_string(fdt, FM_P_ROOT, "/");
	r = r ?: fdt_property_u32(fdt, FM_P_UMASK, 022);
	r = r ?: put_threads(fdt, s, pid, 1 + i % SYNTH_THREADS_MAX);
	r = r ?: fdt_begin_node(fdt, FM_FDS);
	r = r ?: put_fd(fdt, 0, F_NULL, 0);
	r = r ?: put_fd(fdt, 1, F_NULL, 0);
	r = r ?: put_fd(fdt, 2, F_LOG, 0);
	r = r ?: put_fd(fdt, 3, F_DIR, 1);
	r = r ?: put_fd(fdt, 4, i % 2 ? F_PIPE_R : F_PIPE_W, 1);
	r = r ?: put_fd(fdt, 5, F_MEMFD, 1);
	r = r ?: put_fd(fdt, 6, F_EVENTFD, 1);
	r = r ?: fdt_end_node(fdt); /* fds */
	return r ?: fdt_end_node(fdt);
}

static const char *const area_kinds[] = { "file", "heap", "anon", "stack", "shmem" };

static int put_area(void *fdt, const struct synth_shape *s, uint32_t mm, uint32_t a)
{
	const char *kind = area_kinds[a % (sizeof(area_kinds) / sizeof(area_kinds[0]))];
	uint64_t start = synth_page_vaddr(s, mm, a, 0);
	uint64_t end = start + (uint64_t)s->pages_per_area * synth_page_size(s);
	int r;

	r = begin_node_fmt(fdt, FM_AREA, start, 1);
	r = r ?: fdt_property_u64(fdt, FM_A_START, start);
	r = r ?: fdt_property_u64(fdt, FM_A_END, end);
	r = r ?: fdt_property_u32(fdt, FM_A_PROT, strcmp(kind, "file") ? 3 : 5);
	r = r ?: fdt_property_u32(fdt, FM_A_FLAGS, strcmp(kind, "shmem") ? 0x02 : 0x01);
	r = r ?: fdt_property_u64(fdt, FM_A_PGOFF, 0);
	r = r ?: fdt_property_string(fdt, FM_A_KIND, kind);
	if (!r && strcmp(kind, "file") == 0) {
		r = fdt_property_string(fdt, FM_A_PATH, "/usr/bin/app");
		r = r ?: fdt_property_u32(fdt, FM_A_FILE, F_LOG);
	}
	return r ?: fdt_end_node(fdt);
}

static int put_mms(void *fdt, const struct synth_shape *s)
{
	int r;

	r = fdt_begin_node(fdt, FM_MMS);
	for (uint32_t m = 0; !r && m < s->mm_count; m++) {
		r = begin_node_fmt(fdt, FM_MM, m, 0);
		r = r ?: fdt_property_u32(fdt, FM_MM_ID, m);
		for (uint32_t a = 0; !r && a < s->areas_per_mm; a++)
			r = put_area(fdt, s, m, a);
		r = r ?: fdt_end_node(fdt);
	}
	return r ?: fdt_end_node(fdt);
}

static size_t metadata_bound(const struct synth_shape *s)
{
	return 4096 + (size_t)process_count(s) * 2048 +
	       (size_t)s->mm_count * (64 + (size_t)s->areas_per_mm * 256);
}

int synth_metadata(const struct synth_shape *s, void *buf, size_t capacity)
{
	int r;

	if (capacity > INT32_MAX)
		capacity = INT32_MAX;
	r = fdt_create(buf, (int)capacity);
	r = r ?: fdt_finish_reservemap(buf);
	r = r ?: fdt_begin_node(buf, "");
	r = r ?: fdt_property_string(buf, FM_ROOT_COMPATIBLE, FERRY_META_COMPATIBLE);
	r = r ?: fdt_property_string(buf, FM_ROOT_HOSTNAME, s->name ? s->name : "synth");
	r = r ?: fdt_property_u64(buf, FM_ROOT_CLOCK_MONOTONIC, 123456789012ull);
	r = r ?: fdt_property_u64(buf, FM_ROOT_CLOCK_BOOTTIME, 123999999999ull);
	r = r ?: fdt_begin_node(buf, FM_PROCESSES);
	for (uint32_t i = 0; !r && i < process_count(s); i++)
		r = put_process(buf, s, i);
	r = r ?: fdt_end_node(buf);
	r = r ?: put_mms(buf, s);
	r = r ?: put_files(buf);
	r = r ?: fdt_end_node(buf);
	r = r ?: fdt_finish(buf);
	return r < 0 ? r : (int)fdt_totalsize(buf);
}

/* ---- pages ----------------------------------------------------------------------- */

size_t synth_image_bound(const struct synth_shape *s)
{
	uint64_t pages = synth_page_count(s);

	/* worst case: one chunk per page */
	return FERRY_HEADER_SIZE + metadata_bound(s) + 8 +
	       (size_t)(pages * (synth_page_size(s) + FERRY_CHUNK_DESC_SIZE + FERRY_EXTENT_SIZE + 8));
}

/* Where the feeding of one mm stands. */
struct feed {
	uint32_t area, page;
};

/* Hand the next run of non-hole pages of @mm to the writer: at most
 * batch_pages, never across a hole or an area boundary. 0 when done. */
static int feed_batch(const struct synth_shape *s, struct ferry_writer *w, uint32_t mm,
		      struct feed *f, uint8_t *buf, struct synth_stats *st)
{
	const uint32_t ps = synth_page_size(s);
	uint32_t batch = s->batch_pages ? s->batch_pages : 64;
	uint32_t n = 0, first;
	int r;

	for (;;) {
		if (f->area >= s->areas_per_mm)
			return 0;
		if (f->page >= s->pages_per_area) {
			f->area++;
			f->page = 0;
			continue;
		}
		if (synth_page_kind(s, mm, f->area, f->page) != SYNTH_HOLE)
			break;
		st->holes++;
		f->page++;
	}
	if (s->page_space) {
		void *space;
		size_t room;

		r = ferry_writer_page_space(w, mm, &space, &room);
		if (r < 0)
			return r;
		buf = space;
		if (room < batch)
			batch = (uint32_t)room;
	}
	first = f->page;
	while (n < batch && f->page < s->pages_per_area) {
		enum synth_kind k = synth_page_kind(s, mm, f->area, f->page);

		if (k == SYNTH_HOLE)
			break;
		synth_page_fill(s, mm, f->area, f->page, buf + (size_t)n * ps);
		if (k == SYNTH_ZERO)
			st->zero_pages++;
		else
			st->data_pages++;
		n++;
		f->page++;
	}
	r = ferry_writer_add_pages(w, mm, synth_page_vaddr(s, mm, f->area, first), buf, n);
	return r < 0 ? r : 1;
}

static int feed_pages(const struct synth_shape *s, struct ferry_writer *w,
		      struct synth_stats *st)
{
	const size_t batch = s->batch_pages ? s->batch_pages : 64;
	struct feed *feeds = calloc(s->mm_count ? s->mm_count : 1, sizeof(*feeds));
	uint8_t *buf = malloc(batch * synth_page_size(s));
	int r = 0, busy = 1;

	if (!feeds || !buf) {
		r = -FERRY_ERR_NOMEM;
		goto out;
	}
	if (s->interleave) {
		while (busy && r >= 0) {
			busy = 0;
			for (uint32_t m = 0; m < s->mm_count && r >= 0; m++) {
				r = feed_batch(s, w, m, &feeds[m], buf, st);
				busy |= r > 0;
			}
		}
	} else {
		for (uint32_t m = 0; m < s->mm_count && r >= 0; m++)
			while ((r = feed_batch(s, w, m, &feeds[m], buf, st)) > 0)
				;
	}
out:
	free(feeds);
	free(buf);
	return r < 0 ? r : 0;
}

int synth_write_image(const struct synth_shape *s, const struct ferry_sink *sink,
		      struct synth_stats *ret_stats)
{
	struct ferry_writer_options opts = {
		.kernel_release = "6.1.0-synth-amd64",
		.machine = "x86_64",
		.ferry_version = "synth-1",
		.created_sec = s->created_sec,
		.created_nsec = s->created_nsec,
		.page_size = s->page_size,
		.chunk_pages = s->chunk_pages,
		.level = s->level,
		.threads = s->threads,
	};
	struct synth_stats st = { .pages = synth_page_count(s) };
	struct ferry_writer *w = NULL;
	size_t cap = metadata_bound(s);
	void *fdt = malloc(cap);
	int r;

	if (!fdt)
		return -FERRY_ERR_NOMEM;
	r = synth_metadata(s, fdt, cap);
	if (r < 0) {
		free(fdt);
		return -FERRY_ERR_METADATA;
	}
	st.metadata_size = (size_t)r;
	r = ferry_writer_begin(&w, sink, &opts, fdt, st.metadata_size);
	free(fdt);
	if (r < 0)
		return r;
	r = feed_pages(s, w, &st);
	if (r == 0 && !s->unsealed) {
		r = ferry_writer_seal(w);
		st.image_size = ferry_writer_header(w)->image_size;
	}
	ferry_writer_free(w);
	if (ret_stats)
		*ret_stats = st;
	return r;
}

int synth_image_alloc(const struct synth_shape *s, uint8_t **ret_buf, size_t *ret_len,
		      struct synth_stats *ret_stats)
{
	struct ferry_mem_sink ms;
	struct ferry_sink sink;
	size_t cap = synth_image_bound(s);
	uint8_t *buf = malloc(cap), *shrunk;
	int r;

	if (!buf)
		return -FERRY_ERR_NOMEM;
	ferry_sink_mem(&sink, &ms, buf, cap);
	r = synth_write_image(s, &sink, ret_stats);
	if (r < 0) {
		free(buf);
		return r;
	}
	/* exactly the image: a read past its end is a heap overflow under ASan */
	shrunk = realloc(buf, ms.high_water ? ms.high_water : 1);
	if (shrunk)
		buf = shrunk;
	*ret_buf = buf;
	*ret_len = ms.high_water;
	return 0;
}
