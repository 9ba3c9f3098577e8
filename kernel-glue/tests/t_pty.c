/* SPDX-License-Identifier: MIT */
/*
 * A pty pair of its own, the slave its controlling terminal: custom
 * settings and window size, a line and a partial line waiting on the slave
 * side, output waiting on the master side. After restore all of it is
 * there and the pair still carries data both ways. The slave's fd keeps no
 * close-on-exec flag, a duplicate of it keeps its own.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <asm/termbits.h>
#include <sys/ioctl.h>

#include "tlib.h"

static void expect(int fd, const char *want, const char *what)
{
	char buf[256] = { 0 };
	size_t len = strlen(want), got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			t_fail("%s: read: %s (have '%s')", what, n < 0 ? strerror(errno) : "EOF",
			       buf);
		got += n;
	}
	if (strcmp(buf, want) != 0)
		t_fail("%s: read '%s' instead of '%s'", what, buf, want);
}

int main(int argc, char **argv)
{
	struct termios2 t, u;
	struct winsize ws = { .ws_row = 45, .ws_col = 123 }, w2;
	int m, s, c, n = 0, sid = 0;

	t_init("pty", argc, argv);
	m = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (m < 0 || ioctl(m, TIOCSPTLCK, &n) < 0)
		t_fail("ptmx: %s", strerror(errno));
	s = ioctl(m, TIOCGPTPEER, O_RDWR); /* no O_NOCTTY: it becomes ours */
	if (s < 0 || ioctl(s, TCGETS2, &t) < 0)
		t_fail("slave: %s", strerror(errno));
	t.c_lflag &= ~(ECHO | ECHOCTL);
	t.c_cc[VINTR] = 2;
	t.c_cc[VERASE] = 8;
	if (ioctl(s, TCSETS2, &t) < 0 || ioctl(s, TIOCSWINSZ, &ws) < 0)
		t_fail("settings: %s", strerror(errno));
	c = fcntl(s, F_DUPFD_CLOEXEC, 0);
	if (c < 0)
		t_fail("dup: %s", strerror(errno));
	if (write(m, "hello\npartial", 13) != 13 || write(s, "out-data\n", 9) != 9)
		t_fail("write: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (ioctl(s, TCGETS2, &u) < 0 || u.c_lflag != t.c_lflag || u.c_iflag != t.c_iflag ||
	    u.c_oflag != t.c_oflag || memcmp(u.c_cc, t.c_cc, sizeof(t.c_cc)) != 0)
		t_fail("the terminal settings changed");
	if (ioctl(m, TIOCGWINSZ, &w2) < 0 || w2.ws_row != 45 || w2.ws_col != 123)
		t_fail("the window size is %ux%u", w2.ws_col, w2.ws_row);
	if (ioctl(s, TIOCGSID, &sid) < 0 || sid != getpid())
		t_fail("it is not the controlling terminal of the session (%s, sid %d)",
		       strerror(errno), sid);
	if (fcntl(s, F_GETFD) != 0 || fcntl(c, F_GETFD) != FD_CLOEXEC)
		t_fail("close-on-exec of the slave is %d, of its duplicate %d", fcntl(s, F_GETFD),
		       fcntl(c, F_GETFD));
	expect(s, "hello\n", "the waiting line");
	if (write(m, "-end\n", 5) != 5)
		t_fail("write: %s", strerror(errno));
	expect(s, "partial-end\n", "the partial line");
	expect(m, "out-data\r\n", "the waiting output");
	if (write(s, "more\n", 5) != 5)
		t_fail("write: %s", strerror(errno));
	expect(m, "more\r\n", "new output");
	t_pass();
}
