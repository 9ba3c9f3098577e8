/* SPDX-License-Identifier: MIT */
/* One descriptor of every kind this program can make, carried or not, and
 * a second thread: what inventory_complete.sh has ferry's inventory walk
 * (and finds nothing it does not know). Waits for SIGUSR1.
 *
 * host-test: by inventory_complete.sh
 */
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pty.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "tlib.h"

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	struct io_uring_params up = { 0 };
	struct perf_event_attr pa = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pa),
				      .config = PERF_COUNT_SW_TASK_CLOCK };
	union bpf_attr ba = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4,
			      .max_entries = 1 };
	struct itimerspec its = { { 1, 0 }, { 100, 0 } };
	struct epoll_event ev = { .events = EPOLLIN };
	char name[64];
	pthread_t th;
	sigset_t set;
	int p[2], m, s, e;

	t_init("kinds-all", argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	/* every kind the kernel lets this program make; a kind it refuses
	 * here (an old kernel, a sysctl) is simply not there to walk */
	e = eventfd(1, 0);
	timerfd_settime(timerfd_create(CLOCK_MONOTONIC, 0), 0, &its, NULL);
	signalfd(-1, &set, 0);
	epoll_ctl(epoll_create1(0), EPOLL_CTL_ADD, e, &ev);
	inotify_add_watch(inotify_init1(0), t_dir, IN_CREATE);
	fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
	syscall(SYS_pidfd_open, getpid(), 0);
	syscall(SYS_io_uring_setup, 4, &up);
	syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
	syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof(ba));
	syscall(SYS_memfd_create, "kinds-all", 0);
	syscall(447 /* memfd_secret */, 0);
	if (pipe(p) == 0 && openpty(&m, &s, NULL, NULL, NULL) == 0)
		(void)0;
	socket(AF_UNIX, SOCK_STREAM, 0);
	socket(AF_UNIX, SOCK_DGRAM, 0);
	socket(AF_UNIX, SOCK_SEQPACKET, 0);
	socket(AF_INET, SOCK_STREAM, 0);
	socket(AF_INET6, SOCK_DGRAM, 0);
	socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	socket(AF_PACKET, SOCK_DGRAM, 0);
	snprintf(name, sizeof(name), "/ferry-kinds-all-%d", getpid());
	mq_open(name, O_CREAT | O_RDWR, 0600, NULL);
	mq_unlink(name);
	open(t_dir, O_RDONLY | O_DIRECTORY);
	open(t_dir, O_PATH);
	open("/dev/null", O_RDWR);
	open("/proc/self/status", O_RDONLY);
	open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
	if (pthread_create(&th, NULL, idle, NULL) != 0)
		t_fail("cannot start a thread");
	t_ready();
	t_wait_go();
	t_pass();
}
