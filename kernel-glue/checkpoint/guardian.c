/* SPDX-License-Identifier: MIT */
/*
 * The guardian (guardian.h): a child of ferry in a session of its own, so
 * that a kill of ferry's process group or the hangup of its terminal does
 * not reach it, and not ferry's death either (no PR_SET_PDEATHSIG). It
 * reads one message at a time from a SOCK_SEQPACKET socket pair; what ferry
 * sent before it died is still queued there, then comes the end of the
 * socket. Its lines go to the stderr it inherited, as "ferry-guard: ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "guardian.h"

/* how long a watched thread's process is given to enter its group stop */
#define GUARDIAN_STOP_WAIT_MS 2000

enum guardian_msg_kind {
	GUARDIAN_SOCKET,   /* a socket (SCM_RIGHTS) before repair mode */
	GUARDIAN_NETLOCK,  /* a connection before its lock */
	GUARDIAN_NETNS,    /* the network namespace of the locks (SCM_RIGHTS), not ferry's */
	GUARDIAN_THREAD,   /* a thread before its registers change */
	GUARDIAN_UNTHREAD, /* that thread has its registers back */
	GUARDIAN_HOLD,     /* a process about to be held in a stop of ferry's */
	GUARDIAN_KILLING,  /* the processes are killed with their connections in repair */
	GUARDIAN_DONE,     /* nothing to undo */
};

struct guardian_msg {
	int kind;
	int reuse; /* GUARDIAN_SOCKET: its SO_REUSEADDR */
	pid_t tgid, tid;
	struct netlock_conn conn;
	arch_regs_t regs;
};

struct guarded_socket {
	int fd, reuse;
};

struct guarded_thread {
	pid_t tgid, tid;
	bool live; /* not unwatched */
	arch_regs_t regs;
};

/* A process held in ferry's stop: continued once the rest is undone. */
struct guarded_hold {
	pid_t pid;
	int pidfd; /* signalled through it: its pid may be reused once it is gone */
};

/* What the guardian holds, to undo should ferry die. */
struct guarded {
	struct guarded_socket *socks;
	size_t nsocks;
	struct netlock_conn *conns;
	size_t nconns;
	int netns; /* where the rules are, when not the guardian's namespace: or -1 */
	struct guarded_thread *threads;
	size_t nthreads;
	struct guarded_hold *holds;
	size_t nholds;
	bool killing;
};

static int send_msg(struct guardian *g, const struct guardian_msg *m, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!g->pid)
		return 0;
	if (fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(g->sock, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		return log_error_errno(-errno, "cannot tell the guardian (pid %d) what to undo",
				       g->pid);
	return 0;
}

/* One message into @m (its descriptor in *@ret_fd, else -1): 1, 0 at the
 * end of the socket, or -errno. */
static int recv_msg(int sock, struct guardian_msg *m, int *ret_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	ssize_t n;

	*ret_fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
	return n == (ssize_t)sizeof(*m) ? 1 : -EPROTO;
}

static void undo_socket(const struct guarded_socket *s)
{
	int repair = 0, off = TCP_REPAIR_OFF;
	socklen_t len = sizeof(repair);

	if (getsockopt(s->fd, IPPROTO_TCP, TCP_REPAIR, &repair, &len) < 0 || !repair)
		return;
	if (setsockopt(s->fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0) {
		log_warning("a TCP connection could not leave repair mode: %s", strerror(errno));
		return;
	}
	/* leaving repair mode clears SO_REUSEADDR */
	if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &s->reuse, sizeof(s->reuse)) < 0)
		log_warning("a TCP connection could not get its SO_REUSEADDR back: %s",
			    strerror(errno));
	log_info("a TCP connection left in repair mode is out of it");
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Thread @t had other registers when ferry died. Its process stops instead
 * of running on them (it is held in ferry's stop, guardian_hold(), or was
 * stopped before): its own are put back, those of the freeze, with which
 * the kernel restarts the system call it was in once it is continued.
 */
static void undo_thread(const struct guarded_thread *t, const struct timespec *t0)
{
	int status, r;

	while ((r = proc_state(t->tgid)) != 'T') {
		if (r < 0) {
			log_info("pid %d tid %d: gone", t->tgid, t->tid);
			return;
		}
		if (ms_since(t0) > GUARDIAN_STOP_WAIT_MS) {
			log_warning("pid %d tid %d: not stopped after %d ms, left running", t->tgid,
				    t->tid, GUARDIAN_STOP_WAIT_MS);
			return;
		}
		usleep(1000);
	}
	/* EPERM: still traced, by a ferry not quite gone */
	while ((r = ptrace(PTRACE_SEIZE, t->tid, 0, 0)) < 0 && errno == EPERM &&
	       ms_since(t0) <= GUARDIAN_STOP_WAIT_MS)
		usleep(1000);
	if (r < 0 || ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0) {
		log_warning("pid %d tid %d: cannot trace it to put its registers back: %s", t->tgid,
			    t->tid, strerror(errno));
		return;
	}
	while ((r = waitpid(t->tid, &status, __WALL)) < 0 && errno == EINTR)
		;
	if (r < 0 || !WIFSTOPPED(status)) {
		log_warning("pid %d tid %d: did not stop for the guardian", t->tgid, t->tid);
		return;
	}
	r = arch_set_regs(t->tid, &t->regs);
	/* the group stop is in effect: it stops again, untraced */
	ptrace(PTRACE_DETACH, t->tid, 0, 0);
	if (r < 0) {
		log_warning("pid %d tid %d: cannot put its registers back: %s", t->tgid, t->tid,
			    strerror(-r));
		return;
	}
	log_info("pid %d tid %d: registers put back", t->tgid, t->tid);
}

/* Continue (or, killing, kill) a process held in ferry's stop. */
static void release_hold(const struct guarded_hold *h, bool killing)
{
	int sig = killing ? SIGKILL : SIGCONT;

	if (syscall(SYS_pidfd_send_signal, h->pidfd, sig, NULL, 0) < 0) {
		if (errno != ESRCH)
			log_warning("pid %d: cannot send it %s: %s", h->pid, strsignal(sig),
				    strerror(errno));
		return;
	}
	log_info("pid %d: %s", h->pid,
		 killing ? "killed, as the checkpoint was about to (the image has it)" : "continued");
}

/* ferry died: undo what it told of, in this order: repair mode, then the
 * lock (what the peers send then reaches a working socket), then threads,
 * and last the processes held stopped are let go. */
static void undo(struct guarded *gd, void (*abandoned)(void *arg), void *arg)
{
	struct timespec t0;

	log_info("ferry died during the checkpoint; undoing what it changed");
	/* before any of them can run on */
	if (abandoned && !gd->killing)
		abandoned(arg);
	for (size_t i = 0; i < gd->nsocks; i++)
		if (!gd->killing)
			undo_socket(&gd->socks[i]);
	for (size_t i = 0; i < gd->nsocks; i++)
		close(gd->socks[i].fd);
	if (gd->killing) {
		/* the image has them, in repair and locked as at their kill */
		for (size_t i = 0; i < gd->nholds; i++)
			release_hold(&gd->holds[i], true);
		if (gd->nconns)
			log_warning("the network lock is kept for the killed processes' "
				    "connections; 'ferry netlock --release' removes it");
		return;
	}
	/* the rules are in the processes' own network namespace (kinds/net_ns.c) */
	if (gd->nconns && gd->netns >= 0 && setns(gd->netns, CLONE_NEWNET) < 0)
		log_error("cannot join the processes' network namespace to release the network "
			  "lock: %s", strerror(errno));
	else if (gd->nconns && netlock_release(gd->conns, gd->nconns) == 0)
		log_info("network lock of %zu connection%s released", gd->nconns,
			 gd->nconns == 1 ? "" : "s");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < gd->nthreads; i++)
		if (gd->threads[i].live)
			undo_thread(&gd->threads[i], &t0);
	for (size_t i = 0; i < gd->nholds; i++)
		release_hold(&gd->holds[i], false);
}

/* A new last element of array *@arr of *@n elements of @size bytes (the
 * array kept as it was when out of memory: NULL). */
static void *grow(void *arr, size_t *n, size_t size)
{
	void **a = arr, *bigger = reallocarray(*a, *n + 1, size);

	if (!bigger)
		return NULL;
	*a = bigger;
	return (char *)bigger + (*n)++ * size;
}

#define GROW(arr, n) grow(&(arr), &(n), sizeof(*(arr)))

/* Keep what @m says; false when out of memory. */
static bool keep(struct guarded *gd, const struct guardian_msg *m, int fd)
{
	switch (m->kind) {
	case GUARDIAN_SOCKET: {
		struct guarded_socket *s = fd >= 0 ? GROW(gd->socks, gd->nsocks) : NULL;

		if (!s)
			return false;
		*s = (struct guarded_socket){ fd, m->reuse };
		return true;
	}
	case GUARDIAN_NETLOCK: {
		struct netlock_conn *c = GROW(gd->conns, gd->nconns);

		if (c)
			*c = m->conn;
		return c != NULL;
	}
	case GUARDIAN_NETNS:
		if (fd < 0)
			return true;
		if (gd->netns >= 0)
			close(gd->netns);
		gd->netns = fd;
		return true;
	case GUARDIAN_THREAD: {
		struct guarded_thread *t = GROW(gd->threads, gd->nthreads);

		if (t)
			*t = (struct guarded_thread){ m->tgid, m->tid, true, m->regs };
		return t != NULL;
	}
	case GUARDIAN_HOLD: {
		int pidfd = syscall(SYS_pidfd_open, m->tgid, 0);
		struct guarded_hold *h = pidfd >= 0 ? GROW(gd->holds, gd->nholds) : NULL;

		if (pidfd < 0) {
			log_warning("pid %d: cannot keep a pidfd of it: %s", m->tgid, strerror(errno));
			return true;
		}
		if (!h) {
			close(pidfd);
			return false;
		}
		*h = (struct guarded_hold){ m->tgid, pidfd };
		return true;
	}
	case GUARDIAN_UNTHREAD:
		/* the thread watched last, as a rule: from the end */
		for (size_t i = gd->nthreads; i-- > 0;)
			if (gd->threads[i].tid == m->tid && gd->threads[i].live) {
				gd->threads[i].live = false;
				break;
			}
		return true;
	case GUARDIAN_KILLING:
		gd->killing = true;
		return true;
	}
	return true;
}

/* Descriptors 0 and 1 on /dev/null; of the others only @sock and the log
 * file's are kept (ferry's would keep pipes and files open). */
static void close_others(int sock)
{
	int keepfd[2] = { sock, log_file_fd() }, from = 3, devnull;

	if (keepfd[1] >= 0 && keepfd[1] < keepfd[0]) {
		keepfd[0] = keepfd[1];
		keepfd[1] = sock;
	}
	for (int i = 0; i < 2; i++) {
		if (keepfd[i] < from)
			continue;
		if (keepfd[i] > from)
			syscall(SYS_close_range, from, keepfd[i] - 1, 0);
		from = keepfd[i] + 1;
	}
	syscall(SYS_close_range, from, ~0u, 0);
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (devnull > 2 && devnull != sock && devnull != log_file_fd())
			close(devnull);
	}
}

static void __attribute__((noreturn)) guardian_main(int sock, void (*abandoned)(void *arg),
						   void *arg)
{
	struct guarded gd = { .netns = -1 };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTOU, SIGTTIN };

	setsid();
	prctl(PR_SET_NAME, "ferry-guard");
	log_set_program("ferry-guard");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_IGN);
	close_others(sock);
	for (;;) {
		struct guardian_msg m;
		int fd, r = recv_msg(sock, &m, &fd);

		if (r > 0 && m.kind == GUARDIAN_DONE) {
			/* closed as they are: a killed process's socket leaves
			 * repair mode never, its peer sees no FIN or RST */
			if (fd >= 0)
				close(fd);
			_exit(0);
		}
		if (r > 0 && keep(&gd, &m, fd))
			continue;
		if (r > 0) {
			log_error("out of memory: what ferry changes next cannot be undone");
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (r < 0)
			log_error("reading ferry's messages: %s", strerror(-r));
		undo(&gd, abandoned, arg);
		_exit(1);
	}
}

int guardian_start(struct guardian *g, void (*abandoned)(void *arg), void *arg)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return log_error_errno(-errno, "cannot make the guardian's socket pair");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = log_error_errno(-errno, "cannot start the guardian");

		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (pid == 0) {
		close(sv[0]);
		guardian_main(sv[1], abandoned, arg);
	}
	close(sv[1]);
	g->pid = pid;
	g->sock = sv[0];
	log_debug("guardian pid %d", pid);
	return 0;
}

int guardian_watch_socket(struct guardian *g, int sfd)
{
	struct guardian_msg m = { .kind = GUARDIAN_SOCKET };
	socklen_t len = sizeof(m.reuse);

	if (getsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &m.reuse, &len) < 0)
		return log_error_errno(-errno, "cannot read a socket's SO_REUSEADDR");
	return send_msg(g, &m, sfd);
}

int guardian_watch_netlock(struct guardian *g, const struct netlock_conn *conn)
{
	struct guardian_msg m = { .kind = GUARDIAN_NETLOCK, .conn = *conn };

	return send_msg(g, &m, -1);
}

int guardian_watch_netns(struct guardian *g, int nsfd)
{
	struct guardian_msg m = { .kind = GUARDIAN_NETNS };

	return send_msg(g, &m, nsfd);
}

int guardian_watch_thread(struct guardian *g, pid_t tgid, pid_t tid, const arch_regs_t *regs)
{
	struct guardian_msg m = { .kind = GUARDIAN_THREAD, .tgid = tgid, .tid = tid,
				  .regs = *regs };

	return send_msg(g, &m, -1);
}

int guardian_hold(struct guardian *g, pid_t pid)
{
	struct guardian_msg m = { .kind = GUARDIAN_HOLD, .tgid = pid };

	return send_msg(g, &m, -1);
}

int guardian_unwatch_thread(struct guardian *g, pid_t tid)
{
	struct guardian_msg m = { .kind = GUARDIAN_UNTHREAD, .tid = tid };

	return send_msg(g, &m, -1);
}

int guardian_killing(struct guardian *g)
{
	struct guardian_msg m = { .kind = GUARDIAN_KILLING };

	return send_msg(g, &m, -1);
}

void guardian_done(struct guardian *g)
{
	struct guardian_msg m = { .kind = GUARDIAN_DONE };
	int status = 0;
	pid_t r;

	if (!g->pid)
		return;
	send_msg(g, &m, -1);
	close(g->sock);
	while ((r = waitpid(g->pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r == g->pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		log_warning("the guardian (pid %d) ended with status %#x", g->pid, status);
	g->pid = 0;
	g->sock = -1;
}
