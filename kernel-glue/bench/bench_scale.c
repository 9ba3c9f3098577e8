/* SPDX-License-Identifier: MIT */
/*
 * make bench-scale: is checkpoint and restore time linear in the work?
 * For each dimension (threads of one process, processes of one tree,
 * descriptors, memory areas) a target of that shape is started at growing
 * sizes, checkpointed with --kill (stored pages: the pages are not what is
 * measured here), restored, checked (every thread, process, descriptor
 * and area is back) and removed. Printed per size: both times and the time
 * per 1000 objects; per dimension: how much the time per object grew from
 * the smallest to the largest size (1.0 is linear).
 *
 * The sizes stop at what this machine allows without privileges ferry does
 * not ask for: descriptors stop below RLIMIT_NOFILE's hard limit (the
 * restorer holds every file at once), areas below vm.max_map_count, threads
 * and processes below kernel.pid_max; each cut is printed.
 *
 * Usage: bench-scale FERRY_BINARY WORK_DIR
 *   SCALE_QUICK=1          small sizes
 *   SCALE_ONLY=threads,..  only these dimensions
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define RESTORE_10K_THREADS_GOAL_S 10.0

enum dimension { THREADS, PROCESSES, DESCRIPTORS, AREAS };

static const char *const dimension_name[] = { "threads", "processes", "descriptors", "areas" };

struct shape {
	enum dimension dim;
	long count; /* objects of the dimension in the whole target */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long read_long_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* stdio to /dev/null, nothing else open but @keep: a descriptor reaching
 * the benchmark would be an object outside the selection */
static void detach_stdio(int keep)
{
	int null = open("/dev/null", O_RDWR);

	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (keep != 3 && dup2(keep, 3) == 3)
		keep = 3;
	syscall(SYS_close_range, keep + 1, ~0u, 0);
}

static void say_ready(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(1);
	close(fd);
}

static void *parked(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* What runs in the target: builds its shape, says so on fd 3, waits. */
static void target_main(const struct shape *s)
{
	switch (s->dim) {
	case THREADS: {
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		for (long i = 1; i < s->count; i++) {
			pthread_t t;

			if (pthread_create(&t, &attr, parked, NULL) != 0)
				_exit(1);
		}
		say_ready(3);
		break;
	}
	case PROCESSES:
		for (long i = 1; i < s->count; i++) {
			pid_t pid = fork();

			if (pid < 0)
				_exit(1);
			if (pid == 0) {
				say_ready(3);
				for (;;)
					pause();
			}
		}
		say_ready(3);
		break;
	case DESCRIPTORS:
		for (long i = 0; i < s->count; i++)
			if (eventfd((unsigned)i, 0) < 0)
				_exit(1);
		say_ready(3);
		break;
	case AREAS:
		/* one page each, every other one read-only and a page apart, so
		 * that no two merge into one area */
		for (long i = 0; i < s->count; i++) {
			char *a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (a == MAP_FAILED)
				_exit(1);
			a[0] = (char)i;
			munmap(a + PAGE, PAGE);
			if (i % 2)
				mprotect(a, PAGE, PROT_READ);
		}
		say_ready(3);
		break;
	}
	for (;;)
		pause();
}

/* readiness bytes the benchmark waits for */
static long ready_count(const struct shape *s)
{
	return s->dim == PROCESSES ? s->count : 1;
}

static pid_t start_target(const struct shape *s)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		setpgid(0, 0);
		detach_stdio(p[1]);
		target_main(s);
	}
	close(p[1]);
	for (long i = 0; pid > 0 && i < ready_count(s); i++)
		if (read(p[0], &c, 1) != 1) {
			kill(pid, SIGKILL);
			pid = -1;
		}
	close(p[0]);
	return pid;
}

/* Every child of this subreaper gone: killed targets, restored ones. */
static void reap_all(void)
{
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
}

static void kill_tree(pid_t root)
{
	/* the processes of a target share the root's process group */
	kill(-root, SIGKILL);
	kill(root, SIGKILL);
	reap_all();
}

static int run_ferry(char *const argv[], double *ret_secs)
{
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	/* reaping every other child meanwhile: the targets ferry checkpoints
	 * with --kill are ours, and --kill returns once their pids are free */
	for (pid_t w; (w = waitpid(-1, &status, __WALL)) != pid;)
		if (w < 0 && errno != EINTR)
			return -1;
	*ret_secs = now() - t0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long count_dir(const char *path)
{
	char cmd[512];
	FILE *p;
	long n = -1;

	snprintf(cmd, sizeof(cmd), "ls -1 %s 2>/dev/null | wc -l", path);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%ld", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

/* What the restored target holds, counted from outside. */
static long restored_count(const struct shape *s, pid_t root)
{
	char path[128], cmd[256];
	long n = 0;

	switch (s->dim) {
	case THREADS:
		snprintf(path, sizeof(path), "/proc/%d/task", root);
		return count_dir(path);
	case PROCESSES:
	case DESCRIPTORS:
		snprintf(cmd, sizeof(cmd), "pgrep -g %d", root);
		{
			FILE *p = popen(cmd, "r");
			int pid;

			if (!p)
				return -1;
			while (fscanf(p, "%d", &pid) == 1) {
				if (s->dim == PROCESSES) {
					n++;
					continue;
				}
				/* eventfds: every descriptor above stdio */
				snprintf(path, sizeof(path), "/proc/%d/fd", pid);
				n += count_dir(path) - 3;
			}
			pclose(p);
		}
		return n;
	case AREAS: {
		FILE *f;
		char line[512];

		snprintf(path, sizeof(path), "/proc/%d/maps", root);
		f = fopen(path, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			if (strchr(line, '/') == NULL && strchr(line, '[') == NULL)
				n++; /* anonymous, unnamed: the target's own */
		fclose(f);
		return n;
	}
	}
	return -1;
}

struct result {
	long count;
	double ckpt_s, restore_s;
};

/* One size of one dimension; 0 done, -1 failed (said why). */
static int measure(const char *ferry, const char *image, const struct shape *s,
		   struct result *res)
{
	char pidbuf[32];
	double t_ck, t_rs;
	long before_areas = 0, got;
	pid_t root = start_target(s);
	int st;

	if (root < 0) {
		fprintf(stderr, "bench-scale: cannot start a target of %ld %s\n", s->count,
			dimension_name[s->dim]);
		return -1;
	}
	if (s->dim == AREAS)
		before_areas = restored_count(s, root);
	snprintf(pidbuf, sizeof(pidbuf), "%d", root);
	st = run_ferry((char *[]){ (char *)ferry, "checkpoint", "--tree", pidbuf, "-o",
				   (char *)image, "--kill", "--level", "0", NULL },
		       &t_ck);
	if (st != 0) {
		fprintf(stderr, "bench-scale: ferry checkpoint of %ld %s failed (%d)\n", s->count,
			dimension_name[s->dim], st);
		kill_tree(root);
		unlink(image);
		return -1;
	}
	reap_all(); /* every killed pid free for the restore */
	st = run_ferry((char *[]){ (char *)ferry, "restore", (char *)image, NULL }, &t_rs);
	unlink(image);
	if (st != 0) {
		fprintf(stderr, "bench-scale: ferry restore of %ld %s failed (%d)\n", s->count,
			dimension_name[s->dim], st);
		kill_tree(root);
		return -1;
	}
	got = restored_count(s, root);
	kill_tree(root);
	if ((s->dim == AREAS && got != before_areas) || (s->dim != AREAS && got != s->count)) {
		fprintf(stderr, "bench-scale: restored %ld %s, expected %ld\n", got,
			dimension_name[s->dim], s->dim == AREAS ? before_areas : s->count);
		return -1;
	}
	res->count = s->count;
	res->ckpt_s = t_ck;
	res->restore_s = t_rs;
	return 0;
}

static void print_dimension(enum dimension d, const struct result *r, int n)
{
	printf("%s\n", dimension_name[d]);
	printf("  %8s %12s %12s %16s %16s\n", "count", "checkpoint", "restore",
	       "ckpt ms/1000", "restore ms/1000");
	for (int i = 0; i < n; i++)
		printf("  %8ld %10.2f s %10.2f s %16.1f %16.1f\n", r[i].count, r[i].ckpt_s,
		       r[i].restore_s, r[i].ckpt_s * 1e6 / r[i].count,
		       r[i].restore_s * 1e6 / r[i].count);
	if (n >= 2) {
		const struct result *a = &r[0], *b = &r[n - 1];

		printf("  time per object, %ld against %ld: checkpoint %.2fx, restore %.2fx "
		       "(1.0 is linear)\n", b->count, a->count,
		       (b->ckpt_s / b->count) / (a->ckpt_s / a->count),
		       (b->restore_s / b->count) / (a->restore_s / a->count));
	}
}

#define MAX_SIZES 8

int main(int argc, char **argv)
{
	bool quick = getenv("SCALE_QUICK") != NULL;
	long sizes[4][MAX_SIZES] = {
		[THREADS] = { 1000, 2000, 5000, 10000, 20000 },
		[PROCESSES] = { 100, 300, 1000 },
		[DESCRIPTORS] = { 1000, 10000, 100000 },
		[AREAS] = { 1024, 8192, 65536 },
	};
	long pid_max = read_long_file("/proc/sys/kernel/pid_max");
	long map_max = read_long_file("/proc/sys/vm/max_map_count");
	struct rlimit nofile;
	double restore_10k = -1;
	char image[4096];
	int failed = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FERRY WORK_DIR\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("bench-scale: skipped: needs root (ptrace, clone3 set_tid)\n");
		return 0;
	}
	if (quick) {
		long q[4][MAX_SIZES] = {
			[THREADS] = { 100, 1000 }, [PROCESSES] = { 10, 100 },
			[DESCRIPTORS] = { 100, 1000 }, [AREAS] = { 128, 1024 },
		};

		memcpy(sizes, q, sizeof(q));
	}
	snprintf(image, sizeof(image), "%s/scale.ferry", argv[2]);
	/* restored processes are reparented here when ferry restore exits */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	getrlimit(RLIMIT_NOFILE, &nofile);
	nofile.rlim_cur = nofile.rlim_max;
	setrlimit(RLIMIT_NOFILE, &nofile);
	printf("checkpoint (--kill, stored) and restore time against the number of objects\n");
	printf("  this machine: kernel.pid_max %ld, vm.max_map_count %ld, RLIMIT_NOFILE hard %llu\n",
	       pid_max, map_max, (unsigned long long)nofile.rlim_max);

	for (int d = THREADS; d <= AREAS; d++) {
		const char *only = getenv("SCALE_ONLY");
		struct result res[MAX_SIZES];
		int n = 0;

		if (only && !strstr(only, dimension_name[d]))
			continue;

		for (int i = 0; i < MAX_SIZES && sizes[d][i]; i++) {
			struct shape s = { .dim = d, .count = sizes[d][i] };

			if ((d == THREADS || d == PROCESSES) && s.count > pid_max * 3 / 4) {
				printf("  %s: %ld left out: kernel.pid_max is %ld\n",
				       dimension_name[d], s.count, pid_max);
				continue;
			}
			if (d == AREAS && s.count > map_max - 1024) {
				printf("  areas: %ld cut to %ld: vm.max_map_count is %ld\n", s.count,
				       map_max - 1024, map_max);
				s.count = map_max - 1024;
			}
			if (d == DESCRIPTORS && s.count > (long)nofile.rlim_max - 512) {
				printf("  descriptors: %ld cut to %ld: the restorer holds every file "
				       "at once and RLIMIT_NOFILE's hard limit is %llu here (raising "
				       "it needs CAP_SYS_RESOURCE)\n", s.count,
				       (long)nofile.rlim_max - 512,
				       (unsigned long long)nofile.rlim_max);
				s.count = (long)nofile.rlim_max - 512;
			}
			fflush(stdout);
			if (measure(argv[1], image, &s, &res[n]) < 0) {
				failed = 1;
				continue;
			}
			if (d == THREADS && s.count == 10000)
				restore_10k = res[n].restore_s;
			n++;
		}
		print_dimension(d, res, n);
		fflush(stdout);
	}
	if (restore_10k >= 0)
		printf("10000 threads restored in %.2f s (goal under %.0f s: %s)\n", restore_10k,
		       RESTORE_10K_THREADS_GOAL_S,
		       restore_10k < RESTORE_10K_THREADS_GOAL_S ? "met" : "NOT MET");
	return failed || restore_10k >= RESTORE_10K_THREADS_GOAL_S;
}
