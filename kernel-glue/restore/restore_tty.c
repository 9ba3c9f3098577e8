/* SPDX-License-Identifier: MIT */
/*
 * Terminals. A pty pair of the image is made again from /dev/ptmx (its
 * number may differ): the slave's settings and window size are set through
 * the master, the queued bytes put back (tty_refill.c), packet mode turned
 * on; the master record is that master, every other record of the pair a
 * new open of its slave (TIOCGPTPEER). An external terminal is reopened by
 * path and given its settings. A session leader takes its controlling
 * terminal (TIOCSCTTY, injected) as soon as it exists, so that its children
 * inherit it; the foreground group, the lock and exclusive mode come once
 * every process is complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/state_events.h"
#include "../common/tty_refill.h"
#include "restore_events.h"

struct rtty {
	uint32_t id;
	int master, slave; /* restorer's; master -1 for an external terminal */
};

struct restore_ttys {
	struct rtty *v;
	size_t n;
};

static int apply_settings(int fd, const struct st_tty *t, struct termios2 *ret_tio)
{
	if (t->have_termios) {
		tty_termios_from_st(&t->termios, ret_tio);
		if (ioctl(fd, TCSETS2, ret_tio) < 0)
			return glue_err(-errno, "tty %u: cannot set its settings", t->id);
	} else if (ioctl(fd, TCGETS2, ret_tio) < 0) {
		return glue_err(-errno, "tty %u: cannot read its settings", t->id);
	}
	if (t->have_winsize) {
		struct winsize ws = { .ws_row = t->winsize[0], .ws_col = t->winsize[1],
				      .ws_xpixel = t->winsize[2], .ws_ypixel = t->winsize[3] };

		if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
			return glue_err(-errno, "tty %u: cannot set its window size", t->id);
	}
	return 0;
}

static int make_pty(const struct st_tty *t, struct rtty *rt)
{
	struct termios2 tio;
	int index = -1, e;

	rt->master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (rt->master < 0)
		return glue_err(-errno, "tty %u: cannot open /dev/ptmx", t->id);
	ioctl(rt->master, TIOCSPTLCK, &(int){ 0 });
	rt->slave = ioctl(rt->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (rt->slave < 0)
		return glue_err(-errno, "tty %u: cannot open the slave of a new pty", t->id);
	ioctl(rt->master, TIOCGPTN, &index);
	glue_debug("tty %u: pty %u is now pty %d", t->id, t->index, index);
	e = apply_settings(rt->master, t, &tio);
	if (e == 0)
		e = tty_refill(rt->master, rt->slave, &tio, t->input, t->input_len, t->output,
			       t->output_len);
	if (e == 0 && t->packet && ioctl(rt->master, TIOCPKT, &(int){ 1 }) < 0)
		e = glue_err(-errno, "tty %u: cannot turn packet mode on", t->id);
	return e;
}

static int open_external(const struct st_tty *t, struct rtty *rt)
{
	struct termios2 tio;

	rt->slave = open(t->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (rt->slave < 0)
		rt->slave = open(t->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (rt->slave < 0)
		return glue_err(-errno, "tty %u: cannot open the terminal %s", t->id, t->path);
	return apply_settings(rt->slave, t, &tio);
}

static struct rtty *rtty_get(struct rst *r, uint32_t id)
{
	struct restore_ttys *rs = r->ttys;
	struct st_tty *t = st_find_tty(&r->img, id);
	struct rtty *rt;

	if (!t) {
		glue_err(-EINVAL, "tty %u is not in the image", id);
		return NULL;
	}
	if (!rs) {
		rs = r->ttys = calloc(1, sizeof(*rs));
		if (!rs)
			return NULL;
	}
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].id == id)
			return &rs->v[i];
	rt = ST_PUSH(rs->v, rs->n);
	if (!rt)
		return NULL;
	rt->id = id;
	rt->master = rt->slave = -1;
	if ((t->pty ? make_pty(t, rt) : open_external(t, rt)) < 0)
		return NULL;
	return rt;
}

int restore_tty_open(struct rst *r, const struct st_file *f)
{
	int acc = f->flags & O_ACCMODE, fd;
	struct rtty *rt = rtty_get(r, f->ext->tty_id);
	const struct st_tty *t = st_find_tty(&r->img, f->ext->tty_id);

	if (!rt)
		return -EIO;
	if (f->ext->tty_master)
		fd = fcntl(rt->master, F_DUPFD_CLOEXEC, 0);
	else if (t->pty)
		/* close-on-exec set apart: TIOCGPTPEER keeps O_CLOEXEC in the
		 * file's flags, and fdinfo would show every fd of it as such */
		fd = ioctl(rt->master, TIOCGPTPEER, acc | O_NOCTTY);
	else
		fd = open(t->path, acc | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return glue_err(-errno, "file %u: cannot open %s side of tty %u", f->id,
				f->ext->tty_master ? "the master" : "the terminal", t->id);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC | O_NOCTTY)) < 0) {
		int e = glue_err(-errno, "file %u: cannot set its flags", f->id);

		close(fd);
		return e;
	}
	return fd;
}

/* Run ioctl(@req, @arg at @argp when not NULL) in @rp on its own copy of
 * the terminal @rt. */
static long tty_ioctl_in(struct rst *r, struct rproc *rp, struct rtty *rt, unsigned long req,
			 const void *argp, size_t len, uint64_t arg)
{
	long tfd, res;
	uint64_t addr = arg;
	int e;

	if (argp) {
		e = tramp_data(rp, 0, argp, len, &addr);
		if (e < 0)
			return e;
	}
	e = restore_pull_fd(r, rp, rt->slave, &tfd);
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_ioctl, tfd, req, addr);
	INJECT(&rp->in, SYS_close, tfd);
	return res;
}

int restore_session_tty(struct rst *r, struct rproc *rp)
{
	const struct st_process *p = rp->p;
	struct rtty *rt;
	long res;

	if (p->sid != p->pid || !p->ctty)
		return 0;
	rt = rtty_get(r, p->ctty);
	if (!rt)
		return -EIO;
	res = tty_ioctl_in(r, rp, rt, TIOCSCTTY, NULL, 0, 0);
	/* its children must not inherit the restorer's pidfd */
	if (rp->pidfd >= 0) {
		INJECT(&rp->in, SYS_close, rp->pidfd);
		rp->pidfd = -1;
	}
	if (res < 0)
		glue_warn("pid %d: cannot take tty %u as its controlling terminal: %s", rp->pid,
			  p->ctty, strerror(-res));
	return 0;
}

static struct rproc *find_rproc(struct rst *r, pid_t pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].p->pid == pid)
			return &r->procs[i];
	return NULL;
}

int restore_ttys_finish(struct rst *r)
{
	struct restore_ttys *rs = r->ttys;

	if (!rs)
		return 0;
	for (size_t i = 0; i < rs->n; i++) {
		struct rtty *rt = &rs->v[i];
		const struct st_tty *t = st_find_tty(&r->img, rt->id);
		struct rproc *leader = t->session ? find_rproc(r, t->session) : NULL;

		if (leader && t->fg_pgrp && leader->p->ctty == t->id) {
			int32_t pgrp = t->fg_pgrp;
			long res = tty_ioctl_in(r, leader, rt, TIOCSPGRP, &pgrp, sizeof(pgrp), 0);

			if (res < 0)
				glue_warn("tty %u: cannot make process group %d its foreground: %s",
					  t->id, pgrp, strerror(-res));
		}
		if (t->exclusive && rt->slave >= 0)
			ioctl(rt->slave, TIOCEXCL);
		if (t->locked && rt->master >= 0)
			ioctl(rt->master, TIOCSPTLCK, &(int){ 1 });
	}
	return 0;
}

void restore_ttys_free(struct rst *r)
{
	struct restore_ttys *rs = r->ttys;

	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->v[i].master >= 0)
			close(rs->v[i].master);
		if (rs->v[i].slave >= 0)
			close(rs->v[i].slave);
	}
	free(rs->v);
	free(rs);
	r->ttys = NULL;
}
