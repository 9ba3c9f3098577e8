/* SPDX-License-Identifier: MIT */
/*
 * What TCP and UDP sockets over IPv4 and IPv6 share: their local and peer
 * addresses at checkpoint; at restore, the addresses as sockaddr and
 * binding to an address that need not be configured yet (IP_FREEBIND).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "socket.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

/* Address and port of @sa into @addr/@port; false if it is not inet. */
static bool inet_addr_of(const struct sockaddr_storage *sa, uint8_t addr[16], uint32_t *port)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(addr, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return true;
	}
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(addr, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return true;
	}
	return false;
}

int dump_inet_addresses(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(x->sfd, (struct sockaddr *)&sa, &len) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: getsockname", x->pid, x->fd, x->link);
	if (inet_addr_of(&sa, s->local_addr, &s->local_port))
		s->bound = s->local_port != 0;
	len = sizeof(sa);
	if (getpeername(x->sfd, (struct sockaddr *)&sa, &len) == 0 &&
	    inet_addr_of(&sa, s->peer_addr, &s->peer_port))
		s->state = SOCKET_CONNECTED;
	else if (errno != ENOTCONN)
		return log_error_errno(-errno, "pid %d fd %d: %s: getpeername", x->pid, x->fd, x->link);
	return 0;
}

/* @hex, 8 hex digits per 32-bit word as the kernel prints them (%08X of
 * the word in memory order), into @addr (@n bytes). */
static bool proc_net_addr(const char *hex, size_t len, uint8_t *addr, size_t n)
{
	if (len != n * 2)
		return false;
	for (size_t w = 0; w < n / 4; w++) {
		char word[9];
		char *end;
		uint32_t v;

		memcpy(word, hex + w * 8, 8);
		word[8] = 0;
		v = (uint32_t)strtoul(word, &end, 16);
		if (*end)
			return false;
		memcpy(addr + w * 4, &v, 4);
	}
	return true;
}

int dump_inet_connecting_peer(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	size_t n = s->family == AF_INET ? 4 : 16;
	char path[64], line[512];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", x->pid, s->family == AF_INET ? "tcp" : "tcp6");
	f = fopen(path, "re");
	if (!f)
		return log_error_errno(-errno, "pid %d fd %d: cannot read %s", x->pid, x->fd, path);
	/* "sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid timeout inode" */
	while (r == -ENOENT && fgets(line, sizeof(line), f)) {
		char local[40], remote[40];
		unsigned long long ino;
		unsigned port;
		char *colon;

		if (sscanf(line, " %*s %39s %39s %*s %*s %*s %*s %*s %*s %llu", local, remote,
			   &ino) != 3 || ino != x->ino)
			continue;
		colon = strchr(remote, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1 ||
		    !proc_net_addr(remote, (size_t)(colon - remote), s->peer_addr, n))
			r = -EINVAL;
		else {
			s->peer_port = port;
			r = 0;
		}
	}
	fclose(f);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: %s: its peer is not in %s", x->pid, x->fd,
				       x->link, path);
	return 0;
}

socklen_t sock_inet_addr(const struct socket_record *s, bool peer, struct sockaddr_storage *ss)
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

void sock_set_freebind(int fd, int family, int on)
{
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
}

int sock_inet_bind(int fd, const struct socket_record *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sock_inet_addr(s, false, &ss);
	char a[INET6_ADDRSTRLEN] = "?";

	sock_set_freebind(fd, s->family, 1);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = -errno;

		inet_ntop(s->family, s->local_addr, a, sizeof(a));
		sock_set_freebind(fd, s->family, 0);
		return log_error_errno(e, "socket %u: cannot bind to [%s]:%u", s->id, a, s->local_port);
	}
	/* the recorded value comes back with the other options */
	sock_set_freebind(fd, s->family, 0);
	return 0;
}

