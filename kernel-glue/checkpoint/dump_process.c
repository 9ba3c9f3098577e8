/* SPDX-License-Identifier: MIT */
/* Process-wide attributes: ids, names, directories, credentials, limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

/* Credentials are set in every thread from the process's: a thread with
 * credentials of its own would lose them. */
static bool as_leader(const struct inv_item *it)
{
	return !it->leader_value || strcmp(it->value, it->leader_value) == 0;
}

#define CRED_OF_ITS_OWN "a thread with credentials of its own is not carried yet"

/* Whether ferry has CAP_SYS_RESOURCE in its effective set. */
static bool ferry_has_sys_resource(void)
{
	struct {
		uint32_t version;
		int32_t pid;
	} head = { 0x20080522, 0 }; /* _LINUX_CAPABILITY_VERSION_3 */
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];

	if (syscall(SYS_capget, &head, data) < 0)
		return false;
	return data[CAP_SYS_RESOURCE / 32].effective & (1u << (CAP_SYS_RESOURCE % 32));
}

/*
 * A limit is restored by the restorer on its stub, which has the
 * restorer's limits: lowering either or raising the soft one up to the
 * hard one needs no privilege, raising the hard one CAP_SYS_RESOURCE. The
 * restorer is taken to be ferry as it is now (ferry-init, on a new
 * kernel, has every capability and the kernel's own limits).
 */
static bool limit_restorable(const struct inv_item *it)
{
	int res = proc_limit_resource(it->key);
	struct rlimit own;
	unsigned long long hard;
	char h[24];

	/* the value is "SOFT HARD" as proc_parse_limits() checked it */
	if (res < 0 || res >= ST_NRLIMITS || getrlimit(res, &own) < 0 ||
	    sscanf(it->value, "%*s %23s", h) != 1)
		return false;
	hard = strcmp(h, "unlimited") == 0 ? RLIM_INFINITY : strtoull(h, NULL, 10);
	return hard <= own.rlim_max || ferry_has_sys_resource();
}

#define LIMIT_ABOVE_OWN                                                                    \
	"its hard limit is above ferry's own, and raising a hard limit needs "            \
	"CAP_SYS_RESOURCE, which ferry lacks"
#define LIMIT(name) INV_CLAIM_IF(INV_LIMIT, name, limit_restorable, LIMIT_ABOVE_OWN)

const struct inv_claim dump_process_claims[] = {
	INV_CLAIM(INV_STATUS, "Name"),
	INV_CLAIM(INV_STATUS, "Umask"),
	INV_CLAIM(INV_STATUS, "PPid"),
	INV_CLAIM_IF(INV_STATUS, "Uid", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "Gid", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "Groups", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "CapInh", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "CapPrm", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "CapEff", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "CapBnd", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "CapAmb", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM_IF(INV_STATUS, "NoNewPrivs", as_leader, CRED_OF_ITS_OWN),
	INV_CLAIM(INV_PROC, "personality"),
	LIMIT("Max cpu time"), LIMIT("Max file size"), LIMIT("Max data size"),
	LIMIT("Max stack size"), LIMIT("Max core file size"), LIMIT("Max resident set"),
	LIMIT("Max processes"), LIMIT("Max open files"), LIMIT("Max locked memory"),
	LIMIT("Max address space"), LIMIT("Max file locks"), LIMIT("Max pending signals"),
	LIMIT("Max msgqueue size"), LIMIT("Max nice priority"), LIMIT("Max realtime priority"),
	LIMIT("Max realtime timeout"),
	INV_CLAIMS_END,
};

static int parse_ids(const char *status, const char *key, uint32_t ids[4])
{
	char buf[128];
	int r = proc_status_field(status, key, buf, sizeof(buf));

	if (r < 0)
		return r;
	if (sscanf(buf, "%u %u %u %u", &ids[0], &ids[1], &ids[2], &ids[3]) != 4)
		return -EINVAL;
	return 0;
}

static int parse_groups(const char *status, struct st_process *p)
{
	char buf[4096], *s;
	int r = proc_status_field(status, "Groups", buf, sizeof(buf));

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (s = buf; *s;) {
		char *end;
		unsigned long g = strtoul(s, &end, 10);
		uint32_t *slot;

		if (end == s)
			break;
		slot = ST_PUSH(p->groups, p->ngroups);
		if (!slot)
			return -ENOMEM;
		*slot = g;
		s = end;
	}
	return 0;
}

static int parse_hex(const char *status, const char *key, uint64_t *ret)
{
	char buf[64];
	int r = proc_status_field(status, key, buf, sizeof(buf));

	if (r < 0)
		return r;
	*ret = strtoull(buf, NULL, 16);
	return 0;
}

/* Capabilities and the flags that go with them, from /proc/PID/status
 * (a seccomp filter, which is not carried, the inventory refuses). */
static int parse_privileges(const char *status, struct st_process *p)
{
	char buf[64];
	int r;

	r = parse_hex(status, "CapInh", &p->caps.inheritable);
	if (r == 0)
		r = parse_hex(status, "CapPrm", &p->caps.permitted);
	if (r == 0)
		r = parse_hex(status, "CapEff", &p->caps.effective);
	if (r == 0)
		r = parse_hex(status, "CapBnd", &p->caps.bounding);
	if (r == 0 && parse_hex(status, "CapAmb", &p->caps.ambient) < 0)
		p->caps.ambient = 0;
	if (r < 0)
		return r;
	p->have_caps = true;
	if (proc_status_field(status, "NoNewPrivs", buf, sizeof(buf)) == 0)
		p->no_new_privs = strtoul(buf, NULL, 10) != 0;
	return 0;
}

/* The resource limits, from /proc/PID/limits: anyone may read it, where
 * prlimit() on another user's process needs CAP_SYS_RESOURCE. */
static int dump_limits(pid_t pid, struct st_process *p)
{
	struct proc_limit lim[32];
	bool seen[ST_NRLIMITS] = { false };
	size_t n;
	int r = proc_read_limits(pid, lim, 32, &n);

	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read /proc/%d/limits%s", pid, pid,
				r == -EPROTO ? ": a line is not as this kernel writes it" : "");
	for (size_t i = 0; i < n; i++) {
		int res = lim[i].resource;

		if (res < 0 || res >= ST_NRLIMITS)
			continue; /* refused by the inventory */
		p->rlimits[res][0] = lim[i].soft;
		p->rlimits[res][1] = lim[i].hard;
		seen[res] = true;
	}
	for (int i = 0; i < ST_NRLIMITS; i++)
		if (!seen[i])
			return log_error_errno(-EPROTO, "pid %d: /proc/%d/limits has no '%s'", pid, pid,
					proc_limit_name(i));
	return 0;
}

int dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	char path[64], buf[64], *status, *s;
	uint64_t stat[8];
	int r;

	(void)c;
	p->pid = pid;
	r = proc_stat_fields(pid, stat, 8);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read /proc/%d/stat", pid, pid);
	p->ppid = stat[4];
	p->pgid = stat[5];
	p->sid = stat[6];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	r = proc_read_file(path, &s, NULL);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	s[strcspn(s, "\n")] = 0;
	snprintf(p->comm, sizeof(p->comm), "%s", s);
	free(s);

	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	r = proc_read_link(path, &p->cwd);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	r = proc_read_link(path, &p->root);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	if (strstr(p->cwd, " (deleted)"))
		ckpt_unsupported(c, "pid %d cwd: %s: deleted directories are not supported", pid,
				 p->cwd);

	snprintf(path, sizeof(path), "/proc/%d/personality", pid);
	r = proc_read_file(path, &s, NULL);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	p->personality = strtoul(s, NULL, 16);
	free(s);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	r = proc_read_file(path, &status, NULL);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	r = proc_status_field(status, "Umask", buf, sizeof(buf));
	if (r == 0)
		p->umask = strtoul(buf, NULL, 8);
	if (r == 0)
		r = parse_ids(status, "Uid", p->uids);
	if (r == 0)
		r = parse_ids(status, "Gid", p->gids);
	if (r == 0)
		r = parse_groups(status, p);
	if (r == 0)
		r = parse_privileges(status, p);
	free(status);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot parse %s", pid, path);

	r = dump_limits(pid, p);
	if (r < 0)
		return r;
	p->mm_id = pid;
	return 0;
}
