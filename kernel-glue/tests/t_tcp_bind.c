/* SPDX-License-Identifier: MIT */
/*
 * TCP sockets that share a port, across a tree of three processes (--tree):
 * the root R and its children A and B. Each kernel rule of bind() must let
 * them come back in whatever order the restore makes them:
 *
 *   v4      a listener without SO_REUSEADDR and a connection accepted from
 *           it, both ends in R (the connection restored first: the
 *           listener sits at a higher fd); a closed socket bound to the
 *           client end's ephemeral port (SO_REUSEADDR on both)
 *   fork    a listener without SO_REUSEADDR in A, the connection it
 *           accepted in R (restored before it), the client end in B
 *   rport   three listeners of one SO_REUSEPORT group on one port, two in
 *           R (with and without SO_REUSEADDR), one in A
 *   closed  a bound socket never listening next to a listener on its port
 *           (SO_REUSEADDR on both; the listener restored first)
 *   eph     a socket bound to port 0 that got a port
 *   v6      the v4 case over ::1
 *   mapped  a dual-stack listener on [::] and two connections accepted from
 *           it over IPv4-mapped addresses: one from an AF_INET client, one
 *           from an AF_INET6 client to ::ffff:127.0.0.1
 *
 * After the restores each process checks its own sockets: local and peer
 * address, SO_REUSEADDR, SO_REUSEPORT, SO_ACCEPTCONN and TCP state as they
 * were; every listener accepts a new connection that carries data both ways
 * (the SO_REUSEPORT group takes 16 between its members); every connection
 * carries data both ways, between processes too.
 *
 * host-test: by scenario_tree.sh
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tlib.h"

#define ROOT 0
#define CHILD_A 1
#define CHILD_B 2
#define GROUP_CONNS 16

enum role { LISTENER, CONN, CLOSED };

struct tsock {
	const char *name;
	int owner;
	int fd;
	enum role role;
	int peer;  /* a connection: the other end's index */
	bool group; /* a member of the SO_REUSEPORT group */
	struct sockaddr_storage local, remote;
	int reuseaddr, reuseport;
};

static struct tsock socks[32];
static int nsocks;
static int me = ROOT;

static void set_int(int fd, int level, int name, int v, const char *what)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)) < 0)
		t_fail("%s: setsockopt: %s", what, strerror(errno));
}

static int get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) < 0)
		return -errno;
	return v;
}

static socklen_t addr_of(int family, const char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		return sizeof(*a);
	}
	{
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		return sizeof(*a);
	}
}

static int port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					       : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static socklen_t len_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static const char *str(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	const void *p = ss->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
						 : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		snprintf(buf, size, "(family %d)", ss->ss_family);
	else
		snprintf(buf, size, "[%s]:%d", inet_ntop(ss->ss_family, p, a, sizeof(a)) ? a : "?",
			 port_of(ss));
	return buf;
}

static bool same_addr(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
	if (x->ss_family != y->ss_family || port_of(x) != port_of(y))
		return false;
	if (x->ss_family == AF_INET)
		return ((const struct sockaddr_in *)x)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)y)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)x)->sin6_addr,
		      &((const struct sockaddr_in6 *)y)->sin6_addr, 16) == 0;
}

static int new_socket(int family, int reuseaddr, int reuseport, const char *what)
{
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		t_fail("%s: socket: %s", what, strerror(errno));
	if (reuseaddr)
		set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, what);
	if (reuseport)
		set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1, what);
	return fd;
}

static int add(const char *name, int owner, int fd, enum role role)
{
	struct tsock *t = &socks[nsocks];

	t->name = name;
	t->owner = owner;
	t->fd = fd;
	t->role = role;
	t->peer = -1;
	return nsocks++;
}

static void bind_to(int fd, int family, const char *addr, int port, const char *what)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(family, addr, port, &ss);

	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		t_fail("%s: bind to %s port %d: %s", what, addr, port, strerror(errno));
}

/* A listener on @addr:@port (0: any); its index. */
static int listener(const char *name, int owner, int family, const char *addr, int port,
		    int reuseaddr, int reuseport)
{
	int fd = new_socket(family, reuseaddr, reuseport, name);

	if (family == AF_INET6 && strcmp(addr, "::") == 0)
		set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, name);
	bind_to(fd, family, addr, port, name);
	if (listen(fd, 32) < 0)
		t_fail("%s: listen: %s", name, strerror(errno));
	return add(name, owner, fd, LISTENER);
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		t_fail("getsockname: %s", strerror(errno));
	return port_of(&ss);
}

static int accept_one(int lfd, const char *what)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&p, 1, 5000) != 1)
		t_fail("%s: no connection to accept", what);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		t_fail("%s: accept: %s", what, strerror(errno));
	return fd;
}

/* A client of family @family connecting to @addr at the port of listener
 * @l, and the end @l accepted: the client's index (its peer the other). */
static int connection(const char *cname, int cowner, const char *sname, int sowner, int l,
		      int family, const char *addr, int reuseaddr)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(family, addr, bound_port(socks[l].fd), &ss);
	int cfd = new_socket(family, reuseaddr, 0, cname), c, s;

	if (connect(cfd, (struct sockaddr *)&ss, len) < 0)
		t_fail("%s: connect to %s: %s", cname, addr, strerror(errno));
	c = add(cname, cowner, cfd, CONN);
	s = add(sname, sowner, accept_one(socks[l].fd, sname), CONN);
	socks[c].peer = s;
	socks[s].peer = c;
	return c;
}

/* Move socket @i above the others, so that the restore makes it after them. */
static void move_high(int i)
{
	int fd = fcntl(socks[i].fd, F_DUPFD, 100 + i);

	if (fd < 0)
		t_fail("%s: F_DUPFD: %s", socks[i].name, strerror(errno));
	close(socks[i].fd);
	socks[i].fd = fd;
}

static void set_up(void)
{
	int l, c, cl;

	/* v4: the connection before its listener, a closed socket on the
	 * client end's port */
	l = listener("v4-listener", ROOT, AF_INET, "127.0.0.1", 0, 0, 0);
	c = connection("v4-client", ROOT, "v4-accepted", ROOT, l, AF_INET, "127.0.0.1", 1);
	move_high(l);
	cl = new_socket(AF_INET, 1, 0, "v4-closed-on-client-port");
	bind_to(cl, AF_INET, "127.0.0.1", bound_port(socks[c].fd), "v4-closed-on-client-port");
	add("v4-closed-on-client-port", ROOT, cl, CLOSED);

	/* fork: listener in A, accepted end in R, client in B */
	l = listener("fork-listener", CHILD_A, AF_INET, "127.0.0.1", 0, 0, 0);
	connection("fork-client", CHILD_B, "fork-accepted", ROOT, l, AF_INET, "127.0.0.1", 0);
	move_high(l);

	/* one SO_REUSEPORT group in two processes */
	l = listener("rport-1", ROOT, AF_INET, "127.0.0.1", 0, 0, 1);
	socks[l].group = true;
	socks[listener("rport-2-reuseaddr", ROOT, AF_INET, "127.0.0.1", bound_port(socks[l].fd), 1,
		       1)].group = true;
	socks[listener("rport-3-child", CHILD_A, AF_INET, "127.0.0.1", bound_port(socks[l].fd), 0,
		       1)].group = true;

	/* a bound socket that never listened, restored after the listener */
	cl = new_socket(AF_INET, 1, 0, "closed-bound");
	bind_to(cl, AF_INET, "127.0.0.1", 0, "closed-bound");
	cl = add("closed-bound", ROOT, cl, CLOSED);
	listener("closed-listener", ROOT, AF_INET, "127.0.0.1", bound_port(socks[cl].fd), 1, 0);
	move_high(cl);

	/* bound to port 0 */
	cl = new_socket(AF_INET, 0, 0, "ephemeral");
	bind_to(cl, AF_INET, "127.0.0.1", 0, "ephemeral");
	add("ephemeral", ROOT, cl, CLOSED);

	/* v6: the connection before its listener */
	l = listener("v6-listener", ROOT, AF_INET6, "::1", 0, 0, 0);
	connection("v6-client", ROOT, "v6-accepted", ROOT, l, AF_INET6, "::1", 0);
	move_high(l);

	/* IPv4-mapped: connections of a dual-stack listener */
	l = listener("mapped-listener", ROOT, AF_INET6, "::", 0, 0, 0);
	connection("mapped-v4-client", ROOT, "mapped-v4-accepted", ROOT, l, AF_INET, "127.0.0.1", 0);
	connection("mapped-v6-client", ROOT, "mapped-v6-accepted", ROOT, l, AF_INET6,
		   "::ffff:127.0.0.1", 0);
	move_high(l);

	for (int i = 0; i < nsocks; i++) {
		struct tsock *t = &socks[i];
		socklen_t len = sizeof(t->local);

		if (getsockname(t->fd, (struct sockaddr *)&t->local, &len) < 0)
			t_fail("%s: getsockname: %s", t->name, strerror(errno));
		len = sizeof(t->remote);
		if (t->role == CONN && getpeername(t->fd, (struct sockaddr *)&t->remote, &len) < 0)
			t_fail("%s: getpeername: %s", t->name, strerror(errno));
		t->reuseaddr = get_int(t->fd, SOL_SOCKET, SO_REUSEADDR);
		t->reuseport = get_int(t->fd, SOL_SOCKET, SO_REUSEPORT);
		if (port_of(&t->local) == 0)
			t_fail("%s: not bound", t->name);
	}
}

/* Every socket as it was when set up. */
static void check_state(const struct tsock *t)
{
	static const int states[] = { [LISTENER] = TCP_LISTEN, [CONN] = TCP_ESTABLISHED,
				      [CLOSED] = TCP_CLOSE };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct tcp_info ti;
	char a[80], b[80];
	int v;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(t->fd, (struct sockaddr *)&ss, &len) < 0 || !same_addr(&ss, &t->local))
		t_fail("%s: bound to %s, was %s", t->name, str(&ss, a, sizeof(a)),
		       str(&t->local, b, sizeof(b)));
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (t->role == CONN &&
	    (getpeername(t->fd, (struct sockaddr *)&ss, &len) < 0 || !same_addr(&ss, &t->remote)))
		t_fail("%s: connected to %s, was %s", t->name, str(&ss, a, sizeof(a)),
		       str(&t->remote, b, sizeof(b)));
	if (t->role != CONN && getpeername(t->fd, (struct sockaddr *)&ss, &len) == 0)
		t_fail("%s: connected to %s", t->name, str(&ss, a, sizeof(a)));
	if ((v = get_int(t->fd, SOL_SOCKET, SO_REUSEADDR)) != t->reuseaddr)
		t_fail("%s: SO_REUSEADDR is %d, was %d", t->name, v, t->reuseaddr);
	if ((v = get_int(t->fd, SOL_SOCKET, SO_REUSEPORT)) != t->reuseport)
		t_fail("%s: SO_REUSEPORT is %d, was %d", t->name, v, t->reuseport);
	if ((v = get_int(t->fd, SOL_SOCKET, SO_ACCEPTCONN)) != (t->role == LISTENER))
		t_fail("%s: SO_ACCEPTCONN is %d", t->name, v);
	len = sizeof(ti);
	if (getsockopt(t->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    ti.tcpi_state != states[t->role])
		t_fail("%s: TCP state %d, was %d", t->name, ti.tcpi_state, states[t->role]);
}

static void recv_all(int fd, char *buf, size_t len, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			t_fail("%s: %zu of %zu bytes came", what, got, len);
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			t_fail("%s: recv: %s", what, n ? strerror(errno) : "end of stream");
		got += n;
	}
}

/* @fd sends @name, its peer @peer_name. */
static void send_name(int fd, const char *name)
{
	char msg[64] = { 0 };

	snprintf(msg, sizeof(msg), "%s", name);
	if (send(fd, msg, sizeof(msg), MSG_NOSIGNAL) != sizeof(msg))
		t_fail("%s: send: %s", name, strerror(errno));
}

static void expect_name(int fd, const char *name, const char *peer_name)
{
	char msg[64];

	recv_all(fd, msg, sizeof(msg), name);
	msg[sizeof(msg) - 1] = 0;
	if (strcmp(msg, peer_name) != 0)
		t_fail("%s: read '%s', expected '%s'", name, msg, peer_name);
}

/* A new connection to listener @t: accepted and carrying data both ways. */
static void check_accepts(const struct tsock *t)
{
	struct sockaddr_storage ss = t->local;
	int c = new_socket(t->local.ss_family, 0, 0, t->name), s;

	if (ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr))
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (connect(c, (struct sockaddr *)&ss, len_of(&ss)) < 0)
		t_fail("%s: a new connection: %s", t->name, strerror(errno));
	s = accept_one(t->fd, t->name);
	send_name(c, "new-client");
	send_name(s, "new-accepted");
	expect_name(s, "new-accepted", "new-client");
	expect_name(c, "new-client", "new-accepted");
	close(c);
	close(s);
}

/* How many connections the group's listeners of this process take. */
static int group_accepts(void)
{
	int n = 0;

	for (int i = 0; i < nsocks; i++) {
		if (socks[i].owner != me || !socks[i].group)
			continue;
		for (struct pollfd p = { .fd = socks[i].fd, .events = POLLIN };
		     poll(&p, 1, 0) == 1; n++)
			close(accept_one(socks[i].fd, socks[i].name));
	}
	return n;
}

static void check_mine(void)
{
	for (int i = 0; i < nsocks; i++)
		if (socks[i].owner == me)
			check_state(&socks[i]);
	for (int i = 0; i < nsocks; i++)
		if (socks[i].owner == me && socks[i].role == CONN)
			send_name(socks[i].fd, socks[i].name);
	for (int i = 0; i < nsocks; i++)
		if (socks[i].owner == me && socks[i].role == CONN)
			expect_name(socks[i].fd, socks[i].name, socks[socks[i].peer].name);
	for (int i = 0; i < nsocks; i++)
		if (socks[i].owner == me && socks[i].role == LISTENER && !socks[i].group)
			check_accepts(&socks[i]);
}

static void keep_mine(void)
{
	for (int i = 0; i < nsocks; i++)
		if (socks[i].owner != me)
			close(socks[i].fd);
}

static pid_t child(int who)
{
	pid_t pid = fork();
	char path[4096];
	FILE *f;

	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	me = who;
	keep_mine();
	t_wait_go();
	check_mine();
	snprintf(path, sizeof(path), "%s/accepted-%d", t_dir, who);
	f = fopen(path, "w");
	if (!f)
		t_fail("%s: %s", path, strerror(errno));
	fprintf(f, "%d\n", group_accepts());
	fclose(f);
	_exit(0);
}

/* The connections of the group's port go to any of its members. */
static int group_port(void)
{
	for (int i = 0; i < nsocks; i++)
		if (socks[i].group)
			return port_of(&socks[i].local);
	return 0;
}

int main(int argc, char **argv)
{
	int clients[GROUP_CONNS], taken, st, n_a = 0;
	pid_t a, b;
	char path[4096];
	FILE *f;

	t_init("tcp_bind", argc, argv);
	set_up();
	a = child(CHILD_A);
	b = child(CHILD_B);
	keep_mine();
	t_ready();
	t_wait_go();

	for (int i = 0; i < GROUP_CONNS; i++) {
		struct sockaddr_storage ss;
		socklen_t len = addr_of(AF_INET, "127.0.0.1", group_port(), &ss);

		clients[i] = new_socket(AF_INET, 0, 0, "group client");
		if (connect(clients[i], (struct sockaddr *)&ss, len) < 0)
			t_fail("a connection to the SO_REUSEPORT group: %s", strerror(errno));
	}
	kill(a, SIGUSR1);
	kill(b, SIGUSR1);
	check_mine();
	taken = group_accepts();
	for (int i = 0; i < 2; i++) {
		pid_t p = i ? b : a;

		if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			t_fail("child %d failed (status %#x)", p, st);
	}
	snprintf(path, sizeof(path), "%s/accepted-%d", t_dir, CHILD_A);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d", &n_a) != 1)
		t_fail("child A did not say how many it accepted");
	fclose(f);
	if (taken + n_a != GROUP_CONNS)
		t_fail("the SO_REUSEPORT group accepted %d + %d of %d connections", taken, n_a,
		       GROUP_CONNS);
	for (int i = 0; i < GROUP_CONNS; i++)
		close(clients[i]);
	t_pass();
}
