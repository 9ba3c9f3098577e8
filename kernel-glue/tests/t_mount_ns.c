/* SPDX-License-Identifier: MIT */
/*
 * Runs in a mount namespace of its own as systemd's sandboxing makes one
 * (mount_ns.sh sets it up): a private /tmp bound from a directory of the
 * host, /usr and /etc read-only, /home covered by an inaccessible
 * directory, a small tmpfs at DIR/tmpfs with a file, a directory and a
 * symlink. It holds a file of its private /tmp open; at the end (SIGUSR1)
 * it checks that the fd and the path are the same file with the same
 * contents, /tmp is still the private one, /usr and /etc are read-only,
 * /home is the inaccessible one, and the tmpfs holds what it held.
 *
 * host-test: by mount_ns.sh
 */
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tlib.h"

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	if (n < 0)
		t_fail("read %s: %s", path, strerror(errno));
	buf[n] = 0;
	close(fd);
}

static void read_only(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		t_fail("statvfs %s: %s", path, strerror(errno));
	if (!(sv.f_flag & ST_RDONLY))
		t_fail("%s is not read-only", path);
}

static void check(const char *when, int fd)
{
	char buf[256], path[4096], link[4096];
	struct stat a, b;
	ssize_t n;

	if (fstat(fd, &a) < 0 || stat("/tmp/private.txt", &b) < 0)
		t_fail("%s: stat of /tmp/private.txt: %s", when, strerror(errno));
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		t_fail("%s: the fd and /tmp/private.txt are not the same file", when);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		t_fail("%s: pread: %s", when, strerror(errno));
	buf[n] = 0;
	if (strcmp(buf, "written through the fd\n") != 0)
		t_fail("%s: the fd reads '%s'", when, buf);
	read_file("/tmp/private.txt", buf, sizeof(buf));
	if (strcmp(buf, "written through the fd\n") != 0)
		t_fail("%s: /tmp/private.txt reads '%s'", when, buf);
	read_file("/tmp/marker", buf, sizeof(buf));
	if (strcmp(buf, "the private tmp\n") != 0)
		t_fail("%s: /tmp is not the private one: /tmp/marker reads '%s'", when, buf);
	read_only("/usr");
	read_only("/etc");
	if (stat("/home", &a) < 0 || (a.st_mode & 07777) != 0)
		t_fail("%s: /home is not the inaccessible directory (mode %o)", when,
		       (unsigned)(a.st_mode & 07777));
	snprintf(path, sizeof(path), "%s/tmpfs/state.txt", t_dir);
	read_file(path, buf, sizeof(buf));
	if (strcmp(buf, "in the tmpfs\n") != 0)
		t_fail("%s: %s reads '%s'", when, path, buf);
	snprintf(path, sizeof(path), "%s/tmpfs/sub/link", t_dir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		t_fail("%s: readlink %s: %s", when, path, strerror(errno));
	link[n] = 0;
	if (strcmp(link, "../state.txt") != 0)
		t_fail("%s: %s points to '%s'", when, path, link);
	snprintf(path, sizeof(path), "%s/tmpfs/null", t_dir);
	if (stat(path, &a) < 0 || !S_ISCHR(a.st_mode) || a.st_rdev != makedev(1, 3) ||
	    (a.st_mode & 07777) != 0666)
		t_fail("%s: %s is not the device node 1:3 of mode 666", when, path);
	snprintf(path, sizeof(path), "%s/tmpfs/sub", t_dir);
	if (stat(path, &a) < 0 || (a.st_mode & 07777) != 0750)
		t_fail("%s: %s is not mode 750", when, path);
}

int main(int argc, char **argv)
{
	static const char text[] = "written through the fd\n";
	int fd;

	t_init("mount_ns", argc, argv);
	fd = open("/tmp/private.txt", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		t_fail("open /tmp/private.txt: %s", strerror(errno));
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
		t_fail("write: %s", strerror(errno));
	check("before", fd);
	t_ready();
	t_wait_go();
	check("after the restore", fd);
	t_pass();
}
