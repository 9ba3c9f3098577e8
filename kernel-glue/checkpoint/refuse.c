/* SPDX-License-Identifier: MIT */
/*
 * Refusals: every object that cannot be checkpointed is named, with the
 * reason, before anything changes (the checkpoint then thaws everyone as
 * they were). An open file that no kind of kinds/registry.c claims is
 * refused here, named by what the kernel says it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../common/log.h"
#include "internal.h"

void ckpt_unsupported(struct ckpt *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("cannot checkpoint %s", msg);
	c->problems++;
}

static const char *family_name(int family)
{
	switch (family) {
	case AF_NETLINK:
		return "netlink sockets (their kernel-side state and subscriptions)";
	case AF_PACKET:
		return "packet sockets (bound to network devices)";
	case 40: /* AF_VSOCK */
		return "vsock sockets";
	case 38: /* AF_ALG */
		return "crypto (AF_ALG) sockets";
	case AF_BLUETOOTH:
		return "Bluetooth sockets";
	default:
		return NULL;
	}
}

/* A socket of a family, type or protocol no kind carries. */
static void socket_refusal(const struct fd_probe *fd, char *buf, size_t size)
{
	const char *kind = family_name(fd->sock_family);
	char why[160];

	if (kind)
		snprintf(why, sizeof(why), "%s are not supported", kind);
	else if (fd->sock_family != AF_UNIX && fd->sock_family != AF_INET &&
		 fd->sock_family != AF_INET6)
		snprintf(why, sizeof(why), "sockets of family %d are not supported",
			 fd->sock_family);
	else if (fd->sock_type == SOCK_RAW)
		snprintf(why, sizeof(why), "raw sockets (protocol %d) are not supported",
			 fd->sock_protocol);
	else if (fd->sock_family != AF_UNIX)
		snprintf(why, sizeof(why), "an inet socket of type %d, protocol %d (only TCP and "
			 "UDP are supported)", fd->sock_type, fd->sock_protocol);
	else
		snprintf(why, sizeof(why), "a Unix socket of type %d is not supported",
			 fd->sock_type);
	snprintf(buf, size, "pid %d fd %d: %s: %s", fd->pid, fd->fd, fd->link, why);
}

void fd_refusal(const struct fd_probe *fd, char *buf, size_t size)
{
	/* kinds of anonymous inodes no kind of the registry carries */
	static const struct {
		const char *link, *what;
	} anon[] = {
		{ "anon_inode:[fanotify]", "a fanotify instance (its marks)" },
		{ "anon_inode:[io_uring]", "an io_uring instance (its rings and requests)" },
		{ "anon_inode:[userfaultfd]", "a userfaultfd (its registered ranges)" },
		{ "anon_inode:[perf_event]", "a perf event" },
		{ "anon_inode:bpf-", "a BPF object" },
		{ "anon_inode:[timens", "a time namespace fd" },
		{ "anon_inode:", "this kind of anonymous inode" },
	};
	const struct stat *st = &fd->st;
	const char *link = fd->link;

	if (S_ISSOCK(st->st_mode)) {
		socket_refusal(fd, buf, size);
		return;
	}
	if (S_ISBLK(st->st_mode)) {
		snprintf(buf, size, "pid %d fd %d: %s: block device %u:%u is not supported",
			 fd->pid, fd->fd, link, major(st->st_rdev), minor(st->st_rdev));
		return;
	}
	for (size_t i = 0; i < sizeof(anon) / sizeof(anon[0]); i++)
		if (strncmp(link, anon[i].link, strlen(anon[i].link)) == 0) {
			snprintf(buf, size, "pid %d fd %d: %s: %s is not supported yet", fd->pid,
				 fd->fd, link, anon[i].what);
			return;
		}
	if (S_ISFIFO(st->st_mode))
		snprintf(buf, size, "pid %d fd %d: %s: a FIFO that is deleted or has no path is "
			 "not supported", fd->pid, fd->fd, link);
	else if (link[0] != '/')
		snprintf(buf, size, "pid %d fd %d: %s: a file without a path (of a filesystem "
			 "not mounted here?) is not supported", fd->pid, fd->fd, link);
	else
		snprintf(buf, size, "pid %d fd %d: %s: this kind of file is not supported yet",
			 fd->pid, fd->fd, link);
}

void refuse_fd(struct ckpt *c, const struct fd_probe *fd)
{
	char msg[4096 + 512];

	fd_refusal(fd, msg, sizeof(msg));
	ckpt_unsupported(c, "%s", msg);
}
