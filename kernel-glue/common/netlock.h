/* SPDX-License-Identifier: MIT */
/*
 * The network lock: while TCP connections are being checkpointed, are away
 * or are being restored, what their peers send must be dropped silently,
 * neither acknowledged by the old socket (the bytes would be lost) nor
 * answered with an RST where no socket is (the connection would be lost).
 * The peers retransmit once the lock is released.
 *
 * The lock is a set of policy routing rules, added and removed through
 * rtnetlink, one per connection (SPEC.md §3.7): priority 0, before the
 * catch-all "lookup local" rule, blackhole, from the peer's address to the
 * local one, TCP, source port the peer's, destination port the local one,
 * rule protocol NETLOCK_RTPROT so that they are known as ferry's. Rules
 * belong to one kernel and one network namespace: a lock does not survive
 * a kexec.
 */
#ifndef FERRY_GLUE_NETLOCK_H
#define FERRY_GLUE_NETLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "state_socket.h"

#define NETLOCK_PRIORITY 0
#define NETLOCK_RTPROT 70 /* rtm_protocol / FRA_PROTOCOL of ferry's rules */

/* One TCP connection: addresses in network byte order, ports in host order. */
struct netlock_conn {
	int family; /* AF_INET or AF_INET6 */
	uint8_t local[16], peer[16];
	uint16_t local_port, peer_port;
};

/*
 * The connection of an established inet TCP socket of the model; an IPv6
 * socket talking to an IPv4-mapped peer gives an AF_INET connection (its
 * segments are IPv4). Returns false for any other socket.
 */
bool netlock_conn_of(const struct st_socket *s, struct netlock_conn *ret);

/*
 * Lock @n connections: one rule each, and the catch-all "lookup local"
 * rule moved behind them where it came first. On failure the rules added
 * here are removed again. Returns 0 or -errno (logged).
 */
int netlock_take(const struct netlock_conn *conns, size_t n);

/*
 * Remove the rules of @n connections, each matched with every attribute
 * netlock_take() gave it, ferry's rule protocol included; a rule that is
 * not there (another kernel, or removed by hand) is skipped. The "lookup
 * local" rule stays where it is: with ferry's rules gone it comes first
 * again. Returns 0, or the first -errno (logged) of a rule that was there
 * and could not be removed.
 */
int netlock_release(const struct netlock_conn *conns, size_t n);

/* Every connection of the image's established TCP sockets (malloc'd). */
int netlock_image_conns(const struct st_image *img, struct netlock_conn **ret, size_t *ret_n);

#endif
