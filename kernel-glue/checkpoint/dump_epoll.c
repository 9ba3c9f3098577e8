/* SPDX-License-Identifier: MIT */
/*
 * An epoll instance: its interest list from the "tfd:" lines of fdinfo
 * (descriptor number, events, data). Once every fd of the process is
 * recorded, each item's target is found: the file of that number in the
 * process, checked with kcmp(KCMP_EPOLL_TFD) to be the very file
 * registered. An item whose number was closed (its file still open
 * elsewhere, so still registered) or reused cannot be added back under its
 * number, and is named.
 */
#include <errno.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/state_events.h"
#include "dump_events.h"

int dump_epoll(struct ckpt *c, pid_t pid, int fd, const char *fdinfo, struct st_file *f)
{
	struct st_file_ext *x = f->ext;
	const char *line = fdinfo;

	(void)c;
	(void)fd;
	x->epoll_pid = pid;
	while (line && *line) {
		unsigned events;
		unsigned long long data;
		int tfd;

		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &events, &data) == 3) {
			struct st_epoll_item *it = ST_PUSH(x->items, x->nitems);

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

static void resolve(struct ckpt *c, pid_t pid, struct st_process *p, const struct st_file *f,
		    int epfd)
{
	struct st_file_ext *x = f->ext;

	for (size_t i = 0; i < x->nitems; i++) {
		struct st_epoll_item *it = &x->items[i];
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

int dump_epoll_targets(struct ckpt *c, pid_t pid, struct st_process *p)
{
	for (size_t i = 0; i < c->img.nfiles; i++) {
		const struct st_file *f = &c->img.files[i];
		const struct file_origin *o;

		if (f->type != ST_FILE_EPOLL || !f->ext || f->ext->epoll_pid != pid)
			continue;
		o = origin_of(c, f->id);
		if (o && o->pid == pid)
			resolve(c, pid, p, f, o->fd);
	}
	return 0;
}
