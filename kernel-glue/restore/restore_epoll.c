/* SPDX-License-Identifier: MIT */
/*
 * An epoll instance's interest list, added from inside the process whose
 * descriptor numbers it uses, once all of them are in place: the kernel
 * keys each item by file and number, so later EPOLL_CTL_MOD and DEL calls
 * of the process find them.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "../common/log.h"
#include "../common/state_events.h"
#include "restore_events.h"

int restore_epoll_items(struct rst *r, struct rproc *rp, int epfd, const struct st_file *f)
{
	(void)r;
	for (size_t i = 0; i < f->ext->nitems; i++) {
		const struct st_epoll_item *it = &f->ext->items[i];
		struct epoll_event ev = { .events = it->events, .data.u64 = it->data };
		uint64_t addr;
		long res;
		int e = tramp_data(rp, 0, &ev, sizeof(ev), &addr);

		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, it->fd, addr);
		if (res < 0)
			return glue_err(res, "pid %d fd %d: cannot add fd %d (events %#x) to the "
					"epoll instance", rp->pid, epfd, it->fd, it->events);
	}
	return 0;
}
