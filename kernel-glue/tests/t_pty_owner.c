/* SPDX-License-Identifier: MIT */
/*
 * A pty's slave keeps its owner and mode: the process opens a pair, gives
 * the slave to uid 1234, group 5 (as grantpt() gives it to the user and
 * group tty) with mode 0600 (as mesg n leaves it). After the restore its
 * slave, by descriptor and by its path under /dev/pts, has them again.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <sys/stat.h>

#include "tlib.h"

static void check(const struct stat *st, const char *what)
{
	if (st->st_uid != 1234 || st->st_gid != 5 || (st->st_mode & 07777) != 0600)
		t_fail("%s is %u:%u, mode %04o, not 1234:5, mode 0600", what, st->st_uid, st->st_gid,
		       st->st_mode & 07777);
}

int main(int argc, char **argv)
{
	int master, slave;
	char path[64];
	struct stat st;

	t_init("pty_owner", argc, argv);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || unlockpt(master) < 0)
		t_fail("posix_openpt: %s", strerror(errno));
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0)
		t_fail("open %s: %s", ptsname(master), strerror(errno));
	if (fchown(slave, 1234, 5) < 0 || fchmod(slave, 0600) < 0)
		t_fail("fchown, fchmod of the slave: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (fstat(slave, &st) < 0)
		t_fail("fstat: %s", strerror(errno));
	check(&st, "the slave");
	snprintf(path, sizeof(path), "%s", ptsname(master));
	if (stat(path, &st) < 0)
		t_fail("stat %s: %s", path, strerror(errno));
	check(&st, path);
	t_pass();
}
