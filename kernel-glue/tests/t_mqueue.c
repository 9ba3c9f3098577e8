/* SPDX-License-Identifier: MIT */
/* POSIX message queues: a named queue (mode 0640, 8 messages of at most
 * 128 bytes) holding four messages at three priorities, one of them empty,
 * read through a non-blocking descriptor, and a queue unlinked while open
 * holding two. After the restore both hold the same messages in the same
 * order with their priorities, the attributes, mode and flags are kept,
 * and the unlinked queue still has no name.
 *
 * With T_BETWEEN=mqueue_unlink the named queue is removed after each kill
 * (a new kernel has none), so the restore makes it again from the image;
 * without, it is opened as it was left. With T_FAIL_ONCE=mqueue_same each
 * restore first fails once the process runs: it must remove the queue it
 * made (and not one it found), so that the next restore gives back each
 * message once.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 * host-test: run T_BETWEEN=mqueue_unlink usr1 1
 * host-test: run T_BETWEEN=mqueue_unlink usr1 2
 * host-test: run T_BETWEEN=mqueue_unlink T_FAIL_ONCE=mqueue_same usr1 2
 * host-test: run T_FAIL_ONCE=mqueue_same usr1 1
 */
#include <mqueue.h>
#include <sys/stat.h>

#include "tlib.h"

struct msg {
	unsigned prio;
	const char *text;
};

/* in the order mq_receive() gives them: by priority, then as sent */
static const struct msg named_msgs[] = { { 5, "b-five" }, { 1, "a-one" }, { 1, "c-one" }, { 0, "" } };
static const struct msg unlinked_msgs[] = { { 2, "x-two" }, { 0, "y-zero" } };

static void check_queue(mqd_t q, const char *what, const struct msg *want, size_t n)
{
	char buf[128];
	struct mq_attr a;

	if (mq_getattr(q, &a) < 0 || a.mq_maxmsg != 8 || a.mq_msgsize != 128 ||
	    a.mq_curmsgs != (long)n)
		t_fail("%s: attributes %ld messages of %ld bytes, %ld queued (%s)", what, a.mq_maxmsg,
		       a.mq_msgsize, a.mq_curmsgs, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		unsigned prio = 99;
		ssize_t len = mq_receive(q, buf, sizeof(buf), &prio);

		if (len != (ssize_t)strlen(want[i].text) || memcmp(buf, want[i].text, len) != 0 ||
		    prio != want[i].prio)
			t_fail("%s: message %zu is %zd bytes at priority %u, not '%s' at %u (%s)", what, i,
			       len, prio, want[i].text, want[i].prio, len < 0 ? strerror(errno) : "");
	}
}

int main(int argc, char **argv)
{
	struct mq_attr a = { .mq_maxmsg = 8, .mq_msgsize = 128 };
	char named[64], unlinked[64];
	struct stat st;
	mqd_t q, u;

	t_init("mqueue", argc, argv);
	snprintf(named, sizeof(named), "/ferry-t-mqueue"); /* mqueue_unlink.sh knows it */
	snprintf(unlinked, sizeof(unlinked), "/ferry-t-mqueue-unlinked-%d", getpid());
	mq_unlink(named);
	umask(0);
	q = mq_open(named, O_RDWR | O_CREAT | O_NONBLOCK, 0640, &a);
	u = mq_open(unlinked, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	if (q < 0 || u < 0 || mq_unlink(unlinked) < 0)
		t_fail("mq_open: %s", strerror(errno));
	/* sent out of order: the queue orders them */
	if (mq_send(q, "a-one", 5, 1) < 0 || mq_send(q, "b-five", 6, 5) < 0 ||
	    mq_send(q, "c-one", 5, 1) < 0 || mq_send(q, "", 0, 0) < 0 ||
	    mq_send(u, "y-zero", 6, 0) < 0 || mq_send(u, "x-two", 5, 2) < 0)
		t_fail("mq_send: %s", strerror(errno));
	t_ready();
	t_wait_go();
	if (fstat(q, &st) < 0 || (st.st_mode & 07777) != 0640)
		t_fail("the named queue's mode is %o", st.st_mode & 07777);
	if (!(fcntl(q, F_GETFL) & O_NONBLOCK) || (fcntl(u, F_GETFL) & O_NONBLOCK))
		t_fail("the queues' flags changed: %#x, %#x", fcntl(q, F_GETFL), fcntl(u, F_GETFL));
	check_queue(q, named, named_msgs, 4);
	check_queue(u, "the unlinked queue", unlinked_msgs, 2);
	if (mq_open(unlinked, O_RDONLY) >= 0 || errno != ENOENT)
		t_fail("the unlinked queue has a name again");
	mq_unlink(named);
	t_pass();
}
