/* SPDX-License-Identifier: MIT */
/*
 * Terminals. Every open of a terminal names one tty record (/ttys/tty@ID),
 * found by the device (and, for a pty, its devpts instance). The master of
 * a pty pair (/dev/ptmx) makes the record a pair inside the image: its
 * number, lock, packet mode, the slave's settings and window size, and the
 * bytes queued both ways. Those are read out (the slave's queue through a
 * second open of the slave, put in non-canonical mode for the read so that
 * a partial line comes too; the master's queue through the process's own
 * master) and put back at once (tty_refill.c), so the pair is as it was
 * whether or not the processes go on. Any other terminal (a serial line, a
 * console, a pty whose master is not in the image) is recorded by path with
 * its settings. A process's controlling terminal comes from /proc/PID/stat
 * (its process node's ctty); a session leader's gives the terminal its
 * session and foreground group.
 *
 * At restore a pty pair of the image is made again from /dev/ptmx (its
 * number may differ): the slave gets its owner and mode back (what grantpt()
 * and mesg(1) set), its settings and window size are set through
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
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "tty_refill.h"

/* A terminal of the image, shared by its opens. */
struct tty_record {
	uint32_t id;
	bool pty;          /* a pair whose master is in the image */
	uint32_t index;    /* pty number at checkpoint */
	char *path;        /* external: reopened by this path */
	uint64_t rdev;
	bool have_termios;
	struct tty_termios termios;
	bool have_winsize;
	uint32_t winsize[4];
	bool packet, locked, exclusive;
	bool have_owner;
	uint32_t owner[3]; /* a pty's slave: uid, gid, permission bits */
	uint8_t *input, *output;
	size_t input_len, output_len;
	pid_t fg_pgrp, session; /* 0: none */
	uint64_t dev;      /* at checkpoint only: the devpts instance of a pty */
};

struct tty_image {
	struct tty_record *ttys;
	size_t n;
};

/* An open of a terminal. */
struct tty_file {
	uint32_t tty_id;
	bool master; /* the master side of a pty pair */
};

struct tty_process {
	uint32_t ctty; /* its controlling terminal, or 0 */
};

static bool is_pty(const void *obj)
{
	return ((const struct tty_record *)obj)->pty;
}

static bool is_external(const void *obj)
{
	return !is_pty(obj);
}

static const char *const tty_kinds[] = { "external", "pty" };

static const struct meta_field tty_fields[] = {
	META_U32(FM_TY_ID, struct tty_record, id, META_REQUIRED | META_UNIT),
	META_NAME(FM_TY_KIND, struct tty_record, pty, tty_kinds, META_REQUIRED),
	META_U32(FM_TY_INDEX, struct tty_record, index, META_REQUIRED, .when = is_pty),
	META_STR(FM_TY_PATH, struct tty_record, path, 0, .required_if = is_external),
	META_U64(FM_TY_RDEV, struct tty_record, rdev, 0),
	META_RUN(FM_TY_TERMIOS, struct tty_record, termios, 7, 4, META_REQUIRED,
		 .present = META_PRESENT(struct tty_record, have_termios)),
	META_FIXED(FM_TY_CC, struct tty_record, termios.cc, META_REQUIRED,
		   .present = META_PRESENT(struct tty_record, have_termios)),
	META_WORDS(FM_TY_WINSIZE, struct tty_record, winsize, 4, 0,
		   .present = META_PRESENT(struct tty_record, have_winsize)),
	META_WORDS(FM_TY_SLAVE_OWNER, struct tty_record, owner, 4, 0, .when = is_pty,
		   .present = META_PRESENT(struct tty_record, have_owner)),
	META_FLAG(FM_TY_PACKET, struct tty_record, packet, 0),
	META_FLAG(FM_TY_LOCKED, struct tty_record, locked, 0),
	META_FLAG(FM_TY_EXCLUSIVE, struct tty_record, exclusive, 0),
	META_BYTES(FM_TY_INPUT, struct tty_record, input, input_len, META_OMIT_ZERO),
	META_BYTES(FM_TY_OUTPUT, struct tty_record, output, output_len, META_OMIT_ZERO),
	META_U32(FM_TY_FOREGROUND, struct tty_record, fg_pgrp, META_OMIT_ZERO),
	META_U32(FM_TY_SESSION, struct tty_record, session, META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_node tty_node = {
	.name = FM_TTY, .size = sizeof(struct tty_record), .fields = tty_fields,
};

static const struct meta_field tty_image_fields[] = {
	META_NODES(FM_TTYS, struct tty_image, ttys, n, &tty_node, META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_field tty_file_fields[] = {
	META_U32(FM_F_TTY, struct tty_file, tty_id, META_REQUIRED),
	META_FLAG(FM_F_TTY_MASTER, struct tty_file, master, 0),
	{ 0 },
};

static const struct meta_field tty_process_fields[] = {
	META_U32(FM_P_CTTY, struct tty_process, ctty, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_tty;

static struct tty_record *find_record(const struct st_image *img, uint32_t id)
{
	struct tty_image *ti = kind_image_data_if(img, &kind_tty);

	for (size_t i = 0; ti && i < ti->n; i++)
		if (ti->ttys[i].id == id)
			return &ti->ttys[i];
	return NULL;
}

static uint32_t ctty_of_process(const struct st_process *p)
{
	const struct tty_process *tp = kind_process_data_if(p, &kind_tty);

	return tp ? tp->ctty : 0;
}

/* ---- checkpoint ---- */

#define QUEUE_MAX (256u << 10)

static bool is_pty_slave(dev_t rdev)
{
	return major(rdev) >= 136 && major(rdev) <= 143;
}

static struct tty_record *find_tty(struct ckpt *c, uint64_t dev, uint64_t rdev)
{
	struct tty_image *ti = kind_image_data(&c->img, &kind_tty);

	for (size_t i = 0; ti && i < ti->n; i++) {
		struct tty_record *t = &ti->ttys[i];

		if (t->rdev == rdev && (t->dev == dev || !dev || !t->dev))
			return t;
	}
	return NULL;
}

static struct tty_record *get_tty(struct ckpt *c, uint64_t dev, uint64_t rdev)
{
	struct tty_image *ti = kind_image_data(&c->img, &kind_tty);
	struct tty_record *t = find_tty(c, dev, rdev);

	if (t || !ti)
		return t;
	t = ST_PUSH(ti->ttys, ti->n);
	if (!t)
		return NULL;
	t->id = ti->n;
	t->dev = dev;
	t->rdev = rdev;
	return t;
}

/* Settings of the terminal open as @fd (the slave's, for a master). */
static void read_settings(int fd, struct tty_record *t)
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
static int read_input(int slave, const struct termios2 *tio, struct tty_record *t)
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
static int read_output(int master, struct tty_record *t)
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
	struct tty_file *tf = f->kind_data;
	int index = -1, locked = 0, pkt = 0, slave, r;
	struct termios2 tio;
	struct tty_record *t;
	struct stat sst;

	if (ioctl(bfd, TIOCGPTN, &index) < 0)
		return log_error_errno(-errno, "pid %d fd %d: pty master: TIOCGPTN", pid, fd);
	ioctl(bfd, TIOCGPTLCK, &locked);
	ioctl(bfd, TIOCGPKT, &pkt);
	if (locked)
		ioctl(bfd, TIOCSPTLCK, &(int){ 0 });
	slave = ioctl(bfd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (locked)
		ioctl(bfd, TIOCSPTLCK, &(int){ 1 });
	if (slave < 0)
		return log_error_errno(-errno, "pid %d fd %d: pty %d: cannot open its slave side", pid, fd,
				index);
	r = fstat(slave, &sst) < 0 ? -errno : 0;
	t = r == 0 ? get_tty(c, sst.st_dev, sst.st_rdev) : NULL;
	if (r == 0 && !t)
		r = -ENOMEM;
	if (r == 0 && t->pty) {
		r = log_error_errno(-EEXIST, "pid %d fd %d: pty %d has two masters?", pid, fd, index);
	} else if (r == 0) {
		t->pty = true;
		t->dev = sst.st_dev;
		t->index = index;
		t->locked = locked;
		t->packet = pkt;
		t->have_owner = true;
		t->owner[0] = sst.st_uid;
		t->owner[1] = sst.st_gid;
		t->owner[2] = sst.st_mode & 07777;
		free(t->input);
		free(t->output);
		t->input = t->output = NULL;
		t->input_len = t->output_len = 0;
		read_settings(slave, t);
		if (ioctl(bfd, TCGETS2, &tio) < 0)
			r = log_error_errno(-errno, "pid %d fd %d: pty %d: TCGETS2", pid, fd, index);
		if (r == 0)
			r = read_input(slave, &tio, t);
		if (r == 0)
			r = read_output(bfd, t);
		if (r == -E2BIG)
			ckpt_unsupported(c, "pid %d fd %d: pty %d holds more than %u KiB of queued "
					 "bytes", pid, fd, index, QUEUE_MAX >> 10);
		else if (r < 0)
			log_error_errno(r, "pid %d fd %d: pty %d: cannot read its queues", pid, fd, index);
		/* back as they were, whatever happens next */
		if (tty_refill(bfd, slave, &tio, t->input, t->input_len, t->output,
			       t->output_len) < 0 && r == 0)
			r = -EIO;
		if (r == -E2BIG)
			r = 0;
		tf->tty_id = t->id;
		tf->master = true;
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

static bool is_terminal(const struct stat *st)
{
	unsigned ma = major(st->st_rdev), mi = minor(st->st_rdev);

	if (!S_ISCHR(st->st_mode))
		return false;
	if (ma == 5)
		return mi <= 2; /* /dev/tty, /dev/console, /dev/ptmx */
	/* virtual consoles and serial lines, pty slaves, ttyACM, ttyUSB, ttyAMA */
	return ma == 4 || (ma >= 136 && ma <= 143) || ma == 166 || ma == 188 || ma == 204;
}

static bool tty_match(const struct fd_probe *fd)
{
	return is_terminal(&fd->st);
}

static int tty_dump(struct ckpt *c, const struct fd_probe *probe, struct st_file *f)
{
	const struct stat *st = &probe->st;
	const char *link = probe->link;
	pid_t pid = probe->pid;
	int fd = probe->fd;
	dev_t rdev = st->st_rdev;
	struct tty_file *tf = f->kind_data;
	uint64_t dev = 0;
	struct tty_record *t;
	int bfd, r = 0;

	f->path = strdup(link);
	if (!f->path)
		return -ENOMEM;
	bfd = dump_borrow_fd(pid, fd);
	if (bfd < 0)
		return log_error_errno(bfd, "pid %d fd %d: %s: cannot take a copy of it", pid, fd, link);
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
	tf->tty_id = t->id;
out:
	close(bfd);
	return r;
}

/* The controlling terminal of @p, from /proc/PID/stat; a session leader's
 * gives the terminal its session and foreground group. */
static int tty_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	int32_t tpgid = -1;
	dev_t rdev = ctty_of(pid, &tpgid);
	struct tty_process *tp;
	struct tty_record *t;

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
	tp = kind_process_data(p, &kind_tty);
	if (!tp)
		return -ENOMEM;
	tp->ctty = t->id;
	if (p->sid == p->pid) {
		t->session = p->pid;
		t->fg_pgrp = tpgid > 0 ? tpgid : 0;
	}
	return 0;
}

/* ---- restore ---- */

struct rtty {
	uint32_t id;
	int master, slave; /* restorer's; master -1 for an external terminal */
};

struct restore_ttys {
	struct rtty *v;
	size_t n;
};

static int apply_settings(int fd, const struct tty_record *t, struct termios2 *ret_tio)
{
	if (t->have_termios) {
		tty_termios_from_st(&t->termios, ret_tio);
		if (ioctl(fd, TCSETS2, ret_tio) < 0)
			return log_error_errno(-errno, "tty %u: cannot set its settings", t->id);
	} else if (ioctl(fd, TCGETS2, ret_tio) < 0) {
		return log_error_errno(-errno, "tty %u: cannot read its settings", t->id);
	}
	if (t->have_winsize) {
		struct winsize ws = { .ws_row = t->winsize[0], .ws_col = t->winsize[1],
				      .ws_xpixel = t->winsize[2], .ws_ypixel = t->winsize[3] };

		if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
			return log_error_errno(-errno, "tty %u: cannot set its window size", t->id);
	}
	return 0;
}

/* The slave's owner and permissions (grantpt(), mesg), read back. */
static int give_owner(const struct tty_record *t, int slave)
{
	struct stat st;

	if (fchown(slave, t->owner[0], t->owner[1]) < 0 || fchmod(slave, t->owner[2]) < 0 ||
	    fstat(slave, &st) < 0)
		return log_error_errno(-errno, "tty %u: cannot give its slave owner %u:%u, mode %04o", t->id,
				t->owner[0], t->owner[1], t->owner[2]);
	if (st.st_uid != t->owner[0] || st.st_gid != t->owner[1] ||
	    (st.st_mode & 07777) != t->owner[2])
		return log_error_errno(-EINVAL, "tty %u: its slave is %u:%u, mode %04o, not %u:%u, mode "
				"%04o", t->id, st.st_uid, st.st_gid, st.st_mode & 07777,
				t->owner[0], t->owner[1], t->owner[2]);
	return 0;
}

static int make_pty(const struct tty_record *t, struct rtty *rt)
{
	struct termios2 tio;
	int index = -1, e;

	rt->master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (rt->master < 0)
		return log_error_errno(-errno, "tty %u: cannot open /dev/ptmx", t->id);
	ioctl(rt->master, TIOCSPTLCK, &(int){ 0 });
	rt->slave = ioctl(rt->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (rt->slave < 0)
		return log_error_errno(-errno, "tty %u: cannot open the slave of a new pty", t->id);
	ioctl(rt->master, TIOCGPTN, &index);
	log_debug("tty %u: pty %u is now pty %d", t->id, t->index, index);
	e = t->have_owner ? give_owner(t, rt->slave) : 0;
	if (e == 0)
		e = apply_settings(rt->master, t, &tio);
	if (e == 0)
		e = tty_refill(rt->master, rt->slave, &tio, t->input, t->input_len, t->output,
			       t->output_len);
	if (e == 0 && t->packet && ioctl(rt->master, TIOCPKT, &(int){ 1 }) < 0)
		e = log_error_errno(-errno, "tty %u: cannot turn packet mode on", t->id);
	return e;
}

static int open_external(const struct tty_record *t, struct rtty *rt)
{
	struct termios2 tio;

	rt->slave = open(t->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (rt->slave < 0)
		rt->slave = open(t->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (rt->slave < 0)
		return log_error_errno(-errno, "tty %u: cannot open the terminal %s", t->id, t->path);
	return apply_settings(rt->slave, t, &tio);
}

static struct rtty *rtty_get(struct rst *r, uint32_t id)
{
	struct restore_ttys *rs = rst_kind_state(r, &kind_tty, sizeof(*rs));
	struct tty_record *t = find_record(&r->img, id);
	struct rtty *rt;

	if (!t) {
		log_error_errno(-EINVAL, "tty %u is not in the image", id);
		return NULL;
	}
	if (!rs)
		return NULL;
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

static int tty_open(struct rst *r, const struct st_file *f)
{
	const struct tty_file *tf = f->kind_data;
	int acc = f->flags & O_ACCMODE, fd;
	struct rtty *rt = rtty_get(r, tf->tty_id);
	const struct tty_record *t = find_record(&r->img, tf->tty_id);

	if (!rt)
		return -EIO;
	if (tf->master)
		fd = fcntl(rt->master, F_DUPFD_CLOEXEC, 0);
	else if (t->pty)
		/* close-on-exec set apart: TIOCGPTPEER keeps O_CLOEXEC in the
		 * file's flags, and fdinfo would show every fd of it as such */
		fd = ioctl(rt->master, TIOCGPTPEER, acc | O_NOCTTY);
	else
		fd = open(t->path, acc | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot open %s side of tty %u", f->id,
				tf->master ? "the master" : "the terminal", t->id);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC | O_NOCTTY)) < 0) {
		int e = log_error_errno(-errno, "file %u: cannot set its flags", f->id);

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

/* A session leader takes its controlling terminal before it has children. */
static int tty_process_created(struct rst *r, struct rproc *rp)
{
	const struct st_process *p = rp->p;
	uint32_t ctty = ctty_of_process(p);
	struct rtty *rt;
	long res;

	if (p->sid != p->pid || !ctty)
		return 0;
	rt = rtty_get(r, ctty);
	if (!rt)
		return -EIO;
	res = tty_ioctl_in(r, rp, rt, TIOCSCTTY, NULL, 0, 0);
	/* its children must not inherit the restorer's pidfd */
	if (rp->pidfd >= 0) {
		INJECT(&rp->in, SYS_close, rp->pidfd);
		rp->pidfd = -1;
	}
	if (res < 0)
		log_warning("pid %d: cannot take tty %u as its controlling terminal: %s", rp->pid,
			  ctty, strerror(-res));
	return 0;
}

static struct rproc *find_rproc(struct rst *r, pid_t pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].p->pid == pid)
			return &r->procs[i];
	return NULL;
}

/* The foreground groups, exclusive mode and pty locks, once every process
 * is complete. */
static int tty_restore_finish(struct rst *r)
{
	struct restore_ttys *rs = rst_kind_state(r, &kind_tty, 0);

	if (!rs)
		return 0;
	for (size_t i = 0; i < rs->n; i++) {
		struct rtty *rt = &rs->v[i];
		const struct tty_record *t = find_record(&r->img, rt->id);
		struct rproc *leader = t->session ? find_rproc(r, t->session) : NULL;

		if (leader && t->fg_pgrp && ctty_of_process(leader->p) == t->id) {
			int32_t pgrp = t->fg_pgrp;
			long res = tty_ioctl_in(r, leader, rt, TIOCSPGRP, &pgrp, sizeof(pgrp), 0);

			if (res < 0)
				log_warning("tty %u: cannot make process group %d its foreground: %s",
					  t->id, pgrp, strerror(-res));
		}
		if (t->exclusive && rt->slave >= 0)
			ioctl(rt->slave, TIOCEXCL);
		if (t->locked && rt->master >= 0)
			ioctl(rt->master, TIOCSPTLCK, &(int){ 1 });
	}
	return 0;
}

static void tty_restore_end(struct rst *r)
{
	struct restore_ttys *rs = rst_kind_state(r, &kind_tty, 0);

	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->v[i].master >= 0)
			close(rs->v[i].master);
		if (rs->v[i].slave >= 0)
			close(rs->v[i].slave);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static const struct inv_claim tty_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* a terminal is made again, not opened */
	INV_CLAIM(INV_FD, "tty-index"), /* the pty's number, which its record carries */
	INV_CLAIMS_END,
};

const struct kind kind_tty = {
	.name = "tty",
	.claims = tty_claims,
	.match = tty_match,
	.dump = tty_dump,
	.dump_process = tty_dump_process,
	.file_size = sizeof(struct tty_file),
	.file_fields = tty_file_fields,
	.process_size = sizeof(struct tty_process),
	.process_fields = tty_process_fields,
	.image_size = sizeof(struct tty_image),
	.image_fields = tty_image_fields,
	.open = tty_open,
	.process_created = tty_process_created,
	.restore_finish = tty_restore_finish,
	.restore_end = tty_restore_end,
};
