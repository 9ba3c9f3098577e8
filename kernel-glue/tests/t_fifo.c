/* SPDX-License-Identifier: MIT */
/* A named FIFO opened for reading (non-blocking) and for writing, with
 * bytes buffered in it. After restore the bytes are there, in order, the
 * flags are kept, and new bytes still go from one end to the other.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/stat.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	char path[4096], buf[256];
	int rfd, wfd, rw;

	t_init("fifo", argc, argv);
	snprintf(path, sizeof(path), "%s/fifo", t_dir);
	if (mkfifo(path, 0600) < 0)
		t_fail("mkfifo: %s", strerror(errno));
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	wfd = open(path, O_WRONLY);
	rw = open(path, O_RDWR);
	if (rfd < 0 || wfd < 0 || rw < 0)
		t_fail("open: %s", strerror(errno));
	if (write(wfd, "first-", 6) != 6 || write(rw, "second", 6) != 6)
		t_fail("write: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (!(fcntl(rfd, F_GETFL) & O_NONBLOCK) || (fcntl(wfd, F_GETFL) & O_NONBLOCK))
		t_fail("the O_NONBLOCK flags changed");
	if ((fcntl(rw, F_GETFL) & O_ACCMODE) != O_RDWR)
		t_fail("the read-write end is no longer read-write");
	if (read(rfd, buf, sizeof(buf)) != 12 || memcmp(buf, "first-second", 12) != 0)
		t_fail("the buffered bytes are not back");
	if (read(rfd, buf, sizeof(buf)) != -1 || errno != EAGAIN)
		t_fail("more bytes than were buffered");
	if (write(wfd, "third", 5) != 5 || read(rw, buf, 5) != 5 || memcmp(buf, "third", 5))
		t_fail("the ends are not one FIFO");
	t_pass();
}
