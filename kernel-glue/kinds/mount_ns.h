/* SPDX-License-Identifier: MIT */
/* The image data of kinds/mount_ns.c, for the tests that fill images. */
#ifndef FERRY_GLUE_KINDS_MOUNT_NS_H
#define FERRY_GLUE_KINDS_MOUNT_NS_H

#include <stddef.h>
#include <stdint.h>

struct mnt_ns_rec {
	uint32_t id;
	char *mounts;   /* one line per mount (SPEC §3.11) */
	uint8_t *files; /* the tmpfs contents (SPEC §3.11) */
	size_t files_len;
};

struct mnt_image {
	struct mnt_ns_rec *ns; /* one, or none: ferry's namespace */
	size_t n;
};

#endif
