/* SPDX-License-Identifier: MIT */
/*
 * Sockets in the in-memory model (SPEC.md §3.7): one struct st_socket per
 * socket, referenced by the file record of its open file description.
 * Addresses and options are kept as the socket ABI gives them.
 */
#ifndef FERRY_GLUE_STATE_SOCKET_H
#define FERRY_GLUE_STATE_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

enum st_sock_state {
	ST_SOCK_CLOSED,      /* neither connected nor listening (maybe bound) */
	ST_SOCK_LISTENING,
	ST_SOCK_CONNECTED,   /* TCP established, UDP/Unix connected */
};

/* An int-valued socket option, set again with setsockopt(level, name). */
struct st_sockopt {
	uint32_t level, name, value;
};

/* TCP connection state read in repair mode (TCP_REPAIR). */
struct st_tcp {
	uint32_t send_seq;     /* TCP_QUEUE_SEQ of TCP_SEND_QUEUE: after the last queued byte */
	uint32_t recv_seq;     /* TCP_QUEUE_SEQ of TCP_RECV_QUEUE: next byte expected */
	uint32_t window[5];    /* TCP_REPAIR_WINDOW: snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup */
	uint32_t mss;          /* TCP_MAXSEG */
	uint32_t options;      /* TCPI_OPT_* of tcpi_options */
	uint32_t snd_wscale, rcv_wscale;
	uint32_t timestamp;    /* TCP_TIMESTAMP */
	uint8_t *send_queue;   /* unacknowledged, then unsent bytes */
	size_t send_len;
	uint32_t send_unsent;  /* how many of the last send_queue bytes were never sent */
};

struct st_socket {
	uint32_t id;
	uint32_t family, type, protocol; /* AF_*, SOCK_*, IPPROTO_* */
	enum st_sock_state state;
	uint32_t backlog;                /* listening */
	/* inet: addresses in network byte order (4 or 16 bytes), ports in host order */
	uint8_t local_addr[16], peer_addr[16];
	uint32_t local_port, peer_port;
	bool bound;                      /* has a local address (inet: port != 0) */
	/* unix: sun_path bytes as getsockname gives them (abstract: leading NUL) */
	uint8_t *unix_name, *unix_peer_name;
	size_t unix_name_len, unix_peer_name_len;
	char *unix_dir;                  /* cwd of the owner, for a relative unix_name */
	uint32_t unix_mode, unix_uid, unix_gid; /* the socket file of a path name */
	bool have_unix_file;
	uint32_t peer_id;                /* unix: the other end in the image, or 0 */
	struct st_sockopt *opts;
	size_t nopts;
	uint32_t linger[2];              /* SO_LINGER onoff, seconds */
	uint64_t timeouts[2];            /* SO_RCVTIMEO, SO_SNDTIMEO in microseconds */
	uint32_t rcvbuf, sndbuf;         /* SO_RCVBUF, SO_SNDBUF as getsockopt gives them */
	/* receive queue: a byte stream, or datagrams one after another */
	uint8_t *recv_queue;
	size_t recv_len;
	uint32_t *dgram_lens;            /* datagram/packet sockets: length of each */
	size_t ndgrams;
	uint8_t *dgram_sources;          /* source address of each, as recvmsg gives it */
	size_t dgram_sources_len;
	uint32_t *dgram_source_lens;     /* ndgrams lengths into dgram_sources (0: none) */
	bool have_tcp;
	struct st_tcp tcp;
	uint64_t ino, peer_ino;          /* at checkpoint only: to pair the ends */
};

struct st_socket *st_find_socket(struct st_image *img, uint32_t id);
const char *st_sock_state_name(enum st_sock_state s);
int st_sock_state_parse(const char *s, enum st_sock_state *ret);
void st_sockets_free(struct st_image *img);

#endif
