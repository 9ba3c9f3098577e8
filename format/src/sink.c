/* SPDX-License-Identifier: MIT */
/* The two sinks the writer ships with: a file descriptor and a memory range. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ferry/writer.h"

static int fd_write(void *ctx, const void *buf, size_t len, uint64_t offset)
{
	struct ferry_fd_sink *s = ctx;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(s->fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!s->saved_errno)
				s->saved_errno = n < 0 ? errno : EIO;
			return s->saved_errno == ENOSPC ? -FERRY_ERR_NOSPACE : -FERRY_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int fd_barrier(void *ctx)
{
	struct ferry_fd_sink *s = ctx;

	/* EINVAL: the fd does not support syncing (e.g. /dev/null); nothing to wait for */
	if (fdatasync(s->fd) < 0 && errno != EINVAL) {
		if (!s->saved_errno)
			s->saved_errno = errno;
		return -FERRY_ERR_IO;
	}
	return 0;
}

void ferry_sink_fd(struct ferry_sink *sink, struct ferry_fd_sink *ctx, int fd)
{
	ctx->fd = fd;
	ctx->saved_errno = 0;
	sink->write = fd_write;
	sink->barrier = fd_barrier;
	sink->ctx = ctx;
}

static int mem_write(void *ctx, const void *buf, size_t len, uint64_t offset)
{
	struct ferry_mem_sink *s = ctx;

	if (offset > s->capacity || len > s->capacity - offset)
		return -FERRY_ERR_NOSPACE;
	memcpy(s->base + offset, buf, len);
	if (offset + len > s->high_water)
		s->high_water = offset + len;
	return 0;
}

static int mem_barrier(void *ctx)
{
	struct ferry_mem_sink *s = ctx;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (s->flush)
		s->flush(s->base, s->high_water);
	return 0;
}

void ferry_sink_mem(struct ferry_sink *sink, struct ferry_mem_sink *ctx, void *base,
		    size_t capacity)
{
	ctx->base = base;
	ctx->capacity = capacity;
	ctx->high_water = 0;
	ctx->flush = NULL;
	sink->write = mem_write;
	sink->barrier = mem_barrier;
	sink->ctx = ctx;
}
