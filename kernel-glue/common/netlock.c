/* SPDX-License-Identifier: MIT */
/*
 * The network lock through rtnetlink (RTM_NEWRULE, RTM_DELRULE,
 * RTM_GETRULE): no netfilter, no external tool.
 *
 * What the kernel does with an input segment that meets one of these
 * rules (measured on 6.18 with a peer in another network namespace, and
 * read in net/ipv4/route.c, net/ipv6/fib6_rules.c):
 *
 * - A rule only acts before the catch-all "0: from all lookup local": a
 *   local destination is found there and the walk ends. A new rule is put
 *   after every rule of its priority, so one of priority 0 lands behind
 *   the local rule and never matches. netlock_take() therefore moves the
 *   local rule behind ferry's: an identical one (same table, priority,
 *   rule protocol) is added, which lands after them, then the first one
 *   is removed. The table is the same throughout; a packet that looks in
 *   between finds the local table twice.
 * - IPv4, FR_ACT_BLACKHOLE: the lookup fails with EINVAL; the input route
 *   becomes an "unreachable" one whose handler ip_error() drops EINVAL
 *   without an answer, and with forwarding off on the device (the error is
 *   then EHOSTUNREACH) drops every error without an answer, counting it in
 *   IpInAddrErrors. No RST (TCP never sees the segment), no ICMP.
 *   FR_ACT_UNREACHABLE and FR_ACT_PROHIBIT send ICMP errors when forwarding
 *   is on (measured: the peer's connect() failed at once with ENETUNREACH).
 * - IPv6, FR_ACT_BLACKHOLE: the blackhole route, dst_discard(): silent.
 *   UNREACHABLE and PROHIBIT answer with ICMPv6 (ip6_pkt_discard()).
 * - An established socket's segments are normally routed by early demux
 *   with the socket's cached input route, without a rule lookup; adding a
 *   rule flushes the route cache (a new generation), the cached route fails
 *   its check and the segment is looked up, and dropped. Measured: nothing
 *   reached the established socket while the rule was there, and the
 *   peer's retransmissions delivered every byte once it was removed.
 * - Matching on protocol and ports (FRA_IP_PROTO, FRA_SPORT_RANGE,
 *   FRA_DPORT_RANGE, Linux 4.17) makes the input path dissect the segment
 *   before the rule lookup; other connections between the same addresses
 *   go on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_PREFIX "network lock"
#include "log.h"
#include "netlock.h"
#include "state.h"

struct rule_msg {
	struct nlmsghdr h;
	struct fib_rule_hdr frh;
	char attrs[256];
};

static void put_attr(struct rule_msg *m, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void put_u32(struct rule_msg *m, int type, uint32_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void put_u8(struct rule_msg *m, int type, uint8_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void rule_begin(struct rule_msg *m, int type, int family, int flags)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(sizeof(m->frh));
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->frh.family = family;
}

/* The blackhole rule of @c, to add or to remove. */
static void rule_blackhole(struct rule_msg *m, int type, const struct netlock_conn *c)
{
	size_t alen = c->family == AF_INET ? 4 : 16;
	struct fib_rule_port_range sport = { c->peer_port, c->peer_port };
	struct fib_rule_port_range dport = { c->local_port, c->local_port };

	rule_begin(m, type, c->family, type == RTM_NEWRULE ? NLM_F_CREATE : 0);
	m->frh.src_len = m->frh.dst_len = alen * 8;
	m->frh.action = FR_ACT_BLACKHOLE;
	put_u32(m, FRA_PRIORITY, NETLOCK_PRIORITY);
	put_attr(m, FRA_SRC, c->peer, alen);
	put_attr(m, FRA_DST, c->local, alen);
	put_u8(m, FRA_IP_PROTO, IPPROTO_TCP);
	put_attr(m, FRA_SPORT_RANGE, &sport, sizeof(sport));
	put_attr(m, FRA_DPORT_RANGE, &dport, sizeof(dport));
	put_u8(m, FRA_PROTOCOL, FERRY_NETLOCK_RTPROT);
}

/* The catch-all "lookup local" rule of priority 0 with rule protocol @proto. */
static void rule_local(struct rule_msg *m, int type, int family, uint8_t proto)
{
	rule_begin(m, type, family, type == RTM_NEWRULE ? NLM_F_CREATE : 0);
	m->frh.table = RT_TABLE_LOCAL;
	m->frh.action = FR_ACT_TO_TBL;
	put_u32(m, FRA_PRIORITY, 0);
	put_u32(m, FRA_TABLE, RT_TABLE_LOCAL);
	put_u8(m, FRA_PROTOCOL, proto);
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return log_error_errno(-errno, "cannot open an rtnetlink socket");
	return fd;
}

/* Send one request, wait for its acknowledgement: 0 or the kernel's -errno. */
static int nl_request(int fd, struct nlmsghdr *req)
{
	static uint32_t seq;
	char buf[4096];
	ssize_t n;

	req->nlmsg_seq = ++seq;
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req->nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/* What ferry reads of a dumped rule. */
struct rule_attrs {
	uint32_t pref, table;
	uint8_t proto;    /* FRA_PROTOCOL: FERRY_NETLOCK_RTPROT for ferry's */
	uint8_t ip_proto; /* FRA_IP_PROTO */
	const uint8_t *src, *dst; /* FRA_SRC, FRA_DST; NULL when absent */
	size_t src_size, dst_size;
	struct fib_rule_port_range sport, dport; /* 0-0 when absent */
	bool selectors; /* it matches on more than its priority: not a catch-all */
};

static void rule_read(const struct nlmsghdr *h, struct rule_attrs *ra)
{
	const struct fib_rule_hdr *frh = NLMSG_DATA(h);
	const struct rtattr *a = (const void *)((const char *)frh + NLMSG_ALIGN(sizeof(*frh)));
	int rest = h->nlmsg_len - NLMSG_LENGTH(sizeof(*frh));

	memset(ra, 0, sizeof(*ra));
	ra->table = frh->table;
	ra->selectors = frh->src_len || frh->dst_len || frh->tos || frh->flags;
	for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest)) {
		size_t size = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case FRA_PRIORITY:
			memcpy(&ra->pref, RTA_DATA(a), 4);
			continue;
		case FRA_TABLE:
			memcpy(&ra->table, RTA_DATA(a), 4);
			continue;
		case FRA_PROTOCOL:
			ra->proto = *(const uint8_t *)RTA_DATA(a);
			continue;
		case FRA_SUPPRESS_PREFIXLEN: /* -1 is "none" */
		case FRA_SUPPRESS_IFGROUP:
			ra->selectors |= *(const int32_t *)RTA_DATA(a) != -1;
			continue;
		case FRA_PAD:
			continue;
		case FRA_SRC:
			ra->src = RTA_DATA(a);
			ra->src_size = size;
			break;
		case FRA_DST:
			ra->dst = RTA_DATA(a);
			ra->dst_size = size;
			break;
		case FRA_IP_PROTO:
			ra->ip_proto = *(const uint8_t *)RTA_DATA(a);
			break;
		case FRA_SPORT_RANGE:
			if (size == sizeof(ra->sport))
				memcpy(&ra->sport, RTA_DATA(a), size);
			break;
		case FRA_DPORT_RANGE:
			if (size == sizeof(ra->dport))
				memcpy(&ra->dport, RTA_DATA(a), size);
			break;
		}
		ra->selectors = true;
	}
}

/* What the dump of one family's rules says about the local rule. */
struct rules_seen {
	bool loose_seen;   /* the first rule a removal of "priority 0, lookup local" would find: */
	bool local_first;  /* ... is the catch-all local rule */
	bool ferry_behind; /* one of ferry's rules comes after it */
	uint8_t local_proto;
};

static int rule_seen(const struct nlmsghdr *h, void *arg)
{
	const struct fib_rule_hdr *frh = NLMSG_DATA(h);
	struct rules_seen *seen = arg;
	struct rule_attrs ra;

	rule_read(h, &ra);
	if (frh->action == FR_ACT_BLACKHOLE && ra.proto == FERRY_NETLOCK_RTPROT &&
	    ra.pref == NETLOCK_PRIORITY && seen->loose_seen)
		seen->ferry_behind = true;
	if (frh->action != FR_ACT_TO_TBL || ra.table != RT_TABLE_LOCAL || ra.pref != 0 ||
	    seen->loose_seen)
		return 0;
	seen->loose_seen = true;
	seen->local_first = !ra.selectors;
	seen->local_proto = ra.proto;
	return 0;
}

/*
 * Call @each for every rule of @family, in the kernel's order. The dump is
 * read to its end even when @each fails, so that @fd can take requests
 * again. Returns 0, or the first -errno of the dump or of @each.
 */
static int rules_dump(int fd, int family, int (*each)(const struct nlmsghdr *h, void *arg),
		      void *arg)
{
	struct rule_msg m;
	char buf[16384];
	ssize_t n;
	int r = 0;

	rule_begin(&m, RTM_GETRULE, family, NLM_F_DUMP);
	m.h.nlmsg_flags &= ~NLM_F_ACK;
	m.h.nlmsg_seq = 1;
	if (send(fd, &m, m.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return r;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == RTM_NEWRULE && r == 0)
				r = each(h, arg);
		}
	}
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Put the catch-all local rule of @family behind ferry's rules, if it is before. */
static int local_rule_behind(int fd, int family)
{
	const char *fam = family_name(family);
	struct rules_seen seen = { 0 };
	struct rule_msg m;
	int r = rules_dump(fd, family, rule_seen, &seen);

	if (r < 0)
		return log_error_errno(r, "cannot read the %s routing rules", fam);
	if (!seen.ferry_behind)
		return 0;
	if (!seen.local_first) {
		log_warning("the first %s rule of priority 0 that looks up the "
			  "local table is not the catch-all one; it stays first, and the "
			  "lock may not hold for local addresses", fam);
		return 0;
	}
	rule_local(&m, RTM_NEWRULE, family, seen.local_proto);
	r = nl_request(fd, &m.h);
	if (r < 0)
		return log_error_errno(r, "cannot add a second %s 'lookup local' rule", fam);
	/* the first of the two, the one before ferry's */
	rule_local(&m, RTM_DELRULE, family, seen.local_proto);
	r = nl_request(fd, &m.h);
	if (r < 0)
		return log_error_errno(r, "cannot remove the %s 'lookup local' rule "
				"before ferry's (a second one was added behind them)", fam);
	log_debug("the %s 'lookup local' rule moved behind ferry's", fam);
	return 0;
}

const char *netlock_conn_name(const struct netlock_conn *c, char *buf, size_t size)
{
	char peer[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->peer, peer, sizeof(peer));
	inet_ntop(c->family, c->local, local, sizeof(local));
	snprintf(buf, size, c->family == AF_INET ? "%s:%u -> %s:%u" : "[%s]:%u -> [%s]:%u", peer,
		 c->peer_port, local, c->local_port);
	return buf;
}

static void release_some(int fd, const struct netlock_conn *conns, size_t n)
{
	struct rule_msg m;

	for (size_t i = 0; i < n; i++) {
		rule_blackhole(&m, RTM_DELRULE, &conns[i]);
		nl_request(fd, &m.h);
	}
}

/* Ferry's rules of this network namespace: copies of their dumped messages. */
struct ferry_rules {
	struct nlmsghdr **msgs;
	size_t n;
};

static void ferry_rules_free(struct ferry_rules *fr)
{
	for (size_t i = 0; i < fr->n; i++)
		free(fr->msgs[i]);
	free(fr->msgs);
	fr->msgs = NULL;
	fr->n = 0;
}

static int ferry_rule_keep(const struct nlmsghdr *h, void *arg)
{
	struct ferry_rules *fr = arg;
	struct nlmsghdr *copy, **slot;
	struct rule_attrs ra;

	rule_read(h, &ra);
	if (ra.proto != FERRY_NETLOCK_RTPROT)
		return 0;
	copy = malloc(h->nlmsg_len);
	if (!copy)
		return -ENOMEM;
	slot = ST_PUSH(fr->msgs, fr->n);
	if (!slot) {
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, h, h->nlmsg_len);
	*slot = copy;
	return 0;
}

/* Every rule of rule protocol FERRY_NETLOCK_RTPROT, IPv4 then IPv6, whatever its form. */
static int ferry_rules_dump(int fd, struct ferry_rules *ret)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]) && r == 0; i++) {
		r = rules_dump(fd, families[i], ferry_rule_keep, ret);
		if (r < 0)
			log_error_errno(r, "cannot read the %s routing rules",
				 family_name(families[i]));
	}
	if (r < 0)
		ferry_rules_free(ret);
	return r;
}

/* The connection a dumped rule locks, if it has the form rule_blackhole() gives. */
static bool rule_conn(const struct nlmsghdr *h, struct netlock_conn *ret)
{
	const struct fib_rule_hdr *frh = NLMSG_DATA(h);
	size_t alen = frh->family == AF_INET ? 4 : 16;
	struct rule_attrs ra;

	rule_read(h, &ra);
	if ((frh->family != AF_INET && frh->family != AF_INET6) ||
	    frh->action != FR_ACT_BLACKHOLE || ra.ip_proto != IPPROTO_TCP ||
	    frh->src_len != alen * 8 || frh->dst_len != alen * 8 || ra.src_size != alen ||
	    ra.dst_size != alen || ra.sport.start != ra.sport.end ||
	    ra.dport.start != ra.dport.end)
		return false;
	memset(ret, 0, sizeof(*ret));
	ret->family = frh->family;
	memcpy(ret->peer, ra.src, alen);
	memcpy(ret->local, ra.dst, alen);
	ret->peer_port = ra.sport.start;
	ret->local_port = ra.dport.start;
	return true;
}

static bool conn_among(const struct netlock_conn *c, const struct netlock_conn *conns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c->family == conns[i].family && c->peer_port == conns[i].peer_port &&
		    c->local_port == conns[i].local_port &&
		    memcmp(c->peer, conns[i].peer, sizeof(c->peer)) == 0 &&
		    memcmp(c->local, conns[i].local, sizeof(c->local)) == 0)
			return true;
	return false;
}

/*
 * Before this process adds its first rule: ferry's rules of connections
 * other than @conns were left by a ferry that died holding the lock, or are
 * kept for an image that waits for its restore. Only the user knows which,
 * so they are named, not removed. Later calls of the same process would
 * find its own rules (a checkpoint locks one connection at a time).
 */
static void warn_rules_already_there(int fd, const struct netlock_conn *conns, size_t n)
{
	static bool checked;
	struct ferry_rules fr;
	struct netlock_conn c;
	char first[NETLOCK_CONN_NAME_SIZE] = "", example[NETLOCK_CONN_NAME_SIZE + 16] = "";
	size_t others = 0;

	if (checked)
		return;
	checked = true;
	if (ferry_rules_dump(fd, &fr) < 0)
		return;
	for (size_t i = 0; i < fr.n; i++) {
		bool of_conn = rule_conn(fr.msgs[i], &c);

		if (of_conn && conn_among(&c, conns, n))
			continue;
		if (!others++ && of_conn)
			netlock_conn_name(&c, first, sizeof(first));
	}
	ferry_rules_free(&fr);
	if (!others)
		return;
	if (first[0])
		snprintf(example, sizeof(example), others == 1 ? " (%s)" : " (%s, ...)", first);
	log_warning("%zu rule%s of protocol %d %s already there%s: left by a ferry "
		  "that could not release %s, or kept for an image that waits for its restore; "
		  "'ferry netlock' lists them, 'ferry netlock --release' removes them", others,
		  others == 1 ? "" : "s", FERRY_NETLOCK_RTPROT, others == 1 ? "was" : "were", example,
		  others == 1 ? "it" : "them");
}

static int take(const struct netlock_conn *conns, size_t n, bool warn_others)
{
	bool family_locked[2] = { false, false };
	struct rule_msg m;
	char name[NETLOCK_CONN_NAME_SIZE];
	size_t added;
	int fd, r = 0;

	if (!n)
		return 0;
	fd = nl_open();
	if (fd < 0)
		return fd;
	if (warn_others)
		warn_rules_already_there(fd, conns, n);
	for (added = 0; added < n; added++) {
		const struct netlock_conn *c = &conns[added];

		rule_blackhole(&m, RTM_NEWRULE, c);
		r = nl_request(fd, &m.h);
		if (r < 0) {
			log_error_errno(r, "cannot add the rule of %s",
				 netlock_conn_name(c, name, sizeof(name)));
			break;
		}
		family_locked[c->family == AF_INET6] = true;
	}
	if (r == 0 && family_locked[0])
		r = local_rule_behind(fd, AF_INET);
	if (r == 0 && family_locked[1])
		r = local_rule_behind(fd, AF_INET6);
	if (r < 0)
		release_some(fd, conns, added);
	else
		log_debug("%zu connection%s locked", n, n == 1 ? "" : "s");
	close(fd);
	return r;
}

int netlock_take(const struct netlock_conn *conns, size_t n)
{
	return take(conns, n, true);
}

int netlock_take_again(const struct netlock_conn *c)
{
	return take(c, 1, false);
}

int netlock_release(const struct netlock_conn *conns, size_t n)
{
	struct rule_msg m;
	char name[NETLOCK_CONN_NAME_SIZE];
	size_t gone = 0;
	int fd, r = 0, e;

	if (!n)
		return 0;
	fd = nl_open();
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < n; i++) {
		rule_blackhole(&m, RTM_DELRULE, &conns[i]);
		e = nl_request(fd, &m.h);
		if (e == -ENOENT) {
			gone++;
			continue;
		}
		if (e < 0 && r == 0)
			r = log_error_errno(e, "cannot remove the rule of %s",
				     netlock_conn_name(&conns[i], name, sizeof(name)));
	}
	close(fd);
	log_debug("released (%zu of %zu rule%s not there)", gone, n,
		   n == 1 ? "" : "s");
	return r;
}

int netlock_lift(const struct netlock_conn *c)
{
	struct rule_msg m;
	char name[NETLOCK_CONN_NAME_SIZE];
	int fd = nl_open(), e;

	if (fd < 0)
		return fd;
	rule_blackhole(&m, RTM_DELRULE, c);
	e = nl_request(fd, &m.h);
	close(fd);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return log_error_errno(e, "cannot remove the rule of %s",
				       netlock_conn_name(c, name, sizeof(name)));
	return 1;
}

int netlock_list(struct netlock_conn **ret, size_t *ret_n, size_t *ret_others)
{
	struct ferry_rules fr;
	struct netlock_conn c;
	int fd, r;

	*ret = NULL;
	*ret_n = *ret_others = 0;
	fd = nl_open();
	if (fd < 0)
		return fd;
	r = ferry_rules_dump(fd, &fr);
	close(fd);
	if (r < 0)
		return r;
	for (size_t i = 0; i < fr.n && r == 0; i++) {
		struct netlock_conn *slot;

		if (!rule_conn(fr.msgs[i], &c)) {
			(*ret_others)++;
			continue;
		}
		slot = ST_PUSH(*ret, *ret_n);
		if (slot)
			*slot = c;
		else
			r = log_error_errno(-ENOMEM, "cannot list the rules");
	}
	ferry_rules_free(&fr);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
		*ret_n = *ret_others = 0;
	}
	return r;
}

/* Remove one dumped rule by sending it back, every attribute as it was (as 'ip rule flush' does). */
static int rule_remove_dumped(int fd, struct nlmsghdr *h)
{
	struct netlock_conn c;
	char name[NETLOCK_CONN_NAME_SIZE];
	int r;

	h->nlmsg_type = RTM_DELRULE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_pid = 0;
	r = nl_request(fd, h);
	if (r < 0 && r != -ENOENT) {
		if (rule_conn(h, &c))
			return log_error_errno(r, "cannot remove the rule of %s",
					netlock_conn_name(&c, name, sizeof(name)));
		return log_error_errno(r, "cannot remove a rule of protocol %d",
				FERRY_NETLOCK_RTPROT);
	}
	return r;
}

int netlock_release_all(size_t *ret_removed)
{
	struct ferry_rules fr;
	int fd, r, e;

	*ret_removed = 0;
	fd = nl_open();
	if (fd < 0)
		return fd;
	r = ferry_rules_dump(fd, &fr);
	for (size_t i = 0; i < fr.n; i++) {
		e = rule_remove_dumped(fd, fr.msgs[i]);
		if (e == 0)
			(*ret_removed)++;
		/* -ENOENT: removed meanwhile, by another ferry or by hand */
		else if (e != -ENOENT && r == 0)
			r = e;
	}
	ferry_rules_free(&fr);
	close(fd);
	return r;
}
