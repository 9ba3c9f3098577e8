/* SPDX-License-Identifier: MIT */
/*
 * The OOM score adjustment: raised to 300 before the checkpoint (anyone
 * may raise it). After the restore it reads 300 again, and it may still
 * be lowered to 0, where it started (its floor is not raised).
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlib.h"

static int rw_adj(const char *set, char *buf, size_t size)
{
	int fd = open("/proc/self/oom_score_adj", O_RDWR);
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	if (set && write(fd, set, strlen(set)) != (ssize_t)strlen(set)) {
		close(fd);
		return -1;
	}
	if (buf) {
		lseek(fd, 0, SEEK_SET);
		n = read(fd, buf, size - 1);
		buf[n > 0 ? n : 0] = 0;
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	char now[32];

	t_init("oom", argc, argv);
	if (rw_adj("300", now, sizeof(now)) < 0 || atoi(now) != 300)
		t_fail("cannot raise oom_score_adj to 300: %s", strerror(errno));
	t_ready();
	t_wait_go();
	if (rw_adj(NULL, now, sizeof(now)) < 0)
		t_fail("cannot read oom_score_adj: %s", strerror(errno));
	if (atoi(now) != 300)
		t_fail("oom_score_adj is %d, not 300", atoi(now));
	if (rw_adj("0", now, sizeof(now)) < 0 || atoi(now) != 0)
		t_fail("oom_score_adj cannot go back to 0: %s", strerror(errno));
	t_pass();
}
