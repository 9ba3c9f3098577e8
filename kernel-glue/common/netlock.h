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
 * rule protocol FERRY_NETLOCK_RTPROT so that they are known as ferry's. Rules
 * belong to one kernel and one network namespace: a lock does not survive
 * a kexec. A checkpoint that dies holding the lock has its guardian
 * (checkpoint/guardian.h) release it; a ferry that dies otherwise holding
 * the lock leaves its rules behind;
 * netlock_list() and netlock_release_all() (`ferry netlock`) find them by
 * their rule protocol.
 */
#ifndef FERRY_GLUE_NETLOCK_H
#define FERRY_GLUE_NETLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/magic.h" /* FERRY_NETLOCK_RTPROT */

#define NETLOCK_PRIORITY 0

/* One TCP connection: addresses in network byte order, ports in host order. */
struct netlock_conn {
	int family; /* AF_INET or AF_INET6 */
	uint8_t local[16], peer[16];
	uint16_t local_port, peer_port;
};

/*
 * Lock @n connections: one rule each, and the catch-all "lookup local"
 * rule moved behind them where it came first. On failure the rules added
 * here are removed again. The first call of a process warns when ferry's
 * rules of other connections are already there. Returns 0 or -errno
 * (logged).
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

/*
 * Lift the rule of the one connection @c for a moment, the rest of the
 * lock in place. Returns 1 if it was there and is removed, 0 if it was not
 * there, or -errno (logged).
 */
int netlock_lift(const struct netlock_conn *c);

/*
 * Put back the rule of @c that netlock_lift() removed, the others of the
 * lock still there (no warning about them). Returns 0 or -errno (logged).
 */
int netlock_take_again(const struct netlock_conn *c);

/*
 * ferry's rules of this network namespace, IPv4 then IPv6, found by their
 * rule protocol: the connections of those that have the form netlock_take()
 * gives (malloc'd), and how many others of rule protocol FERRY_NETLOCK_RTPROT
 * there are. Returns 0 or -errno (logged).
 */
int netlock_list(struct netlock_conn **ret, size_t *ret_n, size_t *ret_others);

/*
 * Remove every rule of rule protocol FERRY_NETLOCK_RTPROT of this network
 * namespace, IPv4 and IPv6, and no other; each is sent back as the dump
 * gave it. The "lookup local" rule stays where it is, first again. The
 * rules of a lock kept on purpose go too: the next segment of a peer whose
 * socket is gone (checkpointed with --kill) is then answered with a reset.
 * Returns 0 or the first -errno (logged); *ret_removed counts the rules
 * removed either way.
 */
int netlock_release_all(size_t *ret_removed);

/* "peer:port -> local:port" ("[peer]:port -> [local]:port" for IPv6). */
#define NETLOCK_CONN_NAME_SIZE 128
const char *netlock_conn_name(const struct netlock_conn *c, char *buf, size_t size);

#endif
