/* SPDX-License-Identifier: MIT */
/*
 * Signals that come while the process is checkpointed without --kill, all
 * to its main thread, which ferry drives when it holds the process in a
 * stop of its own and lets go of it (a signal taken then is queued again):
 *
 *   SIGUSR1  tgkill() from a sender, a process of its own whose pid is
 *            known: si_code SI_TKILL, si_pid the sender's. Each is
 *            answered (SIGUSR1 back) before the sender sends the next, so
 *            that none merges into another
 *   SIGUSR2  a POSIX timer every millisecond (SIGEV_THREAD_ID): si_code
 *            SI_TIMER, its id and value; 1 + si_overrun expiries each
 *   SIGRTMIN+2  sigqueue()d by a second sender, about one a millisecond
 *            without waiting for an answer, so that many are queued at
 *            once: si_code SI_QUEUE, si_pid the queuer's, si_uid ours,
 *            si_value 1, 2, 3, ... in that order, none twice, none lost
 *
 * Once DIR/check exists the senders write the numbers they sent to
 * DIR/sent and DIR/queued and end. Then every SIGUSR1 sent must have
 * come, each with SI_TKILL and the sender's pid; every SIGRTMIN+2 queued,
 * in order, each with its value; every SIGUSR2 from the timer; and the
 * expiries counted
 * (the last with the timer's signal blocked, taken with sigtimedwait())
 * must be those of the time elapsed since it was armed: none lost.
 *
 * host-test: by signals_held.sh
 */
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tlib.h"

#define PERIOD_NS 1000000ll
#define TIMER_VALUE ((void *)0x5eed51c0ull)

/* struct sigevent with the thread id the kernel reads */
struct ksigevent {
	void *value;
	int32_t signo, notify, tid;
	int32_t pad[11];
};

static pid_t sender, queuer;
static int timer_id = -1;
static atomic_long usr1_count, usr1_bad, usr2_bad, expiries;
static atomic_int bad_code, bad_pid;
/* the queued real-time signals: how many, the last value, the first wrong */
static atomic_long rt_count, rt_last, rt_bad;
static atomic_int rt_bad_code, rt_bad_pid, rt_bad_uid;
static atomic_long rt_bad_value, rt_bad_after;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int exists(const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	return stat(path, &st) == 0;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (si->si_code != SI_TKILL || si->si_pid != sender) {
		if (!usr1_bad++) {
			bad_code = si->si_code;
			bad_pid = si->si_pid;
		}
	}
	usr1_count++;
	kill(sender, SIGUSR1); /* the answer: the next may come */
}

static void count_usr2(const siginfo_t *si)
{
	if (si->si_code != SI_TIMER || si->si_timerid != timer_id ||
	    si->si_value.sival_ptr != TIMER_VALUE) {
		if (!usr2_bad++) {
			bad_code = si->si_code;
			bad_pid = si->si_pid;
		}
		return;
	}
	expiries += 1 + si->si_overrun;
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	count_usr2(si);
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	long value = si->si_value.sival_int;

	(void)sig, (void)uc;
	if ((si->si_code != SI_QUEUE || si->si_pid != queuer || si->si_uid != getuid() ||
	     value != rt_last + 1) &&
	    !rt_bad++) {
		rt_bad_code = si->si_code;
		rt_bad_pid = si->si_pid;
		rt_bad_uid = si->si_uid;
		rt_bad_value = value;
		rt_bad_after = rt_last;
	}
	rt_last = value;
	rt_count++;
}

/* Write @n to DIR/@name, whole or not at all. */
static void say_count(const char *name, long n)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", t_dir, name);
	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	f = fopen(tmp, "w");
	if (!f)
		_exit(1);
	fprintf(f, "%ld\n", n);
	fclose(f);
	rename(tmp, path);
}

/* The queuer: SIGRTMIN+2 to @to with the values 1, 2, 3, ... */
static void __attribute__((noreturn)) queue_loop(pid_t to)
{
	struct timespec gap = { 0, 1000 * 1000 };
	long next = 1;

	while (!exists("check")) {
		if (sigqueue(to, SIGRTMIN + 2, (union sigval){ .sival_int = (int)next }) == 0)
			next++;
		else if (errno != EAGAIN)
			_exit(1);
		nanosleep(&gap, NULL);
	}
	say_count("queued", next - 1);
	_exit(0);
}

/* The sender: SIGUSR1 to @to, the next once the last was answered. */
static void __attribute__((noreturn)) send_loop(pid_t to)
{
	struct timespec wait = { 0, 100 * 1000 * 1000 };
	sigset_t usr1;
	long sent = 0;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	while (!exists("check")) {
		siginfo_t si = { 0 };

		if (syscall(SYS_tgkill, to, to, SIGUSR1) < 0)
			_exit(1);
		sent++;
		while (sigtimedwait(&usr1, &si, &wait) != SIGUSR1 || si.si_pid != to)
			if (exists("check"))
				goto done;
	}
done:
	say_count("sent", sent);
	_exit(0);
}

/* @loop in a process of its own (no child of ours); returns its pid. */
static pid_t start_sender(void (*loop)(pid_t))
{
	pid_t pid;
	pid_t me = getpid(), mid;
	int p[2];

	if (pipe(p) < 0)
		t_fail("pipe: %s", strerror(errno));
	mid = fork();
	if (mid < 0)
		t_fail("fork: %s", strerror(errno));
	if (mid == 0) {
		pid_t s = fork();

		if (s == 0) {
			close(p[0]);
			close(p[1]);
			setsid();
			loop(me);
		}
		if (write(p[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &pid, sizeof(pid)) != sizeof(pid) || pid <= 0)
		t_fail("no sender started");
	close(p[0]);
	waitpid(mid, NULL, 0);
	return pid;
}

/* The number a sender wrote to DIR/@name. */
static long read_count(const char *name)
{
	struct timespec nap = { 0, 5 * 1000 * 1000 };
	char path[4096];
	long n = -1;
	FILE *f;

	for (int i = 0; i < 300 && !exists(name); i++)
		nanosleep(&nap, NULL);
	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld", &n) != 1)
		t_fail("the sender did not say how many it sent (%s)", name);
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct ksigevent sev = { .value = TIMER_VALUE, .signo = SIGUSR2, .notify = SIGEV_THREAD_ID };
	struct itimerspec its = { { 0, PERIOD_NS }, { 0, PERIOD_NS } };
	struct timespec nap = { 0, 5 * 1000 * 1000 }, zero = { 0, 0 };
	long long armed_before, armed_after, t1, t2, lo, hi;
	long sent, queued;
	sigset_t usr2, senders;
	siginfo_t si;

	t_init("signals_held", argc, argv);
	sigaction(SIGUSR1, &sa, NULL);
	/* the timer's signal is never blocked by its own handler: one pending
	 * behind every mask is refused (its overrun could not be carried) */
	sa.sa_sigaction = on_usr2;
	sa.sa_flags |= SA_NODEFER;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_flags &= ~SA_NODEFER;
	sa.sa_sigaction = on_rt;
	sigaction(SIGRTMIN + 2, &sa, NULL);
	sev.tid = getpid();
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &timer_id) < 0)
		t_fail("timer_create: %s", strerror(errno));
	/* their signals wait until the handlers know the senders' pids */
	sigemptyset(&senders);
	sigaddset(&senders, SIGUSR1);
	sigaddset(&senders, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &senders, NULL);
	sender = start_sender(send_loop);
	queuer = start_sender(queue_loop);
	sigprocmask(SIG_UNBLOCK, &senders, NULL);
	armed_before = now_ns();
	if (syscall(SYS_timer_settime, timer_id, 0, &its, NULL) < 0)
		t_fail("timer_settime: %s", strerror(errno));
	armed_after = now_ns();
	t_ready();

	while (!exists("check"))
		nanosleep(&nap, NULL);
	sent = read_count("sent");
	queued = read_count("queued");
	/* the last one sent may be on its way still */
	for (int i = 0; i < 100 && (usr1_count < sent || rt_count < queued); i++)
		nanosleep(&nap, NULL);

	/* the timer's last expiries: counted up to a dequeue between t1 and t2 */
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	t1 = now_ns();
	while (sigtimedwait(&usr2, &si, &zero) == SIGUSR2)
		count_usr2(&si);
	t2 = now_ns();
	lo = (t1 - armed_after) / PERIOD_NS;
	hi = (t2 - armed_before) / PERIOD_NS;

	printf("sent %ld, SIGUSR1 %ld (%ld bad), queued %ld, SIGRTMIN+2 %ld (%ld bad), timer "
	       "expiries %ld in [%lld, %lld] (%ld bad)\n", sent, (long)usr1_count, (long)usr1_bad,
	       queued, (long)rt_count, (long)rt_bad, (long)expiries, lo, hi, (long)usr2_bad);
	if (usr1_bad)
		t_fail("%ld SIGUSR1 not as sent: the first with si_code %d, si_pid %d (sent with "
		       "SI_TKILL by %d)", (long)usr1_bad, bad_code, bad_pid, sender);
	if (usr2_bad)
		t_fail("%ld SIGUSR2 not from the timer: the first with si_code %d, si_pid %d",
		       (long)usr2_bad, bad_code, bad_pid);
	if (rt_bad)
		t_fail("%ld SIGRTMIN+2 not as queued: the first with si_code %d, si_pid %d, si_uid %d, "
		       "value %ld after %ld (queued with SI_QUEUE by %d, uid %d, values in order)",
		       (long)rt_bad, rt_bad_code, rt_bad_pid, rt_bad_uid, (long)rt_bad_value,
		       (long)rt_bad_after, queuer, (int)getuid());
	if (rt_count != queued)
		t_fail("%ld SIGRTMIN+2 came of the %ld queued", (long)rt_count, queued);
	if (usr1_count != sent)
		t_fail("%ld SIGUSR1 came of the %ld sent", (long)usr1_count, sent);
	if (expiries < lo || expiries > hi)
		t_fail("the timer's signals count %ld expiries, not %lld to %lld: some were lost",
		       (long)expiries, lo, hi);
	t_pass();
}
