/* SPDX-License-Identifier: MIT */
/*
 * ferry.efi's configuration: key=value lines, '#' comments, from
 * \EFI\ferry\ferry.conf on the ESP and from the entry's load options (where
 * ';' also ends a line). Later lines override earlier ones. Pure text
 * parsing, host-testable.
 *
 *   kernel=\EFI\ferry\vmlinuz          the default entry
 *   initrd=\EFI\ferry\initrd.img       (optional)
 *   cmdline=console=ttyS0 root=...     (optional)
 *   region=64M@0x30000000              the marked range, SIZE@ADDR
 *   update_kernel=, update_initrd=, update_cmdline=
 *                                      booted when a sealed image is staged
 *   memmap=yes|no                      add memmap=SIZE$ADDR (default yes)
 */
#ifndef FERRY_STAGE_CONFIG_H
#define FERRY_STAGE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define FERRY_CONF_PATH_MAX 256
#define FERRY_CONF_CMDLINE_MAX 1024

struct ferry_stage_config {
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
	const char *error;    /* the first malformed line's problem, or NULL */
};

void ferry_config_init(struct ferry_stage_config *c);

/* Apply @len bytes of config text. Never fails: problems are counted and the
 * first one is kept in c->error; the line is ignored. */
void ferry_config_parse(struct ferry_stage_config *c, const char *text, size_t len);

/* "SIZE@ADDR": decimal or 0x hex, optional K/M/G/T; both 4 KiB aligned.
 * Returns 0 or -1. */
int ferry_config_parse_region(const char *s, size_t len, uint64_t *ret_size, uint64_t *ret_addr);

/* Build "@base initrd=@initrd ferry.region=... memmap=... ferry.handoff=0x..."
 * into @out (NUL-terminated). handoff 0: none. Returns 0 or -1 (too long). */
int ferry_config_cmdline(const struct ferry_stage_config *c, const char *base, const char *initrd,
			 uint64_t handoff, char *out, size_t cap);

#endif
