/* SPDX-License-Identifier: MIT */
/*
 * Several threads at the checkpoint: two count in floating point (their
 * registers and extended state), one waits on a condition variable, one
 * blocks on a mutex the main thread holds, one blocks in read() on a pipe.
 * After restore each keeps its TID, name, TLS and robust list; the counters
 * go on; the waiters wake when the main thread signals, unlocks and writes;
 * pthread_join works (clear_child_tid).
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>
#include <stdint.h>

#include "tlib.h"

#define NCOUNT 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_flag;
static int wake[2];
static volatile int stop_counting;
static volatile unsigned long counts[NCOUNT];
static __thread int tls_marker;

struct tinfo {
	pthread_t th;
	pid_t tid;
	char name[16];
	uint64_t robust_head;
	char result[128]; /* empty: fine */
};

static struct tinfo ti[NCOUNT + 3];

static void fail_in(struct tinfo *t, const char *what)
{
	snprintf(t->result, sizeof(t->result), "%s: %s", t->name, what);
}

/* What a thread checks about itself after the restore. */
static void check_self(struct tinfo *t, int marker)
{
	char path[64], buf[32] = { 0 };
	size_t len;
	void *head;
	int fd;

	if (syscall(SYS_gettid) != t->tid)
		return fail_in(t, "its TID changed");
	if (tls_marker != marker)
		return fail_in(t, "its thread-local storage changed");
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", t->tid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return fail_in(t, "cannot read its comm");
	close(fd);
	buf[strcspn(buf, "\n")] = 0;
	if (strcmp(buf, t->name) != 0)
		return fail_in(t, "its name changed");
	if (syscall(SYS_get_robust_list, 0, &head, &len) < 0 ||
	    (uint64_t)(uintptr_t)head != t->robust_head)
		return fail_in(t, "its robust futex list changed");
}

static void setup_self(struct tinfo *t, int marker)
{
	void *head;
	size_t len;

	t->tid = syscall(SYS_gettid);
	tls_marker = marker;
	pthread_setname_np(pthread_self(), t->name);
	syscall(SYS_get_robust_list, 0, &head, &len);
	t->robust_head = (uintptr_t)head;
}

static void *counter(void *arg)
{
	struct tinfo *t = arg;
	int idx = t - ti;
	double x = 1.0, y = 0.5;

	setup_self(t, 100 + idx);
	while (!stop_counting) {
		/* x stays 1, y stays 0.5: a wrong FPU/SSE state shows */
		x = x * 3.0 / 3.0;
		y = (y + 0.5) - 0.5;
		if (x != 1.0 || y != 0.5) {
			fail_in(t, "its floating point state changed");
			return NULL;
		}
		counts[idx]++;
	}
	check_self(t, 100 + idx);
	return NULL;
}

static void *cond_waiter(void *arg)
{
	struct tinfo *t = arg;

	setup_self(t, 200);
	pthread_mutex_lock(&lock);
	while (!cond_flag)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	check_self(t, 200);
	return NULL;
}

static void *mutex_waiter(void *arg)
{
	struct tinfo *t = arg;

	setup_self(t, 300);
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	check_self(t, 300);
	return NULL;
}

static void *reader(void *arg)
{
	struct tinfo *t = arg;
	char c;

	setup_self(t, 400);
	if (read(wake[0], &c, 1) != 1 || c != 'r') {
		fail_in(t, "read() on the pipe failed");
		return NULL;
	}
	check_self(t, 400);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long before[NCOUNT];
	void *(*fn[NCOUNT + 3])(void *) = { counter, counter, cond_waiter, mutex_waiter, reader };
	const char *names[NCOUNT + 3] = { "count-a", "count-b", "cond-wait", "mutex-wait",
					  "pipe-read" };
	struct timespec tick = { 0, 200 * 1000 * 1000 };

	t_init("threads", argc, argv);
	if (pipe(wake) < 0)
		t_fail("pipe: %s", strerror(errno));
	pthread_mutex_lock(&held);
	for (int i = 0; i < NCOUNT + 3; i++) {
		snprintf(ti[i].name, sizeof(ti[i].name), "%s", names[i]);
		if (pthread_create(&ti[i].th, NULL, fn[i], &ti[i]) != 0)
			t_fail("pthread_create");
	}
	nanosleep(&tick, NULL);
	t_ready();
	t_wait_go();

	/* each counter must move; on a loaded machine a runnable thread may
	 * wait its turn for a while, so it gets up to 5 s, not one tick */
	for (int i = 0; i < NCOUNT; i++)
		before[i] = counts[i];
	for (int i = 0; i < NCOUNT; i++) {
		for (int waited = 0; counts[i] == before[i]; waited++) {
			if (waited == 25)
				t_fail("counter thread %d does not run after the restore "
				       "(5 s)", i);
			nanosleep(&tick, NULL);
		}
	}
	stop_counting = 1;
	pthread_mutex_lock(&lock);
	cond_flag = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_mutex_unlock(&held);
	if (write(wake[1], "r", 1) != 1)
		t_fail("write: %s", strerror(errno));
	for (int i = 0; i < NCOUNT + 3; i++) {
		pthread_join(ti[i].th, NULL);
		if (ti[i].result[0])
			t_fail("%s", ti[i].result);
	}
	t_pass();
}
