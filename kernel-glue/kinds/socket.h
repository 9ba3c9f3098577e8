/* SPDX-License-Identifier: MIT */
/*
 * Sockets (SPEC.md §3.7): one socket record per socket (/sockets, kept by
 * the sockets kind of socket.c), named by the file record of each open of
 * it. The families are kinds of their own (unix.c, tcp.c, udp.c); what they
 * share is here: the record, the steps every socket takes at checkpoint and
 * restore (socket.c), addresses and binding of inet sockets (inet.c), and
 * queued datagrams both ways (socket_dgram.c). Addresses and options are
 * kept as the socket ABI gives them.
 */
#ifndef FERRY_GLUE_KINDS_SOCKET_H
#define FERRY_GLUE_KINDS_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "kind.h"

struct ckpt;
struct rst;

enum socket_state {
	SOCKET_CLOSED,    /* neither connected nor listening (maybe bound) */
	SOCKET_LISTENING,
	SOCKET_CONNECTED, /* TCP established, UDP/Unix connected */
	SOCKET_CONNECTING, /* TCP: connect() under way (SYN_SENT) */
};

/* An int-valued socket option, set again with setsockopt(level, name). */
struct socket_opt {
	uint32_t level, name, value;
};

/* TCP connection state read in repair mode (TCP_REPAIR). */
struct socket_tcp {
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
	uint32_t state;        /* TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LAST_ACK,
				* TCP_CLOSING, or 0: TCP_ESTABLISHED */
	uint32_t fin;          /* TCP_FIN_*: the FINs counted in the sequence numbers */
};

/* The FINs of a half-closed connection, counted in its sequence numbers. */
#define TCP_FIN_RECEIVED 1 /* the peer's: in recv_seq */
#define TCP_FIN_SENT 2     /* ours: in send_seq */
#define TCP_FIN_ACKED 4    /* ours, acknowledged by the peer */

/* Our FIN is not acknowledged yet (FIN_WAIT1, CLOSING, LAST_ACK): the
 * connection is rebuilt without it, and it is queued again, after the
 * bytes never sent, once the connection leaves repair mode (tcp.c). */
static inline bool tcp_fin_unacked(const struct socket_tcp *t)
{
	return (t->fin & (TCP_FIN_SENT | TCP_FIN_ACKED)) == TCP_FIN_SENT;
}

/* What journald knows of a stream (journal_stream.c; SPEC.md §3.7, `journal-*`). */
struct journal_stream {
	char *identifier;     /* SYSLOG_IDENTIFIER of its lines, or NULL */
	char *unit;           /* the unit it names (journald takes it from root only), or NULL */
	uint32_t priority;    /* of a line without a <N> prefix, with its facility */
	bool level_prefix;    /* a line's <N> prefix gives its priority */
	uint32_t forward;     /* JOURNAL_FORWARD_* */
	uint32_t connector[3]; /* SO_PEERCRED journald holds: pid, uid, gid */
};

#define JOURNAL_FORWARD_SYSLOG 1
#define JOURNAL_FORWARD_KMSG 2
#define JOURNAL_FORWARD_CONSOLE 4

/*
 * Unix: a message of the receive queue that carries descriptors in flight
 * (SCM_RIGHTS), read with them. A stream's message is the bytes one send
 * put in one buffer of the kernel: a read that takes any of them takes the
 * descriptors and ends with that message.
 */
struct socket_rights {
	uint32_t at;   /* stream: offset of its first byte in recv_queue; else: datagram index */
	uint32_t len;  /* stream: its bytes (> 0); else: 0 */
	uint32_t nfds; /* its descriptors: the next nfds file ids of rights_files */
};

/* At most this many descriptors in one message (the kernel's SCM_MAX_FD),
 * and in flight in the queue of one socket. */
#define SOCKET_RIGHTS_MAX_FDS 253
#define SOCKET_RIGHTS_MAX_QUEUE 4096

struct socket_record {
	uint32_t id;
	uint32_t family, type, protocol; /* AF_*, SOCK_*, IPPROTO_* */
	enum socket_state state;
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
	uint32_t *pending;               /* unix listening: the ids of the sockets connected */
	size_t npending;                 /* to it, not accepted yet, in accept order */
	struct socket_opt *opts;
	size_t nopts;
	uint32_t linger[2];              /* SO_LINGER onoff, seconds */
	uint64_t timeouts[2];            /* SO_RCVTIMEO, SO_SNDTIMEO in microseconds */
	uint32_t rcvbuf, sndbuf;         /* SO_RCVBUF, SO_SNDBUF as getsockopt gives them */
	bool have_buf_lock;
	uint32_t buf_lock;               /* SO_BUF_LOCK: SOCK_SNDBUF_LOCK 1, SOCK_RCVBUF_LOCK 2 */
	char *bind_device;               /* SO_BINDTODEVICE: an interface name, or NULL */
	uint32_t *filter;                /* SO_GET_FILTER: a classic BPF program, per */
	size_t nfilter;                  /* instruction code << 16 | jt << 8 | jf, then k */
	bool filter_locked;              /* SO_LOCK_FILTER */
	uint32_t shutdown;               /* shutdown(): RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
	/* receive queue: a byte stream, or datagrams one after another */
	uint8_t *recv_queue;
	size_t recv_len;
	uint32_t *dgram_lens;            /* datagram/packet sockets: length of each */
	size_t ndgrams;
	uint8_t *dgram_sources;          /* source address of each, as recvmsg gives it */
	size_t dgram_sources_len;
	uint32_t *dgram_source_lens;     /* ndgrams lengths into dgram_sources (0: none) */
	struct socket_rights *rights;    /* unix: the messages that carry descriptors, */
	size_t nrights;                  /* in queue order */
	uint32_t *rights_files;          /* the file records of their descriptors, in order */
	size_t nrights_files;
	bool have_tcp;
	struct socket_tcp tcp;
	bool have_journal;               /* unix: a stream to journald */
	struct journal_stream journal;
	uint64_t ino, peer_ino;          /* at checkpoint only: to pair the ends */
};

/* The socket records of an image (the sockets kind's image data). */
struct socket_image {
	struct socket_record *sockets;
	size_t n;
};

/* What the file record of an open of a socket holds. */
struct socket_file {
	uint32_t socket_id;
};

extern const struct meta_field socket_file_fields[];

/* The record @id of @img, or NULL. */
struct socket_record *socket_record(const struct st_image *img, uint32_t id);
/* The records of @img (NULL and 0 when it has none). */
struct socket_record *socket_records(const struct st_image *img, size_t *ret_n);

/* ---- checkpoint ---- */

/* What a family's dump gets: the socket, and ferry's copy of it. */
struct sock_ctx {
	struct ckpt *c;
	pid_t pid;
	int fd;             /* the process's fd number, for messages */
	const char *link;   /* "socket:[INODE]" */
	uint64_t ino;
	int sfd;            /* ferry's copy of it (pidfd_getfd) */
	struct socket_record *s;
};

/*
 * Dump the socket @fd into a new socket record and @f: the steps every
 * socket takes (network namespace, options), then @family's own. A socket
 * that cannot be carried is named. Returns 0 or -errno.
 */
int socket_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f,
		int (*family)(struct sock_ctx *x));
/* Name the socket as not supported, with the reason. Returns 0. */
int sock_unsupported(struct sock_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Datagrams in the receive queue, peeked one by one with their sources
 * (socket_dgram.c). */
int dump_sock_dgrams(struct sock_ctx *x);
/* Name @n empty datagrams of the queue that a peek offset cannot see again
 * (peeked before). Returns 0. */
int sock_empty_peeked(struct sock_ctx *x, unsigned n);
/*
 * Descriptors in flight in a Unix socket's queue (unix_rights.c). Keep
 * ferry's copies @fds of the @nfds descriptors of a message of the queue
 * (stream: its bytes @at to @at + @len; else: datagram @at, @len 0) in its
 * record; they are dumped as files by unix_rights_dump(). Returns 0
 * (a refusal named) or -errno; the copies are ferry's to close either way.
 */
int unix_rights_keep(struct sock_ctx *x, uint32_t at, uint32_t len, const int *fds, size_t nfds);
/* Of the @n bytes a peek from @at gave with descriptors, the offset of the
 * first that comes with them (a stream's message begins there). */
int unix_rights_start(struct sock_ctx *x, size_t at, size_t n, size_t *ret);
/* Every descriptor kept so far dumped as a file (once every fd of a
 * process is); the ones no kind can carry in flight named. */
int unix_rights_dump(struct ckpt *c);
/* The checkpoint ends: ferry's copies closed. */
void unix_rights_dump_end(struct ckpt *c);
/* The descriptors in flight of record @s of @img: NULL when each is a file
 * of the image that can be in flight, else why not (that file in
 * @ret_file). */
const char *unix_rights_invalid(const struct st_image *img, const struct socket_record *s,
				uint32_t *ret_file);
/* Send @buf, @len bytes, from @from (to @dest, unless NULL) with the
 * descriptors of message @m of @s, opened now if they are not yet. Returns
 * the bytes sent or -errno (logged). */
ssize_t unix_rights_send(struct rst *r, int from, const struct socket_record *s,
			 const struct socket_rights *m, const void *buf, size_t len,
			 const struct sockaddr *dest, socklen_t dest_len);
/* A stream refilled into @fd: each message with descriptors where it was,
 * whole, with them. Returns 0 or -errno (logged). */
int unix_rights_check_stream(int fd, const struct socket_record *s);
/* The fd by which process @pid holds socket @ino, or -1. */
int sock_fd_of(pid_t pid, uint64_t ino);
struct freeze;
/* The first process of /proc, but for those of @skip (none when NULL), that
 * holds socket @ino: its pid, its fd in *@ret_fd; 0 when no process does. */
pid_t sock_holder(uint64_t ino, const struct freeze *skip, int *ret_fd);
/* The local and peer addresses of an inet socket (inet.c). */
int dump_inet_addresses(struct sock_ctx *x);
/* The peer of a TCP socket whose connect() is under way (getpeername()
 * does not tell it before the handshake), from the process's own
 * /proc/PID/net/tcp or tcp6, which list it by inode. */
int dump_inet_connecting_peer(struct sock_ctx *x);

/* ---- restore ---- */

struct netlock_conn;
/* Every connection of the image's established TCP sockets (tcp.c;
 * malloc'd). Returns 0 or -ENOMEM. */
int tcp_connections(const struct st_image *img, struct netlock_conn **ret, size_t *ret_n);
/* The same for the restorer's network lock (restore.c): none when they are
 * in a network namespace of their own, which kinds/net_ns.c locks. */
int tcp_image_conns(const struct st_image *img, struct netlock_conn **ret, size_t *ret_n);
/* A TCP state and FINs an image may hold (tcp.c): NULL, or why not. */
const char *tcp_state_invalid(const struct socket_tcp *t);
/* Give the connection @c (the local end restored in repair mode) a segment
 * from its peer: sequence number @seq, acknowledging @ack, window @win,
 * with a FIN or a bare ACK (tcp_segment.c). Returns 0 or -errno. */
int tcp_inject_segment(const struct netlock_conn *c, uint32_t seq, uint32_t ack, uint16_t win,
		       bool fin);

/* The socket of file record @f, made by @family in the restorer, with the
 * file's status flags: its fd, or -errno. */
int socket_open(struct rst *r, const struct st_file *f,
		int (*family)(struct rst *r, const struct socket_record *s));
/* The socket record an open of a socket names, or NULL (and NULL for the
 * other kinds of files). */
const struct socket_record *socket_of_file(const struct st_image *img, const struct st_file *f);
/* Set the recorded options: those needed before bind (@before_bind), or all
 * the others. Failures are warnings. */
void sock_apply_options(int fd, const struct socket_record *s, bool before_bind);
/* The recorded buffer sizes, forced (so the queues fit). */
void sock_apply_buffers(int fd, const struct socket_record *s);
/* Send the recorded datagrams to @dest from sockets bound to their sources
 * where possible, each with its descriptors in flight (a Unix socket's)
 * (socket_dgram.c). Returns 0 or -errno. */
int sock_requeue_dgrams(struct rst *r, const struct socket_record *s, const struct sockaddr *dest,
			socklen_t dest_len);
/* Wait until the datagrams put back are in the queue of @fd. */
void sock_wait_queued(int fd, const struct socket_record *s);
/* The local or peer address of an inet socket record (inet.c). */
socklen_t sock_inet_addr(const struct socket_record *s, bool peer, struct sockaddr_storage *ss);
/* IP_FREEBIND (and IPV6_FREEBIND) on @fd on or off. */
void sock_set_freebind(int fd, int family, int on);
/* Bind an inet socket to its recorded address, whether configured or not. */
int sock_inet_bind(int fd, const struct socket_record *s);

#endif
