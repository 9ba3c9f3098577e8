/* SPDX-License-Identifier: MIT */
/*
 * Bytes go back through the pair itself: what the slave side had written
 * is written to the slave with output processing off, so the master reads
 * it as it was; what the slave side had to read is written to the master
 * with echo, signal characters and input translation off (the canonical
 * mode as it was, so lines stay lines). The line discipline takes the
 * bytes in a work queue: wait until its read queue holds them before the
 * real settings come back.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "tty_refill.h"

#define TTY_LDISC_BUF 4095 /* what one line discipline's read queue holds */

void tty_termios_to_st(const struct termios2 *t, struct tty_termios *ret)
{
	ret->iflag = t->c_iflag;
	ret->oflag = t->c_oflag;
	ret->cflag = t->c_cflag;
	ret->lflag = t->c_lflag;
	ret->line = t->c_line;
	ret->ispeed = t->c_ispeed;
	ret->ospeed = t->c_ospeed;
	memcpy(ret->cc, t->c_cc, sizeof(t->c_cc) < TTY_NCCS ? sizeof(t->c_cc) : TTY_NCCS);
}

void tty_termios_from_st(const struct tty_termios *s, struct termios2 *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->c_iflag = s->iflag;
	ret->c_oflag = s->oflag;
	ret->c_cflag = s->cflag;
	ret->c_lflag = s->lflag;
	ret->c_line = s->line;
	ret->c_ispeed = s->ispeed;
	ret->c_ospeed = s->ospeed;
	memcpy(ret->c_cc, s->cc, sizeof(ret->c_cc) < TTY_NCCS ? sizeof(ret->c_cc) : TTY_NCCS);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	struct timespec ts = { 0, 1000 * 1000 };
	int tries = 0;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EAGAIN && tries++ < 1000) {
			nanosleep(&ts, NULL);
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Wait (at most half a second) until @fd has @want bytes to read. */
static void wait_queued(int fd, size_t want)
{
	struct timespec ts = { 0, 1000 * 1000 };

	for (int i = 0; i < 500; i++) {
		int n = 0;

		if (ioctl(fd, FIONREAD, &n) < 0 || (size_t)n >= want)
			return;
		nanosleep(&ts, NULL);
	}
	log_warning("a terminal's queue did not take back all of its %zu bytes in time", want);
}

/* Bytes of complete lines in @in, as canonical mode counts them readable. */
static size_t complete_lines(const struct termios2 *t, const uint8_t *in, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (in[i] == '\n' || in[i] == t->c_cc[VEOL])
			n = i + 1;
	return n;
}

int tty_refill(int master, int slave, const struct termios2 *t, const uint8_t *in,
	       size_t in_len, const uint8_t *out, size_t out_len)
{
	struct termios2 quiet = *t;
	struct timespec settle = { 0, 20 * 1000 * 1000 };
	int r = 0;

	if (!in_len && !out_len)
		return 0;
	quiet.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOPRT | ECHOKE | ISIG |
			   IEXTEN);
	quiet.c_iflag &= ~(ICRNL | INLCR | IGNCR | ISTRIP | IUCLC | IXON | IXOFF | IXANY);
	quiet.c_oflag &= ~OPOST;
	if (ioctl(slave, TCSETS2, &quiet) < 0)
		return log_error_errno(-errno, "terminal: cannot set its settings for a refill");
	if (out_len) {
		r = write_all(slave, out, out_len);
		if (r == 0)
			wait_queued(master, out_len < TTY_LDISC_BUF ? out_len : TTY_LDISC_BUF);
	}
	if (r == 0 && in_len) {
		size_t want = in_len;

		if (t->c_lflag & ICANON)
			want = complete_lines(t, in, in_len);
		r = write_all(master, in, in_len);
		if (r == 0 && want)
			wait_queued(slave, want < TTY_LDISC_BUF ? want : TTY_LDISC_BUF);
		if (r == 0 && want < in_len)
			nanosleep(&settle, NULL); /* a partial line: not counted until complete */
	}
	if (r < 0)
		log_error_errno(r, "terminal: cannot put %zu + %zu queued bytes back", in_len, out_len);
	if (ioctl(slave, TCSETS2, t) < 0 && r == 0)
		r = log_error_errno(-errno, "terminal: cannot put its settings back after a refill");
	return r;
}
