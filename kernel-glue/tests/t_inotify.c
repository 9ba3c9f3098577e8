/* SPDX-License-Identifier: MIT */
/* An inotify instance watching a directory as watch 2 (watch 1 was
 * removed). After restore a file made there is reported on watch 2.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	char a[4096], b[4096], path[4200], buf[4096] __attribute__((aligned(8)));
	struct inotify_event *ev = (void *)buf;
	int fd, w1, w2;

	t_init("inotify", argc, argv);
	snprintf(a, sizeof(a), "%s/a", t_dir);
	snprintf(b, sizeof(b), "%s/watched", t_dir);
	if (mkdir(a, 0755) < 0 || mkdir(b, 0755) < 0)
		t_fail("mkdir: %s", strerror(errno));
	fd = inotify_init1(IN_NONBLOCK);
	w1 = inotify_add_watch(fd, a, IN_CREATE);
	w2 = inotify_add_watch(fd, b, IN_CREATE | IN_DELETE);
	if (fd < 0 || w1 != 1 || w2 != 2 || inotify_rm_watch(fd, w1) < 0)
		t_fail("inotify: %s (wd %d %d)", strerror(errno), w1, w2);
	while (read(fd, buf, sizeof(buf)) > 0)
		; /* the IN_IGNORED of watch 1 */
	t_ready();
	t_wait_go();

	if (read(fd, buf, sizeof(buf)) != -1 || errno != EAGAIN)
		t_fail("an event is there before anything happened (wd %d mask %#x)", ev->wd,
		       ev->mask);
	snprintf(path, sizeof(path), "%s/new-file", b);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	if (read(fd, buf, sizeof(buf)) < (ssize_t)sizeof(*ev))
		t_fail("no event: %s", strerror(errno));
	if (ev->wd != 2 || !(ev->mask & IN_CREATE) || strcmp(ev->name, "new-file") != 0)
		t_fail("event wd %d mask %#x name '%s'", ev->wd, ev->mask, ev->len ? ev->name : "");
	t_pass();
}
