/* SPDX-License-Identifier: MIT */
/*
 * An epoll instance: its interest list from the "tfd:" lines of fdinfo
 * (descriptor number, events, data). Once every fd of the process is
 * recorded, each item's target is found: the file of that number in the
 * process, checked with kcmp(KCMP_EPOLL_TFD) to be the very file
 * registered. An item whose number was closed (its file still open
 * elsewhere, so still registered) or reused cannot be added back under its
 * number, and is named.
 *
 * At restore the list is added from inside the process whose descriptor
 * numbers it uses, once all of them are in place: the kernel keys each item
 * by file and number, so later EPOLL_CTL_MOD and DEL calls of the process
 * find them.
 */
#include <errno.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

struct epoll_item {
	int32_t fd;       /* number in the process epoll_file.pid */
	uint32_t file_id; /* the target */
	uint32_t events;
	uint64_t data;
};

struct epoll_file {
	pid_t pid; /* the process whose descriptor numbers the items use */
	struct epoll_item *items;
	size_t nitems;
};

static const struct meta_cell item_cells[] = {
	META_CELL(struct epoll_item, fd, 4),
	META_CELL(struct epoll_item, file_id, 4),
	META_CELL(struct epoll_item, events, 4),
	META_CELL(struct epoll_item, data, 8), /* high, then low 32 bits */
};

static const struct meta_field epoll_fields[] = {
	META_U32(FM_F_EPOLL_PID, struct epoll_file, pid, META_REQUIRED),
	META_RECORDS(FM_F_EPOLL_ITEMS, struct epoll_file, items, nitems, struct epoll_item,
		     item_cells, 0),
	{ 0 },
};

extern const struct kind kind_epoll;

static bool epoll_match(const struct fd_probe *fd)
{
	return strcmp(fd->link, "anon_inode:[eventpoll]") == 0;
}

static int epoll_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct epoll_file *x = f->kind_data;
	const char *line = fd->fdinfo;

	(void)c;
	f->path = strdup(fd->link);
	if (!f->path)
		return -ENOMEM;
	x->pid = fd->pid;
	while (line && *line) {
		unsigned events;
		unsigned long long data;
		int tfd;

		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &events, &data) == 3) {
			struct epoll_item *it = ST_PUSH(x->items, x->nitems);

			if (!it)
				return -ENOMEM;
			it->fd = tfd;
			it->events = events;
			it->data = data;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

static const struct file_origin *origin_of(struct ckpt *c, uint32_t file_id)
{
	for (size_t i = 0; i < c->norigins; i++)
		if (c->origins[i].file_id == file_id)
			return &c->origins[i];
	return NULL;
}

static void resolve(struct ckpt *c, pid_t pid, struct st_process *p, struct epoll_file *x,
		    int epfd)
{
	for (size_t i = 0; i < x->nitems; i++) {
		struct epoll_item *it = &x->items[i];
		struct kcmp_epoll_slot slot = { .efd = epfd, .tfd = it->fd, .toff = 0 };
		bool found = false;

		for (size_t k = 0; k < p->nfds && !found; k++)
			if (p->fds[k].num == it->fd &&
			    syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, it->fd, &slot) == 0) {
				it->file_id = p->fds[k].file_id;
				found = true;
			}
		if (!found)
			ckpt_unsupported(c, "pid %d fd %d: anon_inode:[eventpoll]: an epoll "
					 "instance watching fd %d, which the process closed or "
					 "replaced since, is not supported (the file cannot be "
					 "registered again under that number)", pid, epfd, it->fd);
	}
}

/* The targets of the epoll instances of @pid, now that its fds are known. */
static int epoll_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	for (size_t i = 0; i < c->img.nfiles; i++) {
		const struct st_file *f = &c->img.files[i];
		struct epoll_file *x = f->kind_data;
		const struct file_origin *o;

		if (f->kind != &kind_epoll || x->pid != pid)
			continue;
		o = origin_of(c, f->id);
		if (o && o->pid == pid)
			resolve(c, pid, p, x, o->fd);
	}
	return 0;
}

static int epoll_open(struct rst *r, const struct st_file *f)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	(void)r;
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot create an epoll instance", f->id);
	return restore_file_flags(fd, f);
}

/* The interest list, from inside the process whose numbers it uses. */
static int epoll_settle(struct rst *r, struct rproc *rp, int epfd, const struct st_file *f)
{
	const struct epoll_file *x = f->kind_data;

	(void)r;
	if (x->pid != rp->p->pid)
		return 0;
	for (size_t i = 0; i < x->nitems; i++) {
		const struct epoll_item *it = &x->items[i];
		struct epoll_event ev = { .events = it->events, .data.u64 = it->data };
		uint64_t addr;
		long res;
		int e = tramp_data(rp, 0, &ev, sizeof(ev), &addr);

		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, it->fd, addr);
		if (res < 0)
			return log_error_errno(res, "pid %d fd %d: cannot add fd %d (events %#x) to the "
					"epoll instance", rp->pid, epfd, it->fd, it->events);
	}
	return 1;
}

/* Every item of the interest list, with its events and data. */
static int epoll_verify(struct rst *r, struct rproc *rp, int fd, const struct st_file *f,
			const char *fdinfo)
{
	const struct epoll_file *x = f->kind_data;
	size_t n = 0;

	(void)r;
	for (const char *line = fdinfo; line && *line; line = strchr(line, '\n'), line += !!line) {
		unsigned events;
		unsigned long long data;
		int tfd;
		bool found = false;

		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &events, &data) != 3)
			continue;
		n++;
		for (size_t i = 0; i < x->nitems && !found; i++)
			found = x->items[i].fd == tfd && x->items[i].events == events &&
				x->items[i].data == data;
		if (!found)
			return verify_differs(rp, "fd %d (epoll): it watches fd %d for %#x (data "
					      "%#llx), which the image does not", fd, tfd, events,
					      data);
	}
	if (n != x->nitems)
		return verify_differs(rp, "fd %d (epoll): it watches %zu descriptors, not %zu", fd,
				      n, x->nitems);
	return 0;
}

/* An item of the interest list is carried if its number still names the
 * file registered (kcmp), as at the checkpoint (resolve() below). */
static bool watch_still_open(const struct inv_item *it)
{
	struct kcmp_epoll_slot slot = { .efd = it->fd->fd };
	int tfd;

	if (sscanf(it->value, "%d", &tfd) != 1)
		return false;
	slot.tfd = tfd;
	return syscall(SYS_kcmp, it->pid, it->pid, KCMP_EPOLL_TFD, tfd, &slot) == 0;
}

static const struct inv_claim epoll_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIM_IF(INV_FD, "tfd", watch_still_open,
	  "an epoll instance watching a descriptor that the process closed or replaced since "
	  "(the kernel still watches its file) is not supported"),
	INV_CLAIMS_END,
};

const struct kind kind_epoll = {
	.name = "epoll",
	.claims = epoll_claims,
	.verify = epoll_verify,
	.match = epoll_match,
	.dump = epoll_dump,
	.dump_process = epoll_dump_process,
	.file_size = sizeof(struct epoll_file),
	.file_fields = epoll_fields,
	.open = epoll_open,
	.settle = epoll_settle,
};
