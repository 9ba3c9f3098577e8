/* SPDX-License-Identifier: MIT */
/*
 * Terminals. Every open of a terminal names one tty record, found by the
 * device (and, for a pty, its devpts instance). The master of a pty pair
 * (/dev/ptmx) makes the record a pair inside the image: its number, lock,
 * packet mode, the slave's settings and window size, and the bytes queued
 * both ways. Those are read out (the slave's queue through a second open
 * of the slave, put in non-canonical mode for the read so that a partial
 * line comes too; the master's queue through the process's own master)
 * and put back at once (tty_refill.c), so the pair is as it was whether or
 * not the processes go on. Any other terminal (a serial line, a console, a
 * pty whose master is not in the image) is recorded by path with its
 * settings. A process's controlling terminal comes from /proc/PID/stat;
 * a session leader's gives the terminal its session and foreground group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state_events.h"
#include "../common/tty_refill.h"
#include "dump_events.h"

#define QUEUE_MAX (256u << 10)

static bool is_pty_slave(dev_t rdev)
{
	return major(rdev) >= 136 && major(rdev) <= 143;
}

static struct st_tty *find_tty(struct ckpt *c, uint64_t dev, uint64_t rdev)
{
	for (size_t i = 0; i < c->img.nttys; i++) {
		struct st_tty *t = &c->img.ttys[i];

		if (t->rdev == rdev && (t->dev == dev || !dev || !t->dev))
			return t;
	}
	return NULL;
}

static struct st_tty *get_tty(struct ckpt *c, uint64_t dev, uint64_t rdev)
{
	struct st_tty *t = find_tty(c, dev, rdev);

	if (t)
		return t;
	t = ST_PUSH(c->img.ttys, c->img.nttys);
	if (!t)
		return NULL;
	t->id = c->img.nttys;
	t->dev = dev;
	t->rdev = rdev;
	return t;
}

/* Settings of the terminal open as @fd (the slave's, for a master). */
static void read_settings(int fd, struct st_tty *t)
{
	struct termios2 tio;
	struct winsize ws;
	int excl = 0;

	if (ioctl(fd, TCGETS2, &tio) == 0) {
		tty_termios_to_st(&tio, &t->termios);
		t->have_termios = true;
	}
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
		t->winsize[0] = ws.ws_row;
		t->winsize[1] = ws.ws_col;
		t->winsize[2] = ws.ws_xpixel;
		t->winsize[3] = ws.ws_ypixel;
		t->have_winsize = true;
	}
	if (ioctl(fd, TIOCGEXCL, &excl) == 0)
		t->exclusive = excl;
}

static int append(uint8_t **buf, size_t *len, const uint8_t *p, size_t n)
{
	uint8_t *b;

	if (*len + n > QUEUE_MAX)
		return -E2BIG;
	b = realloc(*buf, *len + n + 1);
	if (!b)
		return -ENOMEM;
	memcpy(b + *len, p, n);
	*buf = b;
	*len += n;
	return 0;
}

/* What the slave has to read: all of it, partial line included. */
static int read_input(int slave, const struct termios2 *tio, struct st_tty *t)
{
	struct termios2 raw = *tio;
	uint8_t buf[4096];
	int r = 0;

	raw.c_lflag &= ~ICANON;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (ioctl(slave, TCSETS2, &raw) < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(slave, buf, sizeof(buf));

		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EIO)
				r = -errno;
			break;
		}
		r = append(&t->input, &t->input_len, buf, n);
		if (r < 0)
			break;
	}
	if (ioctl(slave, TCSETS2, tio) < 0 && r == 0)
		r = -errno;
	return r;
}

/* What the master has to read, through the process's master (may block:
 * read only what poll says is there). In packet mode each read starts
 * with a status byte. */
static int read_output(int master, struct st_tty *t)
{
	uint8_t buf[4097];

	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		int avail = 0;
		ssize_t n;
		int r;

		if (poll(&pfd, 1, 20) <= 0 || !(pfd.revents & POLLIN))
			return 0;
		if (ioctl(master, FIONREAD, &avail) < 0 || avail <= 0)
			return 0;
		if (avail > 4096)
			avail = 4096;
		n = read(master, buf, avail + (t->packet ? 1 : 0));
		if (n <= 0)
			return n < 0 && errno != EAGAIN ? -errno : 0;
		if (t->packet) {
			if (buf[0] != 0) /* a status packet: nothing to carry */
				continue;
			r = append(&t->output, &t->output_len, buf + 1, n - 1);
		} else {
			r = append(&t->output, &t->output_len, buf, n);
		}
		if (r < 0)
			return r;
	}
}

static int dump_master(struct ckpt *c, pid_t pid, int fd, int bfd, struct st_file *f)
{
	int index = -1, locked = 0, pkt = 0, slave, r;
	struct termios2 tio;
	struct st_tty *t;
	struct stat sst;

	if (ioctl(bfd, TIOCGPTN, &index) < 0)
		return glue_err(-errno, "pid %d fd %d: pty master: TIOCGPTN", pid, fd);
	ioctl(bfd, TIOCGPTLCK, &locked);
	ioctl(bfd, TIOCGPKT, &pkt);
	if (locked)
		ioctl(bfd, TIOCSPTLCK, &(int){ 0 });
	slave = ioctl(bfd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (locked)
		ioctl(bfd, TIOCSPTLCK, &(int){ 1 });
	if (slave < 0)
		return glue_err(-errno, "pid %d fd %d: pty %d: cannot open its slave side", pid, fd,
				index);
	r = fstat(slave, &sst) < 0 ? -errno : 0;
	t = r == 0 ? get_tty(c, sst.st_dev, sst.st_rdev) : NULL;
	if (r == 0 && !t)
		r = -ENOMEM;
	if (r == 0 && t->pty) {
		r = glue_err(-EEXIST, "pid %d fd %d: pty %d has two masters?", pid, fd, index);
	} else if (r == 0) {
		t->pty = true;
		t->dev = sst.st_dev;
		t->index = index;
		t->locked = locked;
		t->packet = pkt;
		free(t->input);
		free(t->output);
		t->input = t->output = NULL;
		t->input_len = t->output_len = 0;
		read_settings(slave, t);
		if (ioctl(bfd, TCGETS2, &tio) < 0)
			r = glue_err(-errno, "pid %d fd %d: pty %d: TCGETS2", pid, fd, index);
		if (r == 0)
			r = read_input(slave, &tio, t);
		if (r == 0)
			r = read_output(bfd, t);
		if (r == -E2BIG)
			ckpt_unsupported(c, "pid %d fd %d: pty %d holds more than %u KiB of queued "
					 "bytes", pid, fd, index, QUEUE_MAX >> 10);
		else if (r < 0)
			glue_err(r, "pid %d fd %d: pty %d: cannot read its queues", pid, fd, index);
		/* back as they were, whatever happens next */
		if (tty_refill(bfd, slave, &tio, t->input, t->input_len, t->output,
			       t->output_len) < 0 && r == 0)
			r = -EIO;
		if (r == -E2BIG)
			r = 0;
		f->ext->tty_id = t->id;
		f->ext->tty_master = true;
	}
	close(slave);
	return r;
}

/* "/dev/NAME" of character device @rdev, from sysfs. */
static char *device_path(dev_t rdev)
{
	char path[96], *uevent, name[64], *out = NULL;

	if (is_pty_slave(rdev)) {
		snprintf(path, sizeof(path), "/dev/pts/%u",
			 minor(rdev) + ((major(rdev) - 136) << 20));
		return strdup(path);
	}
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/uevent", major(rdev), minor(rdev));
	if (proc_read_file(path, &uevent, NULL) < 0)
		return NULL;
	if (proc_status_field(uevent, "DEVNAME", name, sizeof(name)) == 0 ||
	    sscanf(strstr(uevent, "DEVNAME=") ? strstr(uevent, "DEVNAME=") + 8 : "", "%63s",
		   name) == 1) {
		snprintf(path, sizeof(path), "/dev/%s", name);
		out = strdup(path);
	}
	free(uevent);
	return out;
}

static dev_t ctty_of(pid_t pid, int32_t *ret_tpgid)
{
	uint64_t st[9];
	unsigned n;

	if (proc_stat_fields(pid, st, 9) < 0)
		return 0;
	n = st[7];
	if (ret_tpgid)
		*ret_tpgid = (int32_t)st[8];
	return makedev((n >> 8) & 0xfff, (n & 0xff) | ((n >> 12) & 0xfff00));
}

int dump_tty(struct ckpt *c, pid_t pid, int fd, const char *link, const struct stat *st,
	     struct st_file *f)
{
	dev_t rdev = st->st_rdev;
	uint64_t dev = 0;
	struct st_file_ext *x;
	struct st_tty *t;
	int bfd, r = 0;

	f->type = ST_FILE_TTY;
	f->path = strdup(link);
	x = st_file_ext(f);
	if (!f->path || !x)
		return -ENOMEM;
	bfd = dump_borrow_fd(pid, fd);
	if (bfd < 0)
		return glue_err(bfd, "pid %d fd %d: %s: cannot take a copy of it", pid, fd, link);
	if (major(rdev) == 5 && minor(rdev) == 2) {
		r = dump_master(c, pid, fd, bfd, f);
		close(bfd);
		return r;
	}
	if (major(rdev) == 5 && minor(rdev) == 0) {
		/* /dev/tty: an open of the process's controlling terminal */
		rdev = ctty_of(pid, NULL);
		if (!rdev) {
			ckpt_unsupported(c, "pid %d fd %d: /dev/tty of a process without a "
					 "controlling terminal", pid, fd);
			goto out;
		}
	} else if (is_pty_slave(rdev)) {
		dev = st->st_dev;
	}
	t = get_tty(c, dev, rdev);
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	if (!t->path)
		t->path = is_pty_slave(rdev) || (major(rdev) == 5 && minor(st->st_rdev) == 0) ?
				  device_path(rdev) : strdup(link);
	if (!t->path) {
		ckpt_unsupported(c, "pid %d fd %d: %s: terminal %u:%u has no device path here",
				 pid, fd, link, major(rdev), minor(rdev));
		goto out;
	}
	if (!t->pty && !t->have_termios)
		read_settings(bfd, t);
	x->tty_id = t->id;
out:
	close(bfd);
	return r;
}

int dump_tty_ctty(struct ckpt *c, pid_t pid, struct st_process *p)
{
	int32_t tpgid = -1;
	dev_t rdev = ctty_of(pid, &tpgid);
	struct st_tty *t;

	if (!rdev)
		return 0;
	t = find_tty(c, 0, rdev);
	if (!t) {
		char *path = device_path(rdev);
		int fd;

		t = get_tty(c, 0, rdev);
		if (!t) {
			free(path);
			return -ENOMEM;
		}
		t->path = path;
		fd = path ? open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) : -1;
		if (fd < 0) {
			ckpt_unsupported(c, "pid %d: its controlling terminal %u:%u cannot be "
					 "opened here (%s)", pid, major(rdev), minor(rdev),
					 path ? path : "no device path");
			return 0;
		}
		read_settings(fd, t);
		close(fd);
	}
	p->ctty = t->id;
	if (p->sid == p->pid) {
		t->session = p->pid;
		t->fg_pgrp = tpgid > 0 ? tpgid : 0;
	}
	return 0;
}
