/* SPDX-License-Identifier: MIT */
/*
 * TCP over IPv4 and IPv6: a listening socket (backlog; connections not yet
 * accepted are named), a closed one (maybe bound), or an established
 * connection, read in repair mode (TCP_REPAIR): sequence numbers of both
 * queues, the bytes of the send queue (unacknowledged and unsent) and of
 * the receive queue (peeked), the window, MSS and the options negotiated,
 * the timestamp clock. The connection is locked first when the processes
 * are to go away (common/netlock.h), and ferry's copy of it stays in repair
 * mode until the checkpoint ends: then it stays so if the processes go away
 * (their peers see no FIN, no RST) or leaves it if they run on. A
 * half-closed or closing connection is read so too: CLOSE_WAIT (the
 * peer's FIN arrived, counted in the receive sequence), FIN_WAIT2 (our FIN
 * sent and acknowledged, counted in the send sequence), and our FIN not
 * acknowledged yet, sent or still behind bytes never sent, counted in the
 * send sequence and in the queue's lengths, not among its bytes: FIN_WAIT1,
 * LAST_ACK (after the peer's FIN), CLOSING (the peer's FIN came after
 * ours). A connection being opened (SYN_SENT, only its SYN sent) is kept
 * as its two addresses and connected again as the processes are let go: a
 * new handshake (connect_again()). Every other state is named with the
 * reason.
 *
 * Before --kill, a listener whose port a socket outside the checkpoint
 * keeps in use, so that a restore here could not listen again, is named.
 * At restore a listening or closed socket is made, bound (a closed one in
 * repair mode, see tcp_restore) and listens again. An established
 * connection is rebuilt in repair mode: bound to its address (configured
 * or not), both queues' sequence numbers set,
 * connected without a handshake, the options negotiated and the timestamp
 * clock given back, the receive queue and the sent part of the send queue
 * refilled, the window set; a half-closed one queues an acknowledged FIN
 * of ours as sent where it had, then gets from its peer the FIN or the
 * acknowledgement that half-closed it (half_close(), tcp_segment.c). It
 * leaves repair mode only once every process is complete and verified,
 * right before they run (tcp_let_go), and sends the bytes never sent then
 * as ordinary data: a restore that fails or is killed before closes it in
 * repair mode, which sends the peer nothing and leaves its address pair
 * free for the next attempt. A FIN of ours not acknowledged yet is not in
 * the connection until then: it is rebuilt established (FIN_WAIT1,
 * CLOSING) or in CLOSE_WAIT (LAST_ACK), its send sequence less the FIN;
 * once out of repair mode, after the bytes never sent, shutdown() queues
 * the FIN at the sequence number it had and the kernel sends it, again or
 * for the first time, as it would have (send_fin()); CLOSING then gets the
 * peer's FIN, back in repair mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/netlock.h"
#include "../common/sock_diag.h"
#include "../restore/internal.h"
#include "kind.h"
#include "net_ns.h"
#include "socket.h"

extern const struct kind kind_tcp;

static bool v4_mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/*
 * The connection of an established inet TCP socket, or of one whose
 * connect() is under way; an IPv6 socket talking
 * to an IPv4-mapped peer gives an AF_INET connection (its segments are
 * IPv4). Returns false for any other socket.
 */
static bool conn_of(const struct socket_record *s, struct netlock_conn *ret)
{
	bool connected = s->state == SOCKET_CONNECTED && s->have_tcp;

	if (s->protocol != IPPROTO_TCP || !(connected || s->state == SOCKET_CONNECTING) ||
	    (s->family != AF_INET && s->family != AF_INET6))
		return false;
	memset(ret, 0, sizeof(*ret));
	ret->family = s->family;
	ret->local_port = s->local_port;
	ret->peer_port = s->peer_port;
	if (s->family == AF_INET6 && v4_mapped(s->local_addr) && v4_mapped(s->peer_addr)) {
		ret->family = AF_INET;
		memcpy(ret->local, s->local_addr + 12, 4);
		memcpy(ret->peer, s->peer_addr + 12, 4);
		return true;
	}
	memcpy(ret->local, s->local_addr, 16);
	memcpy(ret->peer, s->peer_addr, 16);
	return true;
}

const char *tcp_state_invalid(const struct socket_tcp *t)
{
	switch (t->state) {
	case 0:
		return t->fin ? "an established connection with a FIN" : NULL;
	case TCP_CLOSE_WAIT:
		return t->fin != TCP_FIN_RECEIVED ? "a connection in CLOSE_WAIT without the "
						    "peer's FIN alone" : NULL;
	case TCP_FIN_WAIT2:
		if (t->fin != (TCP_FIN_SENT | TCP_FIN_ACKED))
			return "a connection in FIN_WAIT2 without its own FIN acknowledged";
		return t->send_len ? "a connection in FIN_WAIT2 with bytes not acknowledged"
				   : NULL;
	case TCP_FIN_WAIT1:
		return t->fin != TCP_FIN_SENT ? "a connection in FIN_WAIT1 without its own FIN "
						"alone, not acknowledged" : NULL;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return t->fin != (TCP_FIN_SENT | TCP_FIN_RECEIVED) ?
			       "a connection in CLOSING or LAST_ACK without both FINs, its own "
			       "not acknowledged" : NULL;
	default:
		return "a TCP state not known (tcp-state)";
	}
}

/* ---- checkpoint ---- */

/* A socket in repair mode: ferry's copy, and its SO_REUSEADDR before, which
 * leaving repair mode clears (TCP_REPAIR_OFF sets SK_NO_REUSE). */
struct repaired {
	int fd;
	int reuse;
};

/* Sockets in repair mode and connections locked, until the end. */
struct tcp_dump {
	struct repaired *repaired;
	size_t nrepaired;
	struct netlock_conn *locked;
	size_t nlocked;
};

static struct tcp_dump *dump_state(struct ckpt *c)
{
	return ckpt_kind_state(c, &kind_tcp, sizeof(struct tcp_dump));
}

/* Keep ferry's copy of a socket put in repair mode, until the end. */
static int hold_repaired(struct ckpt *c, int sfd, int reuse)
{
	struct tcp_dump *td = dump_state(c);
	struct repaired *slot;

	if (!td)
		return -ENOMEM;
	slot = ST_PUSH(td->repaired, td->nrepaired);
	if (!slot)
		return -ENOMEM;
	slot->fd = sfd;
	slot->reuse = reuse;
	return 0;
}

/*
 * Lock the established connection @s (common/netlock.h) if the processes
 * are to go away, until the end of the checkpoint. Returns 0 or -errno.
 */
static int lock_connection(struct ckpt *c, const struct socket_record *s)
{
	struct tcp_dump *td = dump_state(c);
	struct netlock_conn conn, *slot;
	int r;

	/* running on, the socket keeps what arrives: nothing to lock */
	if (!c->opts->kill && !c->opts->commit)
		return 0;

	if (!conn_of(s, &conn))
		return 0;
	if (!td)
		return -ENOMEM;
	slot = ST_PUSH(td->locked, td->nlocked);
	if (!slot)
		return -ENOMEM;
	/* told before the lock is taken: a ferry killed now leaves no rule */
	r = guardian_watch_netlock(&c->guardian, &conn);
	if (r == 0)
		r = netlock_take(&conn, 1);
	if (r < 0) {
		td->nlocked--;
		return r;
	}
	*slot = conn;
	/*
	 * In a network namespace of the processes' own (kinds/net_ns.c),
	 * where ferry's thread is now, the rule is made there: it holds while
	 * the queues are read and goes with the namespace once they are
	 * killed; the restore makes a namespace of its own, and its own lock
	 * there. The image has no lock to release.
	 */
	if (!net_ns_dump_private(c))
		c->img.network_lock = true;
	return 0;
}

/*
 * End of a checkpoint: when the processes go away (@keep_repair: killed or
 * the kernel replaced) connections stay in repair mode, so their peers see
 * neither FIN nor RST when they close, and their network lock is kept (the
 * image records it); otherwise repair mode is left again, then the lock is
 * released, and the processes run on as they were.
 */
static void tcp_dump_end(struct ckpt *c, bool keep_repair)
{
	struct tcp_dump *ds = ckpt_kind_state(c, &kind_tcp, 0);

	if (!ds)
		return;
	for (size_t i = 0; i < ds->nrepaired; i++) {
		const struct repaired *rp = &ds->repaired[i];
		int off = TCP_REPAIR_OFF;

		if (keep_repair)
			;
		else if (setsockopt(rp->fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0)
			log_warning("a TCP connection could not leave repair mode: %s",
				  strerror(errno));
		else if (setsockopt(rp->fd, SOL_SOCKET, SO_REUSEADDR, &rp->reuse,
				    sizeof(rp->reuse)) < 0)
			log_warning("a TCP connection could not get its SO_REUSEADDR back: %s",
				  strerror(errno));
		close(rp->fd);
	}
	if (ds->nrepaired)
		log_debug("%zu TCP connection%s %s repair mode", ds->nrepaired,
			   ds->nrepaired == 1 ? "" : "s", keep_repair ? "kept in" : "out of");
	/* after repair mode: what the peers send now reaches a working socket */
	if (!keep_repair && netlock_release(ds->locked, ds->nlocked) < 0)
		log_warning("the network lock of the connections could not be released; "
			  "'ferry netlock' lists its rules, 'ferry netlock --release' "
			  "removes them");
	else if (ds->nlocked)
		log_debug("network lock of %zu connection%s %s", ds->nlocked,
			   ds->nlocked == 1 ? "" : "s", keep_repair ? "kept" : "released");
	free(ds->locked);
	free(ds->repaired);
	ds->locked = NULL;
	ds->repaired = NULL;
	ds->nlocked = ds->nrepaired = 0;
}

/* TCP_* states of tcpi_state, by name, with why they cannot be carried. */
static const char *state_refusal(int state)
{
	switch (state) {
	case TCP_SYN_RECV:
		return "a connection being accepted (SYN_RECV) is not supported";
	case TCP_TIME_WAIT:
		return "a connection in TIME_WAIT is not supported";
	default:
		return "this TCP state is not supported";
	}
}

static int sopt(struct sock_ctx *x, int name, int val, const char *what)
{
	if (setsockopt(x->sfd, IPPROTO_TCP, name, &val, sizeof(val)) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: %s", x->pid, x->fd, x->link, what);
	return 0;
}

static int gopt(struct sock_ctx *x, int name, void *val, socklen_t size, const char *what)
{
	socklen_t len = size;

	if (getsockopt(x->sfd, IPPROTO_TCP, name, val, &len) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: cannot read %s", x->pid, x->fd, x->link,
				what);
	return 0;
}

/* Exactly @len bytes of the queue selected with TCP_REPAIR_QUEUE. */
static int peek_queue(struct sock_ctx *x, int queue, uint8_t **ret, size_t len)
{
	uint8_t *buf;
	ssize_t n;
	int r = sopt(x, TCP_REPAIR_QUEUE, queue, "cannot select a queue");

	*ret = NULL;
	if (r < 0 || !len)
		return r;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	n = recv(x->sfd, buf, len, MSG_PEEK | MSG_DONTWAIT);
	if (n != (ssize_t)len) {
		r = n < 0 ? -errno : -EIO;
		free(buf);
		return log_error_errno(r, "pid %d fd %d: %s: read %zd of the %zu bytes of its %s queue",
				x->pid, x->fd, x->link, n, len,
				queue == TCP_SEND_QUEUE ? "send" : "receive");
	}
	*ret = buf;
	return 0;
}

static int dump_established(struct sock_ctx *x, const struct tcp_info *ti)
{
	struct socket_tcp *t = &x->s->tcp;
	struct tcp_repair_window w;
	int inq = 0, outq = 0, unsent = 0, reuse = 0, keep, r;
	socklen_t len = sizeof(reuse);

	x->s->state = SOCKET_CONNECTED;
	x->s->have_tcp = true;
	if (getsockopt(x->sfd, SOL_SOCKET, SO_REUSEADDR, &reuse, &len) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: cannot read its SO_REUSEADDR",
				       x->pid, x->fd, x->link);
	/* from here on, what the peer sends is dropped, not acknowledged and lost */
	r = lock_connection(x->c, x->s);
	if (r < 0)
		return r;
	/* told before repair mode: a ferry killed now leaves none */
	r = guardian_watch_socket(&x->c->guardian, x->sfd);
	if (r == 0)
		r = sopt(x, TCP_REPAIR, TCP_REPAIR_ON, "cannot put the connection in repair mode");
	if (r < 0)
		return r;
	keep = dup(x->sfd);
	if (keep < 0 || hold_repaired(x->c, keep, reuse) < 0) {
		int off = TCP_REPAIR_OFF;

		setsockopt(x->sfd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
		setsockopt(x->sfd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
		if (keep >= 0)
			close(keep);
		return -ENOMEM;
	}
	if (ioctl(x->sfd, SIOCINQ, &inq) < 0 || ioctl(x->sfd, SIOCOUTQ, &outq) < 0 ||
	    ioctl(x->sfd, SIOCOUTQNSD, &unsent) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: cannot read its queue lengths", x->pid,
				x->fd, x->link);
	r = sopt(x, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "cannot select a queue");
	if (r == 0)
		r = gopt(x, TCP_QUEUE_SEQ, &t->recv_seq, sizeof(t->recv_seq), "its receive sequence");
	if (r == 0)
		r = sopt(x, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "cannot select a queue");
	if (r == 0)
		r = gopt(x, TCP_QUEUE_SEQ, &t->send_seq, sizeof(t->send_seq), "its send sequence");
	/*
	 * TCP_QUEUE_SEQ counts the FINs, SIOCINQ the peer's not; SIOCOUTQ
	 * (up to our last sequence number from the first one not
	 * acknowledged) counts ours until it is acknowledged, and SIOCOUTQNSD
	 * (from the next one to send) until it is sent: the queue's bytes
	 * are those less our FIN.
	 */
	t->state = ti->tcpi_state == TCP_ESTABLISHED ? 0 : ti->tcpi_state;
	switch (ti->tcpi_state) {
	case TCP_CLOSE_WAIT:
		t->fin = TCP_FIN_RECEIVED;
		break;
	case TCP_FIN_WAIT2:
		t->fin = TCP_FIN_SENT | TCP_FIN_ACKED;
		break;
	case TCP_FIN_WAIT1:
		t->fin = TCP_FIN_SENT;
		break;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		t->fin = TCP_FIN_SENT | TCP_FIN_RECEIVED;
		break;
	default:
		t->fin = 0;
	}
	if (r == 0 && tcp_fin_unacked(t)) {
		if (outq < 1)
			r = log_error_errno(-EIO, "pid %d fd %d: %s: its FIN is not acknowledged, yet "
					    "its send queue is empty", x->pid, x->fd, x->link);
		else
			outq--;
		if (unsent > 0)
			unsent--; /* the FIN is not sent yet: behind the bytes never sent */
	}
	if (r == 0)
		r = peek_queue(x, TCP_SEND_QUEUE, &t->send_queue, outq);
	t->send_len = outq;
	t->send_unsent = unsent;
	if (r == 0 && tcp_state_invalid(t))
		r = log_error_errno(-EIO, "pid %d fd %d: %s: %s (%d bytes queued to send)", x->pid,
				    x->fd, x->link, tcp_state_invalid(t), outq);
	if (r == 0)
		r = peek_queue(x, TCP_RECV_QUEUE, &x->s->recv_queue, inq);
	x->s->recv_len = inq;
	if (r == 0)
		r = sopt(x, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, "cannot deselect the queue");
	if (r == 0)
		r = gopt(x, TCP_REPAIR_WINDOW, &w, sizeof(w), "its window");
	if (r == 0)
		r = gopt(x, TCP_MAXSEG, &t->mss, sizeof(t->mss), "its MSS");
	if (r == 0 && gopt(x, TCP_TIMESTAMP, &t->timestamp, sizeof(t->timestamp),
			   "its timestamp") < 0)
		r = -EIO;
	if (r < 0)
		return r;
	t->window[0] = w.snd_wl1;
	t->window[1] = w.snd_wnd;
	t->window[2] = w.max_window;
	t->window[3] = w.rcv_wnd;
	t->window[4] = w.rcv_wup;
	t->options = ti->tcpi_options;
	t->snd_wscale = ti->tcpi_snd_wscale;
	t->rcv_wscale = ti->tcpi_rcv_wscale;
	log_debug("pid %d fd %d: TCP state %u, seq %u/%u, %d+%d bytes queued (%d never sent), "
		  "FINs %#x", x->pid, x->fd, ti->tcpi_state, t->send_seq, t->recv_seq, outq, inq,
		  unsent, t->fin);
	return 0;
}

/* The socket's TCP_INFO, what it does not fill zero. */
static int tcp_info_of(struct sock_ctx *x, struct tcp_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	return gopt(x, TCP_INFO, ti, sizeof(*ti), "TCP_INFO");
}

/*
 * SYN_SENT: connect() is under way, nothing but the SYN was sent (a byte
 * queued to go with it, TCP fast open, is refused). Recorded are its
 * addresses; the restore connects it again. Locked first when the
 * processes go away, so that no SYN-ACK completes it meanwhile: closed in
 * SYN_SENT it sends its peer nothing.
 */
static int dump_connecting(struct sock_ctx *x)
{
	struct tcp_info ti;
	int outq = 0, r;

	if (ioctl(x->sfd, SIOCOUTQ, &outq) == 0 && outq > 0)
		return sock_unsupported(x, "a connection being opened (SYN_SENT) with %d bytes "
					"queued to go with its handshake (TCP fast open) is not "
					"supported", outq);
	r = dump_inet_connecting_peer(x);
	if (r < 0)
		return r;
	x->s->state = SOCKET_CONNECTING;
	r = lock_connection(x->c, x->s);
	if (r < 0)
		return r;
	/* the handshake may have ended before the lock */
	r = tcp_info_of(x, &ti);
	if (r < 0)
		return r;
	if (ti.tcpi_state != TCP_SYN_SENT)
		return sock_unsupported(x, "its connection was opened while it was checkpointed "
					"(SYN_SENT, then state %u): checkpoint it again",
					ti.tcpi_state);
	return 0;
}

static int tcp_dump_socket(struct sock_ctx *x)
{
	struct tcp_info ti;
	int r;

	r = dump_inet_addresses(x);
	if (r < 0)
		return r;
	r = tcp_info_of(x, &ti);
	if (r < 0)
		return r;
	switch (ti.tcpi_state) {
	case TCP_LISTEN:
		/* for a listener tcpi_unacked is the accept queue, tcpi_sacked its bound */
		if (ti.tcpi_unacked)
			return sock_unsupported(x, "a listening socket with %u connection%s not "
						"accepted yet is not supported (they have no "
						"descriptor to carry them)", ti.tcpi_unacked,
						ti.tcpi_unacked == 1 ? "" : "s");
		x->s->state = SOCKET_LISTENING;
		x->s->backlog = ti.tcpi_sacked;
		return 0;
	case TCP_CLOSE:
		x->s->state = SOCKET_CLOSED;
		return 0;
	case TCP_SYN_SENT:
		return dump_connecting(x);
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return dump_established(x, &ti);
	default:
		return sock_unsupported(x, "%s", state_refusal(ti.tcpi_state));
	}
}

/* The recorded value of an int option of @s, or 0. */
static int recorded_opt(const struct socket_record *s, uint32_t level, uint32_t name)
{
	for (size_t k = 0; k < s->nopts; k++)
		if (s->opts[k].level == level && s->opts[k].name == name)
			return (int)s->opts[k].value;
	return 0;
}

static bool tcp_owns(const struct st_image *img, const struct st_file *f);

/* The TCP socket that descriptor @k of @proc is open on, or NULL. */
static const struct socket_record *tcp_of_fd(struct st_image *img,
					     const struct st_process *proc, size_t k)
{
	const struct st_file *f = st_find_file(img, proc->fds[k].file_id);

	return f && tcp_owns(img, f) ? socket_of_file(img, f) : NULL;
}

/* ---- before the kill: the ports a restore here listens on again ---- */

/* An address of either family as IPv6, IPv4 ones mapped. */
static void as_v6(int family, const uint8_t *addr, uint8_t ret[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET6) {
		memcpy(ret, addr, 16);
		return;
	}
	memcpy(ret, prefix, 12);
	memcpy(ret + 12, addr, 4);
}

static bool is_any(const uint8_t *a, size_t len)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, len) == 0;
}

/*
 * Do sockets bound to @a and @b share an address, as bind() sees it
 * (inet_rcv_saddr_equal() with wildcards): the same one, or [::] and any
 * IPv6 address or (without IPV6_V6ONLY) any IPv4 one, or 0.0.0.0 and any
 * IPv4 one.
 */
static bool addrs_meet(int fa, const uint8_t *a, bool a_v6only, int fb, const uint8_t *b,
		       bool b_v6only)
{
	uint8_t x[16], y[16];

	as_v6(fa, a, x);
	as_v6(fb, b, y);
	if (memcmp(x, y, 16) == 0)
		return true;
	if (fa == AF_INET6 && is_any(x, 16))
		return !v4_mapped(y) || !a_v6only;
	if (fb == AF_INET6 && is_any(y, 16))
		return !v4_mapped(x) || !b_v6only;
	return v4_mapped(x) && v4_mapped(y) && (is_any(x + 12, 4) || is_any(y + 12, 4));
}

struct port_check {
	struct ckpt *c;
	const struct socket_record *all;
	size_t n;
	const struct socket_record *l; /* the listener */
	pid_t pid;
	int fd;
};

static bool in_image(const struct port_check *pc, uint64_t ino)
{
	for (size_t i = 0; i < pc->n; i++)
		if (pc->all[i].ino == ino)
			return true;
	return false;
}

/*
 * A socket outside the checkpoint on the port of the listener @pc->l: once
 * the processes are killed it stays, and a restore here binds the listener
 * with SO_REUSEADDR and listens (tcp_restore). What the kernel lets pass
 * (inet_bind_conflict()): another listener of its SO_REUSEPORT group and of
 * the user the restore makes its sockets with (ferry's); a socket not
 * listening with SO_REUSEADDR, or of the group (and of that user, or in
 * TIME_WAIT). inet_diag does not show a socket's SO_REUSEADDR and
 * SO_REUSEPORT: one not listening on the listener's own port was accepted
 * from it and has the listener's; another listener there has SO_REUSEPORT
 * (or the two could not both listen).
 */
static int outsider_on_port(const struct sock_diag_inet *si, void *arg)
{
	struct port_check *pc = arg;
	const struct socket_record *l = pc->l;
	bool reuse = recorded_opt(l, SOL_SOCKET, SO_REUSEADDR) != 0;
	bool group = recorded_opt(l, SOL_SOCKET, SO_REUSEPORT) != 0;
	bool same_user = si->uid == geteuid();
	const char *what;

	if (si->local_port != l->local_port || (si->ino && in_image(pc, si->ino)) ||
	    !addrs_meet(l->family, l->local_addr, recorded_opt(l, IPPROTO_IPV6, IPV6_V6ONLY) != 0,
			si->family, si->local_addr, si->v6only))
		return 0;
	if (si->ifindex && l->bind_device && if_nametoindex(l->bind_device) != si->ifindex)
		return 0;
	if (si->state == TCP_LISTEN) {
		if (group && same_user)
			return 0;
		what = group ? "a listener of another user (the restore makes its sockets with "
			       "ferry's)" : "a listener";
	} else if (si->state == TCP_TIME_WAIT) {
		if (reuse || group)
			return 0;
		what = "a connection closed lately, in TIME_WAIT (up to a minute)";
	} else {
		if (reuse || (group && same_user))
			return 0;
		what = "a socket of a process outside the checkpoint (a connection accepted "
		       "from it?)";
	}
	ckpt_unsupported(pc->c, "pid %d fd %d: its listening socket on port %u shares the port with "
			 "%s: after the kill a restore here would fail to listen again "
			 "(EADDRINUSE); checkpoint that process too, give the listener "
			 "SO_REUSEADDR, or checkpoint without --kill", pc->pid, pc->fd,
			 l->local_port, what);
	return 1;
}

static bool other_end_in_image(const struct st_image *img, const struct socket_record *s,
			       struct netlock_conn *ret);

/*
 * In a network namespace of the selection's own, the peer of each
 * connection must be in the checkpoint too, as the restore makes the
 * namespace anew: over lo, a peer outside the checkpoint would not be
 * there; through the namespace's veth (kinds/net_ns.c), a peer in ferry's
 * namespace is not carried yet (its lock would be taken in the namespace
 * for the inside end, and the connection would have to survive the pair's
 * re-creation).
 */
static void peers_in_image(struct ckpt *c)
{
	for (size_t p = 0; p < c->img.nprocs; p++) {
		const struct st_process *proc = &c->img.procs[p];

		for (size_t k = 0; k < proc->nfds; k++) {
			const struct socket_record *s = tcp_of_fd(&c->img, proc, k);
			struct netlock_conn mine, other;
			char name[NETLOCK_CONN_NAME_SIZE];

			if (!s || !conn_of(s, &mine) || other_end_in_image(&c->img, s, &other))
				continue;
			ckpt_unsupported(c, "pid %d fd %d: socket:[%llu]: its TCP connection %s, in "
					 "the processes' own network namespace, has its other end in "
					 "no process of the checkpoint, and the restore makes the "
					 "namespace anew: checkpoint that process too (--tree); one "
					 "through its veth to a peer outside it is not carried yet",
					 proc->pid, proc->fds[k].num, (unsigned long long)s->ino,
					 netlock_conn_name(&mine, name, sizeof(name)));
		}
	}
}

/* Before --kill: what a restore here would meet on the ports it listens
 * on (not in a namespace of the processes' own: the restore makes a new
 * one, where nothing else is). */
static int tcp_dump_check(struct ckpt *c)
{
	struct port_check pc = { .c = c };

	if (net_ns_dump_private(c)) {
		peers_in_image(c);
		return 0;
	}
	if (!c->opts->kill)
		return 0;
	pc.all = socket_records(&c->img, &pc.n);
	for (size_t p = 0; p < c->img.nprocs; p++) {
		const struct st_process *proc = &c->img.procs[p];

		for (size_t k = 0; k < proc->nfds; k++) {
			const struct socket_record *s = tcp_of_fd(&c->img, proc, k);
			int r = 0;

			if (!s || s->state != SOCKET_LISTENING)
				continue;
			pc.l = s;
			pc.pid = proc->pid;
			pc.fd = proc->fds[k].num;
			r = sock_diag_inet_each(AF_INET, IPPROTO_TCP, outsider_on_port, &pc);
			if (r == 0)
				r = sock_diag_inet_each(AF_INET6, IPPROTO_TCP, outsider_on_port, &pc);
			if (r < 0)
				return log_error_errno(r, "cannot list the TCP sockets (sock_diag)");
		}
	}
	return 0;
}

static bool tcp_match(const struct fd_probe *fd)
{
	return (fd->sock_family == AF_INET || fd->sock_family == AF_INET6) &&
	       fd->sock_type == SOCK_STREAM && fd->sock_protocol == IPPROTO_TCP;
}

static int tcp_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	return socket_dump(c, fd, f, tcp_dump_socket);
}

int tcp_image_conns(const struct st_image *img, struct netlock_conn **ret, size_t *ret_n)
{
	/* a namespace of the processes' own: its lock is net_ns.c's, inside it */
	if (net_ns_image_private(img)) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	return tcp_connections(img, ret, ret_n);
}

int tcp_connections(const struct st_image *img, struct netlock_conn **ret, size_t *ret_n)
{
	size_t n;
	const struct socket_record *s = socket_records(img, &n);
	struct netlock_conn c;

	*ret = NULL;
	*ret_n = 0;
	for (size_t i = 0; i < n; i++) {
		struct netlock_conn *slot;

		if (!conn_of(&s[i], &c))
			continue;
		slot = ST_PUSH(*ret, *ret_n);
		if (!slot) {
			free(*ret);
			*ret = NULL;
			*ret_n = 0;
			return -ENOMEM;
		}
		*slot = c;
	}
	return 0;
}

/* ---- restore ---- */

static bool tcp_owns(const struct st_image *img, const struct st_file *f)
{
	const struct socket_record *s = socket_of_file(img, f);

	return s && s->family != AF_UNIX && s->protocol == IPPROTO_TCP;
}

/* The TCP socket of file @i of the image, when the restorer holds it open
 * (as r->files_fd[i]), or NULL. */
static const struct socket_record *tcp_restored(const struct rst *r, size_t i)
{
	const struct st_file *f = &r->img.files[i];

	return r->files_fd[i] >= 0 && tcp_owns(&r->img, f) ? socket_of_file(&r->img, f) : NULL;
}

static int tcp_set(int fd, const struct socket_record *s, int name, const void *v, socklen_t len,
		   const char *what)
{
	if (setsockopt(fd, IPPROTO_TCP, name, v, len) < 0)
		return log_error_errno(-errno, "socket %u: %s", s->id, what);
	return 0;
}

static int tcp_set_int(int fd, const struct socket_record *s, int name, int v, const char *what)
{
	return tcp_set(fd, s, name, &v, sizeof(v), what);
}

/* Grow a buffer when the kernel's accounting of a refilled queue needs more. */
static void grow_buffer(int fd, int opt_get, int opt_force)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt_get, &v, &len) == 0) {
		v = v > 0 ? v : 65536; /* read back doubled: this doubles it */
		setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v));
	}
}

/* All of @data into the queue selected (repair mode) or the send queue. */
static int fill(int fd, const struct socket_record *s, const uint8_t *data, size_t len, bool recvq,
		const char *what)
{
	size_t done = 0;
	int tries = 0;

	while (done < len) {
		ssize_t n = send(fd, data + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && (errno == ENOMEM || errno == EAGAIN) && tries++ < 8) {
			grow_buffer(fd, recvq ? SO_RCVBUF : SO_SNDBUF,
				    recvq ? SO_RCVBUFFORCE : SO_SNDBUFFORCE);
			continue;
		}
		return log_error_errno(n < 0 ? -errno : -EIO, "socket %u: %s: put back %zu of %zu bytes",
				s->id, what, done, len);
	}
	return 0;
}

static int repair_options(int fd, const struct socket_record *s)
{
	const struct socket_tcp *t = &s->tcp;
	struct tcp_repair_opt o[4];
	int n = 0;

	o[n].opt_code = TCPOPT_MAXSEG;
	o[n++].opt_val = t->mss;
	if (t->options & TCPI_OPT_WSCALE) {
		o[n].opt_code = TCPOPT_WINDOW;
		o[n++].opt_val = t->snd_wscale | (t->rcv_wscale << 16);
	}
	if (t->options & TCPI_OPT_SACK) {
		o[n].opt_code = TCPOPT_SACK_PERMITTED;
		o[n++].opt_val = 0;
	}
	if (t->options & TCPI_OPT_TIMESTAMPS) {
		o[n].opt_code = TCPOPT_TIMESTAMP;
		o[n++].opt_val = 0;
	}
	return tcp_set(fd, s, TCP_REPAIR_OPTIONS, o, n * sizeof(o[0]),
		       "cannot set the options negotiated (TCP_REPAIR_OPTIONS)");
}

/* The lock's connection of the other end of @s when that end is a
 * connection of the image too (both ends of a loopback connection). */
static bool other_end_in_image(const struct st_image *img, const struct socket_record *s,
			       struct netlock_conn *ret)
{
	struct netlock_conn mine, c;
	size_t n;
	const struct socket_record *all = socket_records(img, &n);

	if (!conn_of(s, &mine))
		return false;
	for (size_t i = 0; i < n; i++)
		if (&all[i] != s && conn_of(&all[i], &c) && c.family == mine.family &&
		    c.local_port == mine.peer_port && c.peer_port == mine.local_port &&
		    memcmp(c.local, mine.peer, sizeof(c.local)) == 0 &&
		    memcmp(c.peer, mine.local, sizeof(c.peer)) == 0) {
			*ret = c;
			return true;
		}
	return false;
}

/*
 * connect() in repair mode sends nothing, but looks up the route from the
 * local address and port to the peer's. When the other end is in the image
 * too (a loopback connection), the lock's rule of that end matches this
 * very lookup and connect() meets its blackhole (EINVAL). While this end is
 * in repair mode nothing else sends on its 4-tuple, so that rule is lifted
 * for the connect() alone; put back, it drops again what this end sends
 * once out of repair mode, until the lock is released and the other end
 * exists.
 */
static int repair_connect(struct rst *r, int fd, const struct socket_record *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sock_inet_addr(s, true, &ss);
	struct netlock_conn other;
	int lifted = other_end_in_image(&r->img, s, &other) ? netlock_lift(&other) : 0;
	int e = connect(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;

	if (lifted > 0 && netlock_take_again(&other) < 0)
		log_warning("socket %u: the network lock of its other end could not be taken "
			    "again", s->id);
	if (e < 0)
		return log_error_errno(e, "socket %u: cannot connect it again in repair mode (port "
				       "%u to port %u)", s->id, s->local_port, s->peer_port);
	return 0;
}

static const char *tcp_state_name(unsigned state)
{
	switch (state) {
	case TCP_ESTABLISHED:
		return "ESTABLISHED";
	case TCP_CLOSE_WAIT:
		return "CLOSE_WAIT";
	case TCP_FIN_WAIT1:
		return "FIN_WAIT1";
	case TCP_FIN_WAIT2:
		return "FIN_WAIT2";
	case TCP_CLOSING:
		return "CLOSING";
	case TCP_LAST_ACK:
		return "LAST_ACK";
	default:
		return "another state";
	}
}

/*
 * The state a connection is rebuilt in while in repair mode: its own, less
 * our FIN not acknowledged yet (FIN_WAIT1, LAST_ACK), which is queued again
 * once it leaves repair mode (send_fin()); CLOSING, whose peer's FIN came
 * after ours, gets that one after it too.
 */
static unsigned repair_state(const struct socket_tcp *t)
{
	switch (t->state) {
	case TCP_FIN_WAIT1:
	case TCP_CLOSING:
		return 0;
	case TCP_LAST_ACK:
		return TCP_CLOSE_WAIT;
	default:
		return t->state;
	}
}

/*
 * A connection rebuilt established (an acknowledged FIN of ours queued as
 * sent where it was; one not acknowledged queued again) gets from its peer
 * what half-closed it, to be in @want: the peer's FIN (CLOSE_WAIT, CLOSING),
 * or the acknowledgement of ours (FIN_WAIT2; tcp_segment.c). The reply it
 * may send is dropped by the lock where the other end is in the image, and
 * repeats what that peer had already had otherwise. Then it must be in
 * @want.
 */
static int half_close(int fd, const struct socket_record *s, unsigned want)
{
	const struct socket_tcp *t = &s->tcp;
	struct netlock_conn c;
	uint32_t win = t->window[1] >> (t->options & TCPI_OPT_WSCALE ? t->snd_wscale : 0);
	/* what the peer had acknowledged: snd_una, before any unsent byte and
	 * before our FIN when it had not acknowledged that */
	uint32_t una = t->send_seq - (uint32_t)t->send_len - (tcp_fin_unacked(t) ? 1 : 0);
	struct tcp_info ti;
	int e = 0;

	if (!conn_of(s, &c))
		return log_error_errno(-EINVAL, "socket %u: not a connection", s->id);
	win = win > 65535 ? 65535 : win;
	if (want == TCP_CLOSE_WAIT || want == TCP_CLOSING)
		e = tcp_inject_segment(&c, t->recv_seq - 1, una, win, true);
	else if (want == TCP_FIN_WAIT2)
		e = tcp_inject_segment(&c, t->recv_seq, t->send_seq, win, false);
	if (e < 0)
		return e;
	/* received on loopback, most often before sendto() returned */
	for (int i = 0; i < 200; i++) {
		socklen_t len = sizeof(ti);

		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
			return log_error_errno(-errno, "socket %u: cannot read TCP_INFO", s->id);
		if (ti.tcpi_state == want)
			return 0;
		usleep(5000);
	}
	return log_error_errno(-EIO, "socket %u: the segment of its peer that half-closed it was "
			       "not taken: it is in %s, not %s (is its local address configured?)",
			       s->id, tcp_state_name(ti.tcpi_state), tcp_state_name(want));
}

static int restore_established(struct rst *r, int fd, const struct socket_record *s)
{
	const struct socket_tcp *t = &s->tcp;
	size_t sent = t->send_len - t->send_unsent;
	struct tcp_repair_window w = {
		.snd_wl1 = t->window[0], .snd_wnd = t->window[1], .max_window = t->window[2],
		.rcv_wnd = t->window[3], .rcv_wup = t->window[4],
	};
	uint32_t fin_received = t->fin & TCP_FIN_RECEIVED ? 1 : 0;
	uint32_t fin_sent = t->fin & TCP_FIN_SENT ? 1 : 0;
	int e;

	/* before repair mode, whose forced address reuse SO_REUSEADDR would undo */
	sock_apply_options(fd, s, true);
	e = tcp_set_int(fd, s, TCP_REPAIR, TCP_REPAIR_ON, "cannot enter repair mode");
	if (e < 0)
		return e;
	sock_apply_buffers(fd, s);
	e = sock_inet_bind(fd, s);
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_QUEUE_SEQ, t->recv_seq - fin_received - (uint32_t)s->recv_len,
				"cannot set the receive sequence");
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_QUEUE_SEQ, t->send_seq - fin_sent - (uint32_t)t->send_len,
				"cannot set the send sequence");
	if (e < 0)
		return e;
	/* connect() sizes its segments from the MSS bound it finds then */
	if (t->mss) {
		int bound = t->mss < 32767 ? (int)t->mss : 32767; /* TCP_MAXSEG's limit */

		setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &bound, sizeof(bound));
	}
	e = repair_connect(r, fd, s);
	if (e == 0)
		e = repair_options(fd, s);
	if (e == 0 && t->mss)
		e = tcp_set_int(fd, s, TCP_MAXSEG, 0, "cannot clear the MSS bound");
	if (e == 0 && (t->options & TCPI_OPT_TIMESTAMPS))
		e = tcp_set_int(fd, s, TCP_TIMESTAMP, t->timestamp, "cannot set its timestamp");
	if (e == 0 && s->recv_len) {
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
		if (e == 0)
			e = fill(fd, s, s->recv_queue, s->recv_len, true, "receive queue");
	}
	if (e == 0 && sent) {
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
		if (e == 0)
			e = fill(fd, s, t->send_queue, sent, false, "send queue");
	}
	/* our FIN acknowledged, after the data: with the send queue selected it
	 * counts as sent (one not acknowledged comes in send_fin()) */
	if (e == 0 && (t->fin & TCP_FIN_ACKED)) {
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
		if (e == 0 && shutdown(fd, SHUT_WR) < 0)
			e = log_error_errno(-errno, "socket %u: cannot queue its FIN", s->id);
	}
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, "TCP_REPAIR_QUEUE");
	/*
	 * The peer's FIN is not counted yet, but the window may count it
	 * (rcv_wup, the last sequence number acknowledged): until the FIN is
	 * there, the window stops before it, then it is set as recorded.
	 */
	if (e == 0 && t->state) {
		struct tcp_repair_window before = w;
		uint32_t rcv_nxt = t->recv_seq - fin_received;

		if ((int32_t)(before.rcv_wup - rcv_nxt) > 0)
			before.rcv_wup = rcv_nxt;
		e = tcp_set(fd, s, TCP_REPAIR_WINDOW, &before, sizeof(before),
			    "cannot set the window (TCP_REPAIR_WINDOW)");
		if (e == 0 && repair_state(t))
			e = half_close(fd, s, repair_state(t));
	}
	/* CLOSING: once the peer's FIN is there (send_fin()) */
	if (e == 0 && t->state != TCP_CLOSING)
		e = tcp_set(fd, s, TCP_REPAIR_WINDOW, &w, sizeof(w),
			    "cannot set the window (TCP_REPAIR_WINDOW)");
	if (log_debug_enabled()) {
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);
		int err = 0;
		socklen_t el = sizeof(err);

		getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		log_debug("socket %u: state %u, error %d before leaving repair mode", s->id,
			   ti.tcpi_state, err);
	}
	/* it stays in repair mode until the processes are let go (tcp_let_go) */
	return e;
}

/*
 * The sockets of one port come back in whatever order the image has them.
 * The rules they meet (inet_bind_conflict() of net/ipv4/
 * inet_connection_sock.c): a socket bound in repair mode (SK_FORCE_REUSE)
 * meets none; a listener's bind() and listen() meet none from a socket not
 * listening when both have SO_REUSEADDR, nor from the listeners of its
 * SO_REUSEPORT group. So connections and bound closed sockets are bound in
 * repair mode, and every TCP socket of the image has SO_REUSEADDR from
 * when it is bound (or leaves repair mode, which clears it) until the last
 * file of the image is open; then each gets its own value back
 * (tcp_let_go). What is left could not have been: two listeners
 * of one address outside a SO_REUSEPORT group, two connections of one
 * 4-tuple.
 */
static int reusable_meanwhile(int fd, const struct socket_record *s)
{
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return log_error_errno(-errno, "socket %u: cannot set SO_REUSEADDR", s->id);
	return 0;
}

/* Bound in repair mode, which leaves it closed. */
static int restore_closed(int fd, const struct socket_record *s)
{
	int e;

	sock_apply_buffers(fd, s);
	/* before repair mode, whose forced address reuse SO_REUSEADDR would undo */
	sock_apply_options(fd, s, true);
	if (!s->bound)
		return 0;
	/* without CAP_NET_ADMIN (no repair mode) it is bound as any socket */
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &(int){ TCP_REPAIR_ON }, sizeof(int)) < 0)
		return errno == EPERM ? sock_inet_bind(fd, s)
				      : log_error_errno(-errno, "socket %u: cannot enter repair mode "
							"to bind it", s->id);
	e = sock_inet_bind(fd, s);
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR, TCP_REPAIR_OFF, "cannot leave repair mode");
	return e;
}

static int restore_listener(int fd, const struct socket_record *s)
{
	int e;

	sock_apply_buffers(fd, s);
	sock_apply_options(fd, s, true);
	e = reusable_meanwhile(fd, s);
	if (e == 0)
		e = sock_inet_bind(fd, s);
	if (e == 0 && listen(fd, s->backlog) < 0)
		e = log_error_errno(-errno, "socket %u: cannot listen on port %u", s->id, s->local_port);
	return e;
}

static int tcp_restore(struct rst *r, const struct socket_record *s)
{
	static const char *const states[] = {
		[SOCKET_CLOSED] = "closed", [SOCKET_LISTENING] = "listener",
		[SOCKET_CONNECTED] = "connection", [SOCKET_CONNECTING] = "connection being opened",
	};
	int fd, e = 0;

	log_debug("socket %u: TCP %s, port %u, peer port %u", s->id, states[s->state],
		  s->local_port, s->peer_port);
	fd = socket(s->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return log_error_errno(-errno, "socket %u: cannot create a TCP socket", s->id);
	if (s->state == SOCKET_CONNECTED && !s->have_tcp)
		e = log_error_errno(-EINVAL, "socket %u: a connection without its TCP state", s->id);
	else if (s->state == SOCKET_CONNECTED)
		e = restore_established(r, fd, s);
	else if (s->state == SOCKET_LISTENING)
		e = restore_listener(fd, s);
	else
		e = restore_closed(fd, s);
	if (e == 0) {
		sock_apply_options(fd, s, false);
		e = reusable_meanwhile(fd, s);
	}
	if (e < 0) {
		close(fd);
		return e;
	}
	return fd;
}

/*
 * Out of repair mode, its bytes never sent queued again: our FIN the peer
 * had not acknowledged is queued after them, where it was (the sequence
 * numbers were set without it), and the kernel sends it (again) itself,
 * as shutdown() did at first. CLOSING then gets the peer's FIN, which had
 * come after ours, back in repair mode, and its window as recorded.
 */
static int send_fin(int fd, const struct socket_record *s)
{
	const struct socket_tcp *t = &s->tcp;
	struct tcp_repair_window w = {
		.snd_wl1 = t->window[0], .snd_wnd = t->window[1], .max_window = t->window[2],
		.rcv_wnd = t->window[3], .rcv_wup = t->window[4],
	};
	int e;

	if (shutdown(fd, SHUT_WR) < 0)
		return log_error_errno(-errno, "socket %u: cannot send its FIN again", s->id);
	if (t->state != TCP_CLOSING)
		return 0;
	e = tcp_set_int(fd, s, TCP_REPAIR, TCP_REPAIR_ON, "cannot enter repair mode again");
	if (e == 0)
		e = half_close(fd, s, TCP_CLOSING);
	if (e == 0)
		e = tcp_set(fd, s, TCP_REPAIR_WINDOW, &w, sizeof(w),
			    "cannot set the window (TCP_REPAIR_WINDOW)");
	/* its window probe was sent when it left repair mode the first time */
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, "cannot leave repair mode");
	return e;
}

/*
 * A connect() that was under way begins again: bound where it was
 * (restore_closed()), the socket sends a SYN to the same peer, a new
 * handshake with a new initial sequence number (nothing else had been
 * sent). The thread that waited in connect() waits on (the call is
 * restarted, and waits for the handshake); a non-blocking one gets
 * EALREADY, then the outcome by poll() and SO_ERROR, as it would have.
 * The descriptor is shared with the process: its O_NONBLOCK is set for
 * the call and then put back.
 */
static int connect_again(int fd, const struct socket_record *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sock_inet_addr(s, true, &ss);
	int fl = fcntl(fd, F_GETFL), e = 0;

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return log_error_errno(-errno, "socket %u: cannot make it non-blocking to connect "
				       "it again", s->id);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		e = log_error_errno(-errno, "socket %u: cannot connect it again to port %u", s->id,
				    s->peer_port);
	if (fcntl(fd, F_SETFL, fl) < 0 && e == 0)
		e = log_error_errno(-errno, "socket %u: cannot put its status flags back", s->id);
	return e;
}

/*
 * The processes are complete, verified and about to run: each connection
 * leaves repair mode (until now a failed or killed restore closed it in
 * repair mode, sending its peer nothing, and its address pair was free
 * for the next attempt), then sends the bytes it had not sent yet and our
 * FIN the peer had not acknowledged (send_fin()); every
 * TCP socket of the image gets its own SO_REUSEADDR back (leaving repair
 * mode clears it).
 */
static int tcp_let_go(struct rst *r)
{
	for (size_t i = 0; i < r->img.nfiles; i++) {
		const struct socket_record *s = tcp_restored(r, i);
		int fd = r->files_fd[i], v, e = 0;

		if (!s)
			continue;
		if (s->state == SOCKET_CONNECTING) {
			e = connect_again(fd, s);
			if (e < 0)
				return e;
		}
		if (s->state == SOCKET_CONNECTED) {
			const struct socket_tcp *t = &s->tcp;

			e = tcp_set_int(fd, s, TCP_REPAIR, TCP_REPAIR_OFF, "cannot leave repair mode");
			if (e == 0 && t->send_unsent)
				e = fill(fd, s, t->send_queue + (t->send_len - t->send_unsent),
					 t->send_unsent, false, "unsent bytes");
			if (e == 0 && tcp_fin_unacked(t))
				e = send_fin(fd, s);
			if (e < 0)
				return e;
		}
		v = recorded_opt(s, SOL_SOCKET, SO_REUSEADDR);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)) < 0)
			return log_error_errno(-errno, "socket %u: cannot set SO_REUSEADDR back to %d",
					       s->id, v);
	}
	return 0;
}

/* A restore that failed after tcp_let_go(): its connections go back into
 * repair mode before the restorer closes them, which then sends the peers
 * nothing (a connection still in it is left so). */
static void tcp_restore_failed(struct rst *r)
{
	for (size_t i = 0; i < r->img.nfiles; i++) {
		const struct socket_record *s = tcp_restored(r, i);
		int on = TCP_REPAIR_ON;

		if (!s || s->state != SOCKET_CONNECTED)
			continue;
		if (setsockopt(r->files_fd[i], IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
			log_warning("socket %u: cannot put it back in repair mode to close it: %s",
				    s->id, strerror(errno));
	}
}

static int tcp_open(struct rst *r, const struct st_file *f)
{
	return socket_open(r, f, tcp_restore);
}

static const struct inv_claim tcp_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIMS_END,
};

const struct kind kind_tcp = {
	.name = "socket",
	.claims = tcp_claims,
	.match = tcp_match,
	.dump = tcp_dump,
	.dump_check = tcp_dump_check,
	.dump_end = tcp_dump_end,
	.file_size = sizeof(struct socket_file),
	.file_fields = socket_file_fields,
	.owns_record = tcp_owns,
	.open = tcp_open,
	.before_let_go = tcp_let_go,
	.restore_failed = tcp_restore_failed,
};
