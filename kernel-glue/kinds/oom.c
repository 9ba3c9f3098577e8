/* SPDX-License-Identifier: MIT */
/*
 * The OOM score adjustment of a process (/proc/PID/oom_score_adj, -1000
 * to 1000), which its threads share.
 * Written from outside as soon as the stub exists, so the process is
 * already as protected (or as exposed) while its memory comes back, then
 * read back. The kernel lets anyone raise it, and lower it down to the
 * floor the process inherited; below that floor it takes CAP_SYS_RESOURCE.
 * A stub inherits the restorer's floor, so the inventory asks a child of
 * ferry to write the value to itself, and refuses the process before the
 * freeze when it cannot. A restored process has the restorer's floor, not
 * its own: it may lower its value down to that one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

struct oom_process {
	int32_t adj;
};

static const struct meta_field oom_process_fields[] = {
	META_U32(FM_P_OOM_SCORE_ADJ, struct oom_process, adj, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_oom;

static int read_adj(const char *path, int32_t *ret)
{
	char *s, *end;
	long v;
	int r = proc_read_file(path, &s, NULL);

	if (r < 0)
		return r;
	v = strtol(s, &end, 10);
	r = end == s ? -EINVAL : 0;
	free(s);
	*ret = v;
	return r;
}

static int write_adj(const char *path, int32_t adj)
{
	char buf[16];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, r = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", adj);
	if (write(fd, buf, n) != n)
		r = -errno;
	close(fd);
	return r;
}

/* ---- checkpoint ---- */

static int try_adj(const void *arg)
{
	return write_adj("/proc/self/oom_score_adj", *(const int32_t *)arg);
}

/* Could the restorer give a stub @adj? Asked of a child of ferry once per
 * value: 0 or -errno. */
static int restorer_can(int32_t adj)
{
	static struct {
		bool asked;
		int32_t adj;
		int result;
	} last[4];
	static size_t next;
	int32_t own;

	if (read_adj("/proc/self/oom_score_adj", &own) == 0 && adj == own)
		return 0; /* every stub has it already */
	for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++)
		if (last[i].asked && last[i].adj == adj)
			return last[i].result;
	next = (next + 1) % (sizeof(last) / sizeof(last[0]));
	last[next].asked = true;
	last[next].adj = adj;
	last[next].result = ckpt_restorer_can(try_adj, &adj);
	return last[next].result;
}

#define BELOW_FLOOR                                                                     \
	"a restorer with ferry's privileges could not set it again: below the floor ferry " \
	"inherited (oom_score_adj_min), only CAP_SYS_RESOURCE may set it"

static bool adj_settable(const struct inv_item *it)
{
	char *end;
	long v = strtol(it->value, &end, 10);

	return end != it->value && !*end && v >= -1000 && v <= 1000 && restorer_can(v) == 0;
}

static const struct inv_claim oom_claims[] = {
	INV_CLAIM_IF(INV_PROC, "oom_score_adj", adj_settable, BELOW_FLOOR),
	INV_CLAIMS_END,
};

static int oom_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct oom_process *op;
	char path[64];
	int32_t adj;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	r = read_adj(path, &adj);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	r = restorer_can(adj);
	if (r < 0)
		ckpt_unsupported(c, "pid %d: its OOM score adjustment %d: " BELOW_FLOOR " (%s)", pid,
				 adj, strerror(-r));
	op = kind_process_data(p, &kind_oom);
	if (!op)
		return -ENOMEM;
	op->adj = adj;
	return 0;
}

/* ---- restore ---- */

static int oom_process_created(struct rst *r, struct rproc *rp)
{
	const struct oom_process *op = kind_process_data_if(rp->p, &kind_oom);
	int32_t want = op ? op->adj : 0, now;
	char path[64];
	int e;

	(void)r;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", rp->pid);
	e = write_adj(path, want);
	if (e == 0)
		e = read_adj(path, &now);
	if (e == 0 && now != want)
		e = -EINVAL;
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot set its OOM score adjustment to %d%s", rp->pid,
				want, e == -EACCES ? " (below the restorer's floor: it needs "
						     "CAP_SYS_RESOURCE)" : "");
	return 0;
}

const struct kind kind_oom = {
	.name = "oom_score_adj",
	.claims = oom_claims,
	.dump_process = oom_dump_process,
	.process_size = sizeof(struct oom_process),
	.process_fields = oom_process_fields,
	.process_created = oom_process_created,
};
