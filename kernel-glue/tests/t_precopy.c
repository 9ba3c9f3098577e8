/* SPDX-License-Identifier: MIT */
/*
 * Memory that keeps changing while precopy.sh checkpoints it with
 * --pre-copy: 56 MiB of private anonymous memory, of which
 *   static  32 MiB written once, never again;
 *   warm    16 MiB: one page rewritten after each sweep of the hot part;
 *   hot      8 MiB swept again and again, page by page, a generation higher
 *           each sweep;
 * and a 1 MiB area unmapped and mapped again at the same address
 * every 4 sweeps, filled anew. Each part lies between inaccessible guard
 * pages: no two merge into one area (a new mapping merged into an area
 * makes the kernel count all of that area's pages as changed). Each page's words say which page and which
 * generation they are. The writer thread checks each page before it
 * rewrites it (the generation it left there last), so a page that came
 * back stale or missing from a restore fails the test as soon as the
 * writer gets to it; after SIGUSR1 it makes two more sweeps, stops, and
 * every page is checked against the counters. Each page's words follow
 * from the counters, which live in the same memory: the check is of the
 * memory restored against the memory at the freeze, word for word.
 *
 * The sizes make a second round of pre-copy certain on a kernel with
 * soft-dirty pages: whatever the writer does meanwhile, it changes at most
 * hot + warm + moving (6400 pages), under half of what round 1 copies
 * (14592 and the heap), so the scripts require two rounds at least.
 * Until SIGUSR1 it prints "sweeps N" every second: a counter that goes on
 * across an update (qemu-tests update-precopy-generic-bpo).
 *
 * host-test: by precopy.sh
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "tlib.h"

#define PG 4096ul
#define WORDS (PG / 8)
#define STATIC_PAGES 8192ul
#define WARM_PAGES 4096ul
#define HOT_PAGES 2048ul
#define MOVING_PAGES 256ul

static uint64_t *static_area, *warm, *hot;
static uint64_t *volatile moving;
static volatile uint64_t moving_gen;
static volatile uint64_t hot_gen;      /* the sweep under way; pages < hot_pos have it */
static volatile uint64_t hot_pos;
static volatile uint64_t warm_writes;  /* warm page k % WARM_PAGES written for k < this */
static atomic_int stop;
static atomic_ulong sweeps;

/* @pages read-write pages between two PROT_NONE ones, an area of their own */
static uint64_t *map_guarded(uint64_t pages)
{
	uint8_t *p = mmap(NULL, (pages + 2) * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + PG, pages * PG, PROT_READ | PROT_WRITE) < 0)
		t_fail("mmap: %s", strerror(errno));
	return (uint64_t *)(p + PG);
}

static uint64_t word(uint64_t tag, uint64_t page, uint64_t gen, uint64_t k)
{
	return (tag << 56) ^ (page * 0x9e3779b97f4a7c15ull) ^ (gen << 20) ^ k;
}

static void fill(uint64_t *p, uint64_t tag, uint64_t page, uint64_t gen)
{
	for (uint64_t k = 0; k < WORDS; k++)
		p[k] = word(tag, page, gen, k);
}

static void check(const uint64_t *p, uint64_t tag, uint64_t page, uint64_t gen, const char *what)
{
	for (uint64_t k = 0; k < WORDS; k++)
		if (p[k] != word(tag, page, gen, k))
			t_fail("%s page %llu word %llu: %#llx, not generation %llu (%#llx)", what,
			       (unsigned long long)page, (unsigned long long)k,
			       (unsigned long long)p[k], (unsigned long long)gen,
			       (unsigned long long)word(tag, page, gen, k));
}

/* times warm page @j was written after warm_writes writes */
static uint64_t warm_gen(uint64_t j, uint64_t writes)
{
	return writes > j ? (writes - 1 - j) / WARM_PAGES + 1 : 0;
}

static void check_moving(const uint64_t *p, uint64_t gen)
{
	for (uint64_t i = 0; i < MOVING_PAGES; i++)
		check(p + i * WORDS, 4, i, gen, "moving area");
}

static void remap_moving(void)
{
	uint64_t *old = moving, *p;

	check_moving(old, moving_gen);
	moving = NULL;
	munmap(old, MOVING_PAGES * PG);
	/* again at the same address, between its guards: an area like the
	 * one before, whose pages are all new */
	p = mmap(old, MOVING_PAGES * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	for (uint64_t i = 0; i < MOVING_PAGES; i++)
		fill(p + i * WORDS, 4, i, moving_gen + 1);
	moving_gen = moving_gen + 1;
	moving = p;
}

static void *writer(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t g = hot_gen, w = warm_writes, j = w % WARM_PAGES;

		for (uint64_t i = hot_pos; i < HOT_PAGES; i++) {
			check(hot + i * WORDS, 3, i, g - 1, "hot");
			fill(hot + i * WORDS, 3, i, g);
			hot_pos = i + 1;
		}
		check(warm + j * WORDS, 2, j, warm_gen(j, w), "warm");
		fill(warm + j * WORDS, 2, j, warm_gen(j, w + 1));
		warm_writes = w + 1;
		if (g % 4 == 0)
			remap_moving();
		atomic_fetch_add(&sweeps, 1);
		if (atomic_load(&stop))
			return NULL;
		hot_pos = 0;
		hot_gen = g + 1;
	}
}

int main(int argc, char **argv)
{
	struct timespec ms = { 0, 1000 * 1000 };
	pthread_t th;
	unsigned long until;

	t_init("precopy", argc, argv);
	static_area = map_guarded(STATIC_PAGES);
	warm = map_guarded(WARM_PAGES);
	hot = map_guarded(HOT_PAGES);
	moving = map_guarded(MOVING_PAGES);
	for (uint64_t i = 0; i < STATIC_PAGES; i++)
		fill(static_area + i * WORDS, 1, i, 0);
	for (uint64_t i = 0; i < WARM_PAGES; i++)
		fill(warm + i * WORDS, 2, i, 0);
	for (uint64_t i = 0; i < HOT_PAGES; i++)
		fill(hot + i * WORDS, 3, i, 0);
	for (uint64_t i = 0; i < MOVING_PAGES; i++)
		fill(moving + i * WORDS, 4, i, 0);
	hot_gen = 1;
	if (pthread_create(&th, NULL, writer, NULL))
		t_fail("pthread_create");
	t_ready();
	for (unsigned long tick = 0; !t_go; tick++) {
		nanosleep(&ms, NULL);
		if (tick % 1000 == 999)
			printf("sweeps %lu\n", atomic_load(&sweeps));
	}

	/* two whole sweeps more, each page of hot checked before it is rewritten */
	until = atomic_load(&sweeps) + 2;
	while (atomic_load(&sweeps) < until)
		nanosleep(&ms, NULL);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	for (uint64_t i = 0; i < STATIC_PAGES; i++)
		check(static_area + i * WORDS, 1, i, 0, "static");
	for (uint64_t i = 0; i < WARM_PAGES; i++)
		check(warm + i * WORDS, 2, i, warm_gen(i, warm_writes), "warm");
	for (uint64_t i = 0; i < HOT_PAGES; i++)
		check(hot + i * WORDS, 3, i, hot_gen, "hot");
	check_moving(moving, moving_gen);
	printf("%llu sweeps, %llu warm writes\n", (unsigned long long)hot_gen,
	       (unsigned long long)warm_writes);
	t_pass();
}
