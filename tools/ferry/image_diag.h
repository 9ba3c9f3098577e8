/* SPDX-License-Identifier: MIT */
/* Telling the user what is wrong with an image, from a struct ferry_diag. */
#ifndef FERRY_TOOL_IMAGE_DIAG_H
#define FERRY_TOOL_IMAGE_DIAG_H

#include <stddef.h>

#include "ferry/image.h"

#define IMAGE_DIAG_LEN 256

/* A diag that says "unknown" until the format library fills it. */
void image_diag_init(struct ferry_diag *d);

/* "<part> at offset 0x<offset>[ chunk <n>]: <what> (<ferry_strerror>)";
 * @code is used when the library returned an error without filling @d. */
const char *image_diag_describe(char *buf, size_t size, const struct ferry_diag *d, int code);

/* What the user can do about an image that failed with @code. */
const char *image_diag_hint(int code);

#endif
