/* SPDX-License-Identifier: MIT */
/*
 * Zombies, checkpointed with --tree (scenario_tree.sh):
 *
 *   P  session leader; counts the SIGCHLD and SIGUSR2 it takes
 *   +- Z0   exited 0
 *   +- Z42  exited 42, in a process group of its own
 *   +- ZK   killed by SIGKILL
 *   +- ZT   killed by SIGTERM
 *   +- ZC   a clone child of exit signal SIGUSR2 (only __WCLONE waits for
 *           it), exited 7; P blocks SIGUSR2, which stays queued
 *   +- L    alive, blocked in a read
 *
 * After the restore: every zombie is still there (state Z) with its group;
 * no SIGCHLD came and SIGUSR2 is queued as before, once; waitpid() on each
 * gives its status (ZC's only with __WCLONE), waitid() the same uid; L
 * answers through a pipe and exits 0.
 *
 * host-test: by scenario_tree.sh
 */
#include <sched.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "tlib.h"

static volatile sig_atomic_t sigchld_count, sigusr2_count;

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		sigchld_count++;
	else
		sigusr2_count++;
}

static pid_t child_exiting(int code, bool own_group)
{
	pid_t pid = fork();

	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		if (own_group)
			setpgid(0, 0);
		_exit(code);
	}
	return pid;
}

static pid_t child_killed(int sig)
{
	pid_t pid = fork();

	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		signal(sig, SIG_DFL);
		for (;;)
			pause();
	}
	kill(pid, sig);
	return pid;
}

/* A child whose end sends P SIGUSR2 instead of SIGCHLD. */
static pid_t clone_child(void)
{
	pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGUSR2, 0, 0, 0, 0);

	if (pid < 0)
		t_fail("clone: %s", strerror(errno));
	if (pid == 0)
		syscall(SYS_exit_group, 7);
	return pid;
}

static void wait_zombie(pid_t pid, const char *who)
{
	for (int i = 0; t_state_of(pid) != 'Z'; i++) {
		if (i > 5000)
			t_fail("%s is in state %c, not a zombie", who, t_state_of(pid));
		usleep(1000);
	}
}

static void check_status(pid_t pid, int options, int want, const char *who)
{
	int st = 0;
	pid_t r = waitpid(pid, &st, options | WNOHANG);

	if (r != pid)
		t_fail("%s: waitpid gave %d (%s), not its pid %d", who, r,
		       r < 0 ? strerror(errno) : "not ended", pid);
	if (st != want)
		t_fail("%s: waitpid gave status %#x, not %#x", who, st, want);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	pid_t z0, z42, zk, zt, zc, l;
	int go[2], answer[2], st, before_chld, before_usr2, pgid42;
	sigset_t usr2, pending;
	siginfo_t si;
	char c = 'x';

	t_init("zombies", argc, argv);
	if (pipe(go) < 0 || pipe(answer) < 0)
		t_fail("pipe: %s", strerror(errno));
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	l = fork();
	if (l == 0) {
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(write(answer[1], &c, 1) == 1 ? 0 : 1);
	}
	z0 = child_exiting(0, false);
	z42 = child_exiting(42, true);
	zk = child_killed(SIGKILL);
	zt = child_killed(SIGTERM);
	zc = clone_child();
	wait_zombie(z0, "Z0");
	wait_zombie(z42, "Z42");
	wait_zombie(zk, "ZK");
	wait_zombie(zt, "ZT");
	wait_zombie(zc, "ZC");
	pgid42 = getpgid(z42);
	if (pgid42 != z42)
		t_fail("Z42 is in group %d, not its own", pgid42);
	usleep(100 * 1000); /* every SIGCHLD taken */
	before_chld = sigchld_count;
	before_usr2 = sigusr2_count;
	t_ready();
	t_wait_go();

	if (sigchld_count != before_chld)
		t_fail("%d SIGCHLD came with the restore", sigchld_count - before_chld);
	sigpending(&pending);
	if (sigismember(&pending, SIGCHLD))
		t_fail("SIGCHLD is queued after the restore");
	if (!sigismember(&pending, SIGUSR2))
		t_fail("SIGUSR2, queued by ZC's end, is no longer queued");
	if (t_state_of(z0) != 'Z' || t_state_of(z42) != 'Z' || t_state_of(zk) != 'Z' ||
	    t_state_of(zt) != 'Z' || t_state_of(zc) != 'Z')
		t_fail("the zombies are in states %c %c %c %c %c", t_state_of(z0), t_state_of(z42),
		       t_state_of(zk), t_state_of(zt), t_state_of(zc));
	if (getpgid(z42) != pgid42 || getpgid(z0) != getpgrp())
		t_fail("Z42 is in group %d (was %d), Z0 in %d", getpgid(z42), pgid42, getpgid(z0));
	if (t_state_of(l) == 'Z' || t_state_of(l) == '?')
		t_fail("L, alive at the checkpoint, is in state %c", t_state_of(l));
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, z0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != z0 ||
	    si.si_code != CLD_EXITED || si.si_status != 0 || si.si_uid != getuid())
		t_fail("Z0: waitid gave pid %d code %d status %d uid %d", si.si_pid, si.si_code,
		       si.si_status, si.si_uid);
	/* a clone child: not found without __WCLONE */
	if (waitpid(zc, &st, WNOHANG) != -1 || errno != ECHILD)
		t_fail("ZC, a clone child, is found by a waitpid without __WCLONE");
	check_status(z0, 0, 0, "Z0");
	check_status(z42, 0, 42 << 8, "Z42");
	check_status(zk, 0, SIGKILL, "ZK");
	check_status(zt, 0, SIGTERM, "ZT");
	check_status(zc, __WCLONE, 7 << 8, "ZC");
	if (sigchld_count != before_chld)
		t_fail("%d SIGCHLD came with the waits", sigchld_count - before_chld);
	sigprocmask(SIG_UNBLOCK, &usr2, NULL);
	if (sigusr2_count != before_usr2 + 1)
		t_fail("SIGUSR2 was taken %d times once unblocked, not once",
		       sigusr2_count - before_usr2);
	if (write(go[1], &c, 1) != 1 || read(answer[0], &c, 1) != 1)
		t_fail("no answer from L");
	while (waitpid(l, &st, 0) < 0)
		if (errno != EINTR)
			t_fail("L: waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail("L ended with %#x", st);
	t_pass();
}
