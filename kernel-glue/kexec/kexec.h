/* SPDX-License-Identifier: MIT */
/*
 * Load the next kernel and jump to it.
 *
 * ferry_kexec_load() uses kexec_file_load(2), which the running kernel
 * places in memory it knows is free (System RAM, so never the marked range)
 * and, on Debian kernels, accepts for Debian-signed kernels even under
 * lockdown. Only if the kernel refuses it (ENOSYS, or EPERM / EKEYREJECTED /
 * EBADMSG for an image it will not verify) does it fall back to kexec_load
 * through kexec-tools' `kexec -l`, told to keep every segment below the
 * region (--mem-max) because kexec-tools sizes memory from the firmware map,
 * which still shows the marked range as RAM.
 */
#ifndef FERRY_KEXEC_H
#define FERRY_KEXEC_H

#include <stddef.h>
#include <stdint.h>

enum ferry_kexec_method {
	FERRY_KEXEC_FILE_LOAD = 1, /* kexec_file_load(2) */
	FERRY_KEXEC_TOOLS = 2,     /* kexec_load(2) through kexec-tools */
};

struct ferry_kexec_load_opts {
	const char *kernel;   /* bzImage path, required */
	const char *initrd;   /* or NULL */
	const char *cmdline;  /* full command line for the new kernel */
	uint64_t region_phys; /* marked range, to keep kexec-tools out of it (0: none) */
	int no_fallback;      /* fail instead of using kexec-tools */
	int force_tools;      /* skip kexec_file_load (tests of the fallback) */
};

/*
 * Build the new kernel's command line by the kernel's rules (quotes, --):
 * the kernel parameters of `base` (or, if NULL, of the running kernel's
 * own line `current` without ferry.handoff=/BOOT_IMAGE=), then every
 * memmap= and ferry.region= of `current` that base lacks, then those of
 * `append`; then, after one --, init's arguments of base (or current) and
 * of append. Returns 0, -E2BIG, or -EINVAL (a double quote left open
 * before the end of a line).
 */
int ferry_kexec_cmdline(const char *base, const char *current, const char *append,
			char *buf, size_t len);

/* Load; *ret_method (may be NULL) says how. Returns 0 or -errno. */
int ferry_kexec_load(const struct ferry_kexec_load_opts *o, enum ferry_kexec_method *ret_method);

/* Drop a loaded kernel. */
int ferry_kexec_unload(void);

/* 1 if a kernel is loaded, 0 if not, -errno if unknown. */
int ferry_kexec_loaded(void);

/* sync() and reboot(LINUX_REBOOT_CMD_KEXEC). Returns only on failure. */
int ferry_kexec_execute(void);

const char *ferry_kexec_method_name(enum ferry_kexec_method m);

#endif
