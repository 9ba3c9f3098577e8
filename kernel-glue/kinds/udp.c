/* SPDX-License-Identifier: MIT */
/*
 * UDP over IPv4 and IPv6: local and peer address, and the datagrams queued
 * on it with their sources. At restore it is bound again, gets its
 * datagrams back (sent to it before it is connected, so that it takes
 * them), and is connected again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "kind.h"
#include "socket.h"

static bool udp_match(const struct fd_probe *fd)
{
	return (fd->sock_family == AF_INET || fd->sock_family == AF_INET6) &&
	       fd->sock_type == SOCK_DGRAM && fd->sock_protocol == IPPROTO_UDP;
}

static int udp_dump_socket(struct sock_ctx *x)
{
	int r = dump_inet_addresses(x);

	return r < 0 ? r : dump_sock_dgrams(x);
}

static int udp_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	return socket_dump(c, fd, f, udp_dump_socket);
}

static bool udp_owns(const struct st_image *img, const struct st_file *f)
{
	const struct socket_record *s = socket_of_file(img, f);

	return s && s->family != AF_UNIX && s->protocol != IPPROTO_TCP;
}

/* Where to send datagrams so that the socket bound to @s gets them. */
static socklen_t requeue_dest(const struct socket_record *s, struct sockaddr_storage *ss)
{
	socklen_t len = sock_inet_addr(s, false, ss);
	static const uint8_t any6[16];

	if (s->family == AF_INET && ((struct sockaddr_in *)ss)->sin_addr.s_addr == INADDR_ANY)
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->family == AF_INET6 && memcmp(s->local_addr, any6, 16) == 0)
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return len;
}

static int udp_restore(struct rst *r, const struct socket_record *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e = 0;

	(void)r;
	fd = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC, s->protocol);
	if (fd < 0)
		return log_error_errno(-errno, "socket %u: cannot create a UDP socket", s->id);
	sock_apply_buffers(fd, s);
	sock_apply_options(fd, s, true);
	if (s->bound)
		e = sock_inet_bind(fd, s);
	if (e == 0 && s->ndgrams) {
		if (!s->bound) {
			log_warning("socket %u: %zu queued datagrams on an unbound socket are dropped",
				  s->id, s->ndgrams);
		} else {
			len = requeue_dest(s, &ss);
			e = sock_requeue_dgrams(NULL, s, (struct sockaddr *)&ss, len);
			if (e == 0)
				sock_wait_queued(fd, s);
		}
	}
	if (e == 0 && s->state == SOCKET_CONNECTED) {
		len = sock_inet_addr(s, true, &ss);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			e = log_error_errno(-errno, "socket %u: cannot connect it to its peer again", s->id);
	}
	if (e < 0) {
		close(fd);
		return e;
	}
	sock_apply_options(fd, s, false);
	return fd;
}

static int udp_open(struct rst *r, const struct st_file *f)
{
	return socket_open(r, f, udp_restore);
}

static const struct inv_claim udp_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIMS_END,
};

const struct kind kind_udp = {
	.name = "socket",
	.claims = udp_claims,
	.match = udp_match,
	.dump = udp_dump,
	.file_size = sizeof(struct socket_file),
	.file_fields = socket_file_fields,
	.owns_record = udp_owns,
	.open = udp_open,
};
