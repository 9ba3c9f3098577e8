/* SPDX-License-Identifier: MIT */
/*
 * Sockets: ferry takes its own copy of each socket with pidfd_getfd(),
 * reads the family, type and integer options common to all kinds, then
 * hands it to the code of its kind (inet, TCP, Unix). Copies of TCP
 * connections put in repair mode are kept until the checkpoint ends: then
 * they stay in repair mode if the processes go away (their peers see no
 * FIN, no RST) or leave it if they run on. When the processes go away,
 * each connection is locked (common/netlock.h) before its queues are read,
 * and the lock is kept; otherwise there is none to take.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/netlock.h"
#include "dump_socket.h"
#include "dump_socket_kinds.h"

struct dump_sockets {
	int *repaired;
	size_t nrepaired;
	struct netlock_conn *locked;
	size_t nlocked;
};

static struct dump_sockets *sockets_of(struct ckpt *c)
{
	if (!c->sockets)
		c->sockets = calloc(1, sizeof(*c->sockets));
	return c->sockets;
}

int sock_unsupported(struct sock_ctx *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ckpt_unsupported(x->c, "pid %d fd %d: %s: %s", x->pid, x->fd, x->link, msg);
	return 0;
}

int sock_hold_repaired(struct ckpt *c, int sfd)
{
	int *slot;

	if (!sockets_of(c))
		return -ENOMEM;
	slot = ST_PUSH(c->sockets->repaired, c->sockets->nrepaired);
	if (!slot)
		return -ENOMEM;
	*slot = sfd;
	return 0;
}

int sock_lock(struct ckpt *c, const struct st_socket *s)
{
	struct netlock_conn conn, *slot;
	int r;

	/* running on, the socket keeps what arrives: nothing to lock */
	if (!c->opts->kill && !c->opts->commit)
		return 0;
	if (!netlock_conn_of(s, &conn))
		return 0;
	if (!sockets_of(c))
		return -ENOMEM;
	slot = ST_PUSH(c->sockets->locked, c->sockets->nlocked);
	if (!slot)
		return -ENOMEM;
	r = netlock_take(&conn, 1);
	if (r < 0) {
		c->sockets->nlocked--;
		return r;
	}
	*slot = conn;
	c->img.network_lock = true;
	return 0;
}

void dump_sockets_release(struct ckpt *c, bool keep_repair)
{
	struct dump_sockets *ds = c->sockets;

	if (!ds)
		return;
	for (size_t i = 0; i < ds->nrepaired; i++) {
		int off = TCP_REPAIR_OFF;

		if (!keep_repair &&
		    setsockopt(ds->repaired[i], IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0)
			glue_warn("a TCP connection could not leave repair mode: %s",
				  strerror(errno));
		close(ds->repaired[i]);
	}
	if (ds->nrepaired)
		glue_debug("%zu TCP connection%s %s repair mode", ds->nrepaired,
			   ds->nrepaired == 1 ? "" : "s", keep_repair ? "kept in" : "out of");
	/* after repair mode: what the peers send now reaches a working socket */
	if (!keep_repair && netlock_release(ds->locked, ds->nlocked) < 0)
		glue_warn("the network lock of the connections could not be released; "
			  "'ferry netlock' lists its rules, 'ferry netlock --release' "
			  "removes them");
	else if (ds->nlocked)
		glue_debug("network lock of %zu connection%s %s", ds->nlocked,
			   ds->nlocked == 1 ? "" : "s", keep_repair ? "kept" : "released");
	free(ds->locked);
	free(ds->repaired);
	free(ds);
	c->sockets = NULL;
}

/* Integer options worth carrying, per level; those that fail are left out. */
struct opt_name {
	int level, name;
	bool tcp_only;
};

static const struct opt_name int_opts[] = {
	{ SOL_SOCKET, SO_REUSEADDR, false },
	{ SOL_SOCKET, SO_REUSEPORT, false },
	{ SOL_SOCKET, SO_KEEPALIVE, false },
	{ SOL_SOCKET, SO_BROADCAST, false },
	{ SOL_SOCKET, SO_OOBINLINE, false },
	{ SOL_SOCKET, SO_PRIORITY, false },
	{ SOL_SOCKET, SO_RCVLOWAT, false },
	{ SOL_SOCKET, SO_PASSCRED, false },
	{ SOL_SOCKET, SO_MARK, false },
	{ SOL_SOCKET, SO_DONTROUTE, false },
	{ IPPROTO_TCP, TCP_NODELAY, true },
	{ IPPROTO_TCP, TCP_CORK, true },
	{ IPPROTO_TCP, TCP_KEEPIDLE, true },
	{ IPPROTO_TCP, TCP_KEEPINTVL, true },
	{ IPPROTO_TCP, TCP_KEEPCNT, true },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, true },
	{ IPPROTO_TCP, TCP_NOTSENT_LOWAT, true },
	{ IPPROTO_TCP, TCP_LINGER2, true },
	{ IPPROTO_IP, IP_TOS, false },
	{ IPPROTO_IP, IP_TTL, false },
	{ IPPROTO_IP, IP_FREEBIND, false },
	{ IPPROTO_IP, IP_TRANSPARENT, false },
	{ IPPROTO_IP, IP_PKTINFO, false },
	{ IPPROTO_IP, IP_RECVTOS, false },
	{ IPPROTO_IP, IP_MTU_DISCOVER, false },
	{ IPPROTO_IPV6, IPV6_V6ONLY, false },
	{ IPPROTO_IPV6, IPV6_TCLASS, false },
	{ IPPROTO_IPV6, IPV6_RECVPKTINFO, false },
	{ IPPROTO_IPV6, 78 /* IPV6_FREEBIND */, false },
	{ IPPROTO_IPV6, IPV6_TRANSPARENT, false },
};

static int dump_options(struct sock_ctx *x)
{
	struct st_socket *s = x->s;
	struct linger lg;
	struct timeval tv;
	socklen_t len;
	int v;

	for (size_t i = 0; i < sizeof(int_opts) / sizeof(int_opts[0]); i++) {
		const struct opt_name *o = &int_opts[i];
		struct st_sockopt *so;

		if (s->family == AF_UNIX && o->level != SOL_SOCKET)
			continue;
		if (o->tcp_only && s->protocol != IPPROTO_TCP)
			continue;
		if (o->level == IPPROTO_IPV6 && s->family != AF_INET6)
			continue;
		if (o->level == IPPROTO_IP && s->family != AF_INET)
			continue;
		len = sizeof(v);
		if (getsockopt(x->sfd, o->level, o->name, &v, &len) < 0 || len != sizeof(v))
			continue;
		so = ST_PUSH(s->opts, s->nopts);
		if (!so)
			return -ENOMEM;
		so->level = o->level;
		so->name = o->name;
		so->value = v;
	}
	len = sizeof(lg);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_LINGER, &lg, &len) == 0) {
		s->linger[0] = lg.l_onoff;
		s->linger[1] = lg.l_linger;
	}
	len = sizeof(tv);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0)
		s->timeouts[0] = tv.tv_sec * 1000000ull + tv.tv_usec;
	len = sizeof(tv);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) == 0)
		s->timeouts[1] = tv.tv_sec * 1000000ull + tv.tv_usec;
	len = sizeof(v);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
		s->rcvbuf = v;
	len = sizeof(v);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0)
		s->sndbuf = v;
	return 0;
}

static int get_int(int sfd, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(sfd, level, name, ret, &len) < 0 ? -errno : 0;
}

/* Is the socket in the network namespace ferry itself runs in? */
static bool same_netns(int sfd)
{
	struct stat a, b;
	int ns = ioctl(sfd, SIOCGSKNS);
	bool same;

	if (ns < 0)
		return true; /* cannot tell: assume it is */
	same = fstat(ns, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino;
	close(ns);
	return same;
}

static const char *family_name(int family)
{
	switch (family) {
	case AF_NETLINK:
		return "netlink sockets (their kernel-side state and subscriptions)";
	case AF_PACKET:
		return "packet sockets (bound to network devices)";
	case 40: /* AF_VSOCK */
		return "vsock sockets";
	case 38: /* AF_ALG */
		return "crypto (AF_ALG) sockets";
	case AF_BLUETOOTH:
		return "Bluetooth sockets";
	default:
		return NULL;
	}
}

int dump_socket(struct ckpt *c, pid_t pid, int fd, const char *link, struct st_file *f)
{
	struct sock_ctx x = { .c = c, .pid = pid, .fd = fd, .link = link, .sfd = -1 };
	int family = 0, type = 0, proto = 0, pidfd, r;
	unsigned before = c->problems;
	const char *kind;

	sscanf(link, "socket:[%lu]", &x.ino);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return glue_err(-errno, "pid %d: pidfd_open", pid);
	x.sfd = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	r = x.sfd < 0 ? -errno : 0;
	close(pidfd);
	if (x.sfd < 0)
		return glue_err(r, "pid %d fd %d: %s: cannot take a copy of it", pid, fd, link);
	if (get_int(x.sfd, SOL_SOCKET, SO_DOMAIN, &family) < 0 ||
	    get_int(x.sfd, SOL_SOCKET, SO_TYPE, &type) < 0 ||
	    get_int(x.sfd, SOL_SOCKET, SO_PROTOCOL, &proto) < 0) {
		r = glue_err(-errno, "pid %d fd %d: %s: cannot read its kind", pid, fd, link);
		goto out;
	}
	kind = family_name(family);
	if (kind) {
		sock_unsupported(&x, "%s are not supported", kind);
		goto out;
	}
	if (family != AF_UNIX && family != AF_INET && family != AF_INET6) {
		sock_unsupported(&x, "sockets of family %d are not supported", family);
		goto out;
	}
	if (type == SOCK_RAW) {
		sock_unsupported(&x, "raw sockets (protocol %d) are not supported", proto);
		goto out;
	}
	if (family != AF_UNIX && !((type == SOCK_STREAM && proto == IPPROTO_TCP) ||
				   (type == SOCK_DGRAM && proto == IPPROTO_UDP))) {
		sock_unsupported(&x, "an inet socket of type %d, protocol %d (only TCP and UDP "
				 "are supported)", type, proto);
		goto out;
	}
	if (family == AF_UNIX && type != SOCK_STREAM && type != SOCK_DGRAM &&
	    type != SOCK_SEQPACKET) {
		sock_unsupported(&x, "a Unix socket of type %d is not supported", type);
		goto out;
	}
	if (!same_netns(x.sfd)) {
		sock_unsupported(&x, "a socket of another network namespace than ferry's is not "
				 "supported (sockets are made again in the restorer's)");
		goto out;
	}
	x.s = ST_PUSH(c->img.sockets, c->img.nsockets);
	if (!x.s) {
		r = -ENOMEM;
		goto out;
	}
	x.s->id = c->img.nsockets;
	x.s->family = family;
	x.s->type = type;
	x.s->protocol = proto;
	r = dump_options(&x);
	if (r == 0)
		r = family == AF_UNIX ? dump_socket_unix(&x) : dump_socket_inet(&x);
	if (r == 0 && c->problems == before) {
		f->type = ST_FILE_SOCKET;
		f->socket_id = x.s->id;
		f->path = strdup(link);
		if (!f->path)
			r = -ENOMEM;
	}
out:
	if (x.sfd >= 0)
		close(x.sfd);
	return r;
}
