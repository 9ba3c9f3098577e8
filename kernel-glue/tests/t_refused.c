/* SPDX-License-Identifier: MIT */
/* One state ferry does not carry, named by argv[2] (the table of
 * refused.sh): set up, then, once `ferry check` and `ferry checkpoint`
 * have refused it, checked to be still there and untouched.
 *
 * host-test: by refused.sh
 */
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <stddef.h>
#include <linux/userfaultfd.h>
#include <dirent.h>
#include <mqueue.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netlink.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "tlib.h"

#define IOPRIO_RT (1 << 13)

static int fd = -1, fd2 = -1;
static int shm_id = -1;
static char *shm_at;
static int sem_id = -1, msg_id = -1;
static timer_t timer;

/* a thread in strict mode, blocked in read() for good */
static int strict_ready[2], strict_block[2];
static pid_t strict_tid;

static void *strict_thread(void *arg)
{
	char c;

	(void)arg;
	strict_tid = syscall(SYS_gettid);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
		return NULL;
	write(strict_ready[1], "r", 1);
	read(strict_block[0], &c, 1);
	syscall(SYS_exit, 0);
	return NULL;
}

static int strict_mode_thread(void)
{
	pthread_t th;
	char c;

	if (pipe(strict_ready) < 0 || pipe(strict_block) < 0 ||
	    pthread_create(&th, NULL, strict_thread, NULL) != 0)
		return -1;
	return read(strict_ready[0], &c, 1) == 1 ? 0 : -1;
}

/* "Seccomp:" of the strict thread's status, or -1 */
static int strict_thread_mode(void)
{
	char path[64], line[128];
	int mode = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", strict_tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "Seccomp: %d", &mode);
	fclose(f);
	return mode;
}

/* getppid() goes to a user-space listener (there is none: it fails) */
static int notify_filter(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* A periodic timer (every 10 ms) whose signal is blocked and waited for by
 * no thread: ITIMER_REAL (SIGALRM) or a POSIX timer (SIGRTMIN), its signal
 * queued once it is made. */
static int held_timer(bool itimer)
{
	struct itimerval itv = { .it_value = { 0, 10000 }, .it_interval = { 0, 10000 } };
	struct itimerspec its = { .it_value = { 0, 10000000 }, .it_interval = { 0, 10000000 } };
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	struct timespec pause_ts = { 0, 100 * 1000 * 1000 };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, itimer ? SIGALRM : SIGRTMIN);
	if (sigprocmask(SIG_BLOCK, &block, NULL) < 0)
		return -1;
	if (itimer ? setitimer(ITIMER_REAL, &itv, NULL) < 0
		   : timer_create(CLOCK_MONOTONIC, &ev, &timer) < 0 ||
			     timer_settime(timer, 0, &its, NULL) < 0)
		return -1;
	nanosleep(&pause_ts, NULL);
	return 0;
}

/* Is @sig pending, and the timer still periodic every 10 ms? */
static bool still_held(bool itimer)
{
	struct itimerspec its;
	struct itimerval itv;
	sigset_t pending;

	if (sigpending(&pending) < 0 || !sigismember(&pending, itimer ? SIGALRM : SIGRTMIN))
		return false;
	if (itimer)
		return getitimer(ITIMER_REAL, &itv) == 0 && itv.it_interval.tv_usec == 10000;
	return timer_gettime(timer, &its) == 0 && its.it_interval.tv_nsec == 10000000;
}

/* A UDP socket with an eBPF filter (SO_ATTACH_BPF) that passes every
 * packet whole: "r0 = 0xffff; exit". */
/* ---- zombies: a child of this process, or of its child, that exited ---- */

static pid_t zombie = -1;
static const char *setup_why; /* why a state could not be set up, when errno does not say */
static pid_t peer_child = -1;   /* net_peer_outside: the other end of its connection */

/* DIR/named: the process the refusal names (refused.sh) */
static void name_pid(pid_t pid)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/named", t_dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", pid);
		fclose(f);
	}
}

/* An nftables table "ferry-refused" (family inet) in this network
 * namespace, made with one batch through nfnetlink (there is no nft here
 * to ask); ENOSYS when this kernel has no nf_tables. */
static int nft_table(void)
{
	struct msg {
		struct nlmsghdr h;
		struct nfgenmsg g;
		char attrs[32];
	} m[3];
	struct nlattr *a;
	char ack[512], batch[3 * sizeof(struct msg)];
	ssize_t n;
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (s < 0)
		return -1;
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m[i].h.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
		m[i].h.nlmsg_flags = NLM_F_REQUEST;
		m[i].h.nlmsg_seq = i + 1;
		m[i].g.version = NFNETLINK_V0;
		m[i].g.res_id = htons(NFNL_SUBSYS_NFTABLES);
	}
	m[0].h.nlmsg_type = NFNL_MSG_BATCH_BEGIN;
	m[2].h.nlmsg_type = NFNL_MSG_BATCH_END;
	m[1].h.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE;
	m[1].h.nlmsg_flags |= NLM_F_CREATE | NLM_F_ACK;
	m[1].g.nfgen_family = NFPROTO_INET;
	m[1].g.res_id = 0;
	a = (struct nlattr *)m[1].attrs;
	a->nla_type = NFTA_TABLE_NAME;
	a->nla_len = NLA_HDRLEN + sizeof("ferry-refused");
	memcpy((char *)a + NLA_HDRLEN, "ferry-refused", sizeof("ferry-refused"));
	m[1].h.nlmsg_len += NLA_ALIGN(a->nla_len);
	/* one batch is one message of the socket */
	n = 0;
	for (int i = 0; i < 3; i++) {
		memcpy(batch + n, &m[i], m[i].h.nlmsg_len);
		n += NLMSG_ALIGN(m[i].h.nlmsg_len);
	}
	if (send(s, batch, (size_t)n, 0) < 0)
		return -1;
	n = recv(s, ack, sizeof(ack), 0);
	close(s);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
	    ((struct nlmsghdr *)ack)->nlmsg_type != NLMSG_ERROR) {
		errno = EIO;
		return -1;
	}
	errno = -((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)ack))->error;
	if (errno == EOPNOTSUPP || errno == EPROTONOSUPPORT || errno == ENOENT) {
		setup_why = "no nf_tables on this kernel";
		errno = ENOSYS;
	}
	return errno ? -1 : 0;
}

/* Into a user namespace of its own, its maps written from outside by a
 * child (as systemd's PrivateUsers= does); NULL maps: none written. */
static int private_users(const char *uid_map, const char *gid_map)
{
	pid_t parent = getpid(), child;
	int p[2], status;
	char c = 0;

	if (pipe(p) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		const char *files[3] = { "setgroups", "gid_map", "uid_map" };
		const char *texts[3] = { "deny\n", gid_map, uid_map };

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		for (int i = 0; i < 3 && uid_map; i++) {
			char path[64];
			int wfd;

			snprintf(path, sizeof(path), "/proc/%d/%s", parent, files[i]);
			wfd = open(path, O_WRONLY);
			if (wfd < 0 || write(wfd, texts[i], strlen(texts[i])) < 0)
				_exit(1);
			close(wfd);
		}
		_exit(0);
	}
	close(p[0]);
	if (child < 0 || unshare(CLONE_NEWUSER) < 0 || write(p[1], &c, 1) != 1) {
		close(p[1]);
		return -1;
	}
	close(p[1]);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* A child in a user namespace of its own (@inside) while this process
 * stays in ferry's, or the other way round; the child is named. */
static int userns_split(bool child_inside)
{
	int p[2], q[2];
	char c = 0;
	pid_t child;

	if (pipe(p) < 0 || pipe(q) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (child_inside)
			c = private_users("0 0 1\n", "0 0 1\n") == 0;
		else
			c = read(q[0], &c, 1) == 1; /* once the parent is inside */
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (child < 0)
		return -1;
	if (!child_inside) {
		c = private_users("0 0 1\n", "0 0 1\n") == 0;
		if (!c || write(q[1], &c, 1) != 1)
			return -1;
	}
	if (read(p[0], &c, 1) != 1 || !c) {
		errno = EPERM;
		return -1;
	}
	close(p[0]);
	name_pid(child);
	return 0;
}

/* Wait up to 5 s for @pid to be a zombie. */
static int until_zombie(pid_t pid)
{
	for (int i = 0; i < 5000; i++) {
		if (t_state_of(pid) == 'Z')
			return 0;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int count_tasks(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void *run_on(void *arg)
{
	(void)arg;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
	return NULL;
}

/* What waitid() tells of the zombie without reaping it: its si_code, or -1. */
static int zombie_code(void)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, zombie, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != zombie)
		return -1;
	return si.si_code;
}

static int make_zombie(const char *s)
{
	pid_t m;
	int p[2];

	if (strcmp(s, "zombie_core") == 0) {
		zombie = fork();
		if (zombie == 0) {
			struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

			/* core_pattern "core" writes it into DIR, removed with it */
			if (chdir(t_dir) < 0)
				_exit(1);
			if (setrlimit(RLIMIT_CORE, &rl) < 0 && getrlimit(RLIMIT_CORE, &rl) == 0) {
				rl.rlim_cur = rl.rlim_max;
				setrlimit(RLIMIT_CORE, &rl);
			}
			abort();
		}
		if (zombie < 0 || until_zombie(zombie) < 0)
			return -1;
		if (zombie_code() != CLD_DUMPED) {
			setup_why = "the child killed by SIGABRT wrote no core (RLIMIT_CORE, "
				    "/proc/sys/kernel/core_pattern)";
			errno = EPERM;
			return -1;
		}
	} else if (strcmp(s, "zombie_threads") == 0) {
		zombie = fork();
		if (zombie == 0) {
			pthread_t th;

			if (pthread_create(&th, NULL, run_on, NULL) != 0)
				_exit(1);
			/* the main thread alone exits: the process runs on in th */
			syscall(SYS_exit, 0);
		}
		if (zombie < 0 || until_zombie(zombie) < 0)
			return -1;
		if (count_tasks(zombie) != 2) {
			errno = ESRCH;
			return -1;
		}
	} else if (strcmp(s, "zombie_session") == 0) {
		/* M, a child, makes Z, which exits, then leaves this session:
		 * its zombie Z is of a session neither its own nor its parent's */
		if (pipe(p) < 0)
			return -1;
		m = fork();
		if (m == 0) {
			pid_t z;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			z = fork();
			if (z == 0)
				_exit(0);
			if (z < 0 || setsid() < 0 || write(p[1], &z, sizeof(z)) != sizeof(z))
				_exit(1);
			for (;;)
				pause();
		}
		close(p[1]);
		if (m < 0 || read(p[0], &zombie, sizeof(zombie)) != sizeof(zombie))
			return -1;
		close(p[0]);
		if (until_zombie(zombie) < 0)
			return -1;
	} else {
		/* zombie_root: a child that exited, itself the selection */
		zombie = fork();
		if (zombie == 0)
			_exit(0);
		if (zombie < 0 || until_zombie(zombie) < 0)
			return -1;
	}
	name_pid(zombie);
	return 0;
}

static int ebpf_filtered_socket(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0xffff },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a = { .prog_type = BPF_PROG_TYPE_SOCKET_FILTER, .insn_cnt = 2,
			     .insns = (uintptr_t)insns, .license = (uintptr_t)"MIT" };
	int prog = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));

	if (prog < 0 || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog));
}

/* Make the state; 0 or -1 (errno set). */
/* Send "k" on @via with descriptor @what in flight. */
static int send_fd(int via, int what)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { "k", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(&ctl, 0, sizeof(ctl));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &what, sizeof(int));
	return sendmsg(via, &m, 0) == 1 ? 0 : -1;
}

/* The next message of @from is "k" with one descriptor, whose link says
 * @link; it is in @ret_fd. */
static bool recv_fd(int from, const char *link, int *ret_fd)
{
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char b[4], path[64], got[128] = "";
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;

	if (recvmsg(from, &m, MSG_DONTWAIT) != 1 || b[0] != 'k' || !(cm = CMSG_FIRSTHDR(&m)) ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return false;
	memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", *ret_fd);
	return readlink(path, got, sizeof(got) - 1) > 0 && strncmp(got, link, strlen(link)) == 0;
}

static int set_up(const char *s)
{
	if (strcmp(s, "io_uring") == 0) {
		struct io_uring_params p = { 0 };

		return (fd = syscall(SYS_io_uring_setup, 4, &p)) < 0 ? -1 : 0;
	}
	if (strcmp(s, "perf_event") == 0) {
		struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
					     .config = PERF_COUNT_SW_TASK_CLOCK };

		return (fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0)) < 0 ? -1 : 0;
	}
	if (strcmp(s, "bpf_map") == 0) {
		union bpf_attr a = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				     .value_size = 4, .max_entries = 1 };

		return (fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a))) < 0 ? -1 : 0;
	}
	if (strcmp(s, "socket_ebpf") == 0)
		return ebpf_filtered_socket();
	if (strcmp(s, "userfaultfd") == 0)
		return (fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY)) < 0 ? -1 : 0;
	if (strcmp(s, "fanotify") == 0)
		return (fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY)) < 0 ? -1 : 0;
	if (strcmp(s, "nice") == 0)
		return setpriority(PRIO_PROCESS, 0, -5);
	if (strcmp(s, "sched_fifo") == 0) {
		struct sched_param sp = { .sched_priority = 1 };

		return sched_setscheduler(0, SCHED_FIFO, &sp);
	}
	if (strcmp(s, "affinity_cpu1") == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		return sched_setaffinity(0, sizeof(set), &set);
	}
	if (strcmp(s, "loginuid") == 0) {
		int f = open("/proc/self/loginuid", O_WRONLY);
		int r = f < 0 ? -1 : write(f, "1000", 4) == 4 ? 0 : -1;

		if (f >= 0)
			close(f);
		return r;
	}
	if (strcmp(s, "ioprio_rt") == 0)
		return syscall(SYS_ioprio_set, 1, 0, IOPRIO_RT);
	if (strcmp(s, "seccomp_notify") == 0)
		return notify_filter();
	if (strcmp(s, "seccomp_strict") == 0)
		return strict_mode_thread();
	if (strcmp(s, "posix_timer_other_cpu") == 0) {
		clockid_t clk;

		errno = clock_getcpuclockid(getppid(), &clk);
		return errno ? -1 : timer_create(clk, NULL, &timer);
	}
	if (strcmp(s, "posix_timer_held") == 0 || strcmp(s, "itimer_held") == 0)
		return held_timer(strcmp(s, "itimer_held") == 0);
	if (strcmp(s, "sigio_owner") == 0) {
		int p[2];

		if (pipe(p) < 0 || fcntl(p[0], F_SETOWN, getppid()) < 0)
			return -1;
		fd = p[0];
		return fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK);
	}
	if (strcmp(s, "mlock") == 0) {
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		return m == MAP_FAILED ? -1 : mlock(m, 4096);
	}
	if (strcmp(s, "net_two") == 0 || strcmp(s, "net_two_own") == 0) {
		int p[2];
		char c = 0;
		pid_t child;

		/* a child of the selection in a network namespace of its own,
		 * this process in ferry's (net_two) or in another of its own
		 * (net_two_own): two network namespaces in one checkpoint */
		if (strcmp(s, "net_two_own") == 0 && unshare(CLONE_NEWNET) < 0)
			return -1;
		if (pipe(p) < 0)
			return -1;
		child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			c = unshare(CLONE_NEWNET) == 0;
			if (write(p[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(p[1]);
		if (child < 0 || read(p[0], &c, 1) != 1 || !c) {
			errno = child < 0 ? errno : EPERM;
			return -1;
		}
		close(p[0]);
		name_pid(child);
		return 0;
	}
	if (strcmp(s, "net_veth") == 0 || strcmp(s, "net_route") == 0) {
		/* a network namespace of its own with what is not carried yet: a
		 * second device, or a route no address made */
		const char *cmd = strcmp(s, "net_veth") == 0
					  ? "ip link add v-ferry0 type veth peer name v-ferry1"
					  : "ip link set lo up && ip route add 10.1.0.0/16 dev lo";

		if (unshare(CLONE_NEWNET) < 0)
			return -1;
		if (system(cmd) != 0) {
			setup_why = cmd;
			errno = EPERM;
			return -1;
		}
		return 0;
	}
	if (strcmp(s, "net_veth_bridge") == 0) {
		/* a veth to ferry's network namespace (PID 1's) whose host end is a
		 * port of a bridge there, made by a child outside the selection
		 * (--pid) that removes the bridge once the program is gone */
		int p[2];
		char c = 0;

		if (unshare(CLONE_NEWNET) < 0 || pipe(p) < 0)
			return -1;
		if (system("ip link add eth0 type veth peer name fvref0 netns 1") != 0) {
			setup_why = "ip link add eth0 type veth peer name fvref0 netns 1";
			errno = EPERM;
			return -1;
		}
		peer_child = fork();
		if (peer_child == 0) {
			pid_t parent = getppid();
			int ns = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);

			close(p[0]);
			if (ns < 0 || setns(ns, CLONE_NEWNET) < 0 ||
			    system("ip link add fbrref0 type bridge && "
				   "ip link set fvref0 master fbrref0") != 0) {
				if (system("ip link del fbrref0 2>/dev/null")) {}
				_exit(1);
			}
			c = 1;
			if (write(p[1], &c, 1) != 1) {}
			close(p[1]);
			while (getppid() == parent)
				usleep(100000);
			_exit(system("ip link del fbrref0") == 0 ? 0 : 1);
		}
		close(p[1]);
		if (peer_child < 0 || read(p[0], &c, 1) != 1 || !c) {
			setup_why = "making the bridge fbrref0 in ferry's network namespace failed";
			errno = EPERM;
			return -1;
		}
		close(p[0]);
		return 0;
	}
	if (strcmp(s, "net_iptables") == 0) {
		/* a network namespace of its own where the legacy iptables filter
		 * table exists (asking for it makes it) */
		struct ipt_getinfo info = { .name = "filter" };
		socklen_t len = sizeof(info);
		int r;

		if (unshare(CLONE_NEWNET) < 0 || (r = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0)
			return -1;
		if (getsockopt(r, SOL_IP, IPT_SO_GET_INFO, &info, &len) < 0) {
			setup_why = "no legacy iptables filter table on this kernel";
			errno = ENOSYS;
			return -1;
		}
		close(r);
		return 0;
	}
	if (strcmp(s, "net_nftables") == 0)
		return unshare(CLONE_NEWNET) < 0 ? -1 : nft_table();
	if (strcmp(s, "net_peer_outside") == 0) {
		/* in a network namespace of its own, a connection over lo to a
		 * child outside the selection (--pid), which echoes what it reads */
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7200),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int l;

		if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0)
			return -1;
		l = socket(AF_INET, SOCK_STREAM, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
			return -1;
		peer_child = fork();
		if (peer_child == 0) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			char b;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
				_exit(1);
			while (read(c, &b, 1) == 1 && write(c, &b, 1) == 1)
				;
			_exit(0);
		}
		fd = peer_child < 0 ? -1 : accept(l, NULL, NULL);
		close(l);
		return fd < 0 ? -1 : 0;
	}
	if (strcmp(s, "timens_children") == 0)
		return unshare(CLONE_NEWTIME);
	if (strcmp(s, "mqueue_unlinked_twice") == 0) {
		char name[64];

		snprintf(name, sizeof(name), "/ferry-refused-%d", getpid());
		fd = mq_open(name, O_CREAT | O_RDWR, 0600, NULL);
		fd2 = mq_open(name, O_RDONLY);
		mq_unlink(name);
		return fd < 0 || fd2 < 0 ? -1 : 0;
	}
	if (strcmp(s, "mqueue_notify") == 0) {
		struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
		char name[64];

		snprintf(name, sizeof(name), "/ferry-refused-%d", getpid());
		fd = mq_open(name, O_CREAT | O_RDWR, 0600, NULL);
		mq_unlink(name);
		return fd < 0 ? -1 : mq_notify(fd, &ev);
	}
	if (strcmp(s, "tmpfile_named") == 0) {
		char proc[64], name[4096];

		fd = open(t_dir, O_TMPFILE | O_RDWR, 0600);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		snprintf(name, sizeof(name), "%s/named", t_dir);
		return fd < 0 ? -1 : linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
	}
	if (strcmp(s, "tcp_port_outside") == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(a);
		pid_t child;
		int s2;

		/* a listener without SO_REUSEADDR, the connection it accepted
		 * held by a process of a session of its own */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		fd2 = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || fd2 < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0 ||
		    connect(fd2, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    (s2 = accept(fd, NULL, NULL)) < 0)
			return -1;
		child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			setsid();
			close(fd);
			close(fd2);
			for (;;)
				pause();
		}
		close(s2);
		return child < 0 ? -1 : 0;
	}
	if (strcmp(s, "uts_two") == 0) {
		int p[2];
		char c = 0;
		pid_t child;

		/* a child of the selection in a UTS namespace of its own, this
		 * process in ferry's: two UTS namespaces in one checkpoint */
		if (pipe(p) < 0)
			return -1;
		child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			c = unshare(CLONE_NEWUTS) == 0 && sethostname("ferry-uts-two", 13) == 0;
			if (write(p[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(p[1]);
		if (child < 0 || read(p[0], &c, 1) != 1 || !c) {
			errno = child < 0 ? errno : EPERM;
			return -1;
		}
		close(p[0]);
		name_pid(child);
		return 0;
	}
	if (strcmp(s, "userns_owned") == 0)
		/* a UTS namespace made after the user namespace, owned by it */
		return private_users("0 0 1\n", "0 0 1\n") < 0 ? -1 : unshare(CLONE_NEWUTS);
	if (strcmp(s, "userns_nested") == 0)
		return private_users("0 0 1\n", "0 0 1\n") < 0 ? -1
								 : private_users("0 0 1\n", "0 0 1\n");
	if (strcmp(s, "userns_nomap") == 0)
		return private_users(NULL, NULL);
	if (strcmp(s, "userns_unmapped") == 0)
		/* its gid 4200 outside a gid map of root alone */
		return setresgid(4200, 4200, 4200) < 0 ? -1 : private_users("0 0 1\n", "0 0 1\n");
	if (strcmp(s, "userns_two") == 0)
		return userns_split(true);
	if (strcmp(s, "userns_beside") == 0)
		return userns_split(false);
	if (strcmp(s, "ipc_two") == 0) {
		int p[2];
		char c = 0;
		pid_t child;

		/* a child of the selection in an IPC namespace of its own, this
		 * process in ferry's: two IPC namespaces in one checkpoint */
		if (pipe(p) < 0)
			return -1;
		child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			c = unshare(CLONE_NEWIPC) == 0;
			if (write(p[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(p[1]);
		if (child < 0 || read(p[0], &c, 1) != 1 || !c) {
			errno = child < 0 ? errno : EPERM;
			return -1;
		}
		close(p[0]);
		name_pid(child);
		return 0;
	}
	if (strcmp(s, "cwd_hidden") == 0) {
		char sub[4096];

		/* its working directory hidden, in a mount namespace of its own,
		 * by a tmpfs mounted over it: its path leads to the tmpfs */
		snprintf(sub, sizeof(sub), "%s/hidden-cwd", t_dir);
		if (mkdir(sub, 0755) < 0 || chdir(sub) < 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", sub, "tmpfs", 0, "size=64k") < 0)
			return -1;
		return 0;
	}
	if (strcmp(s, "group_outside") == 0) {
		pid_t child = fork();

		if (child == 0) {
			/* in this process's session and group, outside the selection */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		return child < 0 ? -1 : 0;
	}
	if (strcmp(s, "unix_passcred") == 0) {
		int sv[2], on = 1;

		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 ||
		    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
		    send(sv[0], "cred", 4, 0) != 4)
			return -1;
		fd = sv[1];
		fd2 = sv[0];
		return 0;
	}
	if (strcmp(s, "unix_rights_kind") == 0) {
		int sv[2], tfd = timerfd_create(CLOCK_MONOTONIC, 0);

		/* a timerfd in flight: it is armed again only in a process */
		if (tfd < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 || send_fd(sv[0], tfd) < 0)
			return -1;
		close(tfd);
		fd = sv[1];
		fd2 = sv[0];
		return 0;
	}
	if (strcmp(s, "unix_rights_nested") == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
				snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
					 "ferry-refused-nested-%d", getpid());
		int sv[2], inner = socket(AF_UNIX, SOCK_DGRAM, 0), snd = socket(AF_UNIX, SOCK_DGRAM, 0);
		int efd = eventfd(3, 0);

		/* a socket in flight whose own queue carries an eventfd */
		if (efd < 0 || inner < 0 || snd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
		    bind(inner, (struct sockaddr *)&sun, len) < 0 ||
		    connect(snd, (struct sockaddr *)&sun, len) < 0 || send_fd(snd, efd) < 0 ||
		    send_fd(sv[0], inner) < 0)
			return -1;
		close(efd);
		close(snd);
		close(inner);
		fd = sv[1];
		fd2 = sv[0];
		return 0;
	}
	if (strcmp(s, "unix_empty_peeked") == 0) {
		int sv[2], off = 0, none = -1;
		char b[4];

		/* "a", "", "b": the program peeks at the empty one itself */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || send(sv[0], "a", 1, 0) != 1 ||
		    send(sv[0], "", 0, 0) != 0 || send(sv[0], "b", 1, 0) != 1 ||
		    setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0 ||
		    recv(sv[1], b, sizeof(b), MSG_PEEK) != 1 || recv(sv[1], b, sizeof(b), MSG_PEEK) != 0 ||
		    setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &none, sizeof(none)) < 0)
			return -1;
		fd = sv[1];
		fd2 = sv[0];
		return 0;
	}
	if (strcmp(s, "unix_pending_outside") == 0 || strcmp(s, "unix_pending_bytes") == 0 ||
	    strcmp(s, "unix_connecting_outside") == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
				snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
					 "ferry-refused-%d", getpid());
		bool outside_listens = strcmp(s, "unix_connecting_outside") == 0;
		int lis = socket(AF_UNIX, SOCK_STREAM, 0);
		pid_t child = 0;

		if (lis < 0 || bind(lis, (struct sockaddr *)&sun, len) < 0 || listen(lis, 4) < 0)
			return -1;
		if (strcmp(s, "unix_pending_bytes") != 0) {
			/* the connecting end, or the listener, in a child outside the
			 * selection, until this process is gone */
			int ready[2];
			char c;

			if (pipe(ready) < 0)
				return -1;
			child = fork();
			if (child == 0) {
				int cl = -1;

				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (!outside_listens)
					cl = socket(AF_UNIX, SOCK_STREAM, 0);
				if (!outside_listens &&
				    connect(cl, (struct sockaddr *)&sun, len) < 0)
					_exit(1);
				if (write(ready[1], "x", 1) != 1)
					_exit(1);
				for (;;)
					pause();
			}
			if (child < 0 || read(ready[0], &c, 1) != 1)
				return -1;
			close(ready[0]);
			close(ready[1]);
		}
		if (outside_listens) {
			/* the child keeps the listener; this process connects */
			close(lis);
			lis = socket(AF_UNIX, SOCK_STREAM, 0);
			if (lis < 0 || connect(lis, (struct sockaddr *)&sun, len) < 0)
				return -1;
		} else if (!child) {
			fd2 = socket(AF_UNIX, SOCK_STREAM, 0);
			if (fd2 < 0 || connect(fd2, (struct sockaddr *)&sun, len) < 0 ||
			    send(fd2, "sent", 4, 0) != 4)
				return -1;
		}
		fd = lis;
		return 0;
	}
	if (strcmp(s, "pipe_outside") == 0) {
		int p[2];
		pid_t child;

		if (pipe(p) < 0)
			return -1;
		child = fork();
		if (child == 0) {
			/* the writer outside the selection, until this process is gone */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		close(p[1]);
		fd = p[0];
		return child < 0 ? -1 : 0;
	}
	if (strcmp(s, "sysv_shm_outside") == 0 || strcmp(s, "sysv_shm_partial") == 0) {
		pid_t child = 0;

		/* removed at once: gone with its last attachment, whatever happens */
		shm_id = shmget(IPC_PRIVATE, 2 * 4096, IPC_CREAT | 0600);
		shm_at = shm_id < 0 ? (void *)-1 : shmat(shm_id, NULL, 0);
		if (shm_id >= 0)
			shmctl(shm_id, IPC_RMID, NULL);
		if (shm_at == (void *)-1)
			return -1;
		strcpy(shm_at, "before");
		if (s[9] == 'p') /* partial: its second page unmapped */
			return munmap(shm_at + 4096, 4096);
		child = fork();
		if (child == 0) {
			/* attached outside the selection, until this process is gone */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		return child < 0 ? -1 : 0;
	}
	if (strcmp(s, "sysv_sem_undo") == 0) {
		struct sembuf up = { .sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO };
		pid_t parent = getpid(), child;

		/* an adjustment its exit would undo: semop() with SEM_UNDO */
		sem_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (sem_id < 0 || semop(sem_id, &up, 1) < 0)
			return -1;
		child = fork();
		if (child == 0) {
			/* removes it once this process is gone, killed or not */
			while (getppid() == parent)
				usleep(100000);
			if (sem_id >= 0)
				semctl(sem_id, 0, IPC_RMID);
			if (msg_id >= 0)
				msgctl(msg_id, IPC_RMID, NULL);
			_exit(0);
		}
		return child < 0 ? -1 : 0;
	}
	if (strncmp(s, "zombie_", 7) == 0)
		return make_zombie(s);
	errno = EINVAL;
	return -1;
}

/* Is the state still as it was made? NULL, or what changed. */
static const char *check(const char *s)
{
	char link[64];

	if (strcmp(s, "net_peer_outside") == 0) {
		char b = 0;

		if (write(fd, "x", 1) != 1 || read(fd, &b, 1) != 1 || b != 'x')
			return "its connection no longer carries bytes both ways";
	}

	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (access(link, F_OK) < 0)
			return "its descriptor is gone";
	}
	if (shm_id >= 0) {
		struct shmid_ds ds;

		if (shmctl(shm_id, IPC_STAT, &ds) < 0 || strcmp(shm_at, "before") != 0 ||
		    ds.shm_nattch != (strcmp(s, "sysv_shm_outside") == 0 ? 2 : 1))
			return "its System V shared memory segment changed";
	}
	if (sem_id >= 0 && semctl(sem_id, 0, GETVAL) != 1)
		return "its System V semaphore changed";
	if (msg_id >= 0) {
		struct msqid_ds ds;

		if (msgctl(msg_id, IPC_STAT, &ds) < 0 || ds.msg_qnum != 1)
			return "its System V message queue changed";
	}
	if (strcmp(s, "unix_passcred") == 0) {
		char b[8], ctl[CMSG_SPACE(sizeof(struct ucred))];
		struct iovec iov = { b, sizeof(b) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		struct cmsghdr *cm;

		if (recvmsg(fd, &m, MSG_DONTWAIT) != 4 || !(cm = CMSG_FIRSTHDR(&m)) ||
		    cm->cmsg_type != SCM_CREDENTIALS ||
		    ((struct ucred *)CMSG_DATA(cm))->pid != getpid())
			return "its queued message lost its sender's credentials";
	}
	if (strcmp(s, "unix_rights_kind") == 0) {
		int t;

		if (!recv_fd(fd, "anon_inode:[timerfd]", &t))
			return "its queued timerfd in flight changed";
	}
	if (strcmp(s, "unix_rights_nested") == 0) {
		int inner, e;
		uint64_t v;

		if (!recv_fd(fd, "socket:", &inner) || !recv_fd(inner, "anon_inode:[eventfd]", &e) ||
		    read(e, &v, 8) != 8 || v != 3)
			return "its socket in flight, with an eventfd in flight, changed";
	}
	if (strcmp(s, "unix_empty_peeked") == 0) {
		char b[4];

		if (recv(fd, b, sizeof(b), MSG_DONTWAIT) != 1 || b[0] != 'a' ||
		    recv(fd, b, sizeof(b), MSG_DONTWAIT) != 0 ||
		    recv(fd, b, sizeof(b), MSG_DONTWAIT) != 1 || b[0] != 'b' ||
		    recv(fd, b, sizeof(b), MSG_DONTWAIT) != -1)
			return "its queue of \"a\", \"\", \"b\" changed";
	}
	if (strcmp(s, "unix_pending_outside") == 0 || strcmp(s, "unix_pending_bytes") == 0) {
		int a = accept(fd, NULL, NULL);
		char b[8];

		if (a < 0)
			return "its connection not accepted yet is gone";
		if (strcmp(s, "unix_pending_bytes") == 0 &&
		    (recv(a, b, sizeof(b), MSG_DONTWAIT) != 4 || memcmp(b, "sent", 4) != 0))
			return "the bytes sent on its connection not accepted yet changed";
	}
	if (strcmp(s, "unix_connecting_outside") == 0) {
		char b;

		if (recv(fd, &b, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN ||
		    send(fd, "x", 1, MSG_NOSIGNAL) != 1)
			return "its connection, not accepted yet, changed";
	}
	if (strcmp(s, "nice") == 0 && getpriority(PRIO_PROCESS, 0) != -5)
		return "its nice value changed";
	if (strcmp(s, "sched_fifo") == 0 && sched_getscheduler(0) != SCHED_FIFO)
		return "its scheduling policy changed";
	if (strcmp(s, "affinity_cpu1") == 0) {
		cpu_set_t set;

		if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) != 1 ||
		    !CPU_ISSET(1, &set))
			return "its CPU affinity changed";
	}
	if (strcmp(s, "loginuid") == 0) {
		char buf[16] = "";
		int f = open("/proc/self/loginuid", O_RDONLY);

		if (f < 0 || read(f, buf, sizeof(buf) - 1) <= 0 || atoi(buf) != 1000) {
			if (f >= 0)
				close(f);
			return "its login uid changed";
		}
		close(f);
	}
	if (strcmp(s, "ioprio_rt") == 0 && syscall(SYS_ioprio_get, 1, 0) != IOPRIO_RT)
		return "its I/O priority changed";
	if (strcmp(s, "posix_timer_other_cpu") == 0 && timer_getoverrun(timer) < 0)
		return "its POSIX timer is gone";
	if ((strcmp(s, "posix_timer_held") == 0 || strcmp(s, "itimer_held") == 0) &&
	    !still_held(strcmp(s, "itimer_held") == 0))
		return "its timer is not periodic with its signal pending as it was";
	if (strcmp(s, "socket_ebpf") == 0) {
		socklen_t len = 0;

		/* an eBPF filter is not shown: asking for it says EACCES */
		if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &len) == 0 || errno != EACCES)
			return "its socket lost its eBPF filter";
	}
	if (strcmp(s, "mqueue_unlinked_twice") == 0) {
		struct mq_attr a1, a2;

		/* still one queue: a message sent through one is read through the other */
		if (mq_send(fd, "x", 1, 0) < 0 || mq_getattr(fd2, &a2) < 0 || mq_getattr(fd, &a1) < 0 ||
		    a2.mq_curmsgs != 1 || a1.mq_curmsgs != 1)
			return "its two descriptors no longer share one queue";
	}
	if (strcmp(s, "mqueue_notify") == 0) {
		struct sigevent ev = { .sigev_notify = SIGEV_NONE };

		/* registered already (by this process): EBUSY */
		if (mq_notify(fd, &ev) == 0 || errno != EBUSY)
			return "its queue's mq_notify() registration is gone";
	}
	if (strcmp(s, "tcp_port_outside") == 0) {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		int c = socket(AF_INET, SOCK_STREAM, 0), acc = -1;

		/* still listening: a new connection is accepted */
		if (c >= 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0 &&
		    connect(c, (struct sockaddr *)&a, sizeof(a)) == 0)
			acc = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
		if (acc < 0)
			return "its listener does not accept any more";
		close(acc);
	}
	if (strcmp(s, "sigio_owner") == 0 &&
	    (!(fcntl(fd, F_GETFL) & O_ASYNC) || fcntl(fd, F_GETOWN) != getppid()))
		return "its pipe lost O_ASYNC or its owner";
	if (zombie > 0 && t_state_of(zombie) != 'Z')
		return "its zombie is not one any more";
	if (strcmp(s, "zombie_core") == 0 && zombie_code() != CLD_DUMPED)
		return "its zombie is not one that dumped core any more";
	if (strcmp(s, "zombie_root") == 0 && zombie_code() != CLD_EXITED)
		return "its zombie cannot be waited for as before";
	if (strcmp(s, "zombie_threads") == 0 && count_tasks(zombie) != 2)
		return "its zombie main thread's other thread is gone";
	if (strcmp(s, "seccomp_strict") == 0 && strict_thread_mode() != 1)
		return "its thread is no longer in strict mode";
	/* through syscall(): glibc's getppid() returns -ENOSYS, errno untouched */
	if (strcmp(s, "seccomp_notify") == 0 && (syscall(SYS_getppid) != -1 || errno != ENOSYS))
		return "getppid() is not sent to the listener any more";
	return NULL;
}

int main(int argc, char **argv)
{
	const char *state = argc > 2 ? argv[2] : "?", *changed;

	t_init("refused", argc, argv);
	if (set_up(state) < 0)
		t_fail("cannot set up %s: %s%s%s%s", state, strerror(errno), setup_why ? " (" : "",
		       setup_why ? setup_why : "", setup_why ? ")" : "");
	t_ready();
	t_wait_go();
	changed = check(state);
	if (changed)
		t_fail("%s: %s", state, changed);
	t_pass();
}
