/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_file.h"
#include "../../kernel-glue/common/log.h"

/* The size to map: the length of a regular file, the capacity of a block
 * device (a disk partition or /dev/pmem holding an image). */
static int image_file_size(struct image_file *f, size_t *ret_size)
{
	struct stat st;
	uint64_t bytes;

	if (fstat(f->fd, &st) < 0)
		return log_error_errno(-errno, "cannot stat '%s'", f->path);
	if (S_ISDIR(st.st_mode))
		return log_error_errno(-EISDIR, "'%s' is not an image file", f->path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(f->fd, BLKGETSIZE64, &bytes) < 0)
			return log_error_errno(-errno, "cannot get the size of block device '%s'",
					       f->path);
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		log_error("'%s' is neither a regular file nor a block device; copy the image to a file first",
			  f->path);
		return -EINVAL;
	}
	if (bytes > SIZE_MAX)
		return log_error_errno(-EFBIG, "'%s' is too large to map", f->path);
	*ret_size = (size_t)bytes;
	return 0;
}

int image_file_open(struct image_file *f, const char *path)
{
	static const char empty[1];
	int r;

	*f = (struct image_file){ .path = path, .data = empty, .fd = -1 };
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return log_error_errno(-errno, "cannot open image '%s'", path);
	r = image_file_size(f, &f->size);
	if (r < 0)
		goto fail;
	/* mmap() refuses a zero length; the reader reports the empty image itself */
	if (f->size == 0)
		return 0;
	f->mapping = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (f->mapping == MAP_FAILED) {
		f->mapping = NULL;
		r = log_error_errno(-errno, "cannot map image '%s' (%zu bytes) into memory", path,
				    f->size);
		goto fail;
	}
	f->data = f->mapping;
	return 0;
fail:
	image_file_close(f);
	return r;
}

void image_file_close(struct image_file *f)
{
	if (f->mapping)
		munmap(f->mapping, f->size);
	if (f->fd >= 0)
		close(f->fd);
	f->mapping = NULL;
	f->fd = -1;
}
