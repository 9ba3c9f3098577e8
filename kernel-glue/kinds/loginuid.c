/* SPDX-License-Identifier: MIT */
/*
 * The audit login uid of a process (/proc/PID/loginuid; 4294967295 when
 * it was never set), which its threads and children inherit. The kernel
 * takes a new one only from the process itself: the restorer opens the
 * file, hands it to the process and has it write there, once every stub
 * exists and before the other threads are made (they inherit it). A
 * process whose login uid is unset may set it without privilege; one
 * whose login uid is set needs CAP_AUDIT_CONTROL to change it, and cannot
 * at all when audit makes it immutable. A stub has the restorer's, so the
 * inventory asks a child of ferry to give itself the value and refuses
 * the process before the freeze when it cannot. A thread with a login uid
 * of its own is refused. Writing it also starts a new audit session: the
 * session id is the kernel's and cannot be set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define LOGINUID_UNSET 0xffffffffu

struct loginuid_process {
	bool set;     /* false: never set, or a kernel without audit */
	uint32_t uid;
};

static const struct meta_field loginuid_process_fields[] = {
	META_U32(FM_P_LOGINUID, struct loginuid_process, uid, 0,
		 .present = META_PRESENT(struct loginuid_process, set)),
	{ 0 },
};

extern const struct kind kind_loginuid;

/* -ENOENT: a kernel without audit */
static int read_uid(const char *path, uint32_t *ret)
{
	char *s, *end;
	unsigned long v;
	int r = proc_read_file(path, &s, NULL);

	if (r < 0)
		return r;
	v = strtoul(s, &end, 10);
	r = end == s ? -EINVAL : 0;
	free(s);
	*ret = v;
	return r;
}

/* ---- checkpoint ---- */

static int try_uid(const void *arg)
{
	char buf[16];
	int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC), n, r = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%u", *(const uint32_t *)arg);
	if (write(fd, buf, n) != n)
		r = -errno;
	close(fd);
	return r;
}

/* Could the restorer give a stub @uid? Asked of a child of ferry once
 * per value: 0 or -errno. */
static int restorer_can(uint32_t uid)
{
	static struct {
		bool asked;
		uint32_t uid;
		int result;
	} last[4];
	static size_t next;
	uint32_t own = LOGINUID_UNSET;

	read_uid("/proc/self/loginuid", &own);
	if (uid == own)
		return 0; /* every stub has it already */
	for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++)
		if (last[i].asked && last[i].uid == uid)
			return last[i].result;
	next = (next + 1) % (sizeof(last) / sizeof(last[0]));
	last[next].asked = true;
	last[next].uid = uid;
	last[next].result = ckpt_restorer_can(try_uid, &uid);
	return last[next].result;
}

#define NOT_SETTABLE                                                                     \
	"a restorer with ferry's privileges could not set it again: ferry's own login uid " \
	"is set, and changing a set one needs CAP_AUDIT_CONTROL and audit not making it "  \
	"immutable"

static bool uid_settable(const struct inv_item *it)
{
	char *end;
	unsigned long v = strtoul(it->value, &end, 10);

	return end != it->value && !*end && v <= UINT32_MAX && restorer_can(v) == 0;
}

static const struct inv_claim loginuid_claims[] = {
	INV_CLAIM_IF(INV_PROC, "loginuid", uid_settable, NOT_SETTABLE),
	INV_CLAIMS_END,
};

static int loginuid_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct loginuid_process *lp;
	char path[96];
	uint32_t uid;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/loginuid", pid);
	r = read_uid(path, &uid);
	if (r == -ENOENT)
		return 0; /* no audit: nothing to carry */
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	for (size_t i = 1; i < p->nthreads; i++) {
		uint32_t tuid;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/loginuid", pid, p->threads[i].tid);
		if (read_uid(path, &tuid) == 0 && tuid != uid)
			ckpt_unsupported(c, "pid %d tid %d: its audit login uid %u is not its "
					 "process's (%u): a thread with a login uid of its own is not "
					 "supported", pid, p->threads[i].tid, tuid, uid);
	}
	r = restorer_can(uid);
	if (r < 0)
		ckpt_unsupported(c, "pid %d: its audit login uid %u: " NOT_SETTABLE " (%s)", pid, uid,
				 strerror(-r));
	lp = kind_process_data(p, &kind_loginuid);
	if (!lp)
		return -ENOMEM;
	lp->set = uid != LOGINUID_UNSET;
	lp->uid = uid;
	return 0;
}

/* ---- restore ---- */

static int set_in(struct rst *r, struct rproc *rp, uint32_t uid)
{
	char path[64], buf[16];
	int fd, n, e;
	uint64_t addr;
	long tfd, res;

	snprintf(path, sizeof(path), "/proc/%d/loginuid", rp->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "pid %d: cannot open %s to give it audit login uid %u",
				rp->pid, path, uid);
	e = restore_pull_fd(r, rp, fd, &tfd);
	close(fd);
	if (e < 0)
		return e;
	n = snprintf(buf, sizeof(buf), "%u", uid);
	e = tramp_data(rp, 0, buf, n, &addr);
	res = e < 0 ? e : INJECT(&rp->in, SYS_write, tfd, addr, n);
	INJECT(&rp->in, SYS_close, tfd);
	if (res != n)
		return log_error_errno(res < 0 ? res : -EIO, "pid %d: cannot set its audit login uid to %u",
				rp->pid, uid);
	return 0;
}

/* Every stub exists (each has the restorer's login uid, none inherited a
 * set one from its parent), no thread is made yet. */
static int loginuid_restore_finish(struct rst *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct rproc *rp = &r->procs[i];
		const struct loginuid_process *lp = kind_process_data_if(rp->p, &kind_loginuid);
		uint32_t want = lp && lp->set ? lp->uid : LOGINUID_UNSET, now = LOGINUID_UNSET;
		char path[64];
		int e;

		snprintf(path, sizeof(path), "/proc/%d/loginuid", rp->pid);
		e = read_uid(path, &now);
		if (e == -ENOENT && want == LOGINUID_UNSET)
			continue;
		if (e < 0)
			return log_error_errno(e, "pid %d: cannot read %s (its audit login uid is %u)",
					rp->pid, path, want);
		if (now == want)
			continue;
		e = set_in(r, rp, want);
		if (e == 0)
			e = read_uid(path, &now);
		if (e == 0 && now != want)
			e = log_error_errno(-EINVAL, "pid %d: its audit login uid is %u, not %u", rp->pid,
				     now, want);
		if (e < 0)
			return e;
	}
	return 0;
}

const struct kind kind_loginuid = {
	.name = "loginuid",
	.claims = loginuid_claims,
	.dump_process = loginuid_dump_process,
	.process_size = sizeof(struct loginuid_process),
	.process_fields = loginuid_process_fields,
	.restore_finish = loginuid_restore_finish,
};
