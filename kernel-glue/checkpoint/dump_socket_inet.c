/* SPDX-License-Identifier: MIT */
/*
 * TCP and UDP over IPv4 and IPv6: local and peer address; a UDP socket's
 * queued datagrams with their sources; TCP goes on in dump_socket_tcp.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "dump_socket_kinds.h"

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

int dump_socket_inet(struct sock_ctx *x)
{
	struct st_socket *s = x->s;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(x->sfd, (struct sockaddr *)&sa, &len) < 0)
		return glue_err(-errno, "pid %d fd %d: %s: getsockname", x->pid, x->fd, x->link);
	if (inet_addr_of(&sa, s->local_addr, &s->local_port))
		s->bound = s->local_port != 0;
	len = sizeof(sa);
	if (getpeername(x->sfd, (struct sockaddr *)&sa, &len) == 0 &&
	    inet_addr_of(&sa, s->peer_addr, &s->peer_port))
		s->state = ST_SOCK_CONNECTED;
	else if (errno != ENOTCONN)
		return glue_err(-errno, "pid %d fd %d: %s: getpeername", x->pid, x->fd, x->link);
	if (s->protocol == IPPROTO_TCP)
		return dump_socket_tcp(x); /* sets the state from TCP_INFO */
	return dump_sock_dgrams(x);
}
