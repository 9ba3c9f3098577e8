/* SPDX-License-Identifier: MIT */
/* Sockets through NETLINK_SOCK_DIAG (linux/unix_diag.h, linux/inet_diag.h). */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_diag.h"

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

/* Of the messages of a dump in @buf, the one of socket @ino: its shutdown
 * state into *ret (1 found, 0 not here, -1 the dump is over). */
static int find_inet(char *buf, ssize_t n, uint64_t ino, uint8_t *ret, int *err)
{
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);
		const struct rtattr *a;
		int rest;

		if (h->nlmsg_type == NLMSG_DONE)
			return -1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			*err = e->error ? e->error : -ENOENT;
			return -1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || m->idiag_inode != ino)
			continue;
		*ret = 0;
		a = (const struct rtattr *)(m + 1);
		rest = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
		for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest))
			if (a->rta_type == INET_DIAG_SHUTDOWN && RTA_PAYLOAD(a) >= 1)
				*ret = *(const uint8_t *)RTA_DATA(a);
		return 1;
	}
	return 0;
}

int sock_diag_inet_shutdown(int family, int protocol, uint64_t ino, uint8_t *ret)
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
	int fd, r = -ENOENT, found = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &q, sizeof(q), 0) < 0) {
		r = -errno;
		goto out;
	}
	/* until it comes, or the dump ends */
	while (found >= 0) {
		ssize_t n = recv(fd, u.buf, sizeof(u.buf), 0);
		int f;

		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		f = find_inet(u.buf, n, ino, ret, &r);
		if (f > 0) {
			r = 0;
			break;
		}
		found = f;
	}
out:
	close(fd);
	return r;
}
