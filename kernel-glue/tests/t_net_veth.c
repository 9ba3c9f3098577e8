/* SPDX-License-Identifier: MIT */
/*
 * A network namespace of its own joined to ferry's by a veth pair, the
 * shape of a container or a service with a network of its own: the root
 * R leaves ferry's namespace (unshare CLONE_NEWNET), brings lo up, makes
 * the pair eth0 (inside) and fveth0 (its peer, in ferry's namespace: PID
 * 1's, the driver's), gives each end its MAC, an MTU of 1400, an IPv4 and
 * an IPv6 address (10.203.0.2/24 and fd00:203::2/64 inside, 10.203.0.1/24,
 * fd00:203::1/64 and 10.204.0.1/32 on the host end) and brings both up,
 * then adds a default route via 10.203.0.1. R holds a UDP socket bound to
 * 10.203.0.2:7201 and its children A and B wait in the same namespace.
 *
 * Before the checkpoint and after each restore, a child of R that joins
 * ferry's namespace (a host-side process, outside the checkpoint) sends a
 * datagram to 10.203.0.2:7201 from 10.203.0.1 (the subnet's) and from
 * 10.204.0.1 (reached inside through the default route only), and R
 * answers each: the round trip must work both ways. After the restores,
 * from inside: R, A and B are in one namespace, not ferry's; eth0 is up with
 * its MTU, MAC and addresses, the default route is via 10.203.0.1 on it;
 * from the host: fveth0 exists again, up, with its MTU, MAC and addresses.
 *
 * host-test: by scenario_tree.sh
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tlib.h"

#define UDP_PORT 7201
#define MTU 1400
#define INSIDE "eth0"
#define HOST_END "fveth0"
#define INSIDE_MAC "02:00:0a:cb:00:02"
#define HOST_MAC "02:00:0a:cb:00:01"

static int must(int v, const char *what)
{
	if (v < 0)
		t_fail("%s: %s", what, strerror(errno));
	return v;
}

static ino_t ns_ino(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		t_fail("stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

/* Into ferry's network namespace (PID 1's): for a child only. */
static void join_ferrys(void)
{
	int ns = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);

	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
		fprintf(stderr, "t_net_veth: cannot join ferry's network namespace: %s\n",
			strerror(errno));
		_exit(3);
	}
	close(ns);
}

/* @cmd run by a shell in ferry's network namespace. */
static void in_host(const char *cmd)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		t_fail("fork: %s", strerror(errno));
	if (p == 0) {
		join_ferrys();
		_exit(system(cmd) == 0 ? 0 : 1);
	}
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail("in ferry's network namespace, '%s' failed (status %#x)", cmd, st);
}

static const char *mac_text(const unsigned char *m)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return buf;
}

/* @dev, in the namespace the caller is in: up, MTU, MAC, and each of the
 * NULL-ended @addrs among its addresses. NULL, or what differs. */
static const char *device_bad(const char *dev, const char *mac, const char *const *addrs)
{
	static char why[256];
	struct ifreq ifr = { 0 };
	struct ifaddrs *ifa;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(why, sizeof(why), "%s: no such device (%s)", dev, strerror(errno));
		return why;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		snprintf(why, sizeof(why), "%s is down", dev);
		return why;
	}
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu != MTU) {
		snprintf(why, sizeof(why), "%s has MTU %d, not %d", dev, ifr.ifr_mtu, MTU);
		return why;
	}
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0 ||
	    strcmp(mac_text((unsigned char *)ifr.ifr_hwaddr.sa_data), mac) != 0) {
		snprintf(why, sizeof(why), "%s has the MAC %s, not %s", dev,
			 mac_text((unsigned char *)ifr.ifr_hwaddr.sa_data), mac);
		return why;
	}
	close(s);
	if (getifaddrs(&ifa) < 0) {
		snprintf(why, sizeof(why), "getifaddrs: %s", strerror(errno));
		return why;
	}
	for (size_t k = 0; addrs[k]; k++) {
		bool found = false;

		for (struct ifaddrs *i = ifa; i && !found; i = i->ifa_next) {
			char a[INET6_ADDRSTRLEN] = "";

			if (!i->ifa_addr || strcmp(i->ifa_name, dev) != 0)
				continue;
			if (i->ifa_addr->sa_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
					  sizeof(a));
			else if (i->ifa_addr->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
					  a, sizeof(a));
			found = strcmp(a, addrs[k]) == 0;
		}
		if (!found) {
			snprintf(why, sizeof(why), "%s lacks the address %s", dev, addrs[k]);
			freeifaddrs(ifa);
			return why;
		}
	}
	freeifaddrs(ifa);
	return NULL;
}

static void check_inside(void)
{
	static const char *const addrs[] = { "10.203.0.2", "fd00:203::2", NULL };
	const char *bad = device_bad(INSIDE, INSIDE_MAC, addrs);
	char line[256];
	bool dflt = false;
	FILE *f;

	if (bad)
		t_fail("inside: %s", bad);
	f = fopen("/proc/net/route", "re");
	if (!f)
		t_fail("/proc/net/route: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char dev[32];
		unsigned dst, gw, mask;

		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, host order) */
		if (sscanf(line, "%31s %x %x %*x %*d %*d %*d %x", dev, &dst, &gw, &mask) == 4 &&
		    strcmp(dev, INSIDE) == 0 && dst == 0 && mask == 0 &&
		    gw == inet_addr("10.203.0.1"))
			dflt = true;
	}
	fclose(f);
	if (!dflt)
		t_fail("inside: no default route via 10.203.0.1 on " INSIDE);
}

/* From ferry's namespace: the host end, as it was made. */
static void check_host_end(void)
{
	static const char *const addrs[] = { "10.203.0.1", "fd00:203::1", "10.204.0.1", NULL };
	int st;
	pid_t p = fork();

	if (p < 0)
		t_fail("fork: %s", strerror(errno));
	if (p == 0) {
		const char *bad;

		join_ferrys();
		bad = device_bad(HOST_END, HOST_MAC, addrs);
		if (bad)
			fprintf(stderr, "t_net_veth: in ferry's namespace: %s\n", bad);
		_exit(bad ? 1 : 0);
	}
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail("the host end " HOST_END " is not as made (status %#x)", st);
}

/*
 * A datagram from a host-side process (a child that joined ferry's
 * namespace) bound to @from, to R's socket @ufd, which answers it: both
 * ways must arrive.
 */
static void round_trip(int ufd, const char *from, int n)
{
	char msg[32], buf[64];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	struct pollfd pfd = { .fd = ufd, .events = POLLIN };
	ssize_t got;
	int st;
	pid_t p;

	snprintf(msg, sizeof(msg), "ping-%s-%d", from, n);
	p = fork();
	if (p < 0)
		t_fail("fork: %s", strerror(errno));
	if (p == 0) {
		struct sockaddr_in me = { .sin_family = AF_INET }, to = { .sin_family = AF_INET,
			.sin_port = htons(UDP_PORT) };
		struct timeval tv = { 5, 0 };
		char answer[64];
		int s;

		join_ferrys();
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		inet_pton(AF_INET, from, &me.sin_addr);
		inet_pton(AF_INET, "10.203.0.2", &to.sin_addr);
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof(me)) < 0 ||
		    sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "t_net_veth: host side from %s: %s\n", from, strerror(errno));
			_exit(1);
		}
		got = recv(s, answer, sizeof(answer) - 1, 0);
		answer[got > 0 ? got : 0] = 0;
		if (got < 0 || strncmp(answer, "pong", 4) != 0 || strcmp(answer + 4, msg + 4) != 0) {
			fprintf(stderr, "t_net_veth: host side from %s: answer '%s' (%s)\n", from,
				answer, got < 0 ? strerror(errno) : "received");
			_exit(1);
		}
		_exit(0);
	}
	if (poll(&pfd, 1, 5000) != 1)
		t_fail("no datagram from the host side's %s came to 10.203.0.2", from);
	got = recvfrom(ufd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&peer, &plen);
	if (got < 0)
		t_fail("recvfrom: %s", strerror(errno));
	buf[got] = 0;
	if (strcmp(buf, msg) != 0)
		t_fail("the datagram from the host side is '%s', not '%s'", buf, msg);
	memcpy(buf, "pong", 4);
	if (sendto(ufd, buf, (size_t)got, 0, (struct sockaddr *)&peer, plen) != got)
		t_fail("the answer to %s: %s", from, strerror(errno));
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail("the host side from %s did not get its answer (status %#x)", from, st);
}

static void set_up(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		t_fail("unshare CLONE_NEWNET: %s", strerror(errno));
	/* no leftover of an earlier run in ferry's namespace */
	in_host("! ip link show " HOST_END " >/dev/null 2>&1 || ip link del " HOST_END);
	if (system("ip link set lo up && "
		   "ip link add " INSIDE " type veth peer name " HOST_END " netns 1 && "
		   "ip link set " INSIDE " address " INSIDE_MAC " mtu 1400 && "
		   "ip addr add 10.203.0.2/24 dev " INSIDE " && "
		   "ip addr add fd00:203::2/64 dev " INSIDE " && "
		   "ip link set " INSIDE " up") != 0)
		t_fail("making the veth pair failed");
	in_host("ip link set " HOST_END " address " HOST_MAC " mtu 1400 && "
		"ip addr add 10.203.0.1/24 dev " HOST_END " && "
		"ip addr add 10.204.0.1/32 dev " HOST_END " && "
		"ip addr add fd00:203::1/64 dev " HOST_END " && "
		"ip link set " HOST_END " up");
	if (system("ip route add default via 10.203.0.1") != 0)
		t_fail("ip route add default via 10.203.0.1 failed");
	check_inside();
	check_host_end();
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

int main(int argc, char **argv)
{
	struct sockaddr_in u = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	int ufd, st;
	pid_t kids[2];

	t_init("net_veth", argc, argv);
	set_up();
	check_namespace("R");
	ufd = must(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket");
	inet_pton(AF_INET, "10.203.0.2", &u.sin_addr);
	must(bind(ufd, (struct sockaddr *)&u, sizeof(u)), "bind 10.203.0.2");
	round_trip(ufd, "10.203.0.1", 0);
	round_trip(ufd, "10.204.0.1", 0);
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			t_fail("fork: %s", strerror(errno));
		if (kids[i] == 0) {
			t_wait_go();
			check_namespace(i ? "B" : "A");
			exit(0);
		}
	}
	t_ready();
	t_wait_go();

	kill(kids[0], SIGUSR1);
	kill(kids[1], SIGUSR1);
	check_namespace("R");
	check_inside();
	check_host_end();
	for (int i = 1; i <= 3; i++) {
		round_trip(ufd, "10.203.0.1", i);
		round_trip(ufd, "10.204.0.1", i);
	}
	for (int i = 0; i < 2; i++)
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			t_fail("child %c failed (status %#x)", i ? 'B' : 'A', st);
	printf("in net:[%lu], ferry's net:[%lu]\n", (unsigned long)ns_ino("/proc/self/ns/net"),
	       (unsigned long)ns_ino("/proc/1/ns/net"));
	t_pass();
}
