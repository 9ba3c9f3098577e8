/* SPDX-License-Identifier: MIT */
/*
 * File locks: POSIX record locks (fcntl F_SETLK, lockf), open file
 * description locks (F_OFD_SETLK) and flock() locks, each with its owner
 * and range, in the image's /locks/lock@ID nodes.
 *
 * Checkpoint: the "lock:" lines of every descriptor's fdinfo (lockinfo.h)
 * name the locks of its open file description (OFD, flock) and those its
 * process took through it (POSIX); each is recorded once, with the file
 * record it was taken through. They are then compared with /proc/locks:
 * a lock or a waiting request there on a file the selection has, held by
 * anything outside the selection, is refused by name, and so is a lock of
 * an open file description a process outside the selection shares. A
 * thread of the selection waiting for a lock (F_SETLKW, F_OFD_SETLKW,
 * flock without LOCK_NB) is not in the kernel's queues while it is frozen:
 * its system call was interrupted, and is issued again when it runs
 * (arch_rewind_syscall()), so it comes back waiting.
 *
 * Restore: once every process has every file (restore_finish, before any
 * thread runs), each lock is taken again inside its process, through a
 * descriptor of its file: fcntl(F_SETLK) for a POSIX lock (owned by that
 * process), fcntl(F_OFD_SETLK) and flock(LOCK_NB) for the others (owned by
 * the open file description, which every process holding it shares). None
 * of them waits: a lock someone else took since the checkpoint fails the
 * restore. Last (process_ready), each process's fdinfo must show exactly
 * the locks of the image, or it does not run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "lockinfo.h"

enum lock_kind { LOCK_POSIX, LOCK_OFD, LOCK_FLOCK };

struct lock_record {
	uint32_t id;
	enum lock_kind kind;
	uint32_t file_id; /* the open file description it is taken through */
	pid_t pid;        /* POSIX: its owner; OFD, flock: who takes it at restore */
	bool write;
	uint64_t start, length; /* length 0: to the end of the file */
	long shown_pid;   /* checkpoint only: the pid /proc/locks shows */
};

struct locks_image {
	struct lock_record *v;
	size_t n;
};

static const char *const lock_kinds[] = { "posix", "ofd", "flock" };
static const char *const lock_types[] = { "read", "write" };

static const struct meta_field lock_fields[] = {
	META_U32(FM_LK_ID, struct lock_record, id, META_REQUIRED | META_UNIT),
	META_NAME(FM_LK_KIND, struct lock_record, kind, lock_kinds, META_REQUIRED),
	META_U32(FM_LK_FILE, struct lock_record, file_id, META_REQUIRED),
	META_U32(FM_LK_PID, struct lock_record, pid, META_REQUIRED),
	META_NAME(FM_LK_TYPE, struct lock_record, write, lock_types, META_REQUIRED),
	META_U64(FM_LK_START, struct lock_record, start, 0),
	META_U64(FM_LK_LENGTH, struct lock_record, length, 0),
	{ 0 },
};

static const struct meta_node lock_node = {
	.name = FM_LOCK, .size = sizeof(struct lock_record), .fields = lock_fields,
};

static const struct meta_field locks_image_fields[] = {
	META_NODES(FM_LOCKS, struct locks_image, v, n, &lock_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_locks;

/* ---- checkpoint ---- */

static bool owns_lock(const struct lock_line *l)
{
	return !lock_is(l, "LEASE");
}

/* Record @l, seen on fd @fd (file @f) of @pid, or name why it cannot be. */
static int take(struct ckpt *c, pid_t pid, int fd, const struct st_file *f,
		const struct lock_line *l)
{
	struct locks_image *li;
	struct lock_record *rec;
	char what[128];
	enum lock_kind kind;

	lock_describe(l, what, sizeof(what));
	if (lock_is(l, "POSIX"))
		kind = LOCK_POSIX;
	else if (lock_is(l, "OFDLCK"))
		kind = LOCK_OFD;
	else if (lock_is(l, "FLOCK"))
		kind = LOCK_FLOCK;
	else {
		ckpt_unsupported(c, "pid %d fd %d: %s: %s: ferry does not carry this kind of lock",
				 pid, fd, lock_file_name(f), l->text);
		return 0;
	}
	if (strcmp(l->mode, "ADVISORY") != 0) {
		ckpt_unsupported(c, "pid %d fd %d: %s: %s (%s): only advisory locks are carried",
				 pid, fd, lock_file_name(f), what, l->mode);
		return 0;
	}
	if (!lock_carried(c, pid, fd, f, l))
		return 0;
	li = kind_image_data(&c->img, &kind_locks);
	rec = li ? ST_PUSH(li->v, li->n) : NULL;
	if (!rec)
		return -ENOMEM;
	*rec = (struct lock_record){
		.id = li->n,
		.kind = kind,
		.file_id = f->id,
		.pid = pid,
		.write = strcmp(l->type, "WRITE") == 0,
		.start = l->start,
		.length = l->end == LOCK_EOF ? 0 : l->end - l->start + 1,
		.shown_pid = l->pid,
	};
	return 0;
}

static int locks_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct lock_seen *s = ckpt_kind_state(c, &kind_locks, sizeof(*s));

	(void)pid;
	if (!s)
		return -ENOMEM;
	s->owns = owns_lock;
	return lock_dump_fds(c, p, s, take);
}

/* The OFD and flock locks are the open file descriptions' own: none may be
 * shared with a process outside. */
static int locks_dump_check(struct ckpt *c)
{
	struct lock_seen *s = ckpt_kind_state(c, &kind_locks, sizeof(*s));
	struct locks_image *li = kind_image_data_if(&c->img, &kind_locks);
	int r = 0;

	if (!s)
		return -ENOMEM;
	s->owns = owns_lock;
	for (size_t i = 0; li && i < li->n && r == 0; i++) {
		struct lock_record *rec = &li->v[i];

		if (rec->kind == LOCK_POSIX)
			continue;
		rec->pid = lock_taker(c, rec->shown_pid, rec->file_id, rec->pid);
		r = lock_add_holder(c, s, rec->pid, rec->file_id,
				    rec->kind == LOCK_OFD ? "its OFD lock" : "its flock lock");
	}
	return r < 0 ? r : lock_dump_check(c, s);
}

static void locks_dump_end(struct ckpt *c, bool kept)
{
	struct lock_seen *s = ckpt_kind_state(c, &kind_locks, 0);

	(void)kept;
	if (s)
		lock_seen_free(s);
}

/* ---- restore ---- */

static const char *range_text(const struct lock_record *rec, char *buf, size_t size)
{
	if (rec->kind == LOCK_FLOCK)
		snprintf(buf, size, "the whole file");
	else if (!rec->length)
		snprintf(buf, size, "bytes %llu to the end of the file",
			 (unsigned long long)rec->start);
	else
		snprintf(buf, size, "bytes %llu-%llu", (unsigned long long)rec->start,
			 (unsigned long long)(rec->start + rec->length - 1));
	return buf;
}

/* Every record names a process of the image, one of its descriptors and a
 * range fcntl() takes: checked before anything is made. */
static int locks_restore_begin(struct rst *r)
{
	const struct locks_image *li = kind_image_data_if(&r->img, &kind_locks);

	for (size_t i = 0; li && i < li->n; i++) {
		const struct lock_record *rec = &li->v[i];
		const struct st_process *p = st_find_process(&r->img, rec->pid);

		if (!p)
			return log_error_errno(-EINVAL,
					       "image metadata: lock %u: pid %d is not a process "
					       "of the image",
					       rec->id, rec->pid);
		if (lock_fd_of(p, rec->file_id) < 0)
			return log_error_errno(-EINVAL,
					       "image metadata: lock %u: pid %d has no "
					       "descriptor of file %u",
					       rec->id, rec->pid, rec->file_id);
		if (rec->start > INT64_MAX || rec->length > INT64_MAX ||
		    rec->start + rec->length - (rec->length != 0) > (uint64_t)INT64_MAX)
			return log_error_errno(-EINVAL,
					       "image metadata: lock %u: range %llu+%llu is "
					       "beyond what a file offset holds",
					       rec->id, (unsigned long long)rec->start,
					       (unsigned long long)rec->length);
		if (rec->kind == LOCK_FLOCK && (rec->start || rec->length))
			return log_error_errno(-EINVAL,
					       "image metadata: lock %u: a flock lock has no "
					       "range",
					       rec->id);
	}
	return 0;
}

/* Who holds what keeps @rec from being taken, asked with F_GETLK through
 * the restorer's own open of the file (another owner than anyone). */
static void conflict_text(struct rst *r, const struct lock_record *rec, char *buf, size_t size)
{
	const struct st_file *f = st_find_file(&r->img, rec->file_id);
	struct flock fl = { .l_type = rec->write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = rec->start, .l_len = rec->length };
	int fd = f ? r->files_fd[f - r->img.files] : -1;

	snprintf(buf, size, "another process took a conflicting lock since the checkpoint");
	if (rec->kind == LOCK_FLOCK || fd < 0 || fcntl(fd, F_GETLK, &fl) < 0 ||
	    fl.l_type == F_UNLCK)
		return;
	if (fl.l_pid > 0)
		snprintf(buf, size, "pid %d holds a conflicting lock since the checkpoint",
			 fl.l_pid);
	else
		snprintf(buf, size, "an open file description outside the image holds a "
			 "conflicting OFD lock since the checkpoint");
}

static int restore_lock(struct rst *r, const struct lock_record *rec)
{
	struct rproc *rp = lock_rproc(r, rec->pid);
	const struct st_file *f = st_find_file(&r->img, rec->file_id);
	struct flock fl = { .l_type = rec->write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = rec->start, .l_len = rec->length };
	char range[64], why[128];
	uint64_t addr;
	long res;
	int fd, e;

	if (!rp || !f)
		return -EINVAL; /* locks_restore_begin() said otherwise */
	fd = lock_fd_of(rp->p, rec->file_id);
	if (rec->kind == LOCK_FLOCK) {
		res = INJECT(&rp->in, SYS_flock, fd, (rec->write ? LOCK_EX : LOCK_SH) | LOCK_NB);
	} else {
		e = tramp_data(rp, 0, &fl, sizeof(fl), &addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_fcntl, fd,
			     rec->kind == LOCK_POSIX ? F_SETLK : F_OFD_SETLK, addr);
	}
	if (res == 0)
		return 0;
	range_text(rec, range, sizeof(range));
	if (res == -EAGAIN || res == -EACCES || res == -EWOULDBLOCK) {
		conflict_text(r, rec, why, sizeof(why));
		return log_error_errno(res,
				       "pid %d fd %d: %s: cannot take back its %s %s lock on %s: "
				       "%s",
				       rp->pid, fd, lock_file_name(f), lock_kinds[rec->kind],
				       rec->write ? "write" : "read", range, why);
	}
	return log_error_errno(res, "pid %d fd %d: %s: cannot take back its %s %s lock on %s",
			       rp->pid, fd, lock_file_name(f), lock_kinds[rec->kind],
			       rec->write ? "write" : "read", range);
}

/* Every process has all its files: the locks, in the order they were read. */
static int locks_restore_finish(struct rst *r)
{
	const struct locks_image *li = kind_image_data_if(&r->img, &kind_locks);
	int e = 0;

	for (size_t i = 0; li && i < li->n && e == 0; i++)
		e = restore_lock(r, &li->v[i]);
	return e;
}

/* Whether line @l of fdinfo is lock @rec. */
static bool is_record(const struct lock_line *l, const struct lock_record *rec)
{
	static const char *const classes[] = { "POSIX", "OFDLCK", "FLOCK" };
	uint64_t end = rec->length ? rec->start + rec->length - 1 : LOCK_EOF;

	return lock_is(l, classes[rec->kind]) && !strcmp(l->mode, "ADVISORY") &&
	       !strcmp(l->type, rec->write ? "WRITE" : "READ") && l->start == rec->start &&
	       l->end == end && (rec->kind == LOCK_OFD || l->pid == rec->pid);
}

/* The locks fd @fd of @rp shows are those of the image, each once. */
static int verify_fd(const struct locks_image *li, struct rproc *rp, const struct st_fd *fd)
{
	struct lock_line *lines;
	size_t n, expected = 0, found = 0;
	bool *used;
	int e = lock_fdinfo(rp->pid, fd->num, &lines, &n);

	if (e < 0)
		return log_error_errno(e, "pid %d fd %d: cannot read its locks", rp->pid, fd->num);
	used = calloc(n + 1, sizeof(*used));
	if (!used) {
		free(lines);
		return -ENOMEM;
	}
	for (size_t i = 0; i < li->n; i++) {
		const struct lock_record *rec = &li->v[i];

		if (rec->file_id != fd->file_id ||
		    (rec->kind == LOCK_POSIX && rec->pid != rp->p->pid))
			continue;
		expected++;
		for (size_t k = 0; k < n; k++)
			if (!used[k] && is_record(&lines[k], rec)) {
				used[k] = true;
				found++;
				break;
			}
	}
	for (size_t k = 0; k < n; k++)
		if (!used[k] && owns_lock(&lines[k]))
			found = SIZE_MAX; /* one the image does not have */
	free(used);
	free(lines);
	if (found != expected)
		return log_error_errno(-EPROTO,
				       "pid %d fd %d: after the restore its locks are not those "
				       "of the image (%zu expected)",
				       rp->pid, fd->num, expected);
	return 0;
}

/* Before @rp runs: its descriptors show exactly the image's locks. */
static int locks_process_ready(struct rst *r, struct rproc *rp)
{
	const struct locks_image *li = kind_image_data_if(&r->img, &kind_locks);
	int e = 0;

	for (size_t i = 0; li && li->n && i < rp->p->nfds && e == 0; i++)
		e = verify_fd(li, rp, &rp->p->fds[i]);
	return e;
}

/* ---- inventory ---- */

/* A lock of the kind's own (any but a lease), held (an fdinfo "lock:"
 * line) or waited for (a request of /proc/locks): take() records it or
 * names why it cannot (a mandatory lock, a class it does not carry), and
 * lock_dump_check() what else on the file it cannot carry (a lock held or
 * awaited outside the selection), at the checkpoint, where it can tell. */
static bool own_lock(const struct inv_item *it)
{
	struct lock_line l;

	return lock_parse_line(it->value, &l) && owns_lock(&l);
}

static const struct inv_claim locks_claims[] = {
	INV_CLAIM_IF(INV_FD, "lock", own_lock, NULL),
	INV_CLAIM_IF(INV_LOCK, "waiting", own_lock, NULL),
	INV_CLAIMS_END,
};

const struct kind kind_locks = {
	.name = "locks",
	.claims = locks_claims,
	.dump_process = locks_dump_process,
	.dump_check = locks_dump_check,
	.dump_end = locks_dump_end,
	.image_size = sizeof(struct locks_image),
	.image_fields = locks_image_fields,
	.restore_begin = locks_restore_begin,
	.restore_finish = locks_restore_finish,
	.process_ready = locks_process_ready,
};
