/* SPDX-License-Identifier: MIT */
/*
 * A network namespace of its own (what systemd's PrivateNetwork= gives a
 * service), shared by a tree of three processes (--tree): the root R
 * leaves ferry's namespace (unshare CLONE_NEWNET), gives lo an MTU of
 * 16384, brings it up, adds 10.77.0.1/24 and fd00:77::1/64 to it and sets
 * ip_local_port_range there, then holds
 *
 *   a TCP listener on 127.0.0.1:7100;
 *   an established connection over lo with its child A (A connected to
 *   the listener), bytes in flight both ways: each end has sent what the
 *   other has not read;
 *   a second one A has half-closed (shutdown SHUT_WR): R's end in
 *   CLOSE_WAIT, A's in FIN_WAIT2 (the restore gives each its peer's FIN or
 *   acknowledgement by hand, which the other end must not answer with an
 *   RST before it exists: the lock, inside the namespace);
 *   a UDP socket on 127.0.0.1:7101 with a datagram queued, sent by its
 *   child B;
 *   a listening Unix socket of an abstract name, which exists per network
 *   namespace: reachable inside, not from ferry's namespace.
 *
 * After the restores, from inside: each process is in R's namespace, not
 * ferry's (PID 1's, the driver's; an inode number is given again once
 * freed, so the one made by a restore may have the number of the one
 * killed); lo is up with its MTU and addresses, the sysctl as it was; the
 * datagram is there; each end of the connection reads what the other had
 * sent, in order, then they exchange more both ways; R reads the end of
 * the half-closed one and answers on it, A reads that and its end; the listener accepts a
 * new connection from B, which carries bytes both ways; B reaches the
 * abstract name, and a child of R that joined ferry's namespace does not.
 *
 * host-test: by scenario_tree.sh
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/sockios.h>

#include "tlib.h"

#define TCP_PORT 7100
#define UDP_PORT 7101
#define LO_MTU 16384
#define PORT_RANGE "40000\t40100"
#define ABSTRACT "ferry-net-ns-test"
#define DATAGRAM "ferry-net-ns-datagram"
#define R_SENT 2000 /* R to A before the checkpoint */
#define A_SENT 3000 /* A to R */
#define MORE 1000   /* each way after the restore */

static uint8_t pattern(int way, size_t i)
{
	return (uint8_t)(i * 7 + (way ? 101 : 13));
}

static void send_pattern(int fd, int way, size_t from, size_t n)
{
	uint8_t buf[4096];

	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(way, from + done + i);
		w = send(fd, buf, k, MSG_NOSIGNAL);
		if (w <= 0)
			t_fail("send: %s", w < 0 ? strerror(errno) : "nothing sent");
		done += (size_t)w;
	}
}

static void read_pattern(int fd, int way, size_t from, size_t n, const char *who)
{
	uint8_t buf[4096];

	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);
		ssize_t r = recv(fd, buf, k, 0);

		if (r <= 0)
			t_fail("%s: read %zu of %zu bytes, then %s", who, done, n,
			       r < 0 ? strerror(errno) : "end of stream");
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern(way, from + done + (size_t)i))
				t_fail("%s: byte %zu is %u, not %u", who, from + done + (size_t)i,
				       buf[i], pattern(way, from + done + (size_t)i));
		done += (size_t)r;
	}
}

static struct sockaddr_in v4(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

static socklen_t abstract_addr(struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, ABSTRACT, strlen(ABSTRACT));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(ABSTRACT);
}

static ino_t ns_ino(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		t_fail("stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

static int must(int v, const char *what)
{
	if (v < 0)
		t_fail("%s: %s", what, strerror(errno));
	return v;
}

static void wait_queued(int fd, int bytes, const char *what)
{
	for (int i = 0; i < 400; i++) {
		int n = 0;

		if (ioctl(fd, SIOCINQ, &n) == 0 && n >= bytes)
			return;
		usleep(5000);
	}
	t_fail("%s: not %d bytes queued", what, bytes);
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ? -1 : ti.tcpi_state;
}

static void wait_state(int fd, int state, const char *what)
{
	for (int i = 0; i < 400; i++) {
		if (tcp_state(fd) == state)
			return;
		usleep(5000);
	}
	t_fail("%s: in TCP state %d, not %d", what, tcp_state(fd), state);
}

static void touch(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

static void wait_file(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
		usleep(5000);
	if (access(path, F_OK) != 0)
		t_fail("%s never came", name);
}

/* Is the abstract name reachable from ferry's network namespace (PID 1's)?
 * Asked in a child that joins it: 0 no (ECONNREFUSED), 1 yes. */
static int reachable_from_ferrys(void)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		t_fail("fork: %s", strerror(errno));
	if (p == 0) {
		struct sockaddr_un a;
		socklen_t len = abstract_addr(&a);
		int ns = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC), s;

		if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
			_exit(3);
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			_exit(3);
		if (connect(s, (struct sockaddr *)&a, len) == 0)
			_exit(1);
		_exit(errno == ECONNREFUSED ? 0 : 2);
	}
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) > 1)
		t_fail("the child that joined ferry's network namespace failed (status %#x)", st);
	return WEXITSTATUS(st);
}

static void check_namespace(const char *who)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", getppid());
	if (ns_ino("/proc/self/ns/net") == ns_ino("/proc/1/ns/net"))
		t_fail("%s is in ferry's network namespace", who);
	if (strcmp(who, "R") != 0 && ns_ino("/proc/self/ns/net") != ns_ino(path))
		t_fail("%s is not in its parent's network namespace", who);
}

static void check_lo(void)
{
	struct ifreq ifr = { 0 };
	struct ifaddrs *ifa, *i;
	bool four = false, six = false, loop = false;
	char buf[64] = "";
	int s = must(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket"), fd;
	ssize_t n;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	must(ioctl(s, SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS lo");
	if (!(ifr.ifr_flags & IFF_UP))
		t_fail("lo is down");
	must(ioctl(s, SIOCGIFMTU, &ifr), "SIOCGIFMTU lo");
	if (ifr.ifr_mtu != LO_MTU)
		t_fail("lo has MTU %d, not %d", ifr.ifr_mtu, LO_MTU);
	close(s);
	must(getifaddrs(&ifa), "getifaddrs");
	for (i = ifa; i; i = i->ifa_next) {
		char a[INET6_ADDRSTRLEN] = "";

		if (!i->ifa_addr)
			continue;
		if (strcmp(i->ifa_name, "lo") != 0 && i->ifa_addr->sa_family != AF_PACKET)
			t_fail("an address on device %s", i->ifa_name);
		if (i->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a, sizeof(a));
		else if (i->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a,
				  sizeof(a));
		four |= strcmp(a, "10.77.0.1") == 0;
		six |= strcmp(a, "fd00:77::1") == 0;
		loop |= strcmp(a, "127.0.0.1") == 0;
	}
	freeifaddrs(ifa);
	if (!four || !six || !loop)
		t_fail("lo lacks an address: 10.77.0.1 %s, fd00:77::1 %s, 127.0.0.1 %s",
		       four ? "there" : "missing", six ? "there" : "missing",
		       loop ? "there" : "missing");
	fd = must(open("/proc/sys/net/ipv4/ip_local_port_range", O_RDONLY | O_CLOEXEC),
		  "ip_local_port_range");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (strncmp(buf, PORT_RANGE "\n", strlen(PORT_RANGE) + 1) != 0)
		t_fail("ip_local_port_range is '%s', not '%s'", buf, PORT_RANGE);
}

static void set_up_namespace(void)
{
	struct ifreq ifr = { 0 };
	int s, fd;

	if (unshare(CLONE_NEWNET) < 0)
		t_fail("unshare CLONE_NEWNET: %s", strerror(errno));
	s = must(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ifr.ifr_mtu = LO_MTU;
	must(ioctl(s, SIOCSIFMTU, &ifr), "SIOCSIFMTU lo");
	must(ioctl(s, SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	must(ioctl(s, SIOCSIFFLAGS, &ifr), "SIOCSIFFLAGS lo up");
	close(s);
	if (system("ip addr add 10.77.0.1/24 dev lo && ip addr add fd00:77::1/64 dev lo") != 0)
		t_fail("ip addr add on lo failed");
	fd = must(open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY | O_CLOEXEC),
		  "ip_local_port_range");
	if (write(fd, PORT_RANGE, strlen(PORT_RANGE)) != (ssize_t)strlen(PORT_RANGE))
		t_fail("write ip_local_port_range: %s", strerror(errno));
	close(fd);
	check_lo();
}

/* A: the other end of R's connection. */
static void child_a(void)
{
	struct sockaddr_in a = v4(TCP_PORT);
	int s = must(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket A");

	int half = must(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket A");
	char buf[8];

	must(connect(s, (struct sockaddr *)&a, sizeof(a)), "connect A");
	send_pattern(s, 1, 0, A_SENT);
	wait_queued(s, R_SENT, "A's receive queue");
	must(connect(half, (struct sockaddr *)&a, sizeof(a)), "connect A's second");
	wait_file("r-accepted");
	must(shutdown(half, SHUT_WR), "shutdown");
	wait_state(half, TCP_FIN_WAIT2, "A's half-closed connection");
	touch("a-ready");
	t_wait_go();
	check_namespace("A");
	if (tcp_state(half) != TCP_FIN_WAIT2)
		t_fail("A's half-closed connection is in TCP state %d, not FIN_WAIT2",
		       tcp_state(half));
	read_pattern(s, 0, 0, R_SENT, "A reads R's bytes sent before the checkpoint");
	send_pattern(s, 1, A_SENT, MORE);
	read_pattern(s, 0, R_SENT, MORE, "A reads R's bytes sent after the restore");
	if (recv(half, buf, 3, MSG_WAITALL) != 3 || memcmp(buf, "bye", 3) != 0 ||
	    recv(half, buf, 1, 0) != 0)
		t_fail("A's half-closed connection: not R's answer and then its end");
	close(half);
	close(s);
	exit(0);
}

/* B: sent the datagram; after the restore a new connection to the
 * listener, and the abstract name. */
static void child_b(void)
{
	struct sockaddr_in u = v4(UDP_PORT), l = v4(TCP_PORT);
	struct sockaddr_un un;
	socklen_t unlen = abstract_addr(&un);
	int d = must(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket B"), s, x;
	char buf[16];

	if (sendto(d, DATAGRAM, strlen(DATAGRAM), 0, (struct sockaddr *)&u, sizeof(u)) !=
	    (ssize_t)strlen(DATAGRAM))
		t_fail("sendto: %s", strerror(errno));
	touch("b-ready");
	t_wait_go();
	check_namespace("B");
	s = must(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket B");
	must(connect(s, (struct sockaddr *)&l, sizeof(l)), "B connects to the listener");
	if (send(s, "hello-b", 7, MSG_NOSIGNAL) != 7 || recv(s, buf, 7, MSG_WAITALL) != 7 ||
	    memcmp(buf, "hello-r", 7) != 0)
		t_fail("B's new connection to the listener does not carry bytes both ways");
	close(s);
	x = must(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket B unix");
	must(connect(x, (struct sockaddr *)&un, unlen), "B connects to the abstract name");
	if (send(x, "u", 1, MSG_NOSIGNAL) != 1)
		t_fail("B cannot write to the abstract name");
	close(x);
	close(d);
	exit(0);
}

static pid_t child(void (*fn)(void))
{
	pid_t p = fork();

	if (p < 0)
		t_fail("fork: %s", strerror(errno));
	if (p == 0)
		fn();
	return p;
}

int main(int argc, char **argv)
{
	struct sockaddr_in l = v4(TCP_PORT), u = v4(UDP_PORT);
	struct sockaddr_un un;
	socklen_t unlen;
	int lfd, conn, half, ufd, xfd, nb, x, st, one = 1;
	char buf[64];
	ssize_t n;
	pid_t a, b;

	t_init("net_ns", argc, argv);
	set_up_namespace();
	check_namespace("R");
	lfd = must(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	must(bind(lfd, (struct sockaddr *)&l, sizeof(l)), "bind the listener");
	must(listen(lfd, 8), "listen");
	ufd = must(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket");
	must(bind(ufd, (struct sockaddr *)&u, sizeof(u)), "bind the UDP socket");
	xfd = must(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
	unlen = abstract_addr(&un);
	must(bind(xfd, (struct sockaddr *)&un, unlen), "bind the abstract name");
	must(listen(xfd, 4), "listen on the abstract name");
	if (reachable_from_ferrys())
		t_fail("the abstract name is reachable from ferry's namespace before the checkpoint");

	a = child(child_a);
	conn = must(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), "accept A");
	send_pattern(conn, 0, 0, R_SENT);
	wait_queued(conn, A_SENT, "R's receive queue");
	half = must(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), "accept A's second");
	touch("r-accepted");
	wait_state(half, TCP_CLOSE_WAIT, "R's end of the half-closed connection");
	b = child(child_b);
	wait_file("a-ready");
	wait_file("b-ready");
	wait_queued(ufd, 1, "the UDP socket's queue");
	t_ready();
	t_wait_go();

	kill(a, SIGUSR1);
	kill(b, SIGUSR1);
	check_namespace("R");
	check_lo();
	n = recv(ufd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n != (ssize_t)strlen(DATAGRAM) || memcmp(buf, DATAGRAM, (size_t)n) != 0)
		t_fail("the queued datagram: %s", n < 0 ? strerror(errno) : "not the one sent");
	read_pattern(conn, 1, 0, A_SENT, "R reads A's bytes sent before the checkpoint");
	send_pattern(conn, 0, R_SENT, MORE);
	read_pattern(conn, 1, A_SENT, MORE, "R reads A's bytes sent after the restore");
	if (tcp_state(half) != TCP_CLOSE_WAIT)
		t_fail("R's end of the half-closed connection is in TCP state %d, not CLOSE_WAIT",
		       tcp_state(half));
	if (recv(half, buf, 1, MSG_DONTWAIT) != 0)
		t_fail("R's end of the half-closed connection does not read its end");
	if (send(half, "bye", 3, MSG_NOSIGNAL) != 3)
		t_fail("R cannot answer on the half-closed connection: %s", strerror(errno));
	close(half);
	nb = must(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), "the listener accepts B");
	if (recv(nb, buf, 7, MSG_WAITALL) != 7 || memcmp(buf, "hello-b", 7) != 0 ||
	    send(nb, "hello-r", 7, MSG_NOSIGNAL) != 7)
		t_fail("the new connection from B does not carry bytes both ways");
	x = must(accept4(xfd, NULL, NULL, SOCK_CLOEXEC), "the abstract name accepts B");
	if (recv(x, buf, 1, MSG_WAITALL) != 1 || buf[0] != 'u')
		t_fail("the abstract name's connection from B carries nothing");
	if (reachable_from_ferrys())
		t_fail("the abstract name is reachable from ferry's namespace after the restore");
	for (int i = 0; i < 2; i++) {
		pid_t p = i ? b : a;

		if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			t_fail("child %c failed (status %#x)", i ? 'B' : 'A', st);
	}
	printf("in net:[%lu], ferry's net:[%lu]\n", (unsigned long)ns_ino("/proc/self/ns/net"),
	       (unsigned long)ns_ino("/proc/1/ns/net"));
	t_pass();
}
