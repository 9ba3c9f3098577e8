/* SPDX-License-Identifier: MIT */
/*
 * TCP: a listening socket (backlog; connections not yet accepted are
 * named), a closed one (maybe bound), or an established connection, read
 * in repair mode (TCP_REPAIR): sequence numbers of both queues, the bytes
 * of the send queue (unacknowledged and unsent) and of the receive queue
 * (peeked), the window, MSS and the options negotiated, the timestamp
 * clock. The connection is locked first when the processes are to go away,
 * and stays in repair mode until the checkpoint ends
 * (dump_sockets_release()). Every other state is named with the reason.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "dump_socket_kinds.h"

/* TCP_* states of tcpi_state, by name, with why they cannot be carried. */
static const char *state_refusal(int state)
{
	switch (state) {
	case TCP_SYN_SENT:
		return "a connection being opened (SYN_SENT): the handshake cannot be carried";
	case TCP_SYN_RECV:
		return "a connection being accepted (SYN_RECV) is not supported";
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return "a connection being closed (FIN sent: FIN_WAIT, CLOSING, LAST_ACK): "
		       "repair mode cannot give back a FIN already sent";
	case TCP_CLOSE_WAIT:
		return "a connection its peer has closed (CLOSE_WAIT): repair mode cannot "
		       "give back the FIN received";
	case TCP_TIME_WAIT:
		return "a connection in TIME_WAIT is not supported";
	default:
		return "this TCP state is not supported";
	}
}

static int sopt(struct sock_ctx *x, int name, int val, const char *what)
{
	if (setsockopt(x->sfd, IPPROTO_TCP, name, &val, sizeof(val)) < 0)
		return glue_err(-errno, "pid %d fd %d: %s: %s", x->pid, x->fd, x->link, what);
	return 0;
}

static int gopt(struct sock_ctx *x, int name, void *val, socklen_t size, const char *what)
{
	socklen_t len = size;

	if (getsockopt(x->sfd, IPPROTO_TCP, name, val, &len) < 0)
		return glue_err(-errno, "pid %d fd %d: %s: cannot read %s", x->pid, x->fd, x->link,
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
		return glue_err(r, "pid %d fd %d: %s: read %zd of the %zu bytes of its %s queue",
				x->pid, x->fd, x->link, n, len,
				queue == TCP_SEND_QUEUE ? "send" : "receive");
	}
	*ret = buf;
	return 0;
}

static int dump_established(struct sock_ctx *x, const struct tcp_info *ti)
{
	struct st_tcp *t = &x->s->tcp;
	struct tcp_repair_window w;
	int inq = 0, outq = 0, unsent = 0, keep, r;

	x->s->state = ST_SOCK_CONNECTED;
	x->s->have_tcp = true;
	/* from here on, what the peer sends is dropped, not acknowledged and lost */
	r = sock_lock(x->c, x->s);
	if (r < 0)
		return r;
	r = sopt(x, TCP_REPAIR, TCP_REPAIR_ON, "cannot put the connection in repair mode");
	if (r < 0)
		return r;
	keep = dup(x->sfd);
	if (keep < 0 || sock_hold_repaired(x->c, keep) < 0) {
		int off = TCP_REPAIR_OFF;

		setsockopt(x->sfd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
		if (keep >= 0)
			close(keep);
		return -ENOMEM;
	}
	if (ioctl(x->sfd, SIOCINQ, &inq) < 0 || ioctl(x->sfd, SIOCOUTQ, &outq) < 0 ||
	    ioctl(x->sfd, SIOCOUTQNSD, &unsent) < 0)
		return glue_err(-errno, "pid %d fd %d: %s: cannot read its queue lengths", x->pid,
				x->fd, x->link);
	r = sopt(x, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "cannot select a queue");
	if (r == 0)
		r = gopt(x, TCP_QUEUE_SEQ, &t->recv_seq, sizeof(t->recv_seq), "its receive sequence");
	if (r == 0)
		r = sopt(x, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "cannot select a queue");
	if (r == 0)
		r = gopt(x, TCP_QUEUE_SEQ, &t->send_seq, sizeof(t->send_seq), "its send sequence");
	if (r == 0)
		r = peek_queue(x, TCP_SEND_QUEUE, &t->send_queue, outq);
	t->send_len = outq;
	t->send_unsent = unsent;
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
	glue_debug("pid %d fd %d: TCP seq %u/%u, %d+%d bytes queued", x->pid, x->fd, t->send_seq,
		   t->recv_seq, outq, inq);
	return 0;
}

int dump_socket_tcp(struct sock_ctx *x)
{
	struct tcp_info ti;
	int r;

	memset(&ti, 0, sizeof(ti));
	r = gopt(x, TCP_INFO, &ti, sizeof(ti), "TCP_INFO");
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
		x->s->state = ST_SOCK_LISTENING;
		x->s->backlog = ti.tcpi_sacked;
		return 0;
	case TCP_CLOSE:
		x->s->state = ST_SOCK_CLOSED;
		return 0;
	case TCP_ESTABLISHED:
		return dump_established(x, &ti);
	default:
		return sock_unsupported(x, "%s", state_refusal(ti.tcpi_state));
	}
}
