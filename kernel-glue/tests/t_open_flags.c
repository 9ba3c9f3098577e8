/* SPDX-License-Identifier: MIT */
/* Descriptors whose open flags the restore used to trip on: an unnamed
 * O_TMPFILE file (it comes back unnamed, with its bytes and flags, and can
 * still be given a name with linkat), and O_PATH descriptors of a file and
 * of a directory (which have no offset to seek to). (An O_TMPFILE file
 * given a name since is refused: refused.sh.)
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/stat.h>

#include "tlib.h"

static void expect_contents(int fd, const char *want, const char *what)
{
	char buf[64] = { 0 };

	if (pread(fd, buf, sizeof(buf) - 1, 0) != (ssize_t)strlen(want) || strcmp(buf, want) != 0)
		t_fail("%s holds '%s', not '%s'", what, buf, want);
}

int main(int argc, char **argv)
{
	char path[4096], named[4096], link[64];
	int unnamed, path_fd, dir_fd, fd;
	struct stat st;

	t_init("open-flags", argc, argv);
	unnamed = open(t_dir, O_TMPFILE | O_RDWR, 0600);
	if (unnamed < 0)
		t_fail("O_TMPFILE: %s", strerror(errno));
	if (write(unnamed, "unnamed", 7) != 7)
		t_fail("write: %s", strerror(errno));
	snprintf(named, sizeof(named), "%s/named", t_dir);
	fd = open(named, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "named", 5) != 5 || close(fd) < 0)
		t_fail("%s: %s", named, strerror(errno));
	path_fd = open(named, O_PATH);
	dir_fd = open(t_dir, O_PATH | O_DIRECTORY);
	if (path_fd < 0 || dir_fd < 0)
		t_fail("O_PATH: %s", strerror(errno));

	t_ready();
	t_wait_go();

	expect_contents(unnamed, "unnamed", "the unnamed O_TMPFILE file");
	if ((fcntl(unnamed, F_GETFL) & O_TMPFILE) != O_TMPFILE)
		t_fail("the unnamed file lost O_TMPFILE: flags %#o", fcntl(unnamed, F_GETFL));
	if (fstat(unnamed, &st) < 0 || st.st_nlink != 0)
		t_fail("the unnamed file has a name");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", unnamed);
	snprintf(path, sizeof(path), "%s/given", t_dir);
	unlink(path); /* given by a restore before */
	if (linkat(AT_FDCWD, link, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0)
		t_fail("the unnamed file cannot be given a name: %s", strerror(errno));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	expect_contents(fd, "unnamed", "the O_TMPFILE file, given a name");
	close(fd);
	unlink(path);
	if (!(fcntl(path_fd, F_GETFL) & O_PATH) || fstat(path_fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		t_fail("the O_PATH descriptor of a file is not one");
	fd = openat(dir_fd, "named", O_RDONLY);
	if (!(fcntl(dir_fd, F_GETFL) & O_PATH) || fd < 0)
		t_fail("the O_PATH descriptor of the directory does not lead to it");
	expect_contents(fd, "named", "the file under the O_PATH directory");
	t_pass();
}
