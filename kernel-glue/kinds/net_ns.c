/* SPDX-License-Identifier: MIT */
/*
 * The network namespace of the selection, when it is not ferry's, as
 * systemd's PrivateNetwork= gives a service: one of its own whose only
 * device is the loopback one. Every process of the selection must be in
 * the same one, the first process's (inventory/ns.c's "net", claimed
 * here). Besides lo it may have one veth whose peer, the host end, is in
 * ferry's namespace (a container's or a service's network): both ends'
 * names, MACs, MTUs, up states and addresses are carried, and the routes
 * of the namespace's main table through the veth (a default route via the
 * host end's address, others with a gateway and/or the device). A process
 * in another namespace, ferry's included, is refused by name before the
 * freeze, and so is a namespace with what is not carried yet: another
 * device (a bridge, a macvlan, a dummy, a tunnel, a second veth, a veth
 * whose peer is in the same namespace or a third one), a host end that is
 * a port of a bridge or has routes of its own, an address with a
 * lifetime, a point-to-point peer or a label of its own, another route
 * the kernel did not make for an address (`ip route add ... dev lo`, of
 * another table, with a source...), a policy routing rule other than the
 * default ones, a netfilter table (nftables, or the legacy iptables,
 * ip6tables, arptables). A TCP connection over the veth to a peer outside
 * the checkpoint is refused by kinds/tcp.c, as any whose other end is not
 * in it.
 *
 * Checkpoint: right after the freeze (dump_begin) ferry's thread joins the
 * namespace (setns CLONE_NEWNET) and reads it from there through rtnetlink:
 * lo's state (up or down, MTU) and its addresses, the veth (its peer's
 * IFLA_LINK_NETNSID must be the id the namespace gives ferry's, RTM_GETNSID)
 * with the host end read through a socket opened in ferry's namespace
 * before, the routes, and the sysctls of net_sysctls[] (/proc/sys/net, per
 * namespace). It stays inside until the
 * checkpoint ends (dump_end, after kinds/tcp.c's), so that sock_diag
 * describes the sockets of the namespace, a socket is compared with it
 * (kinds/socket.c: one of another namespace, ferry's included, is
 * refused), and the network lock of the connections (common/netlock.h:
 * policy routing rules of the namespace they are made in) is taken and
 * released inside; the guardian, in ferry's namespace, is given the
 * namespace to release it there should ferry die. The image records no
 * lock: killed, the namespace goes with its rules. The routes the kernel
 * made for the addresses (the local table's, a prefix route) are not
 * recorded: adding the addresses makes them again. Both ends of each TCP
 * connection must be in the checkpoint (kinds/tcp.c refuses one whose
 * peer is not): the restore makes the namespace anew.
 *
 * Restore: before anything is made (restore_begin), the restorer keeps its
 * own namespace, makes a new one (unshare CLONE_NEWNET), writes the
 * sysctls, gives lo its MTU, brings it up if it was (the kernel then adds
 * 127.0.0.1/8 and ::1) and adds the other addresses, makes the veth
 * inside with its peer moved out to the restorer's own namespace under its
 * name (free there: the checkpoint's pair, with --kill, goes with its
 * namespace a moment after its last process died, which is waited for),
 * their MACs, MTUs, addresses and up states, then the routes, and locks the
 * connections there, so that every socket and process it makes is made
 * inside and no end meets the other's missing socket. When the restore
 * ends (restore_end: the connections left repair mode before, inside, or
 * were closed in it) it releases the lock and goes back to its own. The
 * restorer's own lock (restore.c) leaves these connections alone.
 * Verified before they run: each process is in that namespace, not the
 * restorer's, whose lo, addresses, veth, routes and sysctls are the
 * image's. A failed restore removes the pair it made (restore_failed).
 *
 * rtnetlink (and nfnetlink's one dump of the nftables tables) is spoken by
 * hand here, as common/netlock.c does: a few dumps and requests do not
 * justify a library (libmnl is no dependency of
 * ferry, and ferry-init links statically).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/net_namespace.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/netlock.h"
#include "../common/ns_step.h"
#include "../common/ns_sysctls.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "net_ns.h"
#include "socket.h"

#define ADDRESSES_MAX 8192 /* the bytes of the addresses property */
#define LO_MTU_MIN 68      /* IPV4_MIN_MTU, what lo takes at least */
#define LO_MTU_MAX (1u << 24)

/* The sysctls of a network namespace carried, under /proc/sys/net, in
 * this order in the image (disable_ipv6 of all, default, then lo: writing
 * "all" sets every device's). */
static const char *const net_sysctls[] = {
	"ipv4/ip_local_port_range", "ipv4/ip_unprivileged_port_start", "ipv4/ping_group_range",
	"core/somaxconn", "ipv6/conf/all/disable_ipv6", "ipv6/conf/default/disable_ipv6",
	"ipv6/conf/lo/disable_ipv6",
};
#define NSYSCTLS (sizeof(net_sysctls) / sizeof(net_sysctls[0]))
static const struct ns_sysctls net_ns_sysctls = {
	.dir = "net",
	.ns = "network",
	.bad_line = "a line is not NAME=VALUE of a network sysctl",
	.names = net_sysctls,
	.n = NSYSCTLS,
};

/* The address flags carried: what `ip address add` may set on lo and the
 * kernel keeps as given. IFA_F_PERMANENT (no lifetime) is required,
 * IFA_F_SECONDARY is the kernel's choice; any other is refused. */
#define ADDR_FLAGS_CARRIED (IFA_F_NODAD | IFA_F_NOPREFIXROUTE)
#define ADDR_FLAGS_KERNEL (IFA_F_PERMANENT | IFA_F_SECONDARY | IFA_F_TENTATIVE)
#define VETH_MAX 160      /* the bytes of the veth property */
#define ROUTES_MAX 8192   /* of the routes property */
#define VETH_MTU_MAX 65535

struct net_ns_rec {
	bool lo_up;
	uint32_t lo_mtu;
	char *addresses; /* "ADDRESS/PREFIX SCOPE FLAGS BROADCAST\n" each; NULL: none */
	char *sysctls;   /* "NAME=VALUE\n" each, NAME of net_sysctls[] */
	char *veth;      /* "NAME MTU UP MAC PEER PEER-MTU PEER-UP PEER-MAC\n"; NULL: none */
	char *veth_addresses; /* "DEVICE " and an address line, each */
	char *routes;    /* "DESTINATION/PREFIX GATEWAY DEVICE METRIC PROTOCOL SCOPE\n" each */
};

struct net_image {
	struct net_ns_rec *ns; /* none: ferry's own; else one */
	size_t n;
};

static const struct meta_field net_fields[] = {
	META_FLAG(FM_NET_LO_UP, struct net_ns_rec, lo_up, 0),
	META_U32(FM_NET_LO_MTU, struct net_ns_rec, lo_mtu, META_REQUIRED),
	META_STR(FM_NET_LO_ADDRESSES, struct net_ns_rec, addresses, 0),
	META_STR(FM_NET_SYSCTLS, struct net_ns_rec, sysctls, META_REQUIRED),
	META_STR(FM_NET_VETH, struct net_ns_rec, veth, 0),
	META_STR(FM_NET_VETH_ADDRESSES, struct net_ns_rec, veth_addresses, 0),
	META_STR(FM_NET_ROUTES, struct net_ns_rec, routes, 0),
	{ 0 },
};

static const struct meta_node net_node = {
	.name = FM_NET_NS, .size = sizeof(struct net_ns_rec), .fields = net_fields,
};

static const struct meta_field net_image_fields[] = {
	META_NODES(NULL, struct net_image, ns, n, &net_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_net_ns;

/* ---- rtnetlink ---- */

struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rtm;
		struct fib_rule_hdr frh;
		struct rtgenmsg gen;
	};
	char attrs[512];
};

static void nl_put(struct nl_req *m, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* A nested attribute @type begun at the end of @m; nl_nest_end closes it. */
static struct rtattr *nl_nest(struct nl_req *m, int type)
{
	struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(0);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_LENGTH(0);
	return a;
}

static void nl_nest_end(struct nl_req *m, struct rtattr *a)
{
	a->rta_len = (unsigned short)((char *)m + m->h.nlmsg_len - (char *)a);
}

static void nl_begin(struct nl_req *m, int type, size_t body, int flags)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(body);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = NLM_F_REQUEST | flags;
}

/* Send @req and read what answers it: each message of a dump to @each
 * (non-zero stops it: returned), or the acknowledgement. 0 or -errno. */
static int nl_talk(int fd, struct nl_req *req, int (*each)(const struct nlmsghdr *h, void *arg),
		   void *arg)
{
	static uint32_t seq;
	static char buf[32768];
	int stop = 0;

	req->h.nlmsg_seq = ++seq;
	if (send(fd, req, req->h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return stop;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

				/* a request's acknowledgement, or a dump's error */
				return e ? e : stop;
			}
			if (each && !stop)
				stop = each(h, arg);
		}
	}
}

static int nl_dump(int fd, int type, int family, int (*each)(const struct nlmsghdr *h, void *arg),
		   void *arg)
{
	struct nl_req m;
	size_t body = type == RTM_GETLINK ? sizeof(struct ifinfomsg) :
		      type == RTM_GETADDR ? sizeof(struct ifaddrmsg) :
		      type == RTM_GETRULE ? sizeof(struct fib_rule_hdr) : sizeof(struct rtmsg);

	/* the family is the first byte of each of these headers */
	nl_begin(&m, type, body, NLM_F_DUMP);
	m.rtm.rtm_family = family;
	return nl_talk(fd, &m, each, arg);
}

/* Each attribute of a message whose header is @hdr bytes, into @tb by type. */
static void nl_attrs(const struct nlmsghdr *h, size_t hdr, const struct rtattr **tb, int max)
{
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(hdr);

	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (const struct rtattr *a = (const void *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr));
	     len > 0 && RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type <= max)
			tb[a->rta_type] = a;
}

/*
 * Netlink sockets made in the network namespace of @pid by a child of
 * ferry that joined it (setns), handed back (SCM_RIGHTS): ret[0]
 * NETLINK_ROUTE, ret[1] NETLINK_NETFILTER (-1 on a kernel without it), so
 * that ferry's own thread stays where it is. The child then goes back to
 * ferry's namespace, as ferry's thread does after a checkpoint: a ferry
 * that could join the namespace but not come back (in a user namespace of
 * its own, without CAP_SYS_ADMIN over its network namespace's owner) gets
 * -EXDEV, and reads nothing. Returns 0 or -errno (not logged).
 */
static int nl_sockets_in(pid_t pid, int ret[2])
{
	struct {
		int err, nfds;
	} res = { .err = -EIO };
	char path[64], cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { &res, sizeof(res) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sp[2], status;
	pid_t child;

	ret[0] = ret[1] = -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		close(sp[0]);
		close(sp[1]);
		return -errno;
	}
	if (child == 0) {
		int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		int ns = open(path, O_RDONLY | O_CLOEXEC), fds[2] = { -1, -1 };

		res.nfds = 0;
		if (own < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
			res.err = -errno;
		} else {
			fds[0] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
			fds[1] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
			res.err = fds[0] < 0 ? -errno : setns(own, CLONE_NEWNET) < 0 ? -EXDEV : 0;
		}
		if (res.err == 0) {
			struct cmsghdr *cm;

			res.nfds = fds[1] >= 0 ? 2 : 1;
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(res.nfds * sizeof(int));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(res.nfds * sizeof(int));
			memcpy(CMSG_DATA(cm), fds, res.nfds * sizeof(int));
		}
		_exit(sendmsg(sp[1], &mh, MSG_NOSIGNAL) == sizeof(res) ? 0 : 1);
	}
	close(sp[1]);
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(sp[0], &mh, MSG_CMSG_CLOEXEC) != sizeof(res))
		res.err = -EIO;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			memcpy(ret, CMSG_DATA(cm), (n > 2 ? 2 : n) * sizeof(int));
		}
	close(sp[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (res.err == 0 && ret[0] < 0)
		res.err = -EIO;
	if (res.err < 0) {
		for (int i = 0; i < 2; i++)
			if (ret[i] >= 0)
				close(ret[i]);
		ret[0] = ret[1] = -1;
	}
	return res.err;
}

/* ---- reading a namespace ---- */

/* One end of the veth pair. */
struct veth_end {
	int index;  /* 0: none */
	char name[IFNAMSIZ];
	bool up;
	uint32_t mtu;
	uint8_t mac[6];
	int link;   /* its peer's index (IFLA_LINK) */
	int nsid;   /* the peer's namespace as this one names it; -1: its own */
	int master; /* the host end's bridge (IFLA_MASTER), 0: none */
};

/* What ferry reads of a namespace: lo, its addresses, its veth and the
 * host end of it (through @host_fd, an rtnetlink socket in ferry's own
 * namespace, whose file is @host_ns), the routes, and the first thing of
 * it that is not carried (@why, empty when none). */
struct net_seen {
	int host_fd, host_ns;
	bool host_pass; /* reading ferry's namespace: only the host end */
	int lo_index;
	bool lo_up;
	uint32_t lo_mtu;
	struct veth_end veth, peer;
	FILE *addrs; /* the addresses property being written */
	char *addresses;
	size_t addresses_len;
	FILE *vaddrs; /* the veth's */
	char *veth_addresses;
	size_t veth_addresses_len;
	FILE *rts; /* the routes */
	char *routes;
	size_t routes_len;
	char why[512];
};

static void seen_free(struct net_seen *s)
{
	free(s->addresses);
	free(s->veth_addresses);
	free(s->routes);
	s->addresses = s->veth_addresses = s->routes = NULL;
}

static void refuse(struct net_seen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct net_seen *s, const char *fmt, ...)
{
	va_list ap;

	if (s->why[0])
		return; /* the first one is named */
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static void end_read(struct veth_end *v, const struct ifinfomsg *ifi, const struct rtattr **tb,
		     const char *name)
{
	v->index = ifi->ifi_index;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->up = ifi->ifi_flags & IFF_UP;
	v->mtu = tb[IFLA_MTU] ? *(const uint32_t *)RTA_DATA(tb[IFLA_MTU]) : 0;
	if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6)
		memcpy(v->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
	v->link = tb[IFLA_LINK] ? *(const int32_t *)RTA_DATA(tb[IFLA_LINK]) : 0;
	v->nsid = tb[IFLA_LINK_NETNSID] ? *(const int32_t *)RTA_DATA(tb[IFLA_LINK_NETNSID]) : -1;
	v->master = tb[IFLA_MASTER] ? *(const int32_t *)RTA_DATA(tb[IFLA_MASTER]) : 0;
}

static int link_seen(const struct nlmsghdr *h, void *arg)
{
	struct net_seen *s = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1] = { 0 };
	const char *name, *kind = NULL;
	const unsigned others = IFF_PROMISC | IFF_ALLMULTI | IFF_NOARP | IFF_DEBUG | IFF_DYNAMIC;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	nl_attrs(h, sizeof(*ifi), tb, IFLA_MAX);
	name = tb[IFLA_IFNAME] ? RTA_DATA(tb[IFLA_IFNAME]) : "?";
	if (tb[IFLA_LINKINFO]) {
		int len = RTA_PAYLOAD(tb[IFLA_LINKINFO]);

		for (const struct rtattr *a = RTA_DATA(tb[IFLA_LINKINFO]); RTA_OK(a, len);
		     a = RTA_NEXT(a, len))
			if (a->rta_type <= IFLA_INFO_MAX)
				info[a->rta_type] = a;
		kind = info[IFLA_INFO_KIND] ? RTA_DATA(info[IFLA_INFO_KIND]) : NULL;
	}
	if (s->host_pass) {
		/* ferry's namespace: the host end, and its bridge's name */
		if (ifi->ifi_index == s->peer.master && s->peer.index)
			refuse(s, "the host end '%s' of its veth '%s' is a port of %s%s%s'%s' in "
			       "ferry's network namespace: not carried yet", s->peer.name,
			       s->veth.name, kind ? kind : "", kind ? " " : "",
			       kind ? "" : "the device ", name);
		if (ifi->ifi_index != s->veth.link || s->peer.index)
			return 0;
		end_read(&s->peer, ifi, tb, name);
		if (!kind || strcmp(kind, "veth") != 0 || s->peer.link != s->veth.index)
			refuse(s, "the peer of its veth '%s' is not the device '%s' of ferry's "
			       "network namespace, a %s: not carried", s->veth.name, name,
			       kind ? kind : "device of no kind");
		else if (ifi->ifi_flags & others)
			refuse(s, "the host end '%s' of its veth has flags %#x (promisc, allmulti, "
			       "noarp, debug or dynamic): they are not carried yet", name,
			       ifi->ifi_flags & others);
		return 0;
	}
	if (kind && strcmp(kind, "veth") == 0 && !(ifi->ifi_flags & IFF_LOOPBACK)) {
		struct veth_end v = { 0 };

		end_read(&v, ifi, tb, name);
		if (s->veth.index)
			refuse(s, "its network namespace has a second veth '%s' (the first: '%s'): "
			       "one veth is carried yet", name, s->veth.name);
		else if (v.nsid < 0)
			refuse(s, "its network namespace has the veth '%s' whose peer is in the same "
			       "namespace: only a veth whose peer is in ferry's network namespace "
			       "is carried yet", name);
		else if (ifi->ifi_flags & others)
			refuse(s, "the veth '%s' of its network namespace has flags %#x (promisc, "
			       "allmulti, noarp, debug or dynamic): they are not carried yet", name,
			       ifi->ifi_flags & others);
		else if (v.master)
			refuse(s, "the veth '%s' of its network namespace is a port of another "
			       "device: not carried yet", name);
		else
			s->veth = v;
		return 0;
	}
	if (!(ifi->ifi_flags & IFF_LOOPBACK) || strcmp(name, "lo") != 0) {
		refuse(s, "its network namespace has the device '%s'%s%s%s: only lo and a veth to "
		       "ferry's network namespace are carried yet (a bridge, macvlan, dummy, "
		       "tunnel or physical device is not)", name,
		       kind ? " (" : "", kind ? kind : "", kind ? ")" : "");
		return 0;
	}
	if (ifi->ifi_flags & others)
		refuse(s, "the lo of its network namespace has flags %#x (promisc, allmulti, noarp, "
		       "debug or dynamic): they are not carried yet", ifi->ifi_flags & others);
	s->lo_index = ifi->ifi_index;
	s->lo_up = ifi->ifi_flags & IFF_UP;
	s->lo_mtu = tb[IFLA_MTU] ? *(const uint32_t *)RTA_DATA(tb[IFLA_MTU]) : 0;
	return 0;
}

static int addr_seen(const struct nlmsghdr *h, void *arg)
{
	struct net_seen *s = arg;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *tb[IFA_MAX + 1];
	const struct rtattr *local, *peer;
	char addr[INET6_ADDRSTRLEN], brd[INET6_ADDRSTRLEN] = "-";
	const char *dev, *where = s->host_pass ? "ferry's" : "its";
	uint32_t flags, valid = 0xffffffffu;
	FILE *out;
	size_t alen;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	if (s->host_pass && (int)ifa->ifa_index != s->peer.index)
		return 0; /* the host's own */
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) {
		refuse(s, "%s network namespace has an address of family %u on %s: it is not "
		       "carried yet", where, ifa->ifa_family, s->host_pass ? s->peer.name : "a device");
		return 0;
	}
	nl_attrs(h, sizeof(*ifa), tb, IFA_MAX);
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	peer = tb[IFA_ADDRESS];
	local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : peer;
	if (!local || RTA_PAYLOAD(local) != alen)
		return 0;
	inet_ntop(ifa->ifa_family, RTA_DATA(local), addr, sizeof(addr));
	flags = tb[IFA_FLAGS] ? *(const uint32_t *)RTA_DATA(tb[IFA_FLAGS]) : ifa->ifa_flags;
	if (tb[IFA_CACHEINFO])
		valid = ((const struct ifa_cacheinfo *)RTA_DATA(tb[IFA_CACHEINFO]))->ifa_valid;
	if (s->host_pass) {
		dev = s->peer.name;
		out = s->vaddrs;
	} else if ((int)ifa->ifa_index == s->lo_index) {
		dev = "lo";
		out = s->addrs;
	} else if (s->veth.index && (int)ifa->ifa_index == s->veth.index) {
		dev = s->veth.name;
		out = s->vaddrs;
	} else {
		refuse(s, "its network namespace has the address %s on a device other than lo and "
		       "its veth: it is not carried yet", addr);
		return 0;
	}
	if (!(flags & IFA_F_PERMANENT) || valid != 0xffffffffu)
		refuse(s, "the address %s of %s in %s network namespace has a lifetime: it is not "
		       "carried yet", addr, dev, where);
	else if (flags & ~(ADDR_FLAGS_CARRIED | ADDR_FLAGS_KERNEL))
		refuse(s, "the address %s of %s in %s network namespace has flags %#x: they are "
		       "not carried yet", addr, dev, where,
		       flags & ~(ADDR_FLAGS_CARRIED | ADDR_FLAGS_KERNEL));
	else if (peer && RTA_PAYLOAD(peer) == alen && memcmp(RTA_DATA(peer), RTA_DATA(local), alen))
		refuse(s, "the address %s of %s in %s network namespace has a peer address: it is "
		       "not carried yet", addr, dev, where);
	else if (tb[IFA_LABEL] && strcmp(RTA_DATA(tb[IFA_LABEL]), dev) != 0)
		refuse(s, "the address %s of %s in %s network namespace has the label '%s': it is "
		       "not carried yet", addr, dev, where, (const char *)RTA_DATA(tb[IFA_LABEL]));
	if (tb[IFA_BROADCAST] && RTA_PAYLOAD(tb[IFA_BROADCAST]) == 4)
		inet_ntop(AF_INET, RTA_DATA(tb[IFA_BROADCAST]), brd, sizeof(brd));
	if (out && out == s->vaddrs)
		fprintf(out, "%s ", dev);
	if (out)
		fprintf(out, "%s/%u %u %#x %s\n", addr, ifa->ifa_prefixlen, ifa->ifa_scope,
			flags & ADDR_FLAGS_CARRIED, brd);
	return 0;
}

static int route_seen(const struct nlmsghdr *h, void *arg)
{
	struct net_seen *s = arg;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	const struct rtattr *tb[RTA_MAX + 1];
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN] = "-";
	uint32_t table, metric = 0;
	int oif = 0;
	const char *why = NULL;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	/* made by the kernel for an address: made again with it */
	if (rtm->rtm_protocol == RTPROT_KERNEL || (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	nl_attrs(h, sizeof(*rtm), tb, RTA_MAX);
	table = tb[RTA_TABLE] ? *(const uint32_t *)RTA_DATA(tb[RTA_TABLE]) : rtm->rtm_table;
	if (tb[RTA_OIF])
		oif = *(const int32_t *)RTA_DATA(tb[RTA_OIF]);
	if (tb[RTA_PRIORITY])
		metric = *(const uint32_t *)RTA_DATA(tb[RTA_PRIORITY]);
	if (tb[RTA_DST])
		inet_ntop(rtm->rtm_family, RTA_DATA(tb[RTA_DST]), dst, sizeof(dst));
	else
		snprintf(dst, sizeof(dst), "%s", rtm->rtm_family == AF_INET6 ? "::" : "0.0.0.0");
	if (tb[RTA_GATEWAY])
		inet_ntop(rtm->rtm_family, RTA_DATA(tb[RTA_GATEWAY]), gw, sizeof(gw));
	if (s->host_pass) {
		if (oif == s->peer.index && s->peer.index)
			refuse(s, "the host end '%s' of its veth has the route to %s/%u (table %u, "
			       "protocol %u) in ferry's network namespace: the host end's routes are "
			       "not carried yet", s->peer.name, dst, rtm->rtm_dst_len, table,
			       rtm->rtm_protocol);
		return 0;
	}
	if (table != RT_TABLE_MAIN)
		why = "not in the main table";
	else if (rtm->rtm_type != RTN_UNICAST)
		why = "not unicast";
	else if (!s->veth.index || oif != s->veth.index)
		why = oif && oif == s->lo_index ? "through lo" : "not through its veth";
	else if (rtm->rtm_src_len || rtm->rtm_tos || tb[RTA_SRC] || tb[RTA_IIF])
		why = "of a source or type of service";
	else if (tb[RTA_MULTIPATH] || tb[RTA_ENCAP] || tb[RTA_NH_ID] || tb[RTA_VIA])
		why = "of several next hops or an encapsulation";
	else if (tb[RTA_PREFSRC] || tb[RTA_METRICS] || tb[RTA_FLOW] || tb[RTA_MARK] ||
		 tb[RTA_EXPIRES])
		why = "with a preferred source, metrics, a realm, a mark or a lifetime";
	else if (tb[RTA_PREF] && *(const uint8_t *)RTA_DATA(tb[RTA_PREF]) != 0)
		why = "of a router preference other than medium";
	else if (rtm->rtm_flags & ~(unsigned)(RTNH_F_LINKDOWN | RTNH_F_DEAD))
		why = "with flags (onlink, ...)";
	if (why) {
		refuse(s, "its network namespace has the route to %s/%u in table %u (protocol %u), "
		       "which no address made, %s: only the main table's unicast routes through "
		       "its veth are carried yet", dst, rtm->rtm_dst_len, table,
		       rtm->rtm_protocol, why);
		return 0;
	}
	if (s->rts)
		fprintf(s->rts, "%s/%u %s %s %u %u %u\n", dst, rtm->rtm_dst_len, gw, s->veth.name,
			metric, rtm->rtm_protocol, rtm->rtm_scope);
	return 0;
}

/* The rules a new namespace has: 0 local, 32766 main, 32767 default (IPv4). */
struct rules_seen {
	struct net_seen *s;
	int family;
	unsigned defaults; /* bit i: the default rule i seen */
};

static int rule_seen(const struct nlmsghdr *h, void *arg)
{
	static const struct { uint32_t pref, table; } dflt[] = {
		{ 0, RT_TABLE_LOCAL }, { 32766, RT_TABLE_MAIN }, { 32767, RT_TABLE_DEFAULT },
	};
	struct rules_seen *rs = arg;
	const struct fib_rule_hdr *frh = NLMSG_DATA(h);
	const struct rtattr *tb[FRA_MAX + 1];
	uint32_t pref = 0, table;
	bool plain;

	if (h->nlmsg_type != RTM_NEWRULE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*frh)))
		return 0;
	nl_attrs(h, sizeof(*frh), tb, FRA_MAX);
	/* the network lock's (common/netlock.h), not the namespace's own: the
	 * restore's own lock is there while it verifies */
	if (tb[FRA_PROTOCOL] && *(const uint8_t *)RTA_DATA(tb[FRA_PROTOCOL]) == FERRY_NETLOCK_RTPROT)
		return 0;
	if (tb[FRA_PRIORITY])
		pref = *(const uint32_t *)RTA_DATA(tb[FRA_PRIORITY]);
	table = tb[FRA_TABLE] ? *(const uint32_t *)RTA_DATA(tb[FRA_TABLE]) : frh->table;
	plain = frh->action == FR_ACT_TO_TBL && !frh->src_len && !frh->dst_len && !frh->tos &&
		!frh->flags;
	for (int t = 0; plain && t <= FRA_MAX; t++) {
		if (!tb[t] || t == FRA_PRIORITY || t == FRA_TABLE || t == FRA_PROTOCOL || t == FRA_PAD)
			continue;
		/* -1: none, as the kernel gives every rule */
		if ((t == FRA_SUPPRESS_PREFIXLEN || t == FRA_SUPPRESS_IFGROUP) &&
		    RTA_PAYLOAD(tb[t]) == 4 && *(const int32_t *)RTA_DATA(tb[t]) == -1)
			continue;
		plain = false;
	}
	for (size_t i = 0; plain && i < sizeof(dflt) / sizeof(dflt[0]); i++)
		if (dflt[i].pref == pref && dflt[i].table == table &&
		    (rs->family == AF_INET || dflt[i].table != RT_TABLE_DEFAULT)) {
			rs->defaults |= 1u << i;
			return 0;
		}
	refuse(rs->s, "its network namespace has the %s policy routing rule %u (table %u, action "
	       "%u), which a new namespace has not: rules are not carried yet",
	       rs->family == AF_INET ? "IPv4" : "IPv6", pref, table, frh->action);
	return 0;
}

static int table_seen(const struct nlmsghdr *h, void *arg)
{
	struct net_seen *s = arg;
	const struct nfgenmsg *g = NLMSG_DATA(h);
	const struct rtattr *tb[NFTA_TABLE_MAX + 1];

	if (NFNL_MSG_TYPE(h->nlmsg_type) != NFT_MSG_NEWTABLE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return 0;
	nl_attrs(h, sizeof(*g), tb, NFTA_TABLE_MAX);
	refuse(s, "its network namespace has the nftables table '%s' (family %u): netfilter "
	       "rules are not carried yet", tb[NFTA_TABLE_NAME] ?
	       (const char *)RTA_DATA(tb[NFTA_TABLE_NAME]) : "?", g->nfgen_family);
	return 0;
}

/*
 * Netfilter, which nothing carries yet: a table of nftables (through
 * @nf, a NETLINK_NETFILTER socket in the namespace, -1: none) or of the
 * legacy iptables, ip6tables and arptables (/proc/PID/net/NAME_tables_names
 * of @pid, a process in the namespace), refused. A kernel without them
 * has none.
 */
static void netfilter_seen(pid_t pid, int nf, struct net_seen *s)
{
	static const char *const legacy[] = { "ip", "ip6", "arp" };
	struct {
		struct nlmsghdr h;
		struct nfgenmsg g;
	} m = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg)),
		       .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 } };

	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		char path[64], *text = NULL, *nl;

		snprintf(path, sizeof(path), "/proc/%d/net/%s_tables_names", pid, legacy[i]);
		if (proc_read_file(path, &text, NULL) < 0)
			continue;
		if ((nl = strchr(text, '\n')))
			*nl = 0;
		if (*text)
			refuse(s, "its network namespace has the %stables table '%s' (legacy "
			       "netfilter): netfilter rules are not carried yet",
			       strcmp(legacy[i], "ip") == 0 ? "ip" : legacy[i], text);
		free(text);
	}
	if (nf >= 0)
		nl_talk(nf, (struct nl_req *)&m, table_seen, s); /* no nf_tables: an error */
}

static int nsid_seen(const struct nlmsghdr *h, void *arg)
{
	const struct rtattr *tb[NETNSA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWNSID || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtgenmsg)))
		return 0;
	nl_attrs(h, sizeof(struct rtgenmsg), tb, NETNSA_MAX);
	if (tb[NETNSA_NSID])
		*(int *)arg = *(const int32_t *)RTA_DATA(tb[NETNSA_NSID]);
	return 0;
}

/* The id the namespace of @fd (an rtnetlink socket) gives the namespace of
 * the file @ns: -1 none. */
static int nsid_of(int fd, int ns)
{
	struct nl_req m;
	uint32_t nsfd = (uint32_t)ns;
	int id = -1;

	nl_begin(&m, RTM_GETNSID, sizeof(struct rtgenmsg), NLM_F_ACK);
	m.gen.rtgen_family = AF_UNSPEC;
	nl_put(&m, NETNSA_FD, &nsfd, sizeof(nsfd));
	return nl_talk(fd, &m, nsid_seen, &id) < 0 ? -1 : id;
}

static int memstream(FILE **f, char **buf, size_t *len, bool want)
{
	*f = NULL;
	if (want && !(*f = open_memstream(buf, len)))
		return -ENOMEM;
	return 0;
}

static int memstream_end(FILE **f)
{
	int e = *f && fclose(*f) != 0 ? -ENOMEM : 0;

	*f = NULL;
	return e;
}

/* The host end of the veth, its addresses and routes, in ferry's own
 * namespace (@s->host_fd). */
static int host_read(struct net_seen *s)
{
	int e;

	if (s->host_fd < 0 || s->host_ns < 0) {
		refuse(s, "its network namespace has the veth '%s': ferry cannot read its own "
		       "namespace for its peer", s->veth.name);
		return 0;
	}
	s->host_pass = true;
	e = nl_dump(s->host_fd, RTM_GETLINK, AF_UNSPEC, link_seen, s);
	if (e == 0 && s->peer.master)
		e = nl_dump(s->host_fd, RTM_GETLINK, AF_UNSPEC, link_seen, s);
	if (e < 0) {
		s->host_pass = false;
		return log_error_errno(e, "cannot list the devices of ferry's network namespace "
				       "(RTM_GETLINK)");
	}
	if (!s->peer.index) {
		s->host_pass = false;
		refuse(s, "the peer of its veth '%s' is no device of ferry's network namespace",
		       s->veth.name);
		return 0;
	}
	e = nl_dump(s->host_fd, RTM_GETADDR, AF_UNSPEC, addr_seen, s);
	for (int i = 0; i < 2 && e == 0; i++) {
		e = nl_dump(s->host_fd, RTM_GETROUTE, i ? AF_INET6 : AF_INET, route_seen, s);
		if (e == -EAFNOSUPPORT)
			e = 0;
	}
	s->host_pass = false;
	if (e < 0)
		return log_error_errno(e, "cannot list the addresses and routes of ferry's network "
				       "namespace (RTM_GETADDR, RTM_GETROUTE)");
	return 0;
}

/* What the namespace of @fd (an rtnetlink socket in it) holds, its veth's
 * host end read through @host_fd in ferry's namespace (file @host_ns);
 * @addrs: write the addresses, veth and routes properties too. 0 or
 * -errno (logged). */
static int net_read(int fd, int host_fd, int host_ns, struct net_seen *s, bool addrs)
{
	struct rules_seen rs = { .s = s };
	int e;

	memset(s, 0, sizeof(*s));
	s->host_fd = host_fd;
	s->host_ns = host_ns;
	s->lo_index = -1;
	e = nl_dump(fd, RTM_GETLINK, AF_UNSPEC, link_seen, s);
	if (e < 0)
		return log_error_errno(e, "cannot list the devices of a network namespace "
				       "(RTM_GETLINK)");
	if (s->lo_index < 0)
		refuse(s, "its network namespace has no lo");
	if (s->veth.index) {
		int host = nsid_of(fd, host_ns);

		if (host < 0 || host != s->veth.nsid)
			refuse(s, "its network namespace has the veth '%s' whose peer is in a third "
			       "network namespace, neither its own nor ferry's: not carried yet",
			       s->veth.name);
	}
	if (memstream(&s->addrs, &s->addresses, &s->addresses_len, addrs) < 0 ||
	    memstream(&s->vaddrs, &s->veth_addresses, &s->veth_addresses_len, addrs) < 0 ||
	    memstream(&s->rts, &s->routes, &s->routes_len, addrs) < 0)
		e = -ENOMEM;
	if (e == 0)
		e = nl_dump(fd, RTM_GETADDR, AF_UNSPEC, addr_seen, s);
	if (e < 0) {
		memstream_end(&s->addrs);
		memstream_end(&s->vaddrs);
		memstream_end(&s->rts);
		return log_error_errno(e, "cannot list the addresses of a network namespace "
				       "(RTM_GETADDR)");
	}
	if (memstream_end(&s->addrs) < 0)
		e = -ENOMEM;
	for (int i = 0; i < 2 && e == 0; i++) {
		rs.family = i ? AF_INET6 : AF_INET;
		rs.defaults = 0;
		e = nl_dump(fd, RTM_GETROUTE, rs.family, route_seen, s);
		if (e == -EAFNOSUPPORT) {
			e = 0;
			continue; /* no IPv6 */
		}
		if (e == 0)
			e = nl_dump(fd, RTM_GETRULE, rs.family, rule_seen, &rs);
		if (e < 0) {
			log_error_errno(e, "cannot list the routes and rules of a network "
					"namespace (RTM_GETROUTE, RTM_GETRULE)");
			break;
		}
		if (rs.defaults != (i ? 3u : 7u))
			refuse(s, "its network namespace lacks a default %s policy routing rule "
			       "(local, main, default): rules are not carried yet",
			       i ? "IPv6" : "IPv4");
	}
	if (e == 0 && s->veth.index && !s->why[0])
		e = host_read(s);
	if (memstream_end(&s->vaddrs) < 0 || memstream_end(&s->rts) < 0)
		e = e ? e : -ENOMEM;
	return e;
}

/* The sysctls of net_sysctls[] of the namespace ferry's thread is in,
 * "NAME=VALUE\n" each (those this kernel has); NULL when out of memory. */
static char *sysctls_here(void)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < NSYSCTLS; i++) {
		char path[128], *text = NULL;
		size_t n;

		snprintf(path, sizeof(path), "/proc/sys/net/%s", net_sysctls[i]);
		if (proc_read_file(path, &text, NULL) < 0)
			continue; /* not on this kernel (no IPv6) */
		for (n = strlen(text); n && strchr("\n ", text[n - 1]); n--)
			text[n - 1] = 0;
		fprintf(f, "%s=%s\n", net_sysctls[i], text);
		free(text);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- inventory ---- */

static char net_why[600] = "its network namespace is not carried";

static bool ns_link_of(pid_t pid, const char *link)
{
	char path[64], *ns;
	bool same;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/ns/net");
	if (proc_read_link(path, &ns) < 0)
		return false;
	same = strcmp(ns, link) == 0;
	free(ns);
	return same;
}

/*
 * The first process's network namespace, for each process: carried when
 * it is ferry's, or one whose devices, addresses, routes and rules the
 * restore makes again (read once per namespace).
 */
static bool net_carried(const struct inv_item *it)
{
	static char last[64];
	static bool last_ok;
	struct net_seen s;
	int fds[2], host_fd, host_ns, e;

	if (!ns_link_of(it->root, it->value)) {
		snprintf(net_why, sizeof(net_why),
			 "a network namespace other than the first process's is not carried (one "
			 "network namespace per checkpoint: every process of it must share pid "
			 "%d's)", it->root);
		return false;
	}
	if (ns_link_of(0, it->value))
		return true; /* ferry's own */
	if (strcmp(last, it->value) == 0)
		return last_ok;
	e = nl_sockets_in(it->pid, fds);
	if (e == -EXDEV) {
		snprintf(net_why, sizeof(net_why), "ferry could join its network namespace but not "
			 "come back to its own (setns CLONE_NEWNET: it lacks CAP_SYS_ADMIN over the "
			 "owner of its own), as it would after reading it at the checkpoint");
		return false;
	}
	if (e < 0) {
		snprintf(net_why, sizeof(net_why), "cannot read its network namespace (setns "
			 "CLONE_NEWNET, rtnetlink): %s", strerror(-e));
		return false;
	}
	host_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	e = net_read(fds[0], host_fd, host_ns, &s, false);
	seen_free(&s);
	if (e == 0)
		netfilter_seen(it->pid, fds[1], &s);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (host_fd >= 0)
		close(host_fd);
	if (host_ns >= 0)
		close(host_ns);
	if (e < 0) {
		snprintf(net_why, sizeof(net_why), "cannot read its network namespace: %s",
			 strerror(-e));
		return false;
	}
	snprintf(last, sizeof(last), "%s", it->value);
	last_ok = !s.why[0];
	if (!last_ok)
		snprintf(net_why, sizeof(net_why), "%s", s.why);
	return last_ok;
}

static const struct inv_claim net_claims[] = {
	INV_CLAIM_IF(INV_NS, "net", net_carried, net_why),
	INV_CLAIMS_END,
};

/* ---- checkpoint ---- */

struct net_dump {
	struct ns_step ns; /* ferry's thread in the selection's namespace */
	bool private;
};

bool net_ns_dump_private(struct ckpt *c)
{
	struct net_dump *d = ckpt_kind_state(c, &kind_net_ns, 0);

	return d && d->private;
}

bool net_ns_image_private(const struct st_image *img)
{
	const struct net_image *ni = kind_image_data_if(img, &kind_net_ns);

	return ni && ni->n;
}

static int ns_ino(pid_t pid, ino_t *ret)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/ns/net");
	if (stat(path, &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

static char *empty_null(char *text)
{
	if (text && !*text) {
		free(text);
		return NULL;
	}
	return text;
}

/* The veth property's line of @v and its peer @p. */
static char *veth_line(const struct veth_end *v, const struct veth_end *p)
{
	char *out = NULL;
	const uint8_t *a = v->mac, *b = p->mac;

	if (asprintf(&out, "%s %u %d %02x:%02x:%02x:%02x:%02x:%02x %s %u %d "
		     "%02x:%02x:%02x:%02x:%02x:%02x\n", v->name, v->mtu, v->up, a[0], a[1], a[2],
		     a[3], a[4], a[5], p->name, p->mtu, p->up, b[0], b[1], b[2], b[3], b[4],
		     b[5]) < 0)
		return NULL;
	return out;
}

/* Right after the freeze, before the files: into the namespace, and read it. */
static int net_dump_begin(struct ckpt *c)
{
	struct net_image *ni;
	struct net_dump *d;
	struct net_seen s;
	ino_t mine = 0, first = 0;
	pid_t pid;
	int fd, host_fd, e;

	if (!c->fz.npids)
		return 0;
	pid = c->fz.pids[0];
	e = ns_ino(0, &mine);
	if (e < 0)
		return log_error_errno(e, "cannot read ferry's own network namespace");
	for (size_t i = 0; i < c->fz.npids; i++) {
		ino_t ino;

		e = ns_ino(c->fz.pids[i], &ino);
		if (e < 0)
			return log_error_errno(e, "pid %d: cannot read its network namespace",
					       c->fz.pids[i]);
		if (i == 0)
			first = ino;
		else if (ino != first)
			ckpt_unsupported(c, "pid %d: its network namespace (net:[%lu]) is not that "
					 "of pid %d (net:[%lu]): one network namespace per "
					 "checkpoint is carried", c->fz.pids[i], (unsigned long)ino,
					 pid, (unsigned long)first);
	}
	if (first == mine || c->problems)
		return 0;
	d = ckpt_kind_state(c, &kind_net_ns, sizeof(*d));
	ni = kind_image_data(&c->img, &kind_net_ns);
	if (!d || !ni || !(ni->ns = calloc(1, sizeof(*ni->ns))))
		return -ENOMEM;
	ni->n = 1;
	/* ferry's own namespace, for the host end of a veth */
	host_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (host_fd < 0)
		return log_error_errno(-errno, "cannot open an rtnetlink socket in ferry's network "
				       "namespace");
	e = ns_step_into(&d->ns, CLONE_NEWNET, pid);
	if (e < 0) {
		close(host_fd);
		ckpt_unsupported(c, "pid %d: cannot join its network namespace (setns "
				 "CLONE_NEWNET): %s", pid, strerror(-e));
		return 0;
	}
	d->private = true;
	/* the connections' lock is taken in here (kinds/tcp.c): the guardian,
	 * in ferry's namespace, releases it here should ferry die */
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	e = fd < 0 ? -errno : guardian_watch_netns(&c->guardian, fd);
	if (fd >= 0)
		close(fd);
	if (e < 0) {
		close(host_fd);
		return log_error_errno(e, "cannot tell the guardian the network namespace of pid %d",
				       pid);
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		close(host_fd);
		return log_error_errno(-errno, "cannot open an rtnetlink socket in the network "
				       "namespace of pid %d", pid);
	}
	e = net_read(fd, host_fd, d->ns.left, &s, true);
	close(fd);
	close(host_fd);
	if (e < 0) {
		seen_free(&s);
		return e;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	netfilter_seen(pid, fd, &s);
	if (fd >= 0)
		close(fd);
	if (s.why[0])
		ckpt_unsupported(c, "pid %d: %s", pid, s.why);
	ni->ns->lo_up = s.lo_up;
	ni->ns->lo_mtu = s.lo_mtu;
	ni->ns->addresses = empty_null(s.addresses);
	ni->ns->veth_addresses = empty_null(s.veth_addresses);
	ni->ns->routes = empty_null(s.routes);
	if (s.veth.index && !(ni->ns->veth = veth_line(&s.veth, &s.peer)))
		return -ENOMEM;
	ni->ns->sysctls = sysctls_here();
	if (!ni->ns->sysctls)
		return -ENOMEM;
	log_debug("pid %d: its own network namespace, lo %s, MTU %u, addresses:\n%ssysctls:\n%s"
		  "veth: %sits addresses:\n%sroutes:\n%s",
		  pid, s.lo_up ? "up" : "down", s.lo_mtu,
		  ni->ns->addresses ? ni->ns->addresses : "", ni->ns->sysctls,
		  ni->ns->veth ? ni->ns->veth : "none\n",
		  ni->ns->veth_addresses ? ni->ns->veth_addresses : "",
		  ni->ns->routes ? ni->ns->routes : "");
	return 0;
}

/* The checkpoint is over: back in ferry's own namespace, after kinds/tcp.c
 * took its connections out of repair mode and released their lock, inside
 * (a kind's dump_end comes before this one's). */
static void net_dump_end(struct ckpt *c, bool kept)
{
	struct net_dump *d = ckpt_kind_state(c, &kind_net_ns, 0);

	(void)kept;
	if (d)
		ns_step_back(&d->ns);
}

/* ---- metadata ---- */

/* One line of the addresses: "ADDRESS/PREFIX SCOPE FLAGS BROADCAST",
 * parsed into @ret_*. NULL, or what is wrong with it. */
struct addr_line {
	int family;
	uint8_t addr[16], brd[4];
	bool has_brd;
	unsigned prefix, scope, flags;
};

static const char *addr_parse(const char *line, size_t len, struct addr_line *ret)
{
	char buf[160], a[64], b[64];
	int used = 0;

	if (len >= sizeof(buf))
		return "a line longer than 159 bytes";
	memcpy(buf, line, len);
	buf[len] = 0;
	memset(ret, 0, sizeof(*ret));
	if (sscanf(buf, "%63[^/]/%u %u %x %63s%n", a, &ret->prefix, &ret->scope, &ret->flags, b,
		   &used) != 5 || (size_t)used != len)
		return "a line is not ADDRESS/PREFIX SCOPE FLAGS BROADCAST";
	ret->family = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(ret->family, a, ret->addr) != 1)
		return "an address that is neither IPv4 nor IPv6";
	if (ret->prefix > (ret->family == AF_INET ? 32u : 128u))
		return "a prefix longer than its address";
	if (ret->scope > 255)
		return "a scope above 255";
	if (ret->flags & ~ADDR_FLAGS_CARRIED)
		return "flags other than nodad (0x2) and noprefixroute (0x200)";
	if (strcmp(b, "-") != 0) {
		if (ret->family != AF_INET || inet_pton(AF_INET, b, ret->brd) != 1)
			return "a broadcast address that is not IPv4 of an IPv4 address";
		ret->has_brd = true;
	}
	return NULL;
}

static const char *addresses_bad(const char *s)
{
	if (strlen(s) > ADDRESSES_MAX)
		return "more than 8192 bytes";
	while (*s) {
		const char *nl = strchr(s, '\n');
		struct addr_line al;
		const char *bad;

		if (!nl)
			return "a line without its newline";
		bad = addr_parse(s, (size_t)(nl - s), &al);
		if (bad)
			return bad;
		s = nl + 1;
	}
	return NULL;
}

/* The veth property's one line, parsed. */
struct veth_rec {
	char name[IFNAMSIZ], peer[IFNAMSIZ];
	unsigned mtu, peer_mtu, up, peer_up;
	uint8_t mac[6], peer_mac[6];
};

static bool name_ok(const char *n)
{
	if (!*n || strlen(n) >= IFNAMSIZ || strcmp(n, "lo") == 0 || strcmp(n, ".") == 0 ||
	    strcmp(n, "..") == 0)
		return false;
	for (; *n; n++)
		if (*n == '/' || *n == ':' || (unsigned char)*n <= ' ' || (unsigned char)*n >= 127)
			return false;
	return true;
}

static bool mac_parse(const char *text, uint8_t mac[6])
{
	int used = 0;

	if (sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5], &used) != 6 || text[used] || used != 17)
		return false;
	/* a unicast address, not all zeros: what a device may have */
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static const char *veth_parse(const char *text, struct veth_rec *v)
{
	char name[64], peer[64], mac[64], pmac[64];
	int used = 0;

	memset(v, 0, sizeof(*v));
	if (strlen(text) > VETH_MAX)
		return "more than 160 bytes";
	if (sscanf(text, "%63s %u %u %63s %63s %u %u %63s%n", name, &v->mtu, &v->up, mac, peer,
		   &v->peer_mtu, &v->peer_up, pmac, &used) != 8 || strcmp(text + used, "\n") != 0)
		return "not one line NAME MTU UP MAC PEER PEER-MTU PEER-UP PEER-MAC";
	if (!name_ok(name) || !name_ok(peer))
		return "a device name that is empty, too long, lo, or of '/', ':' or spaces";
	if (strcmp(name, peer) == 0)
		return "the two ends of the same name";
	if (v->mtu < LO_MTU_MIN || v->mtu > VETH_MTU_MAX || v->peer_mtu < LO_MTU_MIN ||
	    v->peer_mtu > VETH_MTU_MAX)
		return "an MTU not in [68, 65535]";
	if (v->up > 1 || v->peer_up > 1)
		return "an up state that is neither 0 nor 1";
	if (!mac_parse(mac, v->mac) || !mac_parse(pmac, v->peer_mac))
		return "a MAC address that is not six hexadecimal bytes of a unicast address";
	memcpy(v->name, name, strlen(name) + 1); /* shorter than IFNAMSIZ: name_ok() */
	memcpy(v->peer, peer, strlen(peer) + 1);
	return NULL;
}

/* "DEVICE ADDRESS/PREFIX SCOPE FLAGS BROADCAST" lines, DEVICE an end of @v. */
static const char *veth_addresses_bad(const char *s, const struct veth_rec *v)
{
	if (strlen(s) > ADDRESSES_MAX)
		return "more than 8192 bytes";
	if (!v)
		return "addresses without a veth";
	while (*s) {
		const char *nl = strchr(s, '\n'), *sp = strchr(s, ' ');
		struct addr_line al;
		const char *bad;

		if (!nl)
			return "a line without its newline";
		if (!sp || sp > nl || !(((size_t)(sp - s) == strlen(v->name) &&
					 memcmp(s, v->name, strlen(v->name)) == 0) ||
					((size_t)(sp - s) == strlen(v->peer) &&
					 memcmp(s, v->peer, strlen(v->peer)) == 0)))
			return "a line whose DEVICE is neither end of the veth";
		bad = addr_parse(sp + 1, (size_t)(nl - sp - 1), &al);
		if (bad)
			return bad;
		s = nl + 1;
	}
	return NULL;
}

/* One line of the routes, parsed. */
struct route_line {
	int family;
	uint8_t dst[16], gw[16];
	bool has_gw;
	unsigned prefix, metric, protocol, scope;
	char dev[IFNAMSIZ];
};

static const char *route_parse(const char *line, size_t len, const struct veth_rec *v,
			       struct route_line *ret)
{
	char buf[200], d[64], g[64], dev[64];
	int used = 0;

	if (len >= sizeof(buf))
		return "a line longer than 199 bytes";
	memcpy(buf, line, len);
	buf[len] = 0;
	memset(ret, 0, sizeof(*ret));
	if (sscanf(buf, "%63[^/]/%u %63s %63s %u %u %u%n", d, &ret->prefix, g, dev, &ret->metric,
		   &ret->protocol, &ret->scope, &used) != 7 || (size_t)used != len)
		return "a line is not DESTINATION/PREFIX GATEWAY DEVICE METRIC PROTOCOL SCOPE";
	ret->family = strchr(d, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(ret->family, d, ret->dst) != 1)
		return "a destination that is neither IPv4 nor IPv6";
	if (ret->prefix > (ret->family == AF_INET ? 32u : 128u))
		return "a prefix longer than its destination";
	if (strcmp(g, "-") != 0) {
		if (inet_pton(ret->family, g, ret->gw) != 1)
			return "a gateway not of its destination's family";
		ret->has_gw = true;
	}
	if (!v || strcmp(dev, v->name) != 0)
		return "a device that is not the veth of the namespace";
	memcpy(ret->dev, v->name, sizeof(ret->dev));
	if (ret->protocol > 255 || ret->protocol == RTPROT_KERNEL || ret->scope > 255)
		return "a protocol that is kernel or above 255, or a scope above 255";
	return NULL;
}

static const char *routes_bad(const char *s, const struct veth_rec *v)
{
	if (strlen(s) > ROUTES_MAX)
		return "more than 8192 bytes";
	while (*s) {
		const char *nl = strchr(s, '\n');
		struct route_line rl;
		const char *bad;

		if (!nl)
			return "a line without its newline";
		bad = route_parse(s, (size_t)(nl - s), v, &rl);
		if (bad)
			return bad;
		s = nl + 1;
	}
	return NULL;
}

static int net_image_check(struct meta_in *in, struct st_image *img)
{
	const struct net_image *ni = kind_image_data_if(img, &kind_net_ns);

	if (ni && ni->n > 1)
		in->err = log_error_errno(-EINVAL, "image metadata: %zu network namespaces, not "
					  "one", ni->n);
	for (size_t i = 0; ni && i < ni->n && !in->err; i++) {
		const struct net_ns_rec *n = &ni->ns[i];
		const char *bad = !n->sysctls ? "no sysctls" : ns_sysctls_bad(&net_ns_sysctls, n->sysctls);

		if (bad)
			in->err = log_error_errno(-EINVAL, "image metadata: the network namespace's "
						  "sysctls: %s", bad);
		else if (n->addresses && (bad = addresses_bad(n->addresses)))
			in->err = log_error_errno(-EINVAL, "image metadata: the network namespace's "
						  "addresses: %s", bad);
		else if (n->lo_mtu < LO_MTU_MIN || n->lo_mtu > LO_MTU_MAX)
			in->err = log_error_errno(-EINVAL, "image metadata: the network namespace's "
						  "lo MTU %u is not in [%u, %u]", n->lo_mtu,
						  LO_MTU_MIN, LO_MTU_MAX);
		else {
			struct veth_rec v;

			if (n->veth && (bad = veth_parse(n->veth, &v)))
				in->err = log_error_errno(-EINVAL, "image metadata: the network "
							  "namespace's veth: %s", bad);
			else if (n->veth_addresses &&
				 (bad = veth_addresses_bad(n->veth_addresses, n->veth ? &v : NULL)))
				in->err = log_error_errno(-EINVAL, "image metadata: the network "
							  "namespace's veth-addresses: %s", bad);
			else if (n->routes && (bad = routes_bad(n->routes, n->veth ? &v : NULL)))
				in->err = log_error_errno(-EINVAL, "image metadata: the network "
							  "namespace's routes: %s", bad);
		}
	}
	return in->err;
}

/* ---- restore ---- */

struct net_restore {
	struct ns_step ns; /* the processes' namespace, made by the restorer */
	ino_t made_ino;
	bool verified;     /* its lo, addresses and sysctls: once */
	struct netlock_conn *locked; /* the lock of its connections, inside */
	size_t nlocked;
	struct veth_rec veth; /* the image's, when has_veth */
	bool has_veth;
	int host_fd;    /* rtnetlink in the restorer's own namespace; -1: none */
	bool made_peer; /* the pair exists, made by this restore */
};

static const struct net_ns_rec *image_ns(const struct rst *r)
{
	const struct net_image *ni = kind_image_data_if(&r->img, &kind_net_ns);

	return ni && ni->n ? ni->ns : NULL;
}

/* The lock released (the connections are out of repair mode, or closed
 * in it), then back in the restorer's own namespace. */
static void leave(struct rst *r)
{
	struct net_restore *s = rst_kind_state(r, &kind_net_ns, 0);

	if (!s)
		return;
	if (s->nlocked && netlock_release(s->locked, s->nlocked) < 0)
		log_warning("the network lock of the processes' own network namespace could not "
			    "be released entirely: their connections over lo wait");
	free(s->locked);
	s->locked = NULL;
	s->nlocked = 0;
	ns_step_back(&s->ns);
}

/* lo's MTU, then up if it was. */
static int set_lo(int fd, int index, const struct net_ns_rec *n)
{
	struct nl_req m;
	uint32_t mtu = n->lo_mtu;

	nl_begin(&m, RTM_NEWLINK, sizeof(m.ifi), NLM_F_ACK);
	m.ifi.ifi_family = AF_UNSPEC;
	m.ifi.ifi_index = index;
	if (n->lo_up) {
		m.ifi.ifi_flags = IFF_UP;
		m.ifi.ifi_change = IFF_UP;
	}
	nl_put(&m, IFLA_MTU, &mtu, sizeof(mtu));
	return nl_talk(fd, &m, NULL, NULL);
}

/* Each recorded address the kernel did not add itself (127.0.0.1/8 and
 * ::1 when lo comes up), in the recorded order: of lo, or (@dev) the
 * lines of @dev of the veth's addresses. */
static int add_addresses(int fd, int index, const char *text, const char *dev)
{
	for (; text && *text; text = strchr(text, '\n') + 1) {
		const char *nl = strchr(text, '\n');
		struct addr_line al;
		struct nl_req m;
		size_t alen;
		int e;

		if (dev) {
			size_t dl = strlen(dev);

			if (strncmp(text, dev, dl) != 0 || text[dl] != ' ')
				continue;
			text += dl + 1;
		}
		if (addr_parse(text, (size_t)(nl - text), &al))
			return log_error_errno(-EINVAL, "an address line of the image: %.*s",
					       (int)(nl - text), text);
		alen = al.family == AF_INET ? 4 : 16;
		nl_begin(&m, RTM_NEWADDR, sizeof(m.ifa), NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
		m.ifa.ifa_family = al.family;
		m.ifa.ifa_prefixlen = al.prefix;
		m.ifa.ifa_flags = al.flags & 0xff;
		m.ifa.ifa_scope = al.scope;
		m.ifa.ifa_index = index;
		nl_put(&m, IFA_LOCAL, al.addr, alen);
		nl_put(&m, IFA_ADDRESS, al.addr, alen);
		if (al.has_brd)
			nl_put(&m, IFA_BROADCAST, al.brd, 4);
		nl_put(&m, IFA_FLAGS, &al.flags, sizeof(al.flags));
		e = nl_talk(fd, &m, NULL, NULL);
		if (e == -EEXIST)
			continue;
		if (e < 0)
			return log_error_errno(e, "cannot give %s of the processes' network "
					       "namespace the address %.*s", dev ? dev : "lo",
					       (int)(nl - text), text);
	}
	return 0;
}

static int index_seen(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);

	if (h->nlmsg_type == RTM_NEWLINK && h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)))
		*(int *)arg = ifi->ifi_index;
	return 0;
}

/* The index of the device @name in the namespace of @fd: 0 none. */
static int link_index(int fd, const char *name)
{
	struct nl_req m;
	int index = 0;

	nl_begin(&m, RTM_GETLINK, sizeof(m.ifi), NLM_F_ACK);
	m.ifi.ifi_family = AF_UNSPEC;
	nl_put(&m, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(fd, &m, index_seen, &index) < 0 ? 0 : index;
}

/* Up or down, and the MTU, of the device @index of the namespace of @fd. */
static int set_link(int fd, int index, bool up, uint32_t mtu)
{
	struct nl_req m;

	nl_begin(&m, RTM_NEWLINK, sizeof(m.ifi), NLM_F_ACK);
	m.ifi.ifi_family = AF_UNSPEC;
	m.ifi.ifi_index = index;
	m.ifi.ifi_flags = up ? IFF_UP : 0;
	m.ifi.ifi_change = IFF_UP;
	nl_put(&m, IFLA_MTU, &mtu, sizeof(mtu));
	return nl_talk(fd, &m, NULL, NULL);
}

/*
 * Before the namespace is made, in the restorer's own: the host end's name
 * must be free there. The pair of a checkpoint with --kill goes with its
 * namespace, which the kernel dismantles a moment after its last process
 * died: a device of that name is waited for (5 s), then refused by name.
 */
static int host_end_free(struct net_restore *s, const struct net_ns_rec *n)
{
	if (veth_parse(n->veth, &s->veth))
		return log_error_errno(-EINVAL, "the image's veth: %s", n->veth);
	s->has_veth = true;
	s->host_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s->host_fd < 0)
		return log_error_errno(-errno, "cannot open an rtnetlink socket in the restorer's "
				       "network namespace");
	for (int i = 0; link_index(s->host_fd, s->veth.peer); i++) {
		if (i == 100)
			return log_error_errno(-EEXIST, "the restorer's network namespace has a "
					       "device '%s' already: the host end of the veth '%s' "
					       "cannot be made again (is the checkpoint's pair still "
					       "there, its processes running?)", s->veth.peer,
					       s->veth.name);
		if (i == 0)
			log_debug("the device '%s' exists still: waiting for it to go", s->veth.peer);
		usleep(50000);
	}
	return 0;
}

/* Each route of the image, through the veth (@index), in the namespace of @fd. */
static int add_routes(int fd, int index, const char *text, const struct veth_rec *v)
{
	for (; text && *text; text = strchr(text, '\n') + 1) {
		const char *nl = strchr(text, '\n');
		struct route_line rl;
		struct nl_req m;
		size_t alen;
		int e;

		if (route_parse(text, (size_t)(nl - text), v, &rl))
			return log_error_errno(-EINVAL, "a route line of the image: %.*s",
					       (int)(nl - text), text);
		alen = rl.family == AF_INET ? 4 : 16;
		nl_begin(&m, RTM_NEWROUTE, sizeof(m.rtm), NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
		m.rtm.rtm_family = rl.family;
		m.rtm.rtm_dst_len = rl.prefix;
		m.rtm.rtm_table = RT_TABLE_MAIN;
		m.rtm.rtm_protocol = rl.protocol;
		m.rtm.rtm_scope = rl.scope;
		m.rtm.rtm_type = RTN_UNICAST;
		if (rl.prefix)
			nl_put(&m, RTA_DST, rl.dst, alen);
		if (rl.has_gw)
			nl_put(&m, RTA_GATEWAY, rl.gw, alen);
		nl_put(&m, RTA_OIF, &index, sizeof(index));
		nl_put(&m, RTA_PRIORITY, &rl.metric, sizeof(rl.metric));
		e = nl_talk(fd, &m, NULL, NULL);
		if (e < 0)
			return log_error_errno(e, "cannot give the processes' network namespace the "
					       "route %.*s", (int)(nl - text), text);
	}
	return 0;
}

/*
 * The veth pair, made inside (@fd) with its peer in the restorer's own
 * namespace (s->ns.left), each end with its name, MAC and MTU; then their
 * addresses, up states, and the routes of the namespace.
 */
static int make_veth(struct net_restore *s, int fd, const struct net_ns_rec *n)
{
	const struct veth_rec *v = &s->veth;
	struct rtattr *info, *data, *peer;
	struct ifinfomsg *pifi;
	uint32_t mtu = v->mtu, pmtu = v->peer_mtu, nsfd = (uint32_t)s->ns.left;
	struct nl_req m;
	int in, out, e;

	nl_begin(&m, RTM_NEWLINK, sizeof(m.ifi), NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	m.ifi.ifi_family = AF_UNSPEC;
	nl_put(&m, IFLA_IFNAME, v->name, strlen(v->name) + 1);
	nl_put(&m, IFLA_ADDRESS, v->mac, 6);
	nl_put(&m, IFLA_MTU, &mtu, sizeof(mtu));
	info = nl_nest(&m, IFLA_LINKINFO);
	nl_put(&m, IFLA_INFO_KIND, "veth", 5);
	data = nl_nest(&m, IFLA_INFO_DATA);
	peer = nl_nest(&m, VETH_INFO_PEER);
	pifi = (struct ifinfomsg *)((char *)&m + m.h.nlmsg_len);
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	m.h.nlmsg_len += NLMSG_ALIGN(sizeof(*pifi));
	nl_put(&m, IFLA_IFNAME, v->peer, strlen(v->peer) + 1);
	nl_put(&m, IFLA_ADDRESS, v->peer_mac, 6);
	nl_put(&m, IFLA_MTU, &pmtu, sizeof(pmtu));
	nl_put(&m, IFLA_NET_NS_FD, &nsfd, sizeof(nsfd));
	nl_nest_end(&m, peer);
	nl_nest_end(&m, data);
	nl_nest_end(&m, info);
	e = nl_talk(fd, &m, NULL, NULL);
	if (e < 0)
		return log_error_errno(e, "cannot make the veth '%s' of the processes' network "
				       "namespace with its peer '%s' in the restorer's", v->name,
				       v->peer);
	s->made_peer = true;
	in = link_index(fd, v->name);
	out = link_index(s->host_fd, v->peer);
	if (!in || !out)
		return log_error_errno(-ENODEV, "the veth '%s' and its peer '%s', just made, cannot "
				       "be found", v->name, v->peer);
	e = add_addresses(fd, in, n->veth_addresses, v->name);
	if (e == 0)
		e = add_addresses(s->host_fd, out, n->veth_addresses, v->peer);
	if (e == 0 && (e = set_link(fd, in, v->up, v->mtu)) < 0)
		log_error_errno(e, "cannot bring the veth '%s' %s", v->name, v->up ? "up" : "down");
	if (e == 0 && (e = set_link(s->host_fd, out, v->peer_up, v->peer_mtu)) < 0)
		log_error_errno(e, "cannot bring the host end '%s' of the veth %s", v->peer,
				v->peer_up ? "up" : "down");
	if (e == 0)
		e = add_routes(fd, in, n->routes, v);
	if (e == 0)
		log_debug("the veth '%s' of the processes' network namespace, its peer '%s' in the "
			  "restorer's, with their addresses and routes", v->name, v->peer);
	return e;
}

static int net_restore_begin(struct rst *r)
{
	const struct net_ns_rec *n = image_ns(r);
	struct net_restore *s;
	int fd, index, e;

	if (!n)
		return 0;
	s = rst_kind_state(r, &kind_net_ns, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->host_fd = -1;
	if (n->veth) {
		e = host_end_free(s, n);
		if (e < 0)
			return e;
	}
	e = ns_step_new(&s->ns, CLONE_NEWNET);
	if (e < 0)
		return log_error_errno(e, "cannot make a network namespace for the processes "
				       "(unshare CLONE_NEWNET: CAP_SYS_ADMIN is needed)");
	e = ns_ino(0, &s->made_ino);
	if (e < 0)
		return log_error_errno(e, "cannot read the processes' network namespace");
	/* sysctls first: disable_ipv6 decides whether lo gets ::1 */
	e = ns_sysctls_write(&net_ns_sysctls, n->sysctls, NULL);
	if (e < 0)
		return e; /* left in restore_end */
	index = (int)if_nametoindex("lo");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (!index || fd < 0) {
		e = -errno;
		if (fd >= 0)
			close(fd);
		return log_error_errno(e, "cannot reach lo of the processes' network namespace");
	}
	e = set_lo(fd, index, n);
	if (e < 0)
		log_error_errno(e, "cannot give lo of the processes' network namespace MTU %u%s",
				n->lo_mtu, n->lo_up ? " and bring it up" : "");
	else
		e = add_addresses(fd, index, n->addresses, NULL);
	if (e == 0 && s->has_veth)
		e = make_veth(s, fd, n);
	close(fd);
	if (e < 0)
		return e;
	/*
	 * The connections' lock, in here, before the first socket: the
	 * restorer makes the two ends of a connection one after the other, and
	 * what the first sends (the acknowledgement of a half-close, kinds/
	 * tcp.c) must not meet the other's missing socket (an RST); kinds/tcp.c
	 * lifts the rule of the other end around its connect() as on ferry's
	 * own lo. Released when the restore ends, after repair mode.
	 */
	e = tcp_connections(&r->img, &s->locked, &s->nlocked);
	if (e == 0 && s->nlocked)
		e = netlock_take(s->locked, s->nlocked);
	if (e < 0) {
		free(s->locked);
		s->locked = NULL;
		s->nlocked = 0;
		return log_error_errno(e, "cannot lock the connections of the processes' network "
				       "namespace");
	}
	log_debug("the processes' network namespace: lo %s, MTU %u, addresses:\n%s",
		  n->lo_up ? "up" : "down", n->lo_mtu, n->addresses ? n->addresses : "");
	return 0;
}

/* The lines of @a and @b are the same, in any order. */
static bool same_lines(const char *a, const char *b)
{
	size_t na = 0, nb = 0;

	a = a ? a : "";
	b = b ? b : "";
	for (const char *p = a; *p; p = strchr(p, '\n') + 1, na++) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p) + 1;
		bool found = false;

		for (const char *q = b; *q && !found; q = strchr(q, '\n') + 1)
			found = strncmp(p, q, len) == 0;
		if (!found)
			return false;
	}
	for (const char *q = b; *q; q = strchr(q, '\n') + 1)
		nb++;
	return na == nb;
}

static int net_verify_process(struct rst *r, struct rproc *rp)
{
	const struct net_ns_rec *n = image_ns(r);
	struct net_restore *s = rst_kind_state(r, &kind_net_ns, 0);
	struct net_seen seen;
	char *sysctls = NULL, *veth = NULL;
	ino_t ino;
	int fds[2], e;

	if (!n)
		return 0;
	if (!s || !s->ns.made)
		return verify_differs(rp, "no network namespace was made for it");
	e = ns_ino(rp->pid, &ino);
	if (e < 0)
		return verify_differs(rp, "cannot read its network namespace: %s", strerror(-e));
	if (ino == s->ns.own_ino)
		return verify_differs(rp, "it is in the restorer's network namespace, not one of "
				      "its own");
	if (ino != s->made_ino)
		return verify_differs(rp, "it is in the network namespace net:[%lu], not the one "
				      "made for it (net:[%lu])", (unsigned long)ino,
				      (unsigned long)s->made_ino);
	if (s->verified)
		return 0;
	e = nl_sockets_in(rp->pid, fds);
	if (e < 0)
		return verify_differs(rp, "cannot read its network namespace: %s", strerror(-e));
	e = net_read(fds[0], s->host_fd, s->ns.left, &seen, true);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (e < 0) {
		seen_free(&seen);
		return verify_differs(rp, "cannot read its network namespace: %s", strerror(-e));
	}
	if (seen.veth.index && !(veth = veth_line(&seen.veth, &seen.peer))) {
		seen_free(&seen);
		return -ENOMEM;
	}
	if (seen.why[0])
		e = verify_differs(rp, "%s", seen.why);
	else if (seen.lo_up != n->lo_up || seen.lo_mtu != n->lo_mtu)
		e = verify_differs(rp, "lo of its network namespace is %s with MTU %u, not %s with "
				   "MTU %u", seen.lo_up ? "up" : "down", seen.lo_mtu,
				   n->lo_up ? "up" : "down", n->lo_mtu);
	else if (!same_lines(seen.addresses, n->addresses))
		e = verify_differs(rp, "lo of its network namespace has the addresses\n%snot\n%s",
				   seen.addresses ? seen.addresses : "",
				   n->addresses ? n->addresses : "");
	else if (!same_lines(veth, n->veth))
		e = verify_differs(rp, "its network namespace has the veth\n%snot\n%s",
				   veth ? veth : "none\n", n->veth ? n->veth : "none\n");
	else if (!same_lines(seen.veth_addresses, n->veth_addresses))
		e = verify_differs(rp, "its veth has the addresses\n%snot\n%s",
				   seen.veth_addresses ? seen.veth_addresses : "",
				   n->veth_addresses ? n->veth_addresses : "");
	else if (!same_lines(seen.routes, n->routes))
		e = verify_differs(rp, "its network namespace has the routes\n%snot\n%s",
				   seen.routes ? seen.routes : "", n->routes ? n->routes : "");
	free(veth);
	seen_free(&seen);
	if (e < 0)
		return e;
	/* the restorer is in that namespace still: its sysctls are these */
	sysctls = sysctls_here();
	if (!sysctls)
		return -ENOMEM;
	if (strcmp(sysctls, n->sysctls) != 0)
		e = verify_differs(rp, "its network namespace has the sysctls\n%snot\n%s", sysctls,
				   n->sysctls);
	free(sysctls);
	s->verified = e == 0;
	return e;
}

/* Left only at the end: the connections leave repair mode (before_let_go)
 * and a failed restore closes its sockets, inside. */
static void net_restore_end(struct rst *r)
{
	struct net_restore *s = rst_kind_state(r, &kind_net_ns, 0);

	leave(r);
	if (s && s->host_fd >= 0)
		close(s->host_fd);
	if (s)
		s->host_fd = -1;
}

/* The restore failed: its pair goes (either end takes the other), not
 * left for the namespace's end, so that the next attempt finds the name
 * free. */
static void net_restore_failed(struct rst *r)
{
	struct net_restore *s = rst_kind_state(r, &kind_net_ns, 0);
	struct nl_req m;
	int e;

	if (!s || !s->made_peer || s->host_fd < 0)
		return;
	nl_begin(&m, RTM_DELLINK, sizeof(m.ifi), NLM_F_ACK);
	m.ifi.ifi_family = AF_UNSPEC;
	nl_put(&m, IFLA_IFNAME, s->veth.peer, strlen(s->veth.peer) + 1);
	e = nl_talk(s->host_fd, &m, NULL, NULL);
	if (e < 0 && e != -ENODEV)
		log_warning("cannot remove the host end '%s' of the veth the failed restore made: "
			    "%s", s->veth.peer, strerror(-e));
	s->made_peer = false;
}

const struct kind kind_net_ns = {
	.name = "network-namespace",
	.claims = net_claims,
	.dump_begin = net_dump_begin,
	.dump_end = net_dump_end,
	.image_size = sizeof(struct net_image),
	.image_fields = net_image_fields,
	.image_check = net_image_check,
	.restore_begin = net_restore_begin,
	.verify_process = net_verify_process,
	.restore_failed = net_restore_failed,
	.restore_end = net_restore_end,
};
