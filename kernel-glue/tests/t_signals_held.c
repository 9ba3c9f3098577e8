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
 *
 * Once DIR/check exists the sender writes the number it sent to DIR/sent
 * and ends. Then every SIGUSR1 sent must have come, each with SI_TKILL and
 * the sender's pid; every SIGUSR2 from the timer; and the expiries counted
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

static pid_t sender;
static int timer_id = -1;
static atomic_long usr1_count, usr1_bad, usr2_bad, expiries;
static atomic_int bad_code, bad_pid;

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

/* The sender: SIGUSR1 to @to, the next once the last was answered. */
static void __attribute__((noreturn)) send_loop(pid_t to)
{
	struct timespec wait = { 0, 100 * 1000 * 1000 };
	sigset_t usr1;
	long sent = 0;
	char tmp[4096], path[4096];
	FILE *f;

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
	snprintf(tmp, sizeof(tmp), "%s/sent.tmp", t_dir);
	snprintf(path, sizeof(path), "%s/sent", t_dir);
	f = fopen(tmp, "w");
	if (!f)
		_exit(1);
	fprintf(f, "%ld\n", sent);
	fclose(f);
	rename(tmp, path);
	_exit(0);
}

/* The sender in a process of its own (no child of ours), its pid known. */
static void start_sender(void)
{
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
			send_loop(me);
		}
		if (write(p[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &sender, sizeof(sender)) != sizeof(sender) || sender <= 0)
		t_fail("no sender started");
	close(p[0]);
	waitpid(mid, NULL, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct ksigevent sev = { .value = TIMER_VALUE, .signo = SIGUSR2, .notify = SIGEV_THREAD_ID };
	struct itimerspec its = { { 0, PERIOD_NS }, { 0, PERIOD_NS } };
	struct timespec nap = { 0, 5 * 1000 * 1000 }, zero = { 0, 0 };
	long long armed_before, armed_after, t1, t2, lo, hi;
	long sent = -1;
	sigset_t usr2;
	siginfo_t si;
	char path[4096];
	FILE *f;

	t_init("signals_held", argc, argv);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_sigaction = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sev.tid = getpid();
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &timer_id) < 0)
		t_fail("timer_create: %s", strerror(errno));
	start_sender();
	armed_before = now_ns();
	if (syscall(SYS_timer_settime, timer_id, 0, &its, NULL) < 0)
		t_fail("timer_settime: %s", strerror(errno));
	armed_after = now_ns();
	t_ready();

	while (!exists("check"))
		nanosleep(&nap, NULL);
	for (int i = 0; i < 300 && !exists("sent"); i++)
		nanosleep(&nap, NULL);
	snprintf(path, sizeof(path), "%s/sent", t_dir);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld", &sent) != 1)
		t_fail("the sender did not say how many it sent");
	fclose(f);
	/* the last one sent may be on its way still */
	for (int i = 0; i < 100 && usr1_count < sent; i++)
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

	printf("sent %ld, SIGUSR1 %ld (%ld bad), timer expiries %ld in [%lld, %lld] (%ld bad)\n", sent,
	       (long)usr1_count, (long)usr1_bad, (long)expiries, lo, hi, (long)usr2_bad);
	if (usr1_bad)
		t_fail("%ld SIGUSR1 not as sent: the first with si_code %d, si_pid %d (sent with "
		       "SI_TKILL by %d)", (long)usr1_bad, bad_code, bad_pid, sender);
	if (usr2_bad)
		t_fail("%ld SIGUSR2 not from the timer: the first with si_code %d, si_pid %d",
		       (long)usr2_bad, bad_code, bad_pid);
	if (usr1_count != sent)
		t_fail("%ld SIGUSR1 came of the %ld sent", (long)usr1_count, sent);
	if (expiries < lo || expiries > hi)
		t_fail("the timer's signals count %ld expiries, not %lld to %lld: some were lost",
		       (long)expiries, lo, hi);
	t_pass();
}
