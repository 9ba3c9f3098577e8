/* SPDX-License-Identifier: MIT */
/*
 * The lock lines of /proc/locks and fdinfo, read for the lock kinds
 * (lockinfo.h), and what the kinds share: reading every descriptor's
 * locks once, the files locks are carried on, who takes a lock again.
 * What the rest of the system holds is lock_others.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "lockinfo.h"

bool lock_is(const struct lock_line *l, const char *class)
{
	return strcmp(l->class, class) == 0;
}

bool lock_same(const struct lock_line *a, const struct lock_line *b)
{
	return a->waiter == b->waiter && strcmp(a->class, b->class) == 0 &&
	       strcmp(a->mode, b->mode) == 0 && strcmp(a->type, b->type) == 0 &&
	       a->pid == b->pid && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && a->ino == b->ino && a->start == b->start &&
	       a->end == b->end;
}

const char *lock_describe(const struct lock_line *l, char *buf, size_t size)
{
	bool write = strcmp(l->type, "WRITE") == 0;
	char range[64];

	if (l->end == LOCK_EOF)
		snprintf(range, sizeof(range), "bytes %llu to the end of the file",
			 (unsigned long long)l->start);
	else
		snprintf(range, sizeof(range), "bytes %llu-%llu", (unsigned long long)l->start,
			 (unsigned long long)l->end);
	if (lock_is(l, "POSIX") || lock_is(l, "OFDLCK"))
		snprintf(buf, size, "a%s %s %s lock on %s",
			 strcmp(l->mode, "ADVISORY") ? " mandatory" : "",
			 lock_is(l, "POSIX") ? "POSIX" : "OFD", write ? "write" : "read", range);
	else if (lock_is(l, "FLOCK"))
		snprintf(buf, size, "a%s flock lock", write ? "n exclusive" : " shared");
	else if (lock_is(l, "LEASE") && strcmp(l->mode, "ACTIVE") != 0)
		/* the type shown is the one it is being broken to */
		snprintf(buf, size, "a lease being broken (to %s)",
			 write ? "a write lease" : strcmp(l->type, "READ") == 0 ? "a read lease"
										: "none");
	else if (lock_is(l, "LEASE"))
		snprintf(buf, size, "a %s lease", write ? "write" : "read");
	else
		snprintf(buf, size, "a lock of class %s (%s %s)", l->class, l->mode, l->type);
	return buf;
}

bool lock_parse_line(const char *line, struct lock_line *l)
{
	const char *p = line;
	char dev[64], end[24];
	unsigned long long start;
	size_t n;

	memset(l, 0, sizeof(*l));
	if (strncmp(p, "lock:", 5) == 0)
		p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		if (*p++ != ':')
			return false;
	}
	while (*p == ' ')
		p++;
	if (strncmp(p, "->", 2) == 0) {
		l->waiter = true;
		for (p += 2; *p == ' ';)
			p++;
	}
	for (n = 0; p[n] && p[n] != '\n' && n + 1 < sizeof(l->text); n++)
		l->text[n] = p[n];
	if (sscanf(p, "%7s %11s %7s %ld %63s %llu %23s", l->class, l->mode, l->type, &l->pid,
		   dev, &start, end) != 7)
		return false;
	/* "<none>:0" for a lock without an inode: it is on no file of anyone */
	if (sscanf(dev, "%x:%x:%llu", &l->dev_major, &l->dev_minor,
		   (unsigned long long *)&l->ino) != 3)
		l->ino = 0;
	l->start = start;
	l->end = strcmp(end, "EOF") == 0 ? LOCK_EOF : strtoull(end, NULL, 10);
	return true;
}

/* Every lock line of @text (a line that does not parse is left out). */
static int parse_lines(const char *text, bool fdinfo, struct lock_line **ret, size_t *ret_n)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		struct lock_line l, *slot;

		if (fdinfo && strncmp(p, "lock:", 5) != 0)
			continue;
		if (!lock_parse_line(p, &l))
			continue;
		slot = ST_PUSH(*ret, *ret_n);
		if (!slot)
			return -ENOMEM;
		*slot = l;
	}
	return 0;
}

static int read_lines(const char *path, bool fdinfo, struct lock_line **ret, size_t *ret_n)
{
	char *text;
	int r = proc_read_file(path, &text, NULL);

	*ret = NULL;
	*ret_n = 0;
	if (r < 0)
		return r;
	r = parse_lines(text, fdinfo, ret, ret_n);
	free(text);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
		*ret_n = 0;
	}
	return r;
}

int lock_fdinfo(pid_t pid, int fd, struct lock_line **ret, size_t *ret_n)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	return read_lines(path, true, ret, ret_n);
}

int lock_proc_locks(struct lock_line **ret, size_t *ret_n)
{
	return read_lines("/proc/locks", false, ret, ret_n);
}

/* ---- reading the descriptors ---- */

static bool have_id(const uint32_t *v, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

static int add_id(uint32_t **v, size_t *n, uint32_t id)
{
	uint32_t *slot = ST_PUSH(*v, *n);

	if (!slot)
		return -ENOMEM;
	*slot = id;
	return 0;
}

/* The lines of fd @fd of @p that are new to @s, to @take. */
static int dump_fd(struct ckpt *c, struct st_process *p, const struct st_fd *fd,
		   struct lock_seen *s, uint32_t **posix_done, size_t *nposix_done,
		   lock_take_fn *take)
{
	const struct st_file *f = st_find_file(&c->img, fd->file_id);
	bool posix_new, filp_new;
	struct lock_line *lines;
	size_t n;
	int r = lock_fdinfo(p->pid, fd->num, &lines, &n);

	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: cannot read its locks", p->pid, fd->num);
	if (!n || !f)
		goto out;
	posix_new = !have_id(*posix_done, *nposix_done, f->id);
	filp_new = !have_id(s->files, s->nfiles, f->id);
	if (posix_new)
		r = add_id(posix_done, nposix_done, f->id);
	if (filp_new && r == 0)
		r = add_id(&s->files, &s->nfiles, f->id);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct lock_line *seen;

		if (!s->owns(&lines[i]) || !(lock_is(&lines[i], "POSIX") ? posix_new : filp_new))
			continue;
		seen = ST_PUSH(s->lines, s->n);
		if (!seen) {
			r = -ENOMEM;
			break;
		}
		*seen = lines[i];
		r = take(c, p->pid, fd->num, f, &lines[i]);
	}
out:
	free(lines);
	return r;
}

int lock_dump_fds(struct ckpt *c, struct st_process *p, struct lock_seen *s, lock_take_fn *take)
{
	uint32_t *posix_done = NULL;
	size_t nposix_done = 0;
	int r = 0;

	for (size_t k = 0; k < p->nfds && r == 0; k++)
		r = dump_fd(c, p, &p->fds[k], s, &posix_done, &nposix_done, take);
	free(posix_done);
	return r;
}

void lock_seen_free(struct lock_seen *s)
{
	free(s->lines);
	free(s->files);
	free(s->holders);
	memset(s, 0, sizeof(*s));
}

int lock_fd_of(const struct st_process *p, uint32_t file_id)
{
	int lowest = -1;

	for (size_t i = 0; p && i < p->nfds; i++)
		if (p->fds[i].file_id == file_id && (lowest < 0 || p->fds[i].num < lowest))
			lowest = p->fds[i].num;
	return lowest;
}

pid_t lock_taker(struct ckpt *c, long shown, uint32_t file_id, pid_t holder)
{
	const struct st_process *p = shown > 0 ? st_find_process(&c->img, shown) : NULL;

	if (p && lock_fd_of(p, file_id) >= 0)
		return p->pid;
	if (shown != -1 && shown != holder)
		log_debug("file %u: its lock was taken by pid %ld, which is not in the selection "
			  "or has closed it; pid %d takes it again", file_id, shown, holder);
	return holder;
}

struct rproc *lock_rproc(struct rst *r, pid_t pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].p->pid == pid)
			return &r->procs[i];
	return NULL;
}

const char *lock_file_name(const struct st_file *f)
{
	return f->path && f->path[0] ? f->path : st_file_what(f);
}

bool lock_carried(struct ckpt *c, pid_t pid, int fd, const struct st_file *f,
		  const struct lock_line *l)
{
	static const char *const kinds[] = { "regular", "directory", "chardev",
					     "fifo",    "tty",       "memfd" };
	const char *kind = st_file_what(f);
	char what[128];

	lock_describe(l, what, sizeof(what));
	if (strcmp(l->type, "READ") != 0 && strcmp(l->type, "WRITE") != 0) {
		ckpt_unsupported(c, "pid %d fd %d: %s: %s: one of type %s is not carried", pid, fd,
				 lock_file_name(f), l->text, l->type);
		return false;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	ckpt_unsupported(c, "pid %d fd %d: %s: %s on a file of kind %s is not carried (only on "
			 "files opened again by path or made again with their contents)", pid, fd,
			 lock_file_name(f), what, kind);
	return false;
}
