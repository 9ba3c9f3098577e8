/* SPDX-License-Identifier: MIT */
/*
 * System V semaphore sets (semget, semop) and message queues (msgget,
 * msgsnd, msgrcv): each carried with its id, the key it was made with,
 * its permission bits, owner and creator; a set with every semaphore's
 * value and last pid (GETALL, GETPID), a queue with its qbytes, its last
 * sender's and receiver's pids and every message in order, its type and
 * its bytes (read with msgrcv(MSG_COPY | IPC_NOWAIT), which takes nothing
 * off the queue and changes none of its attributes; a kernel without
 * CONFIG_CHECKPOINT_RESTORE has no MSG_COPY, and its queues are refused).
 *
 * Which ones: in an IPC namespace of the selection's own (kinds/ipc_ns.c)
 * every set and queue of the namespace, read inside it (setns
 * CLONE_NEWIPC). In ferry's own namespace, shared with every process of
 * the machine, those the kernel names a process of the selection as the
 * last user of (a semaphore's sempid, a queue's lspid or lrpid: what
 * inventory/sysvipc.c sees before the freeze, claimed here); a set or
 * queue the selection uses without being the last to have operated on it
 * is not seen, and not carried (it outlives the processes on this kernel,
 * not a kernel update).
 *
 * Refused before the freeze, by name (inventory/sysvipc.c): a process
 * with a list of SEM_UNDO adjustments (its semadj values cannot be read
 * from user space; kcmp(KCMP_SYSVSEM) tells that it has one). Refused at
 * the freeze: a set or queue beyond the bounds of sysv_ipc.h, a queue
 * whose messages cannot be copied (no MSG_COPY) or change while read.
 *
 * At restore each is made again before the first process exists, in the
 * processes' IPC namespace (that of kinds/ipc_ns.c, or the restorer's):
 * its id written to /proc/sys/kernel/{sem,msg}_next_id, then semget() or
 * msgget() with IPC_CREAT | IPC_EXCL as its creator (a child of the
 * restorer with the creator's effective uid and gid), the id checked; a
 * set's values set (SETVAL, only the semaphores not at 0), a queue's
 * messages sent in order (its qbytes raised for that), then owner and
 * mode set. A set or queue the restore finds at the id with the same key
 * and creator (a set: as many semaphores) is the object itself (on the
 * same kernel it outlives the processes): its values are set again where
 * they differ, its messages taken off and sent again. An id or key taken
 * by another one refuses the restore, naming it. The last pids are given
 * back where they name a process of the image, by that process itself
 * once every process exists (process_ready of the last one): a semop()
 * of +1 and -1 on the semaphore, one atomic call that leaves its value;
 * a message of a type no message of the queue has, sent by the last
 * sender and received by the last receiver (the restorer where one is
 * not a process of the image). Then a queue's qbytes is set. A failed
 * restore removes the sets and queues it made, not those it found.
 *
 * Not carried: a last pid that names no process of the image (it names
 * the restorer, or is 0, after the restore), the times (sem_otime,
 * sem_ctime, msg_stime, msg_rtime, msg_ctime), which are those of the
 * restore, and SEM_UNDO adjustments (refused). A process blocked in
 * semop(), msgsnd() or msgrcv() was taken out of it by the freeze and
 * comes back as the kernel leaves it: msgsnd() and msgrcv() are issued
 * again (-ERESTARTNOHAND), semop() returns EINTR, as after a stop.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/ns_step.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "sysv_create.h"
#include "sysv_ipc.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif


union semun_arg {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* ---- metadata ---- */

static const struct meta_cell set_owner_cells[] = {
	META_CELL(struct sem_set, uid, 4),
	META_CELL(struct sem_set, gid, 4),
};

static const struct meta_cell set_creator_cells[] = {
	META_CELL(struct sem_set, cuid, 4),
	META_CELL(struct sem_set, cgid, 4),
};

static const struct meta_cell value_cells[] = {
	META_CELL(struct sem_value, value, 4),
	META_CELL(struct sem_value, pid, 4),
};

static const struct meta_field set_fields[] = {
	META_U32(FM_SEM_ID, struct sem_set, id, META_REQUIRED | META_UNIT),
	META_U32(FM_SEM_KEY, struct sem_set, key, META_REQUIRED | META_HEX),
	META_U32(FM_SEM_MODE, struct sem_set, mode, META_REQUIRED),
	META_CELLS(FM_SEM_OWNER, set_owner_cells, META_REQUIRED),
	META_CELLS(FM_SEM_CREATOR, set_creator_cells, META_REQUIRED),
	META_RECORDS(FM_SEM_VALUES, struct sem_set, sems, nsems, struct sem_value, value_cells,
		     META_REQUIRED),
	{ 0 },
};

static const struct meta_node set_node = {
	.name = FM_SYSV_SEM, .size = sizeof(struct sem_set), .fields = set_fields,
};

static const struct meta_cell queue_owner_cells[] = {
	META_CELL(struct msg_queue, uid, 4),
	META_CELL(struct msg_queue, gid, 4),
};

static const struct meta_cell queue_creator_cells[] = {
	META_CELL(struct msg_queue, cuid, 4),
	META_CELL(struct msg_queue, cgid, 4),
};

static const struct meta_cell queue_pid_cells[] = {
	META_CELL(struct msg_queue, lspid, 4),
	META_CELL(struct msg_queue, lrpid, 4),
};

static const struct meta_cell message_cells[] = {
	META_CELL(struct msg_rec, type, 8),
	META_CELL(struct msg_rec, size, 4),
};

static const struct meta_field queue_fields[] = {
	META_U32(FM_MSG_ID, struct msg_queue, id, META_REQUIRED | META_UNIT),
	META_U32(FM_MSG_KEY, struct msg_queue, key, META_REQUIRED | META_HEX),
	META_U32(FM_MSG_MODE, struct msg_queue, mode, META_REQUIRED),
	META_CELLS(FM_MSG_OWNER, queue_owner_cells, META_REQUIRED),
	META_CELLS(FM_MSG_CREATOR, queue_creator_cells, META_REQUIRED),
	META_U64(FM_MSG_QBYTES, struct msg_queue, qbytes, META_REQUIRED),
	META_CELLS(FM_MSG_PIDS, queue_pid_cells, META_REQUIRED),
	META_RECORDS(FM_MSG_MESSAGES, struct msg_queue, msgs, nmsgs, struct msg_rec,
		     message_cells, META_OMIT_ZERO),
	META_BYTES(FM_MSG_DATA, struct msg_queue, data, len, META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_node queue_node = {
	.name = FM_SYSV_MSG, .size = sizeof(struct msg_queue), .fields = queue_fields,
};

static const struct meta_field sysv_ipc_image_fields[] = {
	META_NODES(FM_SYSV_SEMS, struct sysv_ipc_image, sets, nsets, &set_node, META_OMIT_ZERO),
	META_NODES(FM_SYSV_MSGS, struct sysv_ipc_image, queues, nqueues, &queue_node,
		   META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_sysv_ipc;

static bool in_image(const struct st_image *img, uint32_t pid)
{
	for (size_t i = 0; pid && i < img->nprocs; i++)
		if ((uint32_t)img->procs[i].pid == pid)
			return true;
	return false;
}

/* ---- checkpoint ---- */

static int ns_ino(const char *path, ino_t *ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

/* Each "ID KEY" line after the header of /proc/sysvipc/@name (read in the
 * namespace ferry is in), as ids and keys. */
static int read_table(const char *name, long **ret_ids, long **ret_keys, size_t *ret_n)
{
	char path[64], *text = NULL, *line;
	long *ids = NULL, *keys = NULL;
	size_t n = 0, ni = 0;
	int e;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", name);
	e = proc_read_file(path, &text, NULL);
	if (e == -ENOENT) {
		*ret_ids = *ret_keys = NULL;
		*ret_n = 0;
		return 0; /* a kernel without System V IPC */
	}
	if (e < 0)
		return log_error_errno(e, "cannot read %s", path);
	line = strchr(text, '\n');
	while (line && *++line) {
		long key, id;
		char *next = strchr(line, '\n');

		if (sscanf(line, "%ld %ld", &key, &id) == 2) {
			long *k;

			if (!ST_PUSH(ids, ni) || !(k = ST_PUSH(keys, n))) {
				free(ids);
				free(keys);
				free(text);
				return -ENOMEM;
			}
			ids[ni - 1] = id;
			*k = key;
		}
		line = next;
	}
	free(text);
	*ret_ids = ids;
	*ret_keys = keys;
	*ret_n = n;
	return 0;
}

/* Set @id (key @key) into @si: 0 (recorded, refused, or not the
 * selection's: @all false and no semaphore names a process of it) or
 * -errno. */
static int dump_set(struct ckpt *c, struct sysv_ipc_image *si, long id, long key, bool all)
{
	struct semid_ds ds;
	union semun_arg arg = { .buf = &ds };
	unsigned short *vals = NULL;
	struct sem_set *s;
	bool mine = all;

	if (semctl((int)id, 0, IPC_STAT, arg) < 0) {
		/* gone since the listing; or, in ferry's namespace, one ferry may
		 * not read, whose last pids it cannot see (the inventory neither) */
		if (errno == EINVAL || errno == EIDRM || (!all && errno == EACCES))
			return 0;
		ckpt_unsupported(c, "System V semaphore set %ld (key %#lx): cannot read its "
				 "attributes (semctl IPC_STAT): %s", id, (unsigned long)key,
				 strerror(errno));
		return 0;
	}
	if (!ds.sem_nsems || ds.sem_nsems > SYSV_SEMS_MAX) {
		ckpt_unsupported(c, "System V semaphore set %ld (key %#lx): %lu semaphores, more "
				 "than the %u a set carried may have", id, (unsigned long)key,
				 (unsigned long)ds.sem_nsems, SYSV_SEMS_MAX);
		return 0;
	}
	if (si->nsets == SYSV_SETS_MAX) {
		ckpt_unsupported(c, "System V semaphore set %ld (key %#lx): more than the %u sets "
				 "an image may carry", id, (unsigned long)key, SYSV_SETS_MAX);
		return 0;
	}
	vals = calloc(ds.sem_nsems, sizeof(*vals));
	s = ST_PUSH(si->sets, si->nsets);
	if (!vals || !s) {
		free(vals);
		return -ENOMEM;
	}
	s->id = (uint32_t)id;
	s->key = (uint32_t)key;
	s->mode = ds.sem_perm.mode & 0777;
	s->uid = ds.sem_perm.uid;
	s->gid = ds.sem_perm.gid;
	s->cuid = ds.sem_perm.cuid;
	s->cgid = ds.sem_perm.cgid;
	s->sems = calloc(ds.sem_nsems, sizeof(*s->sems));
	if (!s->sems) {
		free(vals);
		return -ENOMEM;
	}
	s->nsems = ds.sem_nsems;
	arg.array = vals;
	if (semctl((int)id, 0, GETALL, arg) < 0) {
		ckpt_unsupported(c, "System V semaphore set %ld (key %#lx): cannot read its values "
				 "(semctl GETALL): %s", id, (unsigned long)key, strerror(errno));
		free(vals);
		return 0;
	}
	for (size_t i = 0; i < s->nsems; i++) {
		int pid = semctl((int)id, (int)i, GETPID);

		if (pid < 0) {
			ckpt_unsupported(c, "System V semaphore set %ld (key %#lx): cannot read the "
					 "last pid of semaphore %zu (semctl GETPID): %s", id,
					 (unsigned long)key, i, strerror(errno));
			free(vals);
			return 0;
		}
		s->sems[i].value = vals[i];
		s->sems[i].pid = (uint32_t)pid;
		mine = mine || in_image(&c->img, (uint32_t)pid);
	}
	free(vals);
	if (!mine) {
		free(s->sems);
		si->nsets--;
		return 0;
	}
	log_debug("System V semaphore set %ld (key %#lx): %zu semaphores", id,
		  (unsigned long)key, s->nsems);
	return 0;
}

/* Every message of queue @q (@qnum of them, @cbytes bytes), in order, read
 * without taking them off it. 0, or 1 when refused (named), or -errno. */
static int copy_messages(struct ckpt *c, struct msg_queue *q, size_t qnum, size_t cbytes)
{
	size_t room = cbytes + sizeof(long);
	struct msgbuf_any {
		long mtype;
		char mtext[];
	} *buf = malloc(room);

	if (!buf)
		return -ENOMEM;
	q->data = cbytes ? malloc(cbytes) : NULL;
	q->msgs = qnum ? calloc(qnum, sizeof(*q->msgs)) : NULL;
	if ((cbytes && !q->data) || (qnum && !q->msgs)) {
		free(buf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < qnum; i++) {
		ssize_t n = msgrcv((int)q->id, buf, cbytes, (long)i, MSG_COPY | IPC_NOWAIT);

		if (n < 0) {
			int err = errno;

			free(buf);
			if (err == ENOSYS || err == EINVAL)
				ckpt_unsupported(c, "System V message queue %u (key %#x): its "
						 "messages cannot be read without taking them off "
						 "(msgrcv MSG_COPY: %s; a kernel with "
						 "CONFIG_CHECKPOINT_RESTORE has it)", q->id, q->key,
						 strerror(err));
			else
				ckpt_unsupported(c, "System V message queue %u (key %#x): cannot "
						 "copy its message %zu of %zu (msgrcv MSG_COPY): %s",
						 q->id, q->key, i + 1, qnum, strerror(err));
			return 1;
		}
		if ((size_t)n > cbytes - q->len || buf->mtype <= 0) {
			free(buf);
			ckpt_unsupported(c, "System V message queue %u (key %#x): its messages "
					 "changed while they were read", q->id, q->key);
			return 1;
		}
		q->msgs[i].type = (uint64_t)buf->mtype;
		q->msgs[i].size = (uint32_t)n;
		memcpy(q->data + q->len, buf->mtext, (size_t)n);
		q->len += (size_t)n;
		q->nmsgs = i + 1;
	}
	free(buf);
	if (q->len != cbytes) {
		ckpt_unsupported(c, "System V message queue %u (key %#x): %zu bytes read of its "
				 "%zu: its messages changed while they were read", q->id, q->key,
				 q->len, cbytes);
		return 1;
	}
	if (!q->len) {
		free(q->data);
		q->data = NULL;
	}
	return 0;
}

static int dump_queue(struct ckpt *c, struct sysv_ipc_image *si, long id, long key, bool all)
{
	struct msqid_ds ds;
	struct msg_queue *q;
	int e;

	if (msgctl((int)id, IPC_STAT, &ds) < 0) {
		if (errno == EINVAL || errno == EIDRM || (!all && errno == EACCES))
			return 0;
		ckpt_unsupported(c, "System V message queue %ld (key %#lx): cannot read its "
				 "attributes (msgctl IPC_STAT): %s", id, (unsigned long)key,
				 strerror(errno));
		return 0;
	}
	if (!all && !in_image(&c->img, (uint32_t)ds.msg_lspid) &&
	    !in_image(&c->img, (uint32_t)ds.msg_lrpid))
		return 0;
	if (ds.msg_qnum > SYSV_MSGS_MAX || ds.__msg_cbytes > SYSV_MSG_BYTES_MAX) {
		ckpt_unsupported(c, "System V message queue %ld (key %#lx): %lu messages, %lu "
				 "bytes: more than the %u messages or %u MiB a queue carried may "
				 "have", id, (unsigned long)key, (unsigned long)ds.msg_qnum,
				 (unsigned long)ds.__msg_cbytes, SYSV_MSGS_MAX,
				 SYSV_MSG_BYTES_MAX >> 20);
		return 0;
	}
	if (si->nqueues == SYSV_QUEUES_MAX) {
		ckpt_unsupported(c, "System V message queue %ld (key %#lx): more than the %u "
				 "queues an image may carry", id, (unsigned long)key,
				 SYSV_QUEUES_MAX);
		return 0;
	}
	q = ST_PUSH(si->queues, si->nqueues);
	if (!q)
		return -ENOMEM;
	q->id = (uint32_t)id;
	q->key = (uint32_t)key;
	q->mode = ds.msg_perm.mode & 0777;
	q->uid = ds.msg_perm.uid;
	q->gid = ds.msg_perm.gid;
	q->cuid = ds.msg_perm.cuid;
	q->cgid = ds.msg_perm.cgid;
	q->qbytes = ds.msg_qbytes;
	q->lspid = (uint32_t)ds.msg_lspid;
	q->lrpid = (uint32_t)ds.msg_lrpid;
	e = copy_messages(c, q, ds.msg_qnum, ds.__msg_cbytes);
	if (e < 0)
		return e;
	log_debug("System V message queue %ld (key %#lx): %zu messages, %zu bytes", id,
		  (unsigned long)key, q->nmsgs, q->len);
	return 0;
}

/* In the namespace of the selection: its sets and queues. */
static int dump_inside(struct ckpt *c, bool all)
{
	struct sysv_ipc_image *si = kind_image_data(&c->img, &kind_sysv_ipc);
	long *ids = NULL, *keys = NULL;
	size_t n = 0;
	int e;

	if (!si)
		return -ENOMEM;
	e = read_table("sem", &ids, &keys, &n);
	for (size_t i = 0; e == 0 && i < n; i++)
		e = dump_set(c, si, ids[i], keys[i], all);
	free(ids);
	free(keys);
	if (e < 0)
		return e;
	e = read_table("msg", &ids, &keys, &n);
	for (size_t i = 0; e == 0 && i < n; i++)
		e = dump_queue(c, si, ids[i], keys[i], all);
	free(ids);
	free(keys);
	return e;
}

static int sysv_ipc_dump_check(struct ckpt *c)
{
	struct ns_step ns = { .away = false };
	char path[64];
	ino_t mine = 0, theirs = 0;
	int e;

	if (!c->img.nprocs)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", c->img.procs[0].pid);
	e = ns_ino("/proc/self/ns/ipc", &mine);
	if (e == 0)
		e = ns_ino(path, &theirs);
	if (e == -ENOENT)
		return 0; /* a kernel without IPC namespaces: nothing to read inside */
	if (e < 0)
		return log_error_errno(e, "cannot read the IPC namespaces of ferry and of pid %d",
				       c->img.procs[0].pid);
	e = ns_step_into(&ns, CLONE_NEWIPC, c->img.procs[0].pid);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot join its IPC namespace to read its "
				       "System V semaphore sets and message queues",
				       c->img.procs[0].pid);
	/* its own namespace: all of it; ferry's: what the selection used last */
	e = dump_inside(c, mine != theirs);
	ns_step_back(&ns);
	return e;
}

/* ---- metadata: what a reader takes ---- */

static const char *set_bad(const struct sysv_ipc_image *si, const struct sem_set *s)
{
	if (s->id & 0x80000000u)
		return "an id of 2^31 or more";
	if (!s->nsems || s->nsems > SYSV_SEMS_MAX)
		return "no semaphore, or more than 32000";
	if (s->mode & ~0777u)
		return "mode bits beyond 0777";
	for (size_t i = 0; i < (size_t)(s - si->sets); i++)
		if (si->sets[i].id == s->id)
			return "its id twice";
	for (size_t i = 0; i < s->nsems; i++)
		if (s->sems[i].value > SYSV_SEMVAL_MAX || s->sems[i].pid >= SYSV_PID_MAX)
			return "a value above 32767 or a pid above 4194303";
	return NULL;
}

static const char *queue_bad(const struct sysv_ipc_image *si, const struct msg_queue *q)
{
	size_t sum = 0;

	if (q->id & 0x80000000u)
		return "an id of 2^31 or more";
	if (q->mode & ~0777u)
		return "mode bits beyond 0777";
	if (q->qbytes > INT_MAX)
		return "a qbytes above 2^31 - 1";
	if (q->nmsgs > SYSV_MSGS_MAX || q->len > SYSV_MSG_BYTES_MAX)
		return "more than 65536 messages or 16 MiB";
	if (q->lspid >= SYSV_PID_MAX || q->lrpid >= SYSV_PID_MAX)
		return "a pid above 4194303";
	for (size_t i = 0; i < (size_t)(q - si->queues); i++)
		if (si->queues[i].id == q->id)
			return "its id twice";
	for (size_t i = 0; i < q->nmsgs; i++) {
		if (!q->msgs[i].type || q->msgs[i].type > (uint64_t)LONG_MAX)
			return "a message type of 0 or above 2^63 - 1";
		sum += q->msgs[i].size;
		if (sum > q->len)
			break;
	}
	if (sum != q->len)
		return "message sizes that do not add up to its data";
	return NULL;
}

static int sysv_ipc_image_check(struct meta_in *in, struct st_image *img)
{
	const struct sysv_ipc_image *si = kind_image_data_if(img, &kind_sysv_ipc);
	const char *bad;

	if (si && (si->nsets > SYSV_SETS_MAX || si->nqueues > SYSV_QUEUES_MAX))
		return in->err = log_error_errno(-EINVAL, "image metadata: %zu System V semaphore "
						 "sets and %zu message queues: more than %u",
						 si->nsets, si->nqueues, SYSV_SETS_MAX);
	for (size_t i = 0; si && i < si->nsets && !in->err; i++)
		if ((bad = set_bad(si, &si->sets[i])))
			in->err = log_error_errno(-EINVAL, "image metadata: System V semaphore set "
						  "%u: %s", si->sets[i].id, bad);
	for (size_t i = 0; si && i < si->nqueues && !in->err; i++)
		if ((bad = queue_bad(si, &si->queues[i])))
			in->err = log_error_errno(-EINVAL, "image metadata: System V message queue "
						  "%u: %s", si->queues[i].id, bad);
	return in->err;
}

/* ---- restore ---- */

/* What this restore made (removed if it fails), and where it is. */
struct ipc_made {
	uint32_t *sets, *queues;
	size_t nsets, nqueues;
	bool pids_done;
};

static int remember(uint32_t **ids, size_t *n, uint32_t id)
{
	uint32_t *slot = ST_PUSH(*ids, *n);

	if (!slot)
		return -ENOMEM;
	*slot = id;
	return 0;
}

/* The id @id made again (@what "semaphore set", @nsems its size, or
 * "message queue"); 1 when it is there already as the image's own, 0 made,
 * or -errno (logged). */
static int make_again(const char *what, enum sysv_type type, const char *ipcrm, uint32_t id,
		      uint32_t key, int nsems, uint32_t cuid, uint32_t cgid)
{
	int got, e;

	if (key != IPC_PRIVATE &&
	    (got = nsems ? semget((key_t)key, 0, 0) : msgget((key_t)key, 0)) >= 0)
		return log_error_errno(-EEXIST, "System V %s %u: its key %#x is taken on this "
				       "system by %d: remove that one (ipcrm %s %d) to restore",
				       what, id, key, got, ipcrm, got);
	e = sysv_next_id(type, id);
	if (e < 0)
		return log_error_errno(e, "System V %s %u: cannot choose its id (%s: a kernel "
				       "with CONFIG_CHECKPOINT_RESTORE, and "
				       "CAP_CHECKPOINT_RESTORE, are needed)", what, id,
				       sysv_next_id_path(type));
	got = sysv_create_as(type, key, (uint64_t)nsems, cuid, cgid);
	if (got < 0) {
		sysv_next_id(type, -1);
		return log_error_errno(got, "System V %s %u (key %#x): cannot make it again as "
				       "its creator %u:%u", what, id, key, cuid, cgid);
	}
	if ((uint32_t)got != id) {
		if (nsems)
			semctl(got, 0, IPC_RMID);
		else
			msgctl(got, IPC_RMID, NULL);
		return log_error_errno(-EEXIST, "System V %s %u: the kernel gave it id %d (its "
				       "place is taken on this system): not restored under "
				       "another id", what, id, got);
	}
	return 0;
}

static int make_set(struct ipc_made *m, const struct sem_set *s)
{
	struct semid_ds ds;
	union semun_arg arg = { .buf = &ds };
	bool found = false;
	int e;

	if (semctl((int)s->id, 0, IPC_STAT, arg) == 0) {
		if ((uint32_t)ds.sem_perm.__key != s->key || ds.sem_nsems != s->nsems ||
		    ds.sem_perm.cuid != s->cuid || ds.sem_perm.cgid != s->cgid)
			return log_error_errno(-EEXIST, "System V semaphore set %u (key %#x, %zu "
					       "semaphores): its id is taken on this system by a "
					       "set of key %#x, %lu semaphores, creator %u:%u: "
					       "remove that one (ipcrm -s %u) to restore", s->id,
					       s->key, s->nsems, (unsigned)ds.sem_perm.__key,
					       (unsigned long)ds.sem_nsems, ds.sem_perm.cuid,
					       ds.sem_perm.cgid, s->id);
		found = true;
	} else {
		e = make_again("semaphore set", SYSV_SEM, "-s", s->id, s->key, (int)s->nsems,
			       s->cuid, s->cgid);
		if (e < 0)
			return e;
		e = remember(&m->sets, &m->nsets, s->id);
		if (e < 0) {
			semctl((int)s->id, 0, IPC_RMID);
			return e;
		}
	}
	/* SETVAL makes the restorer the semaphore's last pid: only where needed */
	for (size_t i = 0; i < s->nsems; i++) {
		int now = found ? semctl((int)s->id, (int)i, GETVAL) : 0;

		if (now == (int)s->sems[i].value)
			continue;
		arg.val = (int)s->sems[i].value;
		if (semctl((int)s->id, (int)i, SETVAL, arg) < 0)
			return log_error_errno(-errno, "System V semaphore set %u: cannot give "
					       "semaphore %zu its value %u", s->id, i,
					       s->sems[i].value);
	}
	arg.buf = &ds;
	if (semctl((int)s->id, 0, IPC_STAT, arg) < 0)
		return log_error_errno(-errno, "System V semaphore set %u: IPC_STAT", s->id);
	ds.sem_perm.uid = s->uid;
	ds.sem_perm.gid = s->gid;
	ds.sem_perm.mode = s->mode;
	if (semctl((int)s->id, 0, IPC_SET, arg) < 0)
		return log_error_errno(-errno, "System V semaphore set %u: cannot give it owner "
				       "%u:%u and mode %#o", s->id, s->uid, s->gid, s->mode);
	return 0;
}

/* While the messages go in (and the message that gives the pids back):
 * room for all of them whatever its qbytes. */
static uint64_t filling_qbytes(const struct msg_queue *q)
{
	uint64_t room = q->len + q->nmsgs + 2;

	return q->qbytes > room ? q->qbytes : room;
}

static int set_queue_attrs(const struct msg_queue *q, uint64_t qbytes)
{
	struct msqid_ds ds;

	if (msgctl((int)q->id, IPC_STAT, &ds) < 0)
		return log_error_errno(-errno, "System V message queue %u: IPC_STAT", q->id);
	ds.msg_perm.uid = q->uid;
	ds.msg_perm.gid = q->gid;
	ds.msg_perm.mode = q->mode;
	ds.msg_qbytes = qbytes;
	if (msgctl((int)q->id, IPC_SET, &ds) < 0)
		return log_error_errno(-errno, "System V message queue %u: cannot give it owner "
				       "%u:%u, mode %#o and qbytes %llu", q->id, q->uid, q->gid,
				       q->mode, (unsigned long long)qbytes);
	return 0;
}

static int make_queue(struct ipc_made *m, const struct msg_queue *q)
{
	struct msqid_ds ds;
	struct {
		long mtype;
		char mtext[];
	} *buf;
	size_t biggest = 0, off = 0;
	int e;

	if (msgctl((int)q->id, IPC_STAT, &ds) == 0) {
		if ((uint32_t)ds.msg_perm.__key != q->key || ds.msg_perm.cuid != q->cuid ||
		    ds.msg_perm.cgid != q->cgid)
			return log_error_errno(-EEXIST, "System V message queue %u (key %#x): its "
					       "id is taken on this system by a queue of key %#x, "
					       "creator %u:%u: remove that one (ipcrm -q %u) to "
					       "restore", q->id, q->key,
					       (unsigned)ds.msg_perm.__key, ds.msg_perm.cuid,
					       ds.msg_perm.cgid, q->id);
	} else {
		e = make_again("message queue", SYSV_MSG, "-q", q->id, q->key, 0, q->cuid,
			       q->cgid);
		if (e < 0)
			return e;
		e = remember(&m->queues, &m->nqueues, q->id);
		if (e < 0) {
			msgctl((int)q->id, IPC_RMID, NULL);
			return e;
		}
	}
	e = set_queue_attrs(q, filling_qbytes(q));
	if (e < 0)
		return e;
	for (size_t i = 0; i < q->nmsgs; i++)
		biggest = q->msgs[i].size > biggest ? q->msgs[i].size : biggest;
	buf = malloc(sizeof(long) + (biggest > 8192 ? biggest : 8192));
	if (!buf)
		return -ENOMEM;
	/* the queue found: what it holds now goes, the image's comes back */
	while (msgrcv((int)q->id, buf, 8192, 0, IPC_NOWAIT | MSG_NOERROR) >= 0)
		;
	for (size_t i = 0; i < q->nmsgs; i++) {
		buf->mtype = (long)q->msgs[i].type;
		memcpy(buf->mtext, q->data + off, q->msgs[i].size);
		off += q->msgs[i].size;
		if (msgsnd((int)q->id, buf, q->msgs[i].size, IPC_NOWAIT) < 0) {
			e = log_error_errno(-errno, "System V message queue %u: cannot send its "
					    "message %zu (type %llu, %u bytes) again%s", q->id,
					    i + 1, (unsigned long long)q->msgs[i].type,
					    q->msgs[i].size,
					    errno == EINVAL ? ": more than kernel.msgmax?" : "");
			break;
		}
	}
	free(buf);
	return e;
}

static int sysv_ipc_restore_begin(struct rst *r)
{
	const struct sysv_ipc_image *si = kind_image_data_if(&r->img, &kind_sysv_ipc);
	struct ipc_made *m;
	int e = 0;

	if (!si || (!si->nsets && !si->nqueues))
		return 0;
	m = rst_kind_state(r, &kind_sysv_ipc, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < si->nsets && e == 0; i++)
		e = make_set(m, &si->sets[i]);
	for (size_t i = 0; i < si->nqueues && e == 0; i++)
		e = make_queue(m, &si->queues[i]);
	return e;
}

static struct rproc *restored(struct rst *r, uint32_t pid)
{
	for (size_t i = 0; pid && i < r->nprocs; i++)
		if ((uint32_t)r->procs[i].pid == pid && r->procs[i].created)
			return &r->procs[i];
	return NULL;
}

/* semop() of +1 and -1 on semaphore @num of @s, by @rp: it is the last
 * pid of it, its value unchanged. */
static int sem_touch(struct rproc *rp, const struct sem_set *s, size_t num)
{
	bool top = s->sems[num].value == SYSV_SEMVAL_MAX;
	struct sembuf ops[2] = {
		{ .sem_num = (unsigned short)num, .sem_op = top ? -1 : 1, .sem_flg = IPC_NOWAIT },
		{ .sem_num = (unsigned short)num, .sem_op = top ? 1 : -1, .sem_flg = IPC_NOWAIT },
	};
	uint64_t addr;
	long res;
	int e = tramp_data(rp, 0, ops, sizeof(ops), &addr);

	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_semop, s->id, addr, 2);
	if (res < 0)
		return log_error_errno((int)res, "pid %d: cannot give System V semaphore set %u's "
				       "semaphore %zu its last pid (semop): %s", rp->pid, s->id,
				       num, strerror((int)-res));
	return 0;
}

/* A message type that no message of @q has. */
static long spare_type(const struct msg_queue *q)
{
	for (long t = LONG_MAX;; t--) {
		bool used = false;

		for (size_t i = 0; i < q->nmsgs && !used; i++)
			used = q->msgs[i].type == (uint64_t)t;
		if (!used)
			return t;
	}
}

/* An empty message of type @type sent (@send) or received, by @rp or, NULL,
 * by the restorer. */
static int msg_step(struct rproc *rp, const struct msg_queue *q, long type, bool send)
{
	long buf[2] = { type, 0 };
	uint64_t addr;
	long res;
	int e;

	if (!rp) {
		res = send ? msgsnd((int)q->id, buf, 0, IPC_NOWAIT)
			   : msgrcv((int)q->id, buf, 0, type, IPC_NOWAIT);
		res = res < 0 ? -errno : 0;
	} else {
		e = tramp_data(rp, 0, buf, sizeof(buf), &addr);
		if (e < 0)
			return e;
		res = send ? INJECT(&rp->in, SYS_msgsnd, q->id, addr, 0, IPC_NOWAIT)
			   : INJECT(&rp->in, SYS_msgrcv, q->id, addr, 0, (uint64_t)type,
				    IPC_NOWAIT);
	}
	if (res < 0)
		return log_error_errno((int)res, "System V message queue %u: cannot give it its "
				       "last %s pid %u (%s by %s): %s", q->id,
				       send ? "sending" : "receiving", send ? q->lspid : q->lrpid,
				       send ? "msgsnd" : "msgrcv", rp ? "that process" : "the restorer",
				       strerror((int)-res));
	return 0;
}

/* Every process exists: the last pids given back by the processes they
 * name, then each queue's qbytes. */
static int give_pids_back(struct rst *r, const struct sysv_ipc_image *si)
{
	int e = 0;

	for (size_t i = 0; i < si->nsets && e == 0; i++)
		for (size_t k = 0; k < si->sets[i].nsems && e == 0; k++) {
			struct rproc *rp = restored(r, si->sets[i].sems[k].pid);

			if (rp)
				e = sem_touch(rp, &si->sets[i], k);
		}
	for (size_t i = 0; i < si->nqueues && e == 0; i++) {
		const struct msg_queue *q = &si->queues[i];
		struct rproc *sender = restored(r, q->lspid), *receiver = restored(r, q->lrpid);
		long type = spare_type(q);

		if (sender || receiver) {
			e = msg_step(sender, q, type, true);
			if (e == 0)
				e = msg_step(receiver, q, type, false);
		}
		if (e == 0)
			e = set_queue_attrs(q, q->qbytes);
	}
	return e;
}

static int sysv_ipc_process_ready(struct rst *r, struct rproc *rp)
{
	const struct sysv_ipc_image *si = kind_image_data_if(&r->img, &kind_sysv_ipc);
	struct ipc_made *m = rst_kind_state(r, &kind_sysv_ipc, 0);

	if (!si || !m || m->pids_done || rp != &r->procs[r->nprocs - 1])
		return 0;
	m->pids_done = true;
	return give_pids_back(r, si);
}

static int verify_set(struct rst *r, struct rproc *rp, const struct sem_set *s)
{
	struct semid_ds ds;
	union semun_arg arg = { .buf = &ds };
	unsigned short *vals;

	if (semctl((int)s->id, 0, IPC_STAT, arg) < 0)
		return verify_differs(rp, "System V semaphore set %u: %s", s->id, strerror(errno));
	if ((uint32_t)ds.sem_perm.__key != s->key || (ds.sem_perm.mode & 0777) != s->mode ||
	    ds.sem_perm.uid != s->uid || ds.sem_perm.gid != s->gid ||
	    ds.sem_perm.cuid != s->cuid || ds.sem_perm.cgid != s->cgid || ds.sem_nsems != s->nsems)
		return verify_differs(rp, "System V semaphore set %u: key %#x, mode %#o, owner "
				      "%u:%u, creator %u:%u, %lu semaphores, not key %#x, mode %#o, "
				      "owner %u:%u, creator %u:%u, %zu semaphores", s->id,
				      (unsigned)ds.sem_perm.__key, ds.sem_perm.mode & 0777,
				      ds.sem_perm.uid, ds.sem_perm.gid, ds.sem_perm.cuid,
				      ds.sem_perm.cgid, (unsigned long)ds.sem_nsems, s->key, s->mode,
				      s->uid, s->gid, s->cuid, s->cgid, s->nsems);
	vals = calloc(s->nsems, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	arg.array = vals;
	if (semctl((int)s->id, 0, GETALL, arg) < 0) {
		free(vals);
		return verify_differs(rp, "System V semaphore set %u: GETALL: %s", s->id,
				      strerror(errno));
	}
	for (size_t i = 0; i < s->nsems; i++) {
		int pid = semctl((int)s->id, (int)i, GETPID);

		if (vals[i] != s->sems[i].value ||
		    (in_image(&r->img, s->sems[i].pid) && (uint32_t)pid != s->sems[i].pid)) {
			unsigned v = vals[i];

			free(vals);
			return verify_differs(rp, "System V semaphore set %u: semaphore %zu is %u, "
					      "last pid %d, not %u, last pid %u", s->id, i, v, pid,
					      s->sems[i].value, s->sems[i].pid);
		}
	}
	free(vals);
	return 0;
}

static int verify_queue(struct rst *r, struct rproc *rp, const struct msg_queue *q)
{
	struct msqid_ds ds;
	struct {
		long mtype;
		char mtext[];
	} *buf;
	size_t off = 0;
	int e = 0;

	if (msgctl((int)q->id, IPC_STAT, &ds) < 0)
		return verify_differs(rp, "System V message queue %u: %s", q->id, strerror(errno));
	if ((uint32_t)ds.msg_perm.__key != q->key || (ds.msg_perm.mode & 0777) != q->mode ||
	    ds.msg_perm.uid != q->uid || ds.msg_perm.gid != q->gid ||
	    ds.msg_perm.cuid != q->cuid || ds.msg_perm.cgid != q->cgid ||
	    ds.msg_qbytes != q->qbytes || ds.msg_qnum != q->nmsgs || ds.__msg_cbytes != q->len ||
	    (in_image(&r->img, q->lspid) && (uint32_t)ds.msg_lspid != q->lspid) ||
	    (in_image(&r->img, q->lrpid) && (uint32_t)ds.msg_lrpid != q->lrpid))
		return verify_differs(rp, "System V message queue %u: key %#x, mode %#o, owner "
				      "%u:%u, creator %u:%u, qbytes %lu, %lu messages of %lu bytes, "
				      "pids %d %d, not key %#x, mode %#o, owner %u:%u, creator "
				      "%u:%u, qbytes %llu, %zu messages of %zu bytes, pids %u %u",
				      q->id, (unsigned)ds.msg_perm.__key, ds.msg_perm.mode & 0777,
				      ds.msg_perm.uid, ds.msg_perm.gid, ds.msg_perm.cuid,
				      ds.msg_perm.cgid, (unsigned long)ds.msg_qbytes,
				      (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
				      ds.msg_lspid, ds.msg_lrpid, q->key, q->mode, q->uid, q->gid,
				      q->cuid, q->cgid, (unsigned long long)q->qbytes, q->nmsgs,
				      q->len, q->lspid, q->lrpid);
	buf = malloc(sizeof(long) + q->len + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < q->nmsgs && e == 0; i++) {
		ssize_t n = msgrcv((int)q->id, buf, q->len + 1, (long)i, MSG_COPY | IPC_NOWAIT);

		if (n != (ssize_t)q->msgs[i].size || buf->mtype != (long)q->msgs[i].type ||
		    memcmp(buf->mtext, q->data + off, (size_t)n) != 0)
			e = verify_differs(rp, "System V message queue %u: message %zu is not the "
					   "image's (type %llu, %u bytes)", q->id, i + 1,
					   (unsigned long long)q->msgs[i].type, q->msgs[i].size);
		off += q->msgs[i].size;
	}
	free(buf);
	return e;
}

/* Once, with the first process: every set and queue is the image's. */
static int sysv_ipc_verify_process(struct rst *r, struct rproc *rp)
{
	const struct sysv_ipc_image *si = kind_image_data_if(&r->img, &kind_sysv_ipc);
	int e = 0;

	if (!si || rp != &r->procs[0])
		return 0;
	for (size_t i = 0; i < si->nsets && e == 0; i++)
		e = verify_set(r, rp, &si->sets[i]);
	for (size_t i = 0; i < si->nqueues && e == 0; i++)
		e = verify_queue(r, rp, &si->queues[i]);
	return e;
}

static void sysv_ipc_restore_failed(struct rst *r)
{
	struct ipc_made *m = rst_kind_state(r, &kind_sysv_ipc, 0);

	for (size_t i = 0; m && i < m->nsets; i++)
		if (semctl((int)m->sets[i], 0, IPC_RMID) < 0 && errno != EINVAL && errno != EIDRM)
			log_warning("cannot remove the System V semaphore set %u this restore "
				    "made: %s", m->sets[i], strerror(errno));
	for (size_t i = 0; m && i < m->nqueues; i++)
		if (msgctl((int)m->queues[i], IPC_RMID, NULL) < 0 && errno != EINVAL &&
		    errno != EIDRM)
			log_warning("cannot remove the System V message queue %u this restore "
				    "made: %s", m->queues[i], strerror(errno));
}

static void sysv_ipc_restore_end(struct rst *r)
{
	struct ipc_made *m = rst_kind_state(r, &kind_sysv_ipc, 0);

	if (!m)
		return;
	free(m->sets);
	free(m->queues);
	memset(m, 0, sizeof(*m));
}

/* What inventory/sysvipc.c sees: a set or queue the kernel names a process
 * of the selection as the last user of; read and carried at the freeze. */
static const struct inv_claim sysv_ipc_claims[] = {
	INV_CLAIM(INV_SYSVIPC, "sem"),
	INV_CLAIM(INV_SYSVIPC, "msg"),
	INV_CLAIMS_END,
};

const struct kind kind_sysv_ipc = {
	.name = "sysv-ipc",
	.claims = sysv_ipc_claims,
	.dump_check = sysv_ipc_dump_check,
	.image_size = sizeof(struct sysv_ipc_image),
	.image_fields = sysv_ipc_image_fields,
	.image_check = sysv_ipc_image_check,
	.restore_begin = sysv_ipc_restore_begin,
	.process_ready = sysv_ipc_process_ready,
	.verify_process = sysv_ipc_verify_process,
	.restore_failed = sysv_ipc_restore_failed,
	.restore_end = sysv_ipc_restore_end,
};
