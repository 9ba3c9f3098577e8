/* SPDX-License-Identifier: MIT */
/*
 * Descriptors in flight: the open files a Unix socket's receive queue
 * carries (SCM_RIGHTS), which no process holds until it reads them.
 *
 * Checkpoint. The queue is read by ferry itself, on its own copy of the
 * socket (pidfd_getfd) with MSG_PEEK (socket_dgram.c): the kernel installs
 * a copy of each descriptor in ferry and leaves the queue, and the
 * process, as they were. Reading them in the process (a borrowed thread)
 * would install them in its descriptor table, where they would have to be
 * closed again and could take a number the process is about to get.
 * Ferry keeps its copies until the checkpoint ends; once every descriptor
 * of a process is dumped, each copy is dumped as any open file is
 * (dump_file_held()): the kind that takes it makes its file record, or
 * names it as the record of a process's descriptor when both are one open
 * file description (kcmp). A socket's record lists, message by message,
 * where each one is in its queue and its file records.
 *
 * A stream keeps the bytes of each send in a buffer of their own when they
 * come with descriptors: a read takes the descriptors with the first of
 * those bytes and ends with the last. A peek that reaches such a buffer
 * ends with it too, and gives its descriptors; where in what it gave the
 * buffer begins is found by one more peek (buffer_start()).
 *
 * Restore. The files in flight are opened first (restore_file_fd()), and
 * each message is sent again, with them, from the socket that refills the
 * queue: a stream's bytes before a message as one send, the message as one
 * send of its own; a datagram with its descriptors. A stream's queue is
 * then peeked again: each message must be where it was, with as many
 * descriptors, or the restore fails.
 *
 * Refused by name: a descriptor in flight of a kind that needs a process to
 * hold it to be restored or checked (only files, pipes, memfds, FIFOs,
 * directories, devices, eventfds and Unix sockets are carried in flight),
 * a Unix socket in flight whose own queue carries descriptors (or a
 * socket that carries itself), a stream to journald in flight, more than
 * SOCKET_RIGHTS_MAX_QUEUE descriptors in one queue, a queue read with a
 * peek offset (SO_PEEK_OFF) set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "kind.h"
#include "socket.h"

extern const struct kind kind_unix, kind_regular, kind_memfd, kind_pipe, kind_fifo,
	kind_directory, kind_chardev, kind_eventfd;

/* ---- checkpoint ---- */

/* A copy of a descriptor in flight ferry holds, and where it goes. */
struct rights_held {
	int fd;             /* ferry's */
	uint32_t socket_id; /* the record whose queue carries it */
	size_t index;       /* into its rights_files */
	pid_t pid;          /* the socket, for messages */
	int sock_fd;
	uint64_t ino;
};

struct rights_ckpt {
	struct rights_held *held;
	size_t n;
	size_t dumped;   /* how many of held are files already */
	bool in_flight;  /* dumping a socket that is itself in flight */
	bool nested;     /* ... and its own queue carries descriptors */
};

static struct rights_ckpt *rights_state(struct ckpt *c)
{
	return ckpt_kind_state(c, &kind_unix, sizeof(struct rights_ckpt));
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

int unix_rights_keep(struct sock_ctx *x, uint32_t at, uint32_t len, const int *fds, size_t nfds)
{
	struct socket_record *s = x->s;
	struct rights_ckpt *rc = rights_state(x->c);
	struct socket_rights *m;

	if (!rc) {
		close_all(fds, nfds);
		return -ENOMEM;
	}
	if (rc->in_flight) {
		/* named by unix_rights_dump(), with the process that holds
		 * the socket whose queue carries this one */
		close_all(fds, nfds);
		rc->nested = true;
		return 0;
	}
	if (s->nrights_files + nfds > SOCKET_RIGHTS_MAX_QUEUE) {
		close_all(fds, nfds);
		return sock_unsupported(x, "its queue carries more than %u descriptors in flight "
					"(SCM_RIGHTS), more than can be carried",
					SOCKET_RIGHTS_MAX_QUEUE);
	}
	m = ST_PUSH(s->rights, s->nrights);
	if (!m) {
		close_all(fds, nfds);
		return -ENOMEM;
	}
	*m = (struct socket_rights){ .at = at, .len = len, .nfds = nfds };
	for (size_t i = 0; i < nfds; i++) {
		uint32_t *slot = ST_PUSH(s->rights_files, s->nrights_files);
		struct rights_held *h = slot ? ST_PUSH(rc->held, rc->n) : NULL;

		if (!h) {
			close_all(fds + i, nfds - i);
			return -ENOMEM;
		}
		*h = (struct rights_held){ .fd = fds[i], .socket_id = s->id,
					   .index = s->nrights_files - 1, .pid = x->pid,
					   .sock_fd = x->fd, .ino = x->ino };
	}
	return 0;
}

/*
 * Where the buffer of the kernel that holds byte @from + @m of a stream's
 * queue begins, counted from @from (0: @from is in it too). A peek can
 * tell where a message begins only this way: it gives the descriptors of
 * the next message that carries some even when it copies none of its
 * bytes. But it copies a buffer at a time and fails on the first buffer it
 * cannot copy whole: peeked into memory whose byte @m cannot be written,
 * it stops before the buffer that holds byte @from + @m (EFAULT when that
 * is the first).
 */
static int buffer_start(int sfd, size_t from, size_t m, size_t *ret)
{
	size_t page = sysconf(_SC_PAGESIZE), span = (m + page) / page * page;
	uint8_t *base = mmap(NULL, span + page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int off = (int)from, e = 0;
	ssize_t n;

	if (base == MAP_FAILED)
		return -errno;
	if (mprotect(base + span, page, PROT_NONE) < 0) {
		e = -errno;
	} else if (setsockopt(sfd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0) {
		e = -errno;
	} else {
		struct iovec iov = { base + span - m, m + 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		n = recvmsg(sfd, &msg, MSG_PEEK | MSG_DONTWAIT);
		if (n >= 0 && (size_t)n <= m)
			*ret = n;
		else if (n < 0 && errno == EFAULT)
			*ret = 0;
		else
			e = n < 0 ? -errno : -EIO;
	}
	munmap(base, span + page);
	return e;
}

int unix_rights_start(struct sock_ctx *x, size_t at, size_t n, size_t *ret)
{
	size_t before = 0;
	int r = buffer_start(x->sfd, at, n - 1, &before); /* its last byte is the message's */

	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: %s: cannot peek at its queue from byte %zu",
				       x->pid, x->fd, x->link, at);
	*ret = at + before;
	return 0;
}

/* What a descriptor in flight may be: a kind whose file the restorer
 * makes whole by itself, which no process need hold to settle or to check.
 * NULL, or why not. */
static const char *not_in_flight(const struct st_image *img, const struct st_file *f)
{
	static const struct kind *const carried[] = {
		&kind_regular, &kind_memfd, &kind_pipe, &kind_fifo, &kind_directory,
		&kind_chardev, &kind_eventfd, &kind_unix,
	};
	const struct socket_record *s;
	bool ok = false;

	for (size_t i = 0; f->kind && i < sizeof(carried) / sizeof(carried[0]); i++)
		ok |= f->kind == carried[i];
	if (f->kind == &kind_unix) {
		s = socket_of_file(img, f);
		ok = s && s->family == AF_UNIX;
		if (ok && s->nrights)
			return "a Unix socket whose own queue carries descriptors in flight";
		if (ok && s->have_journal)
			return "a stream to journald, which its process connects again";
	}
	if (!ok)
		return "of a kind that is restored or checked only in a process that holds it";
	if (f->flags & O_ASYNC)
		return "with signal-driven I/O (O_ASYNC), whose owner is a process's";
	return NULL;
}

int unix_rights_dump(struct ckpt *c)
{
	struct rights_ckpt *rc = ckpt_kind_state(c, &kind_unix, 0);
	int r = 0;

	if (!rc)
		return 0;
	rc->in_flight = true;
	for (; rc->dumped < rc->n && r == 0; rc->dumped++) {
		struct rights_held h = rc->held[rc->dumped];
		unsigned before = c->problems;
		struct socket_record *s;
		const struct st_file *f;
		const char *why = NULL;
		uint32_t id = 0;

		rc->nested = false;
		r = dump_file_held(c, h.fd, &id);
		s = socket_record(&c->img, h.socket_id);
		if (r < 0 || !s)
			break;
		s->rights_files[h.index] = id;
		f = st_find_file(&c->img, id);
		if (rc->nested)
			why = "a Unix socket whose own queue carries descriptors in flight";
		else if (f && f->kind)
			why = not_in_flight(&c->img, f);
		else if (c->problems == before)
			why = "not known"; /* cannot be: a file no kind takes is named */
		if (!why && c->problems == before)
			continue;
		/* named above as a file of ferry's, which holds it: the
		 * process whose socket carries it too */
		ckpt_unsupported(c, "pid %d fd %d: socket:[%llu]: descriptor %zu in flight "
				 "(SCM_RIGHTS) in its queue, %s%s%s, %s%s: it cannot be carried; "
				 "let the process read it first", h.pid, h.sock_fd,
				 (unsigned long long)h.ino, h.index + 1,
				 f && f->kind ? st_file_what(f) : "a file no kind takes",
				 f && f->path ? " " : "", f && f->path ? f->path : "",
				 why ? "is " : "cannot be dumped (above)", why ? why : "");
	}
	rc->in_flight = false;
	return r;
}

void unix_rights_dump_end(struct ckpt *c)
{
	struct rights_ckpt *rc = ckpt_kind_state(c, &kind_unix, 0);

	for (size_t i = 0; rc && i < rc->n; i++)
		close(rc->held[i].fd);
	if (rc) {
		free(rc->held);
		*rc = (struct rights_ckpt){ 0 };
	}
}

/* ---- restore ---- */

const char *unix_rights_invalid(const struct st_image *img, const struct socket_record *s,
				uint32_t *ret_file)
{
	for (size_t i = 0; i < s->nrights_files; i++) {
		const struct st_file *f = st_find_file((struct st_image *)img, s->rights_files[i]);
		const char *why;

		*ret_file = s->rights_files[i];
		if (!f)
			return "a descriptor in flight that is no file of the image";
		why = not_in_flight(img, f);
		if (why)
			return why;
	}
	return NULL;
}

ssize_t unix_rights_send(struct rst *r, int from, const struct socket_record *s,
			 const struct socket_rights *m, const void *buf, size_t len,
			 const struct sockaddr *dest, socklen_t dest_len)
{
	union {
		char b[CMSG_SPACE(SOCKET_RIGHTS_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = {
		.msg_name = (void *)dest, .msg_namelen = dest_len,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = CMSG_SPACE(m->nfds * sizeof(int)),
	};
	struct cmsghdr *cm;
	size_t first = 0;
	ssize_t n;

	for (const struct socket_rights *k = s->rights; k < m; k++)
		first += k->nfds;
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(m->nfds * sizeof(int));
	for (size_t i = 0; i < m->nfds; i++) {
		const struct st_file *f = st_find_file(&r->img, s->rights_files[first + i]);
		int fd = f ? restore_file_fd(r, f) : -EINVAL;

		if (fd < 0)
			return log_error_errno(fd, "socket %u: cannot open descriptor %zu in flight "
					       "(file %u) of its queue", s->id, first + i + 1,
					       s->rights_files[first + i]);
		((int *)CMSG_DATA(cm))[i] = fd;
	}
	n = sendmsg(from, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return log_error_errno(-errno, "socket %u: cannot send a message of its queue again "
				       "with its %u descriptors in flight", s->id, m->nfds);
	return n;
}

/* The message @m of @s in the refilled queue of @fd: it begins where it
 * did, has the bytes it had, with as many descriptors. */
static int check_message(int fd, const struct socket_record *s, const struct socket_rights *m,
			 uint8_t *buf)
{
	union {
		char b[CMSG_SPACE(SOCKET_RIGHTS_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, m->len + 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			      .msg_controllen = sizeof(ctl.b) };
	int off = m->at, before = m->at && (m == s->rights || m[-1].at + m[-1].len < m->at);
	size_t nfds = 0;
	ssize_t n;

	if (m->len > (256u << 10))
		return -EPROTO; /* more than one buffer of the kernel holds */
	/* it begins a buffer of its own, unless it follows the message before */
	if (before) {
		size_t start = 0;
		int e = buffer_start(fd, m->at - 1, 1, &start);

		if (e < 0)
			return e;
		if (start != 1)
			return -EPROTO;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
		return -errno;
	n = recvmsg(fd, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, nfds++)
			close(((int *)CMSG_DATA(cm))[i]);
	}
	if ((size_t)n != m->len || nfds != m->nfds || (msg.msg_flags & MSG_CTRUNC) ||
	    memcmp(buf, s->recv_queue + m->at, m->len) != 0)
		return -EPROTO;
	return 0;
}

int unix_rights_check_stream(int fd, const struct socket_record *s)
{
	int none = -1, e = 0;
	uint8_t *buf;
	size_t i;

	if (s->type != SOCK_STREAM || !s->nrights)
		return 0;
	buf = malloc((256u << 10) + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < s->nrights && e == 0; i++)
		e = check_message(fd, s, &s->rights[i], buf);
	free(buf);
	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &none, sizeof(none)) < 0 && e == 0)
		e = -errno;
	if (e == -EPROTO)
		return log_error_errno(e, "socket %u: message %zu of its queue with descriptors in "
				       "flight, bytes %u to %u, did not come back as one (the "
				       "sending socket's buffer splits it)", s->id, i,
				       s->rights[i - 1].at, s->rights[i - 1].at + s->rights[i - 1].len);
	if (e < 0)
		return log_error_errno(e, "socket %u: cannot peek at its queue put back", s->id);
	return 0;
}
