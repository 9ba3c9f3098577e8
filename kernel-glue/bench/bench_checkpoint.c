/* SPDX-License-Identifier: MIT */
/*
 * make bench-checkpoint: page throughput of checkpoint and restore, next to
 * what bounds it, measured in one run so that the ratios hold however busy
 * the machine is:
 *
 *   - memcpy bandwidth, and the speed of writing into freshly faulted pages
 *     (what a restore into a new address space or an image into tmpfs costs
 *     at the least);
 *   - for each size (BENCH_SIZES, MiB, default "256 1024 4096") and each
 *     kind of memory (random pages; mixed: a third each of zero, random
 *     and text pages): ferry checkpoint and restore, stored (--level 0)
 *     and with the default level, with the image size and the peak RSS of
 *     both; a lazy restore of the stored image (ferry restore --lazy): the
 *     time until the process runs, and until its pager has every page
 *     home; CRIU's dump and restore of the same process when a criu on
 *     PATH works on this kernel (tried, never assumed).
 *
 * Each figure is the median of BENCH_RUNS (default 3) rounds. The images go
 * to BENCH_DIR (default: a directory under /dev/shm, so that the figures
 * measure ferry and not a disk).
 *
 * Usage: bench-checkpoint FERRY_BINARY
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ull * 1024)
#define PAGE 4096
#define RSS_BOUND_MIB 64
#define MAX_RUNS 15

enum pattern { RANDOM, MIXED };
static const char *const pattern_name[] = { "random", "mixed" };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Page @i: random, or for MIXED by i % 3 zero, random or text. */
static void fill_page(uint8_t *p, size_t i, enum pattern pat, uint64_t *rng)
{
	static const char words[] = "ferry carries the state of running applications across "
				    "a kernel update; ";

	switch (pat == RANDOM ? 1 : i % 3) {
	case 0:
		memset(p, 0, PAGE);
		break;
	case 1:
		for (size_t k = 0; k < PAGE; k += 8) {
			uint64_t v = next_random(rng);

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

static double bench_memcpy(void)
{
	size_t len = 256 * MIB;
	uint8_t *a = malloc(len), *b = malloc(len);
	double t[5];

	if (!a || !b)
		return 0;
	memset(a, 1, len);
	memset(b, 2, len);
	for (int r = 0; r < 5; r++) {
		double t0 = now();

		memcpy(b, a, len);
		__asm__ volatile("" ::"r"(b) : "memory");
		t[r] = now() - t0;
	}
	free(a);
	free(b);
	return len / MIB / median(t, 5);
}

/* Writing into pages that do not exist yet: fault, zeroing, the write. */
static double bench_fresh_pages(void)
{
	size_t len = 256 * MIB;
	double t[5];

	for (int r = 0; r < 5; r++) {
		uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
		double t0;

		if (m == MAP_FAILED)
			return 0;
		t0 = now();
		memset(m, 0x5a, len);
		__asm__ volatile("" ::"r"(m) : "memory");
		t[r] = now() - t0;
		munmap(m, len);
	}
	return len / MIB / median(t, 5);
}

/* The target: maps and fills its memory, says so on a pipe, then waits. */
static pid_t start_target(size_t mib, enum pattern pat)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t len = mib * MIB;
		uint64_t rng = 0x9e3779b97f4a7c15ull;
		uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
		int null = open("/dev/null", O_RDWR);

		close(p[0]);
		/* nothing inherited beyond stdio (to /dev/null) and the pipe */
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup2(null, fd);
		if (p[1] != 3 && dup2(p[1], 3) == 3)
			p[1] = 3;
		syscall(SYS_close_range, 4, ~0u, 0);
		setsid();
		if (m == MAP_FAILED)
			_exit(1);
		for (size_t i = 0; i < len / PAGE; i++)
			fill_page(m + i * PAGE, i, pat, &rng);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	/* its byte, then the end of the pipe: no descriptor of ours left in it */
	if (pid < 0 || read(p[0], &c, 1) != 1 || read(p[0], &c, 1) != 0) {
		close(p[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(p[0]);
	return pid;
}

struct result {
	int status;
	double secs;
	long maxrss_kib;
};

/* Run argv (stdout and stderr to @log); its wall time and peak RSS. */
static struct result run(char *const argv[], const char *log)
{
	struct result res = { .status = -1 };
	struct rusage ru;
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return res;
	/* reaping every other child meanwhile: the target ferry checkpoints with
	 * --kill is ours, and --kill returns once its pid is free */
	for (pid_t w; (w = wait4(-1, &status, 0, &ru)) != pid;)
		if (w < 0 && errno != EINTR)
			return res;
	res.secs = now() - t0;
	res.maxrss_kib = ru.ru_maxrss;
	res.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return res;
}

/* We are the subreaper of restored processes: reap @pid, or wait for it. */
static void wait_gone(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	for (int i = 0; i < 2000; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (access(path, F_OK) < 0)
			return;
		usleep(5000);
	}
}

static void end_process(pid_t pid)
{
	kill(pid, SIGKILL);
	wait_gone(pid);
}

static off_t path_size(const char *path)
{
	struct stat st;
	off_t total = 0;
	DIR *d;
	struct dirent *de;

	if (stat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return st.st_size;
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%.3000s/%.1000s", path, de->d_name);
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode))
			total += st.st_size;
	}
	if (d)
		closedir(d);
	return total;
}

static void remove_path(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.4000s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-checkpoint: cannot remove %s\n", path);
}

/* One tool's figures for one process: medians over the rounds. */
struct series {
	const char *label;
	double ck[MAX_RUNS], rs[MAX_RUNS];
	double home[MAX_RUNS]; /* lazy: until every page is home */
	long pager_rss;        /* lazy: KiB, largest seen */
	long ck_rss, rs_rss; /* KiB, largest seen */
	off_t image;
	int n;
	int failed;
};

static void record(struct series *s, struct result ck, struct result rs, off_t image)
{
	s->ck[s->n] = ck.secs;
	s->rs[s->n] = rs.secs;
	if (ck.maxrss_kib > s->ck_rss)
		s->ck_rss = ck.maxrss_kib;
	if (rs.maxrss_kib > s->rs_rss)
		s->rs_rss = rs.maxrss_kib;
	s->image = image;
	s->n++;
}

struct ctx {
	const char *ferry;
	const char *dir;
	char log[4096];
	char criu_skip[1024]; /* why CRIU has no figures; empty: it works */
	char kernel[128];     /* uname -r */
	int runs;
};

/* One ferry round on @pid: checkpoint --kill, restore. Returns 0 or -1. */
static int ferry_round(struct ctx *x, pid_t pid, const char *level, struct series *s)
{
	char image[4200], pidbuf[32];
	struct result ck, rs;
	off_t size;

	snprintf(image, sizeof(image), "%.4000s/image.ferry", x->dir);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	sync();
	if (level)
		ck = run((char *[]){ (char *)x->ferry, "checkpoint", "--pid", pidbuf, "-o", image,
				     "--kill", "--level", (char *)level, NULL }, x->log);
	else
		ck = run((char *[]){ (char *)x->ferry, "checkpoint", "--pid", pidbuf, "-o", image,
				     "--kill", NULL }, x->log);
	if (ck.status != 0) {
		fprintf(stderr, "bench-checkpoint: ferry checkpoint failed (%d), see %s\n",
			ck.status, x->log);
		return -1;
	}
	wait_gone(pid); /* its PID is free for the restore */
	size = path_size(image);
	rs = run((char *[]){ (char *)x->ferry, "restore", image, NULL }, x->log);
	unlink(image);
	if (rs.status != 0) {
		fprintf(stderr, "bench-checkpoint: ferry restore failed (%d), see %s\n", rs.status,
			x->log);
		return -1;
	}
	record(s, ck, rs, size);
	return 0;
}

/* The guard pid a lazy restore's JSON report in @path names, or 0. */
static pid_t report_guard(const char *path)
{
	char buf[8192], *p;
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	p = strstr(buf, "\"pager_guard\":");
	return p ? (pid_t)strtol(p + strlen("\"pager_guard\":"), NULL, 10) : 0; /* spaces too */
}

/*
 * One lazy round on @pid: checkpoint --kill stored, restore --lazy; the
 * restore's time is until it returns (the process runs), home until the
 * pager's guard is gone (we are the subreaper it comes to).
 */
static int lazy_round(struct ctx *x, pid_t pid, struct series *s)
{
	char image[4200], report[4200], pidbuf[32];
	struct result ck, rs;
	pid_t guard;
	double t0;
	off_t size;

	snprintf(image, sizeof(image), "%.4000s/image.ferry", x->dir);
	snprintf(report, sizeof(report), "%.4000s/lazy.json", x->dir);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	sync();
	ck = run((char *[]){ (char *)x->ferry, "checkpoint", "--pid", pidbuf, "-o", image,
			     "--kill", "--level", "0", NULL }, x->log);
	if (ck.status != 0) {
		fprintf(stderr, "bench-checkpoint: ferry checkpoint failed (%d), see %s\n",
			ck.status, x->log);
		return -1;
	}
	wait_gone(pid);
	size = path_size(image);
	unlink(report);
	t0 = now();
	rs = run((char *[]){ (char *)x->ferry, "restore", "--lazy", "--json", image, NULL },
		 report);
	guard = rs.status == 0 ? report_guard(report) : 0;
	if (guard > 0) {
		struct rusage ru;

		/* the guard's usage takes in the pager's, which it reaped */
		if (wait4(guard, NULL, 0, &ru) == guard && ru.ru_maxrss > s->pager_rss)
			s->pager_rss = ru.ru_maxrss;
	}
	s->home[s->n] = now() - t0;
	unlink(image);
	if (rs.status != 0 || guard <= 0) {
		fprintf(stderr, "bench-checkpoint: ferry restore --lazy failed (%d%s), see %s\n",
			rs.status, guard <= 0 ? ", no pager" : "", report);
		return -1;
	}
	record(s, ck, rs, size);
	return 0;
}

/*
 * One CRIU round on @pid: dump (which ends it), restore detached. The first
 * failure says why CRIU has no figures here: its own last words.
 */
/* The first and the last line naming an error in @path, into @why; 0 if
 * there is one. */
static int error_lines(const char *path, char *why, size_t len)
{
	char line[512], first[512] = "";
	FILE *f = fopen(path, "r");
	int found = -1;

	while (f && fgets(line, sizeof(line), f))
		/* "exited, status=1" is a helper's end, not a cause */
		if (strstr(line, "Error") && !strstr(line, "exited, status")) {
			line[strcspn(line, "\n")] = 0;
			if (!first[0])
				snprintf(first, sizeof(first), "%s", line);
			if (strcmp(first, line) != 0)
				snprintf(why, len, "%.180s ... %.180s", first, line);
			else
				snprintf(why, len, "%.380s", line);
			found = 0;
		}
	if (f)
		fclose(f);
	return found;
}

/*
 * One CRIU round on @pid: dump (which ends it), restore detached. The first
 * failure says why CRIU has no figures here: its own last words.
 */
static int criu_round(struct ctx *x, pid_t pid, struct series *s)
{
	char dir[4200], pidbuf[32], clog[4200], out[4200], why[400] = "(no error in its log)";
	struct result ck, rs = { 0 };
	off_t size = 0;

	snprintf(dir, sizeof(dir), "%.4000s/criu", x->dir);
	snprintf(clog, sizeof(clog), "%.4000s/criu.log", x->dir);
	snprintf(out, sizeof(out), "%.4000s/criu.out", x->dir);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	mkdir(dir, 0700);
	unlink(clog);
	unlink(out);
	sync();
	ck = run((char *[]){ "criu", "dump", "-t", pidbuf, "-D", dir, "-j", "-o", clog, NULL }, out);
	if (ck.status == 0) {
		wait_gone(pid);
		size = path_size(dir);
		rs = run((char *[]){ "criu", "restore", "-D", dir, "-j", "-d", "-o", clog, NULL },
			 out);
	}
	remove_path(dir);
	if (ck.status != 0 || rs.status != 0) {
		/* errors before its log is open go to stderr */
		if (error_lines(clog, why, sizeof(why)) < 0)
			error_lines(out, why, sizeof(why));
		snprintf(x->criu_skip, sizeof(x->criu_skip), "criu %s failed on this kernel (%s): %s",
			 ck.status != 0 ? "dump" : "restore", x->kernel, why);
		return -1;
	}
	record(s, ck, rs, size);
	return 0;
}

static void print_row(const struct series *s, size_t mib)
{
	double ck = median((double *)s->ck, s->n), rs = median((double *)s->rs, s->n);

	printf("    %-16s %7.2f s %6.0f MiB/s   %7.2f s %6.0f MiB/s   %7.0f MiB   %7.1f MiB  "
	       "%7.1f MiB\n",
	       s->label, ck, mib / ck, rs, mib / rs, s->image / (double)MIB, s->ck_rss / 1024.0,
	       s->rs_rss / 1024.0);
}

static void print_ratio(const char *what, const struct series *a, const struct series *b)
{
	if (!a->n || !b->n)
		return;
	printf("    %-32s checkpoint %5.2f x   restore %5.2f x  (speed)\n", what,
	       median((double *)b->ck, b->n) / median((double *)a->ck, a->n),
	       median((double *)b->rs, b->n) / median((double *)a->rs, a->n));
}

static void print_lazy(const struct series *s, const struct series *stored, size_t mib)
{
	double rs = median((double *)s->rs, s->n), home = median((double *)s->home, s->n);

	if (!s->n)
		return;
	printf("    %-16s running after %.2f s, every page home after %.2f s (%.0f MiB/s); "
	       "restore RSS %.1f MiB, pager RSS %.1f MiB\n",
	       s->label, rs, home, mib / home, s->rs_rss / 1024.0, s->pager_rss / 1024.0);
	if (stored->n)
		printf("    %-32s until running %5.2f x   until home %5.2f x  (speed)\n",
		       "ferry lazy / ferry stored", median((double *)stored->rs, stored->n) / rs,
		       median((double *)stored->rs, stored->n) / home);
}

/* Every round on one process: ferry stored, ferry default, ferry lazy, CRIU. */
static int bench_process(struct ctx *x, size_t mib, enum pattern pat, int *rss_over)
{
	struct series stored = { .label = "ferry stored" }, deflt = { .label = "ferry default" },
		      lazy = { .label = "ferry lazy" }, criu = { .label = "criu" };
	pid_t pid = start_target(mib, pat);
	int e = 0;

	if (pid < 0) {
		fprintf(stderr, "bench-checkpoint: cannot start a %zu MiB target\n", mib);
		return -1;
	}
	/*
	 * The same process each round: every restore brings back the PID.
	 * Who goes first turns each round: the first after a target is
	 * filled, or after memory was freed, meets the page allocator in
	 * another state than the next (on a virtual machine, pages the host
	 * has taken back cost more), and no tool should always be that one.
	 */
	for (int r = 0; r < x->runs && e == 0; r++) {
		for (int t = 0; t < 4 && e == 0; t++) {
			switch ((t + r) % 4) {
			case 0:
				e = ferry_round(x, pid, "0", &stored);
				break;
			case 1:
				e = ferry_round(x, pid, NULL, &deflt);
				break;
			case 2:
				e = lazy_round(x, pid, &lazy);
				break;
			default:
				if (x->criu_skip[0] || criu_round(x, pid, &criu) == 0)
					break;
				/* a failed dump or restore may have ended it: a new one */
				end_process(pid);
				pid = start_target(mib, pat);
				if (pid < 0) {
					fprintf(stderr, "bench-checkpoint: cannot start a %zu MiB "
						"target\n", mib);
					return -1;
				}
			}
		}
	}
	end_process(pid);
	if (e < 0)
		return e;
	printf("  %zu MiB, %s pages\n", mib, pattern_name[pat]);
	printf("    %-16s %-26s %-26s %-13s %-12s %s\n", "", "checkpoint", "restore", "image",
	       "ckpt RSS", "restore RSS");
	print_row(&stored, mib);
	print_row(&deflt, mib);
	if (criu.n)
		print_row(&criu, mib);
	print_lazy(&lazy, &stored, mib);
	print_ratio("ferry stored / criu", &stored, &criu);
	print_ratio("ferry default / criu", &deflt, &criu);
	print_ratio("ferry default / ferry stored", &deflt, &stored);
	if (stored.rs_rss / 1024 > RSS_BOUND_MIB || deflt.rs_rss / 1024 > RSS_BOUND_MIB)
		*rss_over = 1;
	return 0;
}

/* Is there a criu on PATH at all? (Whether it works is tried on a process.) */
static void find_criu(struct ctx *x)
{
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : ""), *save = NULL;

	snprintf(x->criu_skip, sizeof(x->criu_skip), "no criu on PATH");
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[4200];

		snprintf(p, sizeof(p), "%.4000s/criu", d);
		if (access(p, X_OK) == 0) {
			x->criu_skip[0] = 0;
			break;
		}
	}
	free(copy);
}

int main(int argc, char **argv)
{
	const char *sizes = getenv("BENCH_SIZES"), *runs = getenv("BENCH_RUNS");
	const char *dir = getenv("BENCH_DIR");
	char tmpl[] = "/dev/shm/ferry-bench.XXXXXX", *list, *save = NULL;
	struct ctx x = { .ferry = argc > 1 ? argv[1] : NULL };
	int rss_over = 0, e = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FERRY\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("bench-checkpoint: skipped: needs root (ptrace, clone3 set_tid)\n");
		return 0;
	}
	x.runs = runs ? atoi(runs) : 3;
	if (x.runs < 1 || x.runs > MAX_RUNS)
		x.runs = 3;
	x.dir = dir ? dir : mkdtemp(tmpl);
	if (!x.dir || (dir && mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		fprintf(stderr, "bench-checkpoint: cannot make the work directory: %s\n",
			strerror(errno));
		return 1;
	}
	snprintf(x.log, sizeof(x.log), "%.4000s/bench.log", x.dir);
	{
		struct utsname u;

		snprintf(x.kernel, sizeof(x.kernel), "%s", uname(&u) == 0 ? u.release : "?");
	}
	/* restored processes become our children, so each can be reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	find_criu(&x);

	printf("bench-checkpoint: images in %s, medians of %d rounds\n", x.dir, x.runs);
	printf("  memcpy bandwidth                  %8.0f MiB/s\n", bench_memcpy());
	printf("  writing into freshly faulted pages %7.0f MiB/s\n", bench_fresh_pages());
	list = strdup(sizes ? sizes : "256 1024 4096");
	for (char *s = strtok_r(list, " ,", &save); s && e == 0; s = strtok_r(NULL, " ,", &save))
		for (int p = RANDOM; p <= MIXED && e == 0; p++)
			e = bench_process(&x, strtoul(s, NULL, 10), p, &rss_over);
	free(list);
	if (x.criu_skip[0])
		printf("  criu: skipped: %s\n", x.criu_skip);
	printf("  restorer peak RSS bound %d MiB: %s\n", RSS_BOUND_MIB,
	       rss_over ? "EXCEEDED" : "kept");
	if (e == 0 && !dir)
		remove_path(x.dir);
	else if (e == 0)
		unlink(x.log);
	return e < 0 ? 1 : 0;
}
