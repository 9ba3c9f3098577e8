/* SPDX-License-Identifier: MIT */
/*
 * Source: the System V semaphore sets and message queues a process of the
 * selection is seen to use (key "sem" or "msg", value its id and key),
 * carried by kinds/sysv_ipc.c, and a process's list of SEM_UNDO
 * adjustments (key "sem_undo"), refused. Neither a set nor a queue shows
 * every process that uses it: a semaphore names the last pid that
 * operated on it (semctl GETPID, for each semaphore of a set of
 * /proc/sysvipc/sem), a queue the last that sent to it and the last that
 * received (lspid, lrpid of /proc/sysvipc/msg). One that a process of the
 * selection uses without being the last to do so is not seen (the object
 * outlives a checkpoint on this kernel, not a kernel update); in an IPC
 * namespace of the selection's own every one is carried.
 *
 * The adjustments a semop() with SEM_UNDO leaves (semadj, undone when the
 * process exits) cannot be read from user space, nor set again: a thread
 * that has such a list (kcmp KCMP_SYSVSEM: its list is not ferry's, and
 * ferry never has one) is refused by name, but only when its IPC namespace
 * holds a semaphore set. An adjustment exists only for a set that exists
 * (removing a set frees them), and an empty list is common: glibc's
 * pthread_create() (CLONE_SYSVSEM) gives every process with threads one.
 * The list stays once made, so a process that used SEM_UNDO once is
 * refused, while sets exist, even with every adjustment back at 0.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/child_step.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "inventory.h"

const struct inv_rule inv_sysvipc_rules[] = {
	INV_REFUSED("sem", "a System V semaphore set it operated on last"),
	INV_REFUSED("msg", "a System V message queue it sent to or received from last"),
	INV_ACCEPT_WHY("sem_undo", "its list of System V semaphore adjustments (SEM_UNDO)", NULL,
		       "the adjustments (semadj) its exit would undo cannot be read from "
		       "user space, so they are not carried"),
	INV_RULES_END,
};

static bool selected(const pid_t *pids, size_t npids, long pid)
{
	for (size_t i = 0; i < npids; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static void offer(struct inv *v, pid_t pid, const char *key, long id, long ipc_key)
{
	char value[64];
	struct inv_item it = { .source = INV_SYSVIPC, .root = inv_root(v), .pid = pid,
			       .tid = pid, .key = key, .value = value };

	snprintf(value, sizeof(value), "id %ld, key %#lx", id, ipc_key);
	inv_offer(v, &it);
}

/* Each line after the header of /proc/sysvipc/@name, in @buf, or NULL. */
static int read_table(const char *name, char **buf)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", name);
	r = proc_read_file(path, buf, NULL);
	if (r == -ENOENT) {
		*buf = NULL; /* a kernel without System V IPC */
		return 0;
	}
	return r < 0 ? log_error_errno(r, "cannot read %s", path) : 0;
}

static void walk_sems(struct inv *v, const pid_t *pids, size_t npids, char *buf)
{
	char *line = strchr(buf, '\n');

	for (char *next; line && *++line; line = next) {
		long key, id, nsems;

		next = strchr(line, '\n');
		/* "key semid perms nsems uid gid cuid cgid otime ctime" */
		if (sscanf(line, "%ld %ld %*o %ld", &key, &id, &nsems) != 3) {
			if (!next)
				break;
			continue;
		}
		for (long i = 0; i < nsems; i++) {
			long pid = semctl((int)id, (int)i, GETPID);

			if (pid > 0 && selected(pids, npids, pid)) {
				offer(v, (pid_t)pid, "sem", id, key);
				break;
			}
		}
		if (!next)
			break;
	}
}

static void walk_msgs(struct inv *v, const pid_t *pids, size_t npids, char *buf)
{
	char *line = strchr(buf, '\n');

	for (char *next; line && *++line; line = next) {
		long key, id, lspid, lrpid;

		next = strchr(line, '\n');
		/* "key msqid perms cbytes qnum lspid lrpid uid gid ..." */
		if (sscanf(line, "%ld %ld %*o %*u %*u %ld %ld", &key, &id, &lspid, &lrpid) == 4) {
			if (lspid > 0 && selected(pids, npids, lspid))
				offer(v, (pid_t)lspid, "msg", id, key);
			if (lrpid > 0 && lrpid != lspid && selected(pids, npids, lrpid))
				offer(v, (pid_t)lrpid, "msg", id, key);
		}
		if (!next)
			break;
	}
}

/* Does thread @tid have a SEM_UNDO list? Ferry has none: kcmp says whether
 * the two lists are one (both none). NULL: no; else what to name. */
static const char *undo_list(pid_t tid, char *buf, size_t size)
{
	long r = syscall(SYS_kcmp, getpid(), tid, KCMP_SYSVSEM, 0, 0);

	if (r == 0 || (r < 0 && errno == ESRCH))
		return NULL;
	if (r < 0)
		snprintf(buf, size, "tid %d, not told apart from none (kcmp: %s)", tid,
			 strerror(errno));
	else
		snprintf(buf, size, "tid %d", tid);
	return buf;
}

static void walk_undo(struct inv *v, pid_t pid)
{
	char path[64];
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		pid_t tid = (pid_t)atoi(de->d_name);
		char value[128];
		struct inv_item it = { .source = INV_SYSVIPC, .root = inv_root(v), .pid = pid,
				       .tid = tid, .key = "sem_undo", .value = value };

		if (tid <= 0 || !undo_list(tid, value, sizeof(value)))
			continue;
		inv_offer(v, &it);
		break; /* one list a process is enough to name: threads share it */
	}
	closedir(d);
}

/* Does @table, a /proc/sysvipc table read by read_table, list an object? */
static bool table_lists_one(const char *table)
{
	const char *line = table ? strchr(table, '\n') : NULL;

	return line && line[1];
}

/* In a child inside the namespace: does it hold a set? */
static int sets_step(const void *arg, void *out, size_t size)
{
	char *sems = NULL;
	int r = proc_read_file("/proc/sysvipc/sem", &sems, NULL);

	(void)arg;
	(void)size;
	if (r < 0)
		return r;
	*(bool *)out = table_lists_one(sems);
	free(sems);
	return sizeof(bool);
}

/* Does the IPC namespace of process @pid, not ferry's, hold a semaphore
 * set? Read in a short-lived child that joins it: /proc/sysvipc shows the
 * reader's namespace. 1, 0, or -errno (then taken as yes). */
static int other_ns_has_sets(pid_t pid)
{
	bool has = true;
	int r = child_step_in_ns(CLONE_NEWIPC, pid, sets_step, NULL, &has, sizeof(has));

	return r < 0 ? r : r != sizeof(has) ? -EIO : has;
}

/* The last namespace other_ns_has_sets() looked into, and what it said:
 * the processes of a selection share one. */
struct undo_seen {
	ino_t ino;
	bool has_sets;
};

/* May the SEM_UNDO list of process @pid hold an adjustment: is there a
 * semaphore set in its IPC namespace? @own_sems: ferry's namespace's table. */
static bool undo_may_matter(pid_t pid, const char *own_sems, struct undo_seen *seen)
{
	char path[64];
	struct stat own, its;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	if (stat(path, &its) < 0)
		return true; /* gone meanwhile, or unreadable: asked below */
	if (stat("/proc/self/ns/ipc", &own) == 0 && own.st_ino == its.st_ino &&
	    own.st_dev == its.st_dev)
		return table_lists_one(own_sems);
	if (seen->ino != its.st_ino) {
		seen->ino = its.st_ino;
		seen->has_sets = other_ns_has_sets(pid) != 0;
	}
	return seen->has_sets;
}

int inv_walk_sysvipc(struct inv *v, const pid_t *pids, size_t npids)
{
	struct undo_seen seen = { 0 };
	char *sems, *msgs;
	int r = read_table("sem", &sems);

	if (r < 0)
		return r;
	r = read_table("msg", &msgs);
	if (r < 0) {
		free(sems);
		return r;
	}
	if (sems)
		walk_sems(v, pids, npids, sems);
	if (msgs)
		walk_msgs(v, pids, npids, msgs);
	for (size_t i = 0; i < npids; i++)
		if (undo_may_matter(pids[i], sems, &seen))
			walk_undo(v, pids[i]);
	free(sems);
	free(msgs);
	return 0;
}
