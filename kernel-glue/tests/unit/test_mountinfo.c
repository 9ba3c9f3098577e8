/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/mountinfo as the kernel writes it (fs/proc_namespace.c), read
 * by mountinfo_read_at(): the fields, the optional propagation fields,
 * escapes kept and undone by mountinfo_unescape(); lines that are not as
 * the kernel writes them and fields longer than their buffers refused
 * rather than cut; the bound on the number of lines; and this process's
 * own mountinfo read whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/mountinfo.h"

#define UNIT_CHECK(test, cond, ...)                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			printf("FAIL: %s: ", test);                                           \
			printf(__VA_ARGS__);                                                  \
			printf("\n");                                                         \
			return 1;                                                             \
		}                                                                             \
	} while (0)

static const char sample[] =
	"22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
	"23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"40 22 0:35 /tmp/x /srv/with\\040space ro,relatime master:7 - tmpfs tmpfs rw,size=1024k\n"
	"41 22 0:36 / /both rw shared:3 master:2 - tmpfs none rw\n"
	"42 22 0:37 / /never rw unbindable - tmpfs none rw\n"
	"43 22 0:38 / /private rw - cgroup2 cgroup2 rw,nsdelegate\n";

static int dir_fd;

/* @text as file "f" of the test directory, read back. */
static int read_text(const char *text, size_t max, struct mountinfo **v, size_t *n)
{
	int fd = openat(dir_fd, "f", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("test_mountinfo: write");
		exit(1);
	}
	close(fd);
	return mountinfo_read_at(dir_fd, "f", max, v, n);
}

static int test_fields(void)
{
	const char *t = "mountinfo-fields";
	struct mountinfo *v;
	size_t n;
	char real[64];
	int r = read_text(sample, 0, &v, &n);

	UNIT_CHECK(t, r == 0 && n == 6, "r=%d n=%zu", r, n);
	UNIT_CHECK(t, v[0].id == 22 && v[0].parent == 1 && v[0].dev_major == 259 &&
			      v[0].dev_minor == 2,
		   "line 1: %lu %lu %u:%u", v[0].id, v[0].parent, v[0].dev_major, v[0].dev_minor);
	UNIT_CHECK(t, !strcmp(v[0].fstype, "ext4") && !strcmp(v[0].source, "/dev/nvme0n1p2") &&
			      !strcmp(v[0].super, "rw,errors=remount-ro") &&
			      !strcmp(v[0].opts, "rw,relatime") && !strcmp(v[0].prop, "shared"),
		   "line 1: %s %s %s %s %s", v[0].fstype, v[0].source, v[0].super, v[0].opts,
		   v[0].prop);
	UNIT_CHECK(t, !strcmp(v[2].root, "/tmp/x") && !strcmp(v[2].point, "/srv/with\\040space") &&
			      !strcmp(v[2].prop, "slave"),
		   "line 3: %s %s %s", v[2].root, v[2].point, v[2].prop);
	mountinfo_unescape(v[2].point, real, sizeof(real));
	UNIT_CHECK(t, !strcmp(real, "/srv/with space"), "unescaped: %s", real);
	UNIT_CHECK(t, !strcmp(v[3].prop, "shared+slave") && !strcmp(v[4].prop, "unbindable") &&
			      !strcmp(v[5].prop, "private"),
		   "propagation: %s %s %s", v[3].prop, v[4].prop, v[5].prop);
	free(v);
	printf("PASS: %s\n", t);
	return 0;
}

static int test_refused(void)
{
	const char *t = "mountinfo-refused";
	static const char *bad[] = {
		"22 1 259:2 / / rw,relatime shared:1 ext4 /dev/sda rw\n", /* no " - " */
		"22 1 259:2 / / rw - ext4 /dev/sda\n",                    /* no super options */
		"x 1 259:2 / / rw - ext4 /dev/sda rw\n",                  /* id not a number */
		"22 1 259 / / rw - ext4 /dev/sda rw\n",                   /* no minor */
		"22 1 4096:0 / / rw - ext4 /dev/sda rw\n",                /* major over 12 bits */
		"22 1 259:2\n",
	};
	struct mountinfo *v;
	size_t n;
	char *line;
	int r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = read_text(bad[i], 0, &v, &n);
		UNIT_CHECK(t, r == -EPROTO, "%s: %d, not -EPROTO", bad[i], r);
	}
	/* a mount point one byte over the buffer: refused, not cut */
	line = malloc(2 * MOUNTINFO_FIELD_MAX);
	if (!line)
		return 1;
	snprintf(line, 2 * MOUNTINFO_FIELD_MAX, "22 1 0:3 / /%0*d rw - tmpfs none rw\n",
		 MOUNTINFO_FIELD_MAX - 1, 0);
	r = read_text(line, 0, &v, &n);
	UNIT_CHECK(t, r == -ENAMETOOLONG, "long point: %d, not -ENAMETOOLONG", r);
	snprintf(line, 2 * MOUNTINFO_FIELD_MAX, "22 1 0:3 / /%0*d rw - tmpfs none rw\n",
		 MOUNTINFO_FIELD_MAX - 2, 0);
	r = read_text(line, 0, &v, &n);
	UNIT_CHECK(t, r == 0 && n == 1 && strlen(v[0].point) == MOUNTINFO_FIELD_MAX - 1,
		   "longest point: %d", r);
	free(v);
	free(line);
	r = read_text(sample, 5, &v, &n);
	UNIT_CHECK(t, r == -E2BIG, "six lines with a bound of five: %d", r);
	printf("PASS: %s\n", t);
	return 0;
}

static int test_self(void)
{
	const char *t = "mountinfo-self";
	struct mountinfo *v;
	size_t n;
	int r = mountinfo_read_self(&v, &n);
	int root = 0;

	UNIT_CHECK(t, r == 0 && n > 0, "r=%d n=%zu", r, n);
	for (size_t i = 0; i < n; i++)
		root += !strcmp(v[i].point, "/");
	free(v);
	UNIT_CHECK(t, root >= 1, "no mount at /");
	printf("PASS: %s\n", t);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/test-mountinfo.XXXXXX";
	int failed;

	if (!mkdtemp(dir) || (dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror("test_mountinfo: temporary directory");
		return 1;
	}
	failed = test_fields() + test_refused() + test_self();
	unlinkat(dir_fd, "f", 0);
	rmdir(dir);
	return failed ? 1 : 0;
}
