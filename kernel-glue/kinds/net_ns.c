/* SPDX-License-Identifier: MIT */
/*
 * The network namespace of the selection, when it is not ferry's, as
 * systemd's PrivateNetwork= gives a service: one of its own whose only
 * device is the loopback one. Every process of the selection must be in
 * the same one, the first process's (inventory/ns.c's "net", claimed
 * here); a process in another one, ferry's included, is refused by name
 * before the freeze, and so is a namespace with what is not carried yet:
 * a device other than lo (a veth, a bridge, a tunnel), an address of lo
 * with a lifetime, a point-to-point peer or a label of its own, a route
 * the kernel did not make for an address (`ip route add`), a policy
 * routing rule other than the default ones, a netfilter table (nftables,
 * or the legacy iptables, ip6tables, arptables).
 *
 * Checkpoint: right after the freeze (dump_begin) ferry's thread joins the
 * namespace (setns CLONE_NEWNET) and reads it from there through rtnetlink:
 * lo's state (up or down, MTU) and its addresses, and the sysctls of
 * net_sysctls[] (/proc/sys/net, per namespace). It stays inside until the
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
 * 127.0.0.1/8 and ::1) and adds the other addresses, and locks the
 * connections there, so that every socket and process it makes is made
 * inside and no end meets the other's missing socket. When the restore
 * ends (restore_end: the connections left repair mode before, inside, or
 * were closed in it) it releases the lock and goes back to its own. The
 * restorer's own lock (restore.c) leaves these connections alone.
 * Verified before they run: each process is in that namespace, not the
 * restorer's, whose lo, addresses and sysctls are the image's.
 *
 * rtnetlink (and nfnetlink's one dump of the nftables tables) is spoken by
 * hand here, as common/netlock.c does: five dumps and two requests do not
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
#define ADDR_FLAGS_KERNEL (IFA_F_PERMANENT | IFA_F_SECONDARY)

struct net_ns_rec {
	bool lo_up;
	uint32_t lo_mtu;
	char *addresses; /* "ADDRESS/PREFIX SCOPE FLAGS BROADCAST\n" each; NULL: none */
	char *sysctls;   /* "NAME=VALUE\n" each, NAME of net_sysctls[] */
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
	};
	char attrs[128];
};

static void nl_put(struct nl_req *m, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
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

/* What ferry reads of a namespace: lo, its addresses, and the first thing
 * of it that is not carried (@why, empty when none). */
struct net_seen {
	int lo_index;
	bool lo_up;
	uint32_t lo_mtu;
	FILE *addrs; /* the addresses property being written */
	char *addresses;
	size_t addresses_len;
	char why[512];
};

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
	if (!(ifi->ifi_flags & IFF_LOOPBACK) || strcmp(name, "lo") != 0) {
		refuse(s, "its network namespace has the device '%s'%s%s%s: only lo is carried yet "
		       "(a veth, bridge, tunnel or physical device is not carried yet)", name,
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
	uint32_t flags, valid = 0xffffffffu;
	size_t alen;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) {
		refuse(s, "its network namespace has an address of family %u: it is not carried yet",
		       ifa->ifa_family);
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
	if ((int)ifa->ifa_index != s->lo_index)
		refuse(s, "its network namespace has the address %s on a device other than lo: it "
		       "is not carried yet", addr);
	else if (!(flags & IFA_F_PERMANENT) || valid != 0xffffffffu)
		refuse(s, "the address %s of lo in its network namespace has a lifetime: it is not "
		       "carried yet", addr);
	else if (flags & ~(ADDR_FLAGS_CARRIED | ADDR_FLAGS_KERNEL))
		refuse(s, "the address %s of lo in its network namespace has flags %#x: they are "
		       "not carried yet", addr, flags & ~(ADDR_FLAGS_CARRIED | ADDR_FLAGS_KERNEL));
	else if (peer && RTA_PAYLOAD(peer) == alen && memcmp(RTA_DATA(peer), RTA_DATA(local), alen))
		refuse(s, "the address %s of lo in its network namespace has a peer address: it is "
		       "not carried yet", addr);
	else if (tb[IFA_LABEL] && strcmp(RTA_DATA(tb[IFA_LABEL]), "lo") != 0)
		refuse(s, "the address %s of lo in its network namespace has the label '%s': it is "
		       "not carried yet", addr, (const char *)RTA_DATA(tb[IFA_LABEL]));
	if (tb[IFA_BROADCAST] && RTA_PAYLOAD(tb[IFA_BROADCAST]) == 4)
		inet_ntop(AF_INET, RTA_DATA(tb[IFA_BROADCAST]), brd, sizeof(brd));
	if (s->addrs)
		fprintf(s->addrs, "%s/%u %u %#x %s\n", addr, ifa->ifa_prefixlen, ifa->ifa_scope,
			flags & ADDR_FLAGS_CARRIED, brd);
	return 0;
}

static int route_seen(const struct nlmsghdr *h, void *arg)
{
	struct net_seen *s = arg;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	const struct rtattr *tb[RTA_MAX + 1];
	char dst[INET6_ADDRSTRLEN] = "default";
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	/* made by the kernel for an address: made again with it */
	if (rtm->rtm_protocol == RTPROT_KERNEL || (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	nl_attrs(h, sizeof(*rtm), tb, RTA_MAX);
	table = tb[RTA_TABLE] ? *(const uint32_t *)RTA_DATA(tb[RTA_TABLE]) : rtm->rtm_table;
	if (tb[RTA_DST])
		inet_ntop(rtm->rtm_family, RTA_DATA(tb[RTA_DST]), dst, sizeof(dst));
	refuse(s, "its network namespace has the route to %s/%u in table %u (protocol %u), which "
	       "no address made: routes are not carried yet", dst, rtm->rtm_dst_len, table,
	       rtm->rtm_protocol);
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

/* What the namespace of @fd (an rtnetlink socket in it) holds; @addrs:
 * write the addresses property too. 0 or -errno (logged). */
static int net_read(int fd, struct net_seen *s, bool addrs)
{
	struct rules_seen rs = { .s = s };
	int e;

	memset(s, 0, sizeof(*s));
	s->lo_index = -1;
	e = nl_dump(fd, RTM_GETLINK, AF_UNSPEC, link_seen, s);
	if (e < 0)
		return log_error_errno(e, "cannot list the devices of a network namespace "
				       "(RTM_GETLINK)");
	if (s->lo_index < 0)
		refuse(s, "its network namespace has no lo");
	if (addrs && !(s->addrs = open_memstream(&s->addresses, &s->addresses_len)))
		return -ENOMEM;
	e = nl_dump(fd, RTM_GETADDR, AF_UNSPEC, addr_seen, s);
	if (s->addrs && fclose(s->addrs) != 0 && e == 0)
		e = -ENOMEM;
	s->addrs = NULL;
	if (e < 0)
		return log_error_errno(e, "cannot list the addresses of a network namespace "
				       "(RTM_GETADDR)");
	for (int i = 0; i < 2; i++) {
		rs.family = i ? AF_INET6 : AF_INET;
		rs.defaults = 0;
		e = nl_dump(fd, RTM_GETROUTE, rs.family, route_seen, s);
		if (e == -EAFNOSUPPORT)
			continue; /* no IPv6 */
		if (e == 0)
			e = nl_dump(fd, RTM_GETRULE, rs.family, rule_seen, &rs);
		if (e < 0)
			return log_error_errno(e, "cannot list the routes and rules of a network "
					       "namespace (RTM_GETROUTE, RTM_GETRULE)");
		if (rs.defaults != (i ? 3u : 7u))
			refuse(s, "its network namespace lacks a default %s policy routing rule "
			       "(local, main, default): rules are not carried yet",
			       i ? "IPv6" : "IPv4");
	}
	return 0;
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
	int fds[2], e;

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
	e = net_read(fds[0], &s, false);
	if (e == 0)
		netfilter_seen(it->pid, fds[1], &s);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
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

/* Right after the freeze, before the files: into the namespace, and read it. */
static int net_dump_begin(struct ckpt *c)
{
	struct net_image *ni;
	struct net_dump *d;
	struct net_seen s;
	ino_t mine = 0, first = 0;
	pid_t pid;
	int fd, e;

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
	e = ns_step_into(&d->ns, CLONE_NEWNET, pid);
	if (e < 0) {
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
	if (e < 0)
		return log_error_errno(e, "cannot tell the guardian the network namespace of pid %d",
				       pid);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open an rtnetlink socket in the network "
				       "namespace of pid %d", pid);
	e = net_read(fd, &s, true);
	close(fd);
	if (e < 0) {
		free(s.addresses);
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
	ni->ns->addresses = s.addresses;
	if (ni->ns->addresses && !*ni->ns->addresses) {
		free(ni->ns->addresses);
		ni->ns->addresses = NULL;
	}
	ni->ns->sysctls = sysctls_here();
	if (!ni->ns->sysctls)
		return -ENOMEM;
	log_debug("pid %d: its own network namespace, lo %s, MTU %u, addresses:\n%ssysctls:\n%s",
		  pid, s.lo_up ? "up" : "down", s.lo_mtu,
		  ni->ns->addresses ? ni->ns->addresses : "", ni->ns->sysctls);
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
 * ::1 when lo comes up), in the recorded order. */
static int add_addresses(int fd, int index, const char *text)
{
	for (; text && *text; text = strchr(text, '\n') + 1) {
		const char *nl = strchr(text, '\n');
		struct addr_line al;
		struct nl_req m;
		size_t alen;
		int e;

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
			return log_error_errno(e, "cannot give lo of the processes' network namespace "
					       "the address %.*s", (int)(nl - text), text);
	}
	return 0;
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
		e = add_addresses(fd, index, n->addresses);
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
	char *sysctls = NULL;
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
	e = net_read(fds[0], &seen, true);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (e < 0) {
		free(seen.addresses);
		return verify_differs(rp, "cannot read its network namespace: %s", strerror(-e));
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
	free(seen.addresses);
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
	leave(r);
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
	.restore_end = net_restore_end,
};
