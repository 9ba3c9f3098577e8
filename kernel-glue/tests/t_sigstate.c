/* SPDX-License-Identifier: MIT */
/*
 * Per-process and per-thread signal and privilege state: a handler on an
 * alternate stack for SIGUSR2, blocked, with one SIGUSR2 pending for the
 * process and one queued real-time signal with a value pending for the
 * thread; clear_child_tid; capabilities (a smaller permitted set, a smaller
 * bounding set, one ambient capability); no_new_privs; the process name.
 * After the restore all of it reads back the same, then the signals are
 * unblocked and delivered: SIGUSR2 on the alternate stack, the real-time
 * one with its value.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>

#include "tlib.h"

#define ALT_SIZE (64 * 1024)

static char altstack[ALT_SIZE] __attribute__((aligned(16)));
static volatile int usr2_seen, usr2_on_alt, rt_seen, rt_value, rt_code;
static int tid_word;

static void on_usr2(int sig)
{
	char here;

	(void)sig;
	usr2_seen++;
	usr2_on_alt = &here >= altstack && &here < altstack + ALT_SIZE;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	rt_seen++;
	rt_value = si->si_value.sival_int;
	rt_code = si->si_code;
}

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d);
}

static int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capset, &h, d);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = SA_ONSTACK | SA_RESTART };
	struct sigaction sr = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct __user_cap_data_struct caps[2], caps_after[2];
	stack_t ss = { .ss_sp = altstack, .ss_size = ALT_SIZE }, ss_after;
	union sigval val = { .sival_int = 4242 };
	sigset_t block, pending;
	siginfo_t si = { 0 };
	int *tid_addr = NULL, bnd_mknod, amb;
	char name[16] = { 0 };

	t_init("sigstate", argc, argv);
	if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGUSR2, &sa, NULL) < 0 ||
	    sigaction(SIGRTMIN + 3, &sr, NULL) < 0)
		t_fail("setup of signals: %s", strerror(errno));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &block, NULL);
	kill(getpid(), SIGUSR2); /* pending for the process */
	si.si_signo = SIGRTMIN + 3;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value = val; /* pending for this thread */
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGRTMIN + 3, &si) < 0)
		t_fail("rt_tgsigqueueinfo: %s", strerror(errno));
	syscall(SYS_set_tid_address, &tid_word);
	prctl(PR_SET_NAME, "sig-state");

	/* capabilities: drop CAP_SYS_BOOT, keep CAP_NET_BIND_SERVICE as ambient,
	 * drop CAP_MKNOD from the bounding set */
	if (caps_get(caps) < 0)
		t_fail("capget: %s", strerror(errno));
	caps[0].effective &= ~(1u << CAP_SYS_BOOT);
	caps[0].permitted &= ~(1u << CAP_SYS_BOOT);
	caps[0].inheritable |= 1u << CAP_NET_BIND_SERVICE;
	if (caps_set(caps) < 0 || prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) < 0)
		t_fail("setting capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		t_fail("no_new_privs: %s", strerror(errno));
	caps_get(caps);

	t_ready();
	/* SIGUSR1 (not blocked) says go */
	t_wait_go();

	if (sigaltstack(NULL, &ss_after) < 0 || ss_after.ss_sp != altstack ||
	    ss_after.ss_size != ALT_SIZE || (ss_after.ss_flags & SS_DISABLE))
		t_fail("alternate stack: %p %zu flags %d", ss_after.ss_sp, ss_after.ss_size,
		       ss_after.ss_flags);
	if (prctl(PR_GET_TID_ADDRESS, &tid_addr, 0, 0, 0) < 0 || tid_addr != &tid_word)
		t_fail("clear_child_tid is %p, not %p", (void *)tid_addr, (void *)&tid_word);
	prctl(PR_GET_NAME, name);
	if (strcmp(name, "sig-state") != 0)
		t_fail("name is '%s'", name);
	if (caps_get(caps_after) < 0 || memcmp(caps, caps_after, sizeof(caps)) != 0)
		t_fail("capabilities: effective %#x permitted %#x inheritable %#x",
		       caps_after[0].effective, caps_after[0].permitted, caps_after[0].inheritable);
	bnd_mknod = prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0);
	amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0);
	if (bnd_mknod != 0 || amb != 1)
		t_fail("bounding CAP_MKNOD %d, ambient CAP_NET_BIND_SERVICE %d", bnd_mknod, amb);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		t_fail("no_new_privs is not set");
	sigpending(&pending);
	if (!sigismember(&pending, SIGUSR2) || !sigismember(&pending, SIGRTMIN + 3))
		t_fail("pending signals lost: SIGUSR2 %d, SIGRTMIN+3 %d",
		       sigismember(&pending, SIGUSR2), sigismember(&pending, SIGRTMIN + 3));
	if (usr2_seen || rt_seen)
		t_fail("a blocked signal was delivered");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	if (usr2_seen != 1 || !usr2_on_alt)
		t_fail("SIGUSR2 delivered %d times, %s the alternate stack", usr2_seen,
		       usr2_on_alt ? "on" : "not on");
	if (rt_seen != 1 || rt_value != 4242 || rt_code != SI_QUEUE)
		t_fail("SIGRTMIN+3 delivered %d times, value %d, code %d", rt_seen, rt_value,
		       rt_code);
	t_pass();
}
