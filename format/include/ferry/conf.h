/* SPDX-License-Identifier: MIT */
/*
 * ferry.conf, the configuration of ferry.efi (\EFI\ferry\ferry.conf on the
 * ESP, then the boot entry's load options), read by the stage and read and
 * rewritten by `ferry update --via reboot`. One parser, one writer, one set
 * of limits. Freestanding, never allocates.
 *
 * KEY=VALUE lines; a line ends at a newline, a ';' or a NUL (which also ends
 * the text); white space around keys, values and lines is dropped; a line
 * starting with '#' is a comment up to the newline (a ';' in it ends
 * nothing); empty lines are skipped; later lines override earlier ones;
 * keys this version does not know are counted and skipped.
 *
 *   kernel=\EFI\ferry\vmlinuz          the default entry ('/' reads as '\')
 *   initrd=\EFI\ferry\initrd.img       (optional)
 *   cmdline=console=ttyS0 root=...     (optional)
 *   region=64M@0x30000000              the marked range, SIZE@ADDR (SPEC.md §9.1)
 *   update_kernel=, update_initrd=, update_cmdline=
 *                                      booted when a sealed image is staged
 *   memmap=yes|no                      add memmap=SIZE$ADDR (default yes; 0 is no)
 */
#ifndef FERRY_CONF_H
#define FERRY_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/errors.h"

#define FERRY_CONF_MAX (64u * 1024u) /* a ferry.conf this large or larger is not read */
#define FERRY_CONF_PATH_MAX 256      /* a path value: at most 255 bytes */
#define FERRY_CONF_CMDLINE_MAX 1024  /* a command line value: at most 1023 bytes */

/* the keys */
#define FERRY_CONF_KERNEL "kernel"
#define FERRY_CONF_INITRD "initrd"
#define FERRY_CONF_CMDLINE "cmdline"
#define FERRY_CONF_REGION "region"
#define FERRY_CONF_MEMMAP "memmap"
#define FERRY_CONF_UPDATE_KERNEL "update_kernel"
#define FERRY_CONF_UPDATE_INITRD "update_initrd"
#define FERRY_CONF_UPDATE_CMDLINE "update_cmdline"

struct ferry_conf {
	char kernel[FERRY_CONF_PATH_MAX];
	char initrd[FERRY_CONF_PATH_MAX];
	char cmdline[FERRY_CONF_CMDLINE_MAX];
	char update_kernel[FERRY_CONF_PATH_MAX];
	char update_initrd[FERRY_CONF_PATH_MAX];
	char update_cmdline[FERRY_CONF_CMDLINE_MAX];
	uint64_t region_size; /* 0: no region configured */
	uint64_t region_addr;
	int memmap;           /* add memmap=SIZE$ADDR to the command lines */
	unsigned unknown;     /* lines with a key this version does not know */
};

/* Every value empty, no region, memmap=yes. */
void ferry_conf_init(struct ferry_conf *c);

/*
 * Apply the @len bytes of configuration text at @text to @c. A malformed
 * line (no '=', a value too long for its key, a region= that is not
 * SIZE@ADDR) is skipped and the others applied. Returns 0, or
 * -FERRY_ERR_CONF with @diag (may be NULL) describing the first malformed
 * line (its offset in the text).
 */
int ferry_conf_parse(struct ferry_conf *c, const char *text, size_t len, struct ferry_diag *diag);

/* One line of the text, as the parser splits it. */
struct ferry_conf_line {
	const char *text;  /* the line with its terminator, as written */
	size_t text_len;
	const char *key;   /* NULL for an empty or comment line */
	size_t key_len;
	const char *value; /* white space trimmed; NULL for a line without '=' */
	size_t value_len;
};

struct ferry_conf_cursor {
	const char *pos, *end;
};

void ferry_conf_cursor_init(struct ferry_conf_cursor *c, const char *text, size_t len);

/* The next line: 1 with @ret filled, 0 at the end of the text. */
int ferry_conf_next(struct ferry_conf_cursor *c, struct ferry_conf_line *ret);

/* 1 when @l has the key @key, else 0. */
int ferry_conf_is(const struct ferry_conf_line *l, const char *key);

/*
 * Write the line "KEY=VALUE\n" and a NUL into @buf. Refuses (-FERRY_ERR_CONF)
 * a key ferry.conf does not know and a value that would not read back as
 * itself: longer than its key allows, holding a newline, ';', NUL, or white
 * space at either end. Returns the length without the NUL,
 * -FERRY_ERR_CONF, or -FERRY_ERR_NOSPACE.
 */
int ferry_conf_format_line(char *buf, size_t cap, const char *key, const char *value,
			   size_t value_len);

#endif
