/* SPDX-License-Identifier: MIT */
/*
 * make bench-checkpoint: checkpoint and restore throughput of a process
 * with BENCH_MIB (default 1024) MiB of memory, a third each of zero,
 * random and compressible pages, next to memcpy bandwidth and zlib level 1
 * speed measured in the same run; and the peak RSS of `ferry checkpoint`.
 *
 * Usage: bench-checkpoint FERRY_BINARY WORK_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MIB (1024ull * 1024)
#define PAGE 4096
#define RSS_BOUND_MIB 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Page @i of the mix: zero, random or compressible (text-like). */
static void fill_page(uint8_t *p, size_t i)
{
	static const char words[] = "ferry carries the state of running applications across "
				    "a kernel update; ";

	switch (i % 3) {
	case 0:
		memset(p, 0, PAGE);
		break;
	case 1:
		for (size_t k = 0; k < PAGE; k += 8) {
			uint64_t v = next_random();

			memcpy(p + k, &v, 8);
		}
		break;
	default:
		for (size_t k = 0; k < PAGE; k++)
			p[k] = words[(k + i * 7) % (sizeof(words) - 1)];
		snprintf((char *)p, 32, "page %zu", i);
		break;
	}
}

static void fill(uint8_t *buf, size_t len, size_t first_page)
{
	for (size_t i = 0; i < len / PAGE; i++)
		fill_page(buf + i * PAGE, first_page + i);
}

static double bench_memcpy(void)
{
	size_t len = 128 * MIB;
	uint8_t *a = malloc(len), *b = malloc(len);
	double t0, best = 1e9;

	if (!a || !b)
		return 0;
	memset(a, 1, len);
	memset(b, 2, len);
	for (int r = 0; r < 5; r++) {
		t0 = now();
		memcpy(b, a, len);
		__asm__ volatile("" ::"r"(b) : "memory");
		if (now() - t0 < best)
			best = now() - t0;
	}
	free(a);
	free(b);
	return len / MIB / best;
}

static double bench_zlib1(void)
{
	size_t len = 48 * MIB, chunk = 256 * 1024;
	uint8_t *in = malloc(len), *out = malloc(compressBound(chunk));
	double t0, t;

	if (!in || !out)
		return 0;
	fill(in, len, 0);
	t0 = now();
	for (size_t off = 0; off < len; off += chunk) {
		uLongf n = compressBound(chunk);

		compress2(out, &n, in + off, chunk, 1);
	}
	t = now() - t0;
	free(in);
	free(out);
	return len / MIB / t;
}

/* The target: maps and fills its memory, says so on @fd, then waits. */
static pid_t start_target(size_t mib)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t len = mib * MIB;
		uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

		close(p[0]);
		/* nothing inherited beyond stdio and the pipe */
		if (p[1] != 3 && dup2(p[1], 3) == 3) {
			close(p[1]);
			p[1] = 3;
		}
		syscall(SYS_close_range, 4, ~0u, 0);
		{
			/* stdio to /dev/null: a pipe to make would reach outside */
			int null = open("/dev/null", O_RDWR);

			for (int fd = 0; fd < 3 && null >= 0; fd++)
				dup2(null, fd);
			if (null > 3)
				close(null);
		}
		if (m == MAP_FAILED)
			_exit(1);
		fill(m, len, 0);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* Run argv; its wall time and peak RSS (KiB). Returns its exit status. */
static int run(char *const argv[], double *ret_secs, long *ret_maxrss_kib)
{
	struct rusage ru;
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*ret_secs = now() - t0;
	*ret_maxrss_kib = ru.ru_maxrss;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	const char *env = getenv("BENCH_MIB");
	size_t mib = env ? strtoul(env, NULL, 10) : 1024;
	char image[4096], pidbuf[32];
	double memcpy_mbs, zlib_mbs, t_ck, t_rs;
	long rss_ck, rss_rs;
	struct stat st;
	pid_t target;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FERRY WORK_DIR\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("bench-checkpoint: skipped: needs root (ptrace, clone3 set_tid)\n");
		return 0;
	}
	snprintf(image, sizeof(image), "%s/bench.ferry", argv[2]);
	memcpy_mbs = bench_memcpy();
	zlib_mbs = bench_zlib1();

	target = start_target(mib);
	if (target < 0) {
		fprintf(stderr, "bench-checkpoint: cannot start the target: %s\n", strerror(errno));
		return 1;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", target);
	sync();
	status = run((char *[]){ (char *)argv[1], "checkpoint", "--pid", pidbuf, "-o", image,
				 "--kill", "--level", "1", NULL },
		     &t_ck, &rss_ck);
	if (status != 0)
		kill(target, SIGKILL);
	waitpid(target, NULL, 0); /* reaped: its PID is free for the restore */
	if (status != 0) {
		fprintf(stderr, "bench-checkpoint: ferry checkpoint failed (%d)\n", status);
		return 1;
	}
	stat(image, &st);
	status = run((char *[]){ (char *)argv[1], "restore", image, NULL }, &t_rs, &rss_rs);
	if (status != 0) {
		fprintf(stderr, "bench-checkpoint: ferry restore failed (%d)\n", status);
		unlink(image);
		return 1;
	}
	kill(target, SIGKILL); /* the restored one, now a child of init */
	unlink(image);

	printf("checkpoint/restore of a %zu MiB process (a third each of zero, random and text pages), "
	       "zlib level 1\n", mib);
	printf("  memcpy bandwidth          %8.0f MiB/s\n", memcpy_mbs);
	printf("  zlib level 1 compression  %8.0f MiB/s\n", zlib_mbs);
	printf("  checkpoint                %8.0f MiB/s  (%.2f s; %.3f x memcpy, %.2f x zlib-1)\n",
	       mib / t_ck, t_ck, mib / t_ck / memcpy_mbs, mib / t_ck / zlib_mbs);
	printf("  restore                   %8.0f MiB/s  (%.2f s; %.3f x memcpy, %.2f x zlib-1)\n",
	       mib / t_rs, t_rs, mib / t_rs / memcpy_mbs, mib / t_rs / zlib_mbs);
	printf("  image                     %8.0f MiB  (%.2f of the memory)\n",
	       st.st_size / (double)MIB, st.st_size / (double)MIB / mib);
	printf("  ferry checkpoint peak RSS %8.1f MiB  (bound %d MiB plus chunk buffers: %s)\n",
	       rss_ck / 1024.0, RSS_BOUND_MIB, rss_ck / 1024.0 < RSS_BOUND_MIB ? "within" : "OVER");
	printf("  ferry restore peak RSS    %8.1f MiB\n", rss_rs / 1024.0);
	return rss_ck / 1024.0 < RSS_BOUND_MIB ? 0 : 1;
}
