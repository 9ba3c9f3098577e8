/* SPDX-License-Identifier: MIT */
/*
 * A segment from a connection's peer, made by hand and given to the local
 * end (a raw socket, IPPROTO_RAW: the header is ours). Repair mode gives
 * no way to put a FIN into a socket, nor to have the peer acknowledge
 * ours: a half-closed connection (tcp.c) is rebuilt established, and the
 * segment of the peer that closed it is then received as it was the first
 * time. The raw socket's route is looked up from no address and no port,
 * so the network lock's rules (from the peer's address and port) do not
 * drop it; on its way to a local address it is not routed again.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/netlock.h"
#include "socket.h"

/* The Internet checksum of @len bytes, added to @sum. */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int tcp_inject_segment(const struct netlock_conn *c, uint32_t seq, uint32_t ack, uint16_t win,
		       bool fin)
{
	struct {
		union {
			struct iphdr v4;
			struct ip6_hdr v6;
		} ip;
		struct tcphdr tcp;
	} pkt;
	struct tcphdr th;
	struct sockaddr_storage dst;
	size_t iplen, alen = c->family == AF_INET6 ? 16 : 4;
	uint32_t sum = 0;
	uint8_t pseudo[8] = { 0 };
	socklen_t dlen;
	ssize_t n;
	int fd, e = 0;

	memset(&pkt, 0, sizeof(pkt));
	memset(&th, 0, sizeof(th));
	memset(&dst, 0, sizeof(dst));
	th.source = htons(c->peer_port);
	th.dest = htons(c->local_port);
	th.seq = htonl(seq);
	th.ack_seq = htonl(ack);
	th.doff = sizeof(th) / 4;
	th.ack = 1;
	th.fin = fin;
	th.window = htons(win);
	/* the pseudo-header: addresses, then the length and the protocol */
	sum = csum_add(sum, c->peer, alen);
	sum = csum_add(sum, c->local, alen);
	pseudo[3] = sizeof(th);
	pseudo[7] = IPPROTO_TCP;
	sum = csum_add(sum, pseudo, sizeof(pseudo));
	sum = csum_add(sum, &th, sizeof(th));
	th.check = csum_fold(sum);
	if (c->family == AF_INET6) {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;

		pkt.ip.v6.ip6_flow = htonl(6u << 28);
		pkt.ip.v6.ip6_plen = htons(sizeof(th));
		pkt.ip.v6.ip6_nxt = IPPROTO_TCP;
		pkt.ip.v6.ip6_hlim = 64;
		memcpy(&pkt.ip.v6.ip6_src, c->peer, 16);
		memcpy(&pkt.ip.v6.ip6_dst, c->local, 16);
		iplen = sizeof(pkt.ip.v6);
		d->sin6_family = AF_INET6;
		memcpy(&d->sin6_addr, c->local, 16);
		dlen = sizeof(*d);
	} else {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;

		pkt.ip.v4.version = 4;
		pkt.ip.v4.ihl = sizeof(pkt.ip.v4) / 4;
		pkt.ip.v4.tot_len = htons(sizeof(pkt.ip.v4) + sizeof(th));
		pkt.ip.v4.ttl = 64;
		pkt.ip.v4.protocol = IPPROTO_TCP;
		memcpy(&pkt.ip.v4.saddr, c->peer, 4);
		memcpy(&pkt.ip.v4.daddr, c->local, 4);
		iplen = sizeof(pkt.ip.v4);
		d->sin_family = AF_INET;
		memcpy(&d->sin_addr, c->local, 4);
		dlen = sizeof(*d);
	}
	/* the TCP header right after the IP one, whichever it is */
	memcpy((uint8_t *)&pkt + iplen, &th, sizeof(th));
	fd = socket(c->family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return log_error_errno(-errno, "cannot make a raw socket to give a connection its "
				       "peer's %s", fin ? "FIN" : "acknowledgement");
	n = sendto(fd, &pkt, iplen + sizeof(th), 0, (struct sockaddr *)&dst, dlen);
	if (n != (ssize_t)(iplen + sizeof(th)))
		e = log_error_errno(n < 0 ? -errno : -EIO, "cannot send a connection its peer's %s",
				    fin ? "FIN" : "acknowledgement");
	close(fd);
	return e;
}
