/* SPDX-License-Identifier: MIT */
/*
 * UDP sockets, and what inet sockets share: addresses, binding to an
 * address that need not be configured yet (IP_FREEBIND), and putting
 * queued datagrams back, sent from their recorded sources where a socket
 * can be bound there (IP_TRANSPARENT), else from an unnamed socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/log.h"
#include "restore_socket_kinds.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

socklen_t sock_inet_addr(const struct st_socket *s, bool peer, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (s->family == AF_INET) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, peer ? s->peer_addr : s->local_addr, 4);
		in->sin_port = htons(peer ? s->peer_port : s->local_port);
		return sizeof(*in);
	}
	{
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, peer ? s->peer_addr : s->local_addr, 16);
		in6->sin6_port = htons(peer ? s->peer_port : s->local_port);
		return sizeof(*in6);
	}
}

static void set_freebind(int fd, int family, int on)
{
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
}

int sock_inet_bind(int fd, const struct st_socket *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sock_inet_addr(s, false, &ss);
	char a[INET6_ADDRSTRLEN] = "?";

	set_freebind(fd, s->family, 1);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = -errno;

		inet_ntop(s->family, s->local_addr, a, sizeof(a));
		set_freebind(fd, s->family, 0);
		return glue_err(e, "socket %u: cannot bind to [%s]:%u", s->id, a, s->local_port);
	}
	/* the recorded value comes back with the other options */
	set_freebind(fd, s->family, 0);
	return 0;
}

/* A socket to send one datagram from, bound to @src if that can be done. */
static int source_socket(const struct st_socket *s, const struct sockaddr *src, socklen_t len,
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
		set_freebind(fd, src->sa_family, 1);
	}
	if (bind(fd, src, len) < 0) {
		if (!*warned)
			glue_warn("socket %u: a queued datagram is put back from another source "
				  "address than its own: %s", s->id, strerror(errno));
		*warned = true;
		close(fd);
		fd = socket(src->sa_family, s->type | SOCK_CLOEXEC, 0);
	}
	return fd;
}

int sock_requeue_dgrams(const struct st_socket *s, const struct sockaddr *dest,
			socklen_t dest_len)
{
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
			return glue_err(-errno, "socket %u: cannot make a socket to put its queue "
					"back", s->id);
		n = sendto(fd, s->recv_queue + off, s->dgram_lens[i], MSG_DONTWAIT, dest, dest_len);
		close(fd);
		if (n != (ssize_t)s->dgram_lens[i])
			return glue_err(n < 0 ? -errno : -EIO, "socket %u: cannot put queued "
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
void sock_wait_queued(int fd, const struct st_socket *s)
{
	for (int i = 0; i < 200 && count_queued(fd) < s->ndgrams; i++)
		usleep(1000);
	if (count_queued(fd) < s->ndgrams)
		glue_warn("socket %u: only %zu of its %zu queued datagrams came back", s->id,
			  count_queued(fd), s->ndgrams);
}

/* Where to send datagrams so that the socket bound to @s gets them. */
static socklen_t requeue_dest(const struct st_socket *s, struct sockaddr_storage *ss)
{
	socklen_t len = sock_inet_addr(s, false, ss);
	static const uint8_t any6[16];

	if (s->family == AF_INET && ((struct sockaddr_in *)ss)->sin_addr.s_addr == INADDR_ANY)
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->family == AF_INET6 && memcmp(s->local_addr, any6, 16) == 0)
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return len;
}

int restore_socket_inet(struct rst *r, const struct st_socket *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e = 0;

	(void)r;
	fd = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC, s->protocol);
	if (fd < 0)
		return glue_err(-errno, "socket %u: cannot create a UDP socket", s->id);
	sock_apply_buffers(fd, s);
	sock_apply_options(fd, s, true);
	if (s->bound)
		e = sock_inet_bind(fd, s);
	if (e == 0 && s->ndgrams) {
		if (!s->bound) {
			glue_warn("socket %u: %zu queued datagrams on an unbound socket are dropped",
				  s->id, s->ndgrams);
		} else {
			len = requeue_dest(s, &ss);
			e = sock_requeue_dgrams(s, (struct sockaddr *)&ss, len);
			if (e == 0)
				sock_wait_queued(fd, s);
		}
	}
	if (e == 0 && s->state == ST_SOCK_CONNECTED) {
		len = sock_inet_addr(s, true, &ss);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			e = glue_err(-errno, "socket %u: cannot connect it to its peer again", s->id);
	}
	if (e < 0) {
		close(fd);
		return e;
	}
	sock_apply_options(fd, s, false);
	return fd;
}
