/* SPDX-License-Identifier: MIT */
/* Sockets through NETLINK_SOCK_DIAG (linux/unix_diag.h, linux/inet_diag.h). */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_diag.h"

#define TCP_LISTEN_STATE 10

static void parse_attrs(const struct unix_diag_msg *m, int len, struct unix_diag_info *info)
{
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	int rest = len - NLMSG_LENGTH(sizeof(*m));

	for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest)) {
		const void *d = RTA_DATA(a);
		size_t n = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case UNIX_DIAG_PEER:
			if (n >= 4)
				memcpy(&info->peer_ino, d, 4);
			break;
		case UNIX_DIAG_RQLEN:
			if (n >= sizeof(struct unix_diag_rqlen)) {
				const struct unix_diag_rqlen *q = d;

				info->rqueue = q->udiag_rqueue;
				info->wqueue = q->udiag_wqueue;
			}
			break;
		case UNIX_DIAG_ICONS:
			info->npending = n / 4;
			break;
		case UNIX_DIAG_SHUTDOWN:
			if (n >= 1)
				info->shutdown = *(const uint8_t *)d;
			break;
		}
	}
}

int sock_diag_unix(uint32_t ino, struct unix_diag_info *ret)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = ino,
			 .udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_ICONS,
			 .udiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
	};
	union {
		char buf[16384];
		struct nlmsghdr align;
	} u;
	int fd, r = -ENOENT;
	ssize_t n;

	memset(ret, 0, sizeof(*ret));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &q, sizeof(q), 0) < 0) {
		r = -errno;
		goto out;
	}
	n = recv(fd, u.buf, sizeof(u.buf), 0);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = &u.align; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			r = e->error ? e->error : -ENOENT;
			break;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			const struct unix_diag_msg *m = NLMSG_DATA(h);

			if (m->udiag_ino != ino)
				continue;
			ret->ino = ino;
			ret->state = m->udiag_state;
			parse_attrs(m, h->nlmsg_len, ret);
			r = 0;
			break;
		}
	}
out:
	close(fd);
	return r;
}

/* Each inet socket of a dump's messages in @buf to @each (1 stopped there,
 * 0 not yet, -1 the dump is over, *err set on an error). */
static int each_inet(char *buf, ssize_t n, int (*each)(const struct sock_diag_inet *si, void *arg),
		     void *arg, int *err)
{
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);
		struct sock_diag_inet si = { 0 };
		const struct rtattr *a;
		int rest, r;

		if (h->nlmsg_type == NLMSG_DONE)
			return -1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			*err = e->error;
			return -1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		si.family = m->idiag_family;
		si.state = m->idiag_state;
		si.ino = m->idiag_inode;
		si.uid = m->idiag_uid;
		si.ifindex = m->id.idiag_if;
		si.local_port = ntohs(m->id.idiag_sport);
		memcpy(si.local_addr, m->id.idiag_src, si.family == AF_INET ? 4 : 16);
		a = (const struct rtattr *)(m + 1);
		rest = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
		for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest)) {
			if (a->rta_type == INET_DIAG_SHUTDOWN && RTA_PAYLOAD(a) >= 1)
				si.shutdown = *(const uint8_t *)RTA_DATA(a);
			if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
				si.v6only = *(const uint8_t *)RTA_DATA(a) != 0;
		}
		r = each(&si, arg);
		if (r)
			return 1;
	}
	return 0;
}

int sock_diag_inet_each(int family, int protocol,
			int (*each)(const struct sock_diag_inet *si, void *arg), void *arg)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.req = { .sdiag_family = family, .sdiag_protocol = protocol, .idiag_states = ~0u },
	};
	union {
		char buf[32768];
		struct nlmsghdr align;
	} u;
	int fd, r = 0, f = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &q, sizeof(q), 0) < 0)
		r = -errno;
	/* until @each stops it, or the dump ends */
	while (r == 0 && f == 0) {
		ssize_t n = recv(fd, u.buf, sizeof(u.buf), 0);

		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else
			f = each_inet(u.buf, n, each, arg, &r);
	}
	close(fd);
	return r < 0 ? r : f > 0;
}

struct shutdown_of {
	uint64_t ino;
	uint8_t how;
};

static int shutdown_of_ino(const struct sock_diag_inet *si, void *arg)
{
	struct shutdown_of *so = arg;

	if (si->ino != so->ino)
		return 0;
	so->how = si->shutdown;
	return 1;
}

int sock_diag_inet_shutdown(int family, int protocol, uint64_t ino, uint8_t *ret)
{
	struct shutdown_of so = { .ino = ino };
	int r = sock_diag_inet_each(family, protocol, shutdown_of_ino, &so);

	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	*ret = so.how;
	return 0;
}

/* Each listening Unix socket of a dump's messages in @buf to @each (1
 * stopped there, 0 not yet, -1 the dump is over, *err set on an error). */
static int each_listener(char *buf, ssize_t n,
			 int (*each)(uint32_t ino, const uint32_t *icons, size_t nicons, void *arg),
			 void *arg, int *err)
{
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		const struct unix_diag_msg *m = NLMSG_DATA(h);
		const struct rtattr *a;
		const uint32_t *icons = NULL;
		size_t nicons = 0;
		int rest;

		if (h->nlmsg_type == NLMSG_DONE)
			return -1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			*err = e->error ? e->error : -EIO;
			return -1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || m->udiag_state != TCP_LISTEN_STATE)
			continue;
		a = (const struct rtattr *)(m + 1);
		rest = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
		for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest))
			if (a->rta_type == UNIX_DIAG_ICONS) {
				icons = RTA_DATA(a);
				nicons = RTA_PAYLOAD(a) / 4;
			}
		if (each(m->udiag_ino, icons, nicons, arg))
			return 1;
	}
	return 0;
}

int sock_diag_unix_listeners(int (*each)(uint32_t ino, const uint32_t *icons, size_t nicons,
					 void *arg), void *arg)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = 1u << TCP_LISTEN_STATE,
			 .udiag_show = UDIAG_SHOW_ICONS },
	};
	static union {
		char buf[1 << 17];
		struct nlmsghdr align;
	} u;
	int fd, r = 0, f = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &q, sizeof(q), 0) < 0)
		r = -errno;
	while (r == 0 && f == 0) {
		ssize_t n = recv(fd, u.buf, sizeof(u.buf), 0);

		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else
			f = each_listener(u.buf, n, each, arg, &r);
	}
	close(fd);
	return r < 0 ? r : f > 0;
}
