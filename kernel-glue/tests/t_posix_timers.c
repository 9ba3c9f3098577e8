/* SPDX-License-Identifier: MIT */
/*
 * POSIX timers, made with the system calls so that the ids are the
 * kernel's:
 *
 *   0  CLOCK_MONOTONIC, every 50 ms, SIGEV_SIGNAL (SIGRTMIN, a handler)
 *   1  deleted: a gap
 *   2  CLOCK_MONOTONIC, every 40 ms, SIGEV_THREAD_ID to thread W, which
 *      waits for it in sigwaitinfo()
 *   3  deleted: a gap
 *   4  CLOCK_MONOTONIC, every 2.5 s, its signal blocked: taken once with
 *      sigwaitinfo() after more than a period, so that its overrun count
 *      is 1 or more, then left alone
 *   5  disarmed
 *   6  CLOCK_MONOTONIC one-shot, 5 s after ready (SIGRTMIN+3, a handler)
 *   7  CLOCK_REALTIME, SIGEV_NONE, absolute: 5.5 s after ready
 *
 * After the restore: the gaps are gaps, the disarmed timer is there and
 * disarmed, timer 4 keeps its overrun count and period, the periodic ones
 * go on with their sigevents (value, timer id, target thread), the
 * one-shot fires on time as the process's clock reads, the realtime one
 * keeps its wall-clock expiry, and a new timer gets id 8.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tlib.h"

#define SIG_PERIODIC (SIGRTMIN)
#define SIG_THREAD (SIGRTMIN + 1)
#define SIG_OVERRUN (SIGRTMIN + 2)
#define SIG_ONESHOT (SIGRTMIN + 3)
#define VALUE(id) ((uint64_t)0x5eed0000abc00000ull + (id))

/* struct sigevent with the thread id the kernel reads */
struct ksigevent {
	uint64_t value;
	int32_t signo, notify, tid;
	int32_t pad[11];
};

static atomic_int periodic_count, periodic_bad, thread_count, thread_bad;
static atomic_int oneshot_fired;
static double oneshot_at;
static pid_t thread_tid;

static int make_timer(clockid_t clk, int notify, int sig, pid_t tid, int want)
{
	struct ksigevent sev = { .value = VALUE(want), .signo = sig, .notify = notify, .tid = tid };
	int id = -1;

	if (syscall(SYS_timer_create, clk, &sev, &id) < 0)
		t_fail("timer_create: %s", strerror(errno));
	if (id != want)
		t_fail("timer_create gave id %d, not %d", id, want);
	return id;
}

static void arm(int id, int flags, double value, double interval)
{
	struct itimerspec its = {
		.it_value = { (time_t)value, (long)((value - (time_t)value) * 1e9) },
		.it_interval = { (time_t)interval, (long)((interval - (time_t)interval) * 1e9) },
	};

	if (syscall(SYS_timer_settime, id, flags, &its, NULL) < 0)
		t_fail("timer_settime %d: %s", id, strerror(errno));
}

static int gettime(int id, struct itimerspec *its)
{
	return syscall(SYS_timer_gettime, id, its);
}

static double secs(struct timespec ts)
{
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep @s seconds, whatever signals come meanwhile. */
static void sleep_for(double s)
{
	double until = t_now(CLOCK_MONOTONIC) + s;
	struct timespec tick = { 0, 1000 * 1000 };

	while (t_now(CLOCK_MONOTONIC) < until)
		nanosleep(&tick, NULL);
}

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIG_ONESHOT) {
		oneshot_at = t_now(CLOCK_MONOTONIC);
		oneshot_fired = 1;
		return;
	}
	if (si->si_code != SI_TIMER || si->si_timerid != 0 || si->si_value.sival_ptr != (void *)VALUE(0))
		periodic_bad++;
	periodic_count++;
}

static void *run_w(void *arg)
{
	sigset_t set;
	siginfo_t si;

	(void)arg;
	thread_tid = gettid();
	sigemptyset(&set);
	sigaddset(&set, SIG_THREAD);
	for (;;) {
		if (sigwaitinfo(&set, &si) != SIG_THREAD)
			continue;
		if (si.si_code != SI_TIMER || si.si_timerid != 2 ||
		    si.si_value.sival_ptr != (void *)VALUE(2))
			thread_bad++;
		thread_count++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_timer, .sa_flags = SA_SIGINFO | SA_RESTART };
	double t_ready_at, rt_ready_at, late = 0.5;
	struct timespec tick = { 0, 1000 * 1000 };
	int overrun, n0, th0, id;
	struct itimerspec its;
	sigset_t block;
	siginfo_t si;
	pthread_t w;

	t_init("posix_timers", argc, argv);
	sigaction(SIG_PERIODIC, &sa, NULL);
	sigaction(SIG_ONESHOT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIG_THREAD);
	sigaddset(&block, SIG_OVERRUN);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	if (pthread_create(&w, NULL, run_w, NULL) != 0)
		t_fail("pthread_create");
	while (!thread_tid)
		nanosleep(&tick, NULL);

	make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIG_PERIODIC, 0, 0);
	make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 1);
	make_timer(CLOCK_MONOTONIC, SIGEV_THREAD_ID, SIG_THREAD, thread_tid, 2);
	make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 3);
	make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIG_OVERRUN, 0, 4);
	make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIG_OVERRUN, 0, 5);
	make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIG_ONESHOT, 0, 6);
	make_timer(CLOCK_REALTIME, SIGEV_NONE, 0, 0, 7);
	syscall(SYS_timer_delete, 1);
	syscall(SYS_timer_delete, 3);

	arm(4, 0, 0.05, 2.5);
	arm(0, 0, 0.05, 0.05);
	arm(2, 0, 0.04, 0.04);
	/* two expiries of timer 4 while its signal waits: overrun 1 */
	sleep_for(2.6);
	sigemptyset(&block);
	sigaddset(&block, SIG_OVERRUN);
	if (sigwaitinfo(&block, &si) != SIG_OVERRUN || si.si_timerid != 4 || si.si_overrun < 1)
		t_fail("timer 4: signal %d of timer %d, overrun %d", si.si_signo, si.si_timerid,
		       si.si_overrun);
	overrun = syscall(SYS_timer_getoverrun, 4);
	if (overrun != si.si_overrun)
		t_fail("timer 4: timer_getoverrun %d, the signal said %d", overrun, si.si_overrun);
	t_ready_at = t_now(CLOCK_MONOTONIC);
	rt_ready_at = t_now(CLOCK_REALTIME);
	arm(6, 0, 5.0, 0);
	arm(7, TIMER_ABSTIME, rt_ready_at + 5.5, 0);
	t_ready();
	t_wait_go();

	if (t_now(CLOCK_MONOTONIC) - t_ready_at > 4.5)
		t_fail("too late to check (%.2f s)", t_now(CLOCK_MONOTONIC) - t_ready_at);
	if (gettime(1, &its) == 0 || errno != EINVAL || gettime(3, &its) == 0 || errno != EINVAL)
		t_fail("the gaps at ids 1 and 3 are filled");
	if (gettime(5, &its) < 0 || secs(its.it_value) || secs(its.it_interval))
		t_fail("timer 5 is not there disarmed");
	if (syscall(SYS_timer_getoverrun, 4) != overrun)
		t_fail("timer 4: overrun %ld, not %d", syscall(SYS_timer_getoverrun, 4), overrun);
	if (gettime(4, &its) < 0 || secs(its.it_interval) != 2.5 || secs(its.it_value) <= 0)
		t_fail("timer 4: period %.3f, next in %.3f", secs(its.it_interval),
		       secs(its.it_value));
	if (gettime(0, &its) < 0 || secs(its.it_interval) != 0.05)
		t_fail("timer 0: period %.3f", secs(its.it_interval));
	n0 = periodic_count;
	th0 = thread_count;
	sleep_for(0.4);
	if (periodic_count - n0 < 4 || thread_count - th0 < 5)
		t_fail("in 0.4 s timer 0 fired %d times, timer 2 %d times", periodic_count - n0,
		       thread_count - th0);
	if (periodic_bad || thread_bad)
		t_fail("%d signals of timer 0 and %d of timer 2 had another sigevent",
		       (int)periodic_bad, (int)thread_bad);
	if (gettime(7, &its) < 0 ||
	    secs(its.it_value) - (rt_ready_at + 5.5 - t_now(CLOCK_REALTIME)) > 0.05 ||
	    secs(its.it_value) - (rt_ready_at + 5.5 - t_now(CLOCK_REALTIME)) < -0.05)
		t_fail("timer 7 expires in %.3f s, not at its wall-clock time (%.3f s from now)",
		       secs(its.it_value), rt_ready_at + 5.5 - t_now(CLOCK_REALTIME));
	if (oneshot_fired)
		t_fail("timer 6 fired early");
	while (!oneshot_fired && t_now(CLOCK_MONOTONIC) - t_ready_at < 5.0 + 2 * late)
		nanosleep(&tick, NULL);
	if (!oneshot_fired || oneshot_at - t_ready_at < 5.0 - 0.01 || oneshot_at - t_ready_at > 5.0 + late)
		t_fail("timer 6 fired %s %.3f s after ready instead of 5", oneshot_fired ? "at" : "not by",
		       (oneshot_fired ? oneshot_at : t_now(CLOCK_MONOTONIC)) - t_ready_at);
	id = make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 8);
	(void)id;
	t_pass();
}
