/* SPDX-License-Identifier: MIT */
/*
 * POSIX message queues (mq_open): a descriptor of a queue of the mqueue
 * filesystem, carried with the queue's name, attributes, mode, owner and
 * every message in it, with its priority.
 *
 * The messages are read at the freeze through a descriptor of the queue's
 * own (opened again from /proc/PID/fd/FD): each is received, highest
 * priority first and in order within one, and sent back in that order, so
 * the queue holds what it held, in the same order. A process of the
 * selection waiting in mq_receive() is not waiting at that moment (the
 * freeze took it out of the call, which starts again at the thaw).
 *
 * At restore a named queue that exists is opened as it is: on the same
 * kernel it is the queue itself (it outlives the processes), with its
 * messages. Else, and for one unlinked while open, the queue is made again
 * with its attributes and messages (an unlinked one under a name of the
 * restorer's, unlinked at once). A named queue the restore made is
 * removed again if the restore fails: the next attempt would open it as
 * one that outlived the processes. Refused: a queue with an mq_notify()
 * registration, and one larger than fs.mqueue's limits allow a process
 * without CAP_SYS_RESOURCE to make.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define MQUEUE_MAGIC 0x19800202
#define DELETED_SUFFIX " (deleted)"

struct mqueue_file {
	char *name;         /* "/NAME", as mq_open() takes it */
	bool deleted;       /* unlinked while open */
	uint64_t attr[2];   /* mq_maxmsg, mq_msgsize */
	uint32_t mode, uid, gid;
	uint8_t *messages;  /* each: u32 priority, u32 length, its bytes */
	size_t len;
	uint64_t ino;       /* checkpoint only: the queue's inode */
};

static const struct meta_cell owner_cells[] = {
	META_CELL(struct mqueue_file, uid, 4),
	META_CELL(struct mqueue_file, gid, 4),
};

static const struct meta_field mqueue_fields[] = {
	META_STR(FM_F_MQ_NAME, struct mqueue_file, name, META_REQUIRED),
	META_FLAG(FM_F_DELETED, struct mqueue_file, deleted, 0),
	META_WORDS(FM_F_MQ_ATTR, struct mqueue_file, attr, 8, META_REQUIRED),
	META_U32(FM_F_MODE, struct mqueue_file, mode, META_REQUIRED),
	META_CELLS(FM_F_OWNER, owner_cells, META_REQUIRED),
	META_BYTES(FM_F_MQ_MESSAGES, struct mqueue_file, messages, len, 0),
	{ 0 },
};

static const struct inv_claim mqueue_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own: made with mq_open(), not by path */
	INV_CLAIM(INV_FD, "path"),       /* the queue's name */
	INV_CLAIMS_END,
};

extern const struct kind kind_mqueue;

static bool mqueue_match(const struct fd_probe *fd)
{
	struct statfs sfs;

	return S_ISREG(fd->st.st_mode) && statfs(fd->path, &sfs) == 0 &&
	       (unsigned long)sfs.f_type == MQUEUE_MAGIC;
}

/* The fs.mqueue limit @name (msg_max, msgsize_max), or 0. */
static uint64_t mqueue_limit(const char *name)
{
	char path[64], *buf;
	uint64_t v = 0;

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
	if (proc_read_file(path, &buf, NULL) == 0) {
		v = strtoull(buf, NULL, 10);
		free(buf);
	}
	return v;
}

/* mq_notify() registered? The queue's file reads "QSIZE:... NOTIFY_PID:N". */
static bool notify_registered(int q)
{
	char text[256];
	ssize_t n = pread(q, text, sizeof(text) - 1, 0);
	const char *pid;

	if (n <= 0)
		return false;
	text[n] = 0;
	pid = strstr(text, "NOTIFY_PID:");
	return pid && strtol(pid + 11, NULL, 10) != 0;
}

/* into room made beforehand: a message received is never dropped */
static void append_message(struct mqueue_file *q, unsigned prio, const char *msg, size_t len)
{
	uint32_t head[2] = { prio, (uint32_t)len };

	memcpy(q->messages + q->len, head, sizeof(head));
	memcpy(q->messages + q->len + sizeof(head), msg, len);
	q->len += sizeof(head) + len;
}

/* Send the messages of @q into the queue @fd, in order; -EBADMSG when
 * they do not add up to its bytes (a damaged image: mq_send() checks the
 * rest, sizes and priorities, against the queue). */
static int send_messages(int fd, const struct mqueue_file *q)
{
	for (size_t off = 0; off < q->len;) {
		uint32_t head[2];

		if (q->len - off < sizeof(head))
			return -EBADMSG;
		memcpy(head, q->messages + off, sizeof(head));
		off += sizeof(head);
		if (head[1] > q->len - off)
			return -EBADMSG;
		if (mq_send(fd, (const char *)q->messages + off, head[1], head[0]) < 0)
			return -errno;
		off += head[1];
	}
	return 0;
}

/* Every message of the queue @fd, received and sent back in the same order. */
static int read_messages(int fd, struct mqueue_file *q, long count)
{
	char *buf = malloc(q->attr[1]);
	int e = 0, back;

	/* room for the whole queue before the first message leaves it */
	q->messages = count > 0 ? malloc((size_t)count * (8 + q->attr[1])) : NULL;
	if (!buf || (count > 0 && !q->messages)) {
		free(buf);
		return -ENOMEM;
	}
	for (long i = 0; i < count; i++) {
		unsigned prio;
		ssize_t n = mq_receive(fd, buf, q->attr[1], &prio);

		if (n < 0) {
			e = errno == EAGAIN ? 0 : -errno; /* fewer than counted: done */
			break;
		}
		append_message(q, prio, buf, (size_t)n);
	}
	free(buf);
	/* back, whatever happened: the queue must hold what it held */
	back = send_messages(fd, q);
	if (back < 0)
		e = log_error_errno(back, "cannot put %zu bytes of messages back into their queue",
				    q->len);
	return e;
}

/* Does an earlier open file of the checkpoint hold the unlinked queue @ino?
 * (A named queue is opened again by its name, as often as it was.) */
static bool unlinked_seen(const struct ckpt *c, const struct st_file *self, uint64_t ino)
{
	for (size_t i = 0; i < c->img.nfiles; i++) {
		const struct st_file *f = &c->img.files[i];
		const struct mqueue_file *q = f->kind_data;

		if (f != self && f->kind == &kind_mqueue && q->deleted && q->ino == ino)
			return true;
	}
	return false;
}

static int mqueue_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct mqueue_file *q = f->kind_data;
	const char *base = strrchr(fd->link, '/');
	size_t n = strlen(base);
	struct mq_attr a;
	int copy, e;

	q->deleted = n > strlen(DELETED_SUFFIX) &&
		     strcmp(base + n - strlen(DELETED_SUFFIX), DELETED_SUFFIX) == 0;
	if (q->deleted)
		n -= strlen(DELETED_SUFFIX);
	q->name = strndup(base, n);
	f->path = strdup(fd->link);
	if (!q->name || !f->path)
		return -ENOMEM;
	q->mode = fd->st.st_mode & 07777;
	q->uid = fd->st.st_uid;
	q->gid = fd->st.st_gid;
	copy = open(fd->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (copy < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: cannot open its queue", fd->pid,
				       fd->fd, fd->link);
	if (mq_getattr(copy, &a) < 0) {
		e = log_error_errno(-errno, "pid %d fd %d: %s: mq_getattr", fd->pid, fd->fd, fd->link);
		close(copy);
		return e;
	}
	q->attr[0] = (uint64_t)a.mq_maxmsg;
	q->attr[1] = (uint64_t)a.mq_msgsize;
	q->ino = fd->st.st_ino;
	e = 0;
	if (q->deleted && unlinked_seen(c, f, q->ino))
		ckpt_unsupported(c, "pid %d fd %d: %s: an unlinked message queue opened more than "
				 "once (two open files of it): it would come back as two queues",
				 fd->pid, fd->fd, fd->link);
	else if (notify_registered(copy))
		ckpt_unsupported(c, "pid %d fd %d: %s: a message queue with an mq_notify() "
				 "registration is not carried", fd->pid, fd->fd, fd->link);
	else if (q->attr[0] > mqueue_limit("msg_max") || q->attr[1] > mqueue_limit("msgsize_max"))
		ckpt_unsupported(c, "pid %d fd %d: %s: a queue of %llu messages of %llu bytes is "
				 "above fs.mqueue.msg_max or msgsize_max, which a restorer without "
				 "CAP_SYS_RESOURCE cannot go beyond", fd->pid, fd->fd, fd->link,
				 (unsigned long long)q->attr[0], (unsigned long long)q->attr[1]);
	else
		e = read_messages(copy, q, a.mq_curmsgs);
	close(copy);
	return e;
}

/* ---- restore ---- */

/* The named queues this restore made (mq_open with O_EXCL), removed if it
 * fails. */
struct made_queues {
	char **names;
	size_t n;
};

static int remember_made(struct rst *r, const char *name)
{
	struct made_queues *m = rst_kind_state(r, &kind_mqueue, sizeof(*m));
	char **slot = m ? ST_PUSH(m->names, m->n) : NULL;

	if (!slot || !(*slot = strdup(name))) {
		if (slot)
			m->n--;
		return -ENOMEM;
	}
	return 0;
}

/* The queue made again, empty but for its messages: a descriptor of it
 * with @oflag, or -errno. A named one (@r) is remembered. */
static int make_queue(struct rst *r, const struct st_file *f, const char *name, int oflag)
{
	const struct mqueue_file *q = f->kind_data;
	struct mq_attr a = { .mq_maxmsg = (long)q->attr[0], .mq_msgsize = (long)q->attr[1] };
	int fill = mq_open(name, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &a);
	int fd, e;

	if (fill < 0)
		return log_error_errno(-errno, "file %u: cannot make the message queue %s", f->id, name);
	e = r ? remember_made(r, name) : 0;
	if (e < 0)
		log_error_errno(e, "file %u: cannot keep the name of %s", f->id, name);
	else if ((e = send_messages(fill, q)) < 0)
		log_error_errno(e, "file %u: cannot put its messages back into %s", f->id, name);
	else if (fchown(fill, q->uid, q->gid) < 0 || fchmod(fill, q->mode) < 0)
		e = log_error_errno(-errno, "file %u: cannot give %s its owner and mode", f->id, name);
	close(fill);
	fd = e < 0 ? e : mq_open(name, oflag);
	if (e == 0 && fd < 0)
		e = log_error_errno(-errno, "file %u: cannot open %s again", f->id, name);
	if (e < 0)
		mq_unlink(name); /* and, remembered, once more if the restore fails */
	return e < 0 ? e : fd;
}

static int mqueue_open(struct rst *r, const struct st_file *f)
{
	const struct mqueue_file *q = f->kind_data;
	int oflag = (f->flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC;
	char name[64];
	int fd;

	if (!q->deleted) {
		fd = mq_open(q->name, oflag);
		if (fd >= 0 || errno != ENOENT)
			return fd >= 0 ? fd
				       : log_error_errno(-errno, "file %u: cannot open the message queue %s",
							 f->id, q->name);
		return make_queue(r, f, q->name, oflag);
	}
	/* unlinked: under a name of this restore, gone again at once */
	snprintf(name, sizeof(name), "/ferry-restore-%d-%u", getpid(), f->id);
	fd = make_queue(NULL, f, name, oflag);
	if (fd >= 0)
		mq_unlink(name);
	return fd;
}

static void mqueue_restore_failed(struct rst *r)
{
	struct made_queues *m = rst_kind_state(r, &kind_mqueue, 0);

	for (size_t i = 0; m && i < m->n; i++)
		if (mq_unlink(m->names[i]) < 0 && errno != ENOENT)
			log_warning("cannot remove the message queue %s this restore made: %s",
				  m->names[i], strerror(errno));
}

static void mqueue_restore_end(struct rst *r)
{
	struct made_queues *m = rst_kind_state(r, &kind_mqueue, 0);

	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->names[i]);
	free(m->names);
	m->names = NULL;
	m->n = 0;
}

const struct kind kind_mqueue = {
	.name = "mqueue",
	.claims = mqueue_claims,
	.match = mqueue_match,
	.dump = mqueue_dump,
	.file_size = sizeof(struct mqueue_file),
	.file_fields = mqueue_fields,
	.open = mqueue_open,
	.restore_failed = mqueue_restore_failed,
	.restore_end = mqueue_restore_end,
};
