/* SPDX-License-Identifier: MIT */
/*
 * Queued datagrams, both ways. At checkpoint, the receive queue of a
 * datagram or packet socket (UDP, Unix datagram and seqpacket), and of a
 * Unix stream socket: peeked with MSG_PEEK from a peek offset (SO_PEEK_OFF)
 * that moves on after each read, so every datagram is seen once with its
 * source address and the queue stays as it was. The socket's own peek
 * offset is put back afterwards; an empty datagram is one of length 0 in
 * its place. Descriptors in flight (SCM_RIGHTS) of a Unix socket come with
 * the peeks, installed in ferry: kept with their message (unix_rights.c).
 * At restore the datagrams are sent again,
 * in order, each from a socket bound to its recorded source where that can
 * be done (IP_TRANSPARENT), else from an unnamed one.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "socket.h"

#define DGRAM_MAX (256u << 10)
#define QUEUE_MAX (64u << 20)

static int append(uint8_t **buf, size_t *len, const void *data, size_t n)
{
	uint8_t *p = realloc(*buf, *len + n + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p + *len, data, n);
	*buf = p;
	*len += n;
	return 0;
}

static int push_u32(uint32_t **arr, size_t *n, uint32_t v)
{
	uint32_t *slot = ST_PUSH(*arr, *n);

	if (!slot)
		return -ENOMEM;
	*slot = v;
	return 0;
}

/* The descriptors a peek gave (installed in ferry), into @fds; -EMSGSIZE
 * when some did not fit (MSG_CTRUNC: ferry's limit, or no room). */
static int take_rights(struct msghdr *m, int *fds, size_t *ret_n)
{
	*ret_n = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd = ((int *)CMSG_DATA(cm))[i];

			if (*ret_n < SOCKET_RIGHTS_MAX_FDS)
				fds[(*ret_n)++] = fd;
			else
				close(fd);
		}
	}
	return m->msg_flags & MSG_CTRUNC ? -EMSGSIZE : 0;
}

/*
 * An empty datagram is seen once from a peek offset: peeking marks it, and
 * a peek offset steps over a marked one. One the program peeked (MSG_PEEK)
 * or an earlier checkpoint saw is not seen again. At the head of the queue
 * a plain peek (no offset) still sees it: named when the walk missed it.
 */
static int check_head(struct sock_ctx *x)
{
	const struct socket_record *s = x->s;
	int off = -1;
	char b;
	ssize_t n;

	if (setsockopt(x->sfd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: cannot set a peek offset", x->pid,
				x->fd, x->link);
	n = recv(x->sfd, &b, 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EAGAIN ? 0 : log_error_errno(-errno, "pid %d fd %d: %s: cannot peek "
				"at its queue", x->pid, x->fd, x->link);
	if (s->ndgrams && s->dgram_lens[0] == (uint32_t)n)
		return 0;
	return sock_empty_peeked(x, 1);
}

int sock_empty_peeked(struct sock_ctx *x, unsigned n)
{
	return sock_unsupported(x, "%u empty datagram%s of its queue %s already peeked (MSG_PEEK, "
				"or by a checkpoint without --kill) and cannot be seen again in its "
				"place: read %s, or checkpoint it before it is peeked", n,
				n == 1 ? "" : "s", n == 1 ? "was" : "were", n == 1 ? "it" : "them");
}

int dump_sock_dgrams(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	bool stream = s->type == SOCK_STREAM;
	socklen_t olen = sizeof(int);
	int old_off = -1, zero = 0, r = 0;
	size_t nsrc = 0;
	uint8_t *buf;
	union {
		char b[CMSG_SPACE(SOCKET_RIGHTS_MAX_FDS * sizeof(int)) + 256];
		struct cmsghdr align;
	} ctl;
	int fds[SOCKET_RIGHTS_MAX_FDS];
	size_t nfds;

	if (getsockopt(x->sfd, SOL_SOCKET, SO_PEEK_OFF, &old_off, &olen) < 0 ||
	    setsockopt(x->sfd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: cannot set a peek offset", x->pid,
				x->fd, x->link);
	buf = malloc(DGRAM_MAX);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		struct sockaddr_storage from;
		struct iovec iov = { buf, DGRAM_MAX };
		struct msghdr m = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		ssize_t n = recvmsg(x->sfd, &m, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC |
						  MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno != EAGAIN)
				r = log_error_errno(-errno, "pid %d fd %d: %s: cannot peek at its queue",
					     x->pid, x->fd, x->link);
			break;
		}
		if (take_rights(&m, fds, &nfds) < 0 || (nfds && s->family != AF_UNIX)) {
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			sock_unsupported(x, "descriptors in flight (SCM_RIGHTS) in its queue could "
					 "not all be taken (ferry's descriptor limit, RLIMIT_NOFILE)");
			break;
		}
		if (nfds && stream) {
			size_t at = s->recv_len, start;

			/* the message with them ends what the peek gave: where
			 * does it begin? */
			r = unix_rights_start(x, at, n, &start);
			if (r == 0 && start > at) {
				/* the bytes before it first; the next peek, from
				 * where it begins, gives it alone */
				int off = start;

				for (size_t i = 0; i < nfds; i++)
					close(fds[i]);
				nfds = 0;
				n = start - at;
				if (setsockopt(x->sfd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
					r = log_error_errno(-errno, "pid %d fd %d: %s: cannot set a "
							    "peek offset", x->pid, x->fd, x->link);
			} else if (r == 0) {
				int off = at + n;

				if (setsockopt(x->sfd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
					r = log_error_errno(-errno, "pid %d fd %d: %s: cannot set a "
							    "peek offset", x->pid, x->fd, x->link);
			}
			if (r < 0) {
				for (size_t i = 0; i < nfds; i++)
					close(fds[i]);
				break;
			}
		}
		if (nfds && old_off >= 0) {
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			sock_unsupported(x, "its peek offset (SO_PEEK_OFF %d) is not carried with "
					 "descriptors in flight (SCM_RIGHTS) in its queue: clear it "
					 "(-1) first", old_off);
			break;
		}
		if (nfds) {
			r = unix_rights_keep(x, stream ? s->recv_len : s->ndgrams,
					     stream ? n : 0, fds, nfds);
			if (r < 0 || x->c->problems)
				break;
		}
		if (n == 0 && stream)
			break; /* end of stream */
		if (n == 0 && s->family != AF_UNIX) {
			sock_unsupported(x, "an empty datagram in its queue is not supported");
			break;
		}
		/* an empty Unix datagram: the peek offset stays, the kernel
		 * marks it peeked and steps over it the next time */
		if ((size_t)n > DGRAM_MAX || (m.msg_flags & MSG_TRUNC)) {
			sock_unsupported(x, "a queued datagram of %zd bytes is more than the %u "
					 "that can be carried", n, DGRAM_MAX);
			break;
		}
		if (s->recv_len + n > QUEUE_MAX) {
			sock_unsupported(x, "more than %u MiB queued", QUEUE_MAX >> 20);
			break;
		}
		r = append(&s->recv_queue, &s->recv_len, buf, n);
		if (r == 0 && !stream) {
			r = push_u32(&s->dgram_lens, &s->ndgrams, n);
			if (r == 0)
				r = push_u32(&s->dgram_source_lens, &nsrc, m.msg_namelen);
			if (r == 0 && m.msg_namelen)
				r = append(&s->dgram_sources, &s->dgram_sources_len, &from,
					   m.msg_namelen);
		}
		if (r < 0)
			break;
	}
	free(buf);
	if (r == 0 && !stream && s->family == AF_UNIX && !x->c->problems)
		r = check_head(x);
out:
	if (setsockopt(x->sfd, SOL_SOCKET, SO_PEEK_OFF, &old_off, sizeof(old_off)) < 0 && r == 0)
		r = log_error_errno(-errno, "pid %d fd %d: %s: cannot put its peek offset back", x->pid,
			     x->fd, x->link);
	return r;
}

/* A socket to send one datagram from, bound to @src if that can be done. */
static int source_socket(const struct socket_record *s, const struct sockaddr *src, socklen_t len,
			 bool *warned)
{
	int fd = socket(src && len ? src->sa_family : (int)s->family, s->type | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0 || !src || !len || (src->sa_family == AF_UNIX &&
					 len <= offsetof(struct sockaddr_un, sun_path)))
		return fd;
	if (src->sa_family != AF_UNIX) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one));
		if (src->sa_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
		sock_set_freebind(fd, src->sa_family, 1);
	}
	if (bind(fd, src, len) < 0) {
		if (!*warned)
			log_warning("socket %u: a queued datagram is put back from another source "
				  "address than its own: %s", s->id, strerror(errno));
		*warned = true;
		close(fd);
		fd = socket(src->sa_family, s->type | SOCK_CLOEXEC, 0);
	}
	return fd;
}

int sock_requeue_dgrams(struct rst *r, const struct socket_record *s, const struct sockaddr *dest,
			socklen_t dest_len)
{
	const struct socket_rights *m = s->rights;
	size_t off = 0, soff = 0;
	bool warned = false;

	for (size_t i = 0; i < s->ndgrams; i++) {
		uint32_t slen = s->dgram_source_lens ? s->dgram_source_lens[i] : 0;
		const struct sockaddr *src = slen ? (const void *)(s->dgram_sources + soff) : NULL;
		struct sockaddr_storage sa;
		int fd;
		ssize_t n;

		if (slen) {
			memcpy(&sa, src, slen < sizeof(sa) ? slen : sizeof(sa));
			src = (const struct sockaddr *)&sa;
		}
		fd = source_socket(s, src, slen, &warned);
		if (fd < 0)
			return log_error_errno(-errno, "socket %u: cannot make a socket to put its queue "
					"back", s->id);
		if (r && m < s->rights + s->nrights && m->at == i)
			n = unix_rights_send(r, fd, s, m++, s->recv_queue + off, s->dgram_lens[i],
					     dest, dest_len);
		else
			n = sendto(fd, s->recv_queue + off, s->dgram_lens[i], MSG_DONTWAIT, dest,
				   dest_len);
		close(fd);
		if (n != (ssize_t)s->dgram_lens[i])
			return log_error_errno(n < 0 ? -errno : -EIO, "socket %u: cannot put queued "
					"datagram %zu of %zu back", s->id, i + 1, s->ndgrams);
		off += s->dgram_lens[i];
		soff += slen;
	}
	return 0;
}

/* How many datagrams are queued on @fd (peeked from a peek offset). */
static size_t count_queued(int fd)
{
	int zero = 0, off = -1;
	size_t n = 0;
	char b;

	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
		return 0;
	while (n < 100000 && recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC) > 0)
		n++;
	setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	return n;
}

/* Datagrams sent over loopback arrive a moment later: wait for them, so
 * that none comes after connect() (which would drop it). */
void sock_wait_queued(int fd, const struct socket_record *s)
{
	for (int i = 0; i < 200 && count_queued(fd) < s->ndgrams; i++)
		usleep(1000);
	if (count_queued(fd) < s->ndgrams)
		log_warning("socket %u: only %zu of its %zu queued datagrams came back", s->id,
			  count_queued(fd), s->ndgrams);
}

