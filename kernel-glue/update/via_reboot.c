/* SPDX-License-Identifier: MIT */
/*
 * `ferry update --via reboot`: the new kernel is reached through a warm
 * reboot and ferry.efi instead of kexec. update.c does the rest (region,
 * freeze, image into staging, seal); this file is its struct ferry_update_via.
 *
 *   prepare  efivarfs usable, the boot entry "ferry" present ('ferry efi
 *            install'), ferry.efi on a mounted ESP whose ferry.conf names
 *            this very region; the update kernel and initrd on that ESP
 *            (copied to \EFI\ferry when they are elsewhere); ferry.conf's
 *            update_kernel=, update_initrd=, update_cmdline= rewritten
 *   execute  every process frozen, the image sealed, filesystems synced:
 *            BootNext = the ferry entry (one-shot), sync, warm reboot
 *   cancel   ferry.conf as it was, copied files removed, no BootNext
 *
 * After the reboot ferry.efi finds the SEALED image, verifies and expands
 * it and starts update_kernel with ferry.handoff=; ferry-init restores.
 * BootNext is used once: if the update boot goes wrong, the next boot is
 * BootOrder's again, and ferry.efi rolls back to the default kernel when it
 * finds the image EXPANDED and never consumed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/cmdline.h"
#include "ferry/conf.h"
#include "ferry/magic.h"
#include "ferry/size_addr.h"
#include "../common/procfs.h"
#include "internal.h"
#include "region.h"
#include "via_reboot.h"

#define ESP_DIR "EFI/ferry"

static struct {
	char esp[PATH_MAX];     /* mount point of the ESP with \EFI\ferry\ferry.efi */
	char conf[PATH_MAX + 32]; /* its ferry.conf */
	char *old_conf;         /* ferry.conf as found, to put back on cancel */
	size_t old_conf_len;
	struct ferry_conf old;  /* what ferry.efi reads in it */
	bool conf_written;
	char copied[2][PATH_MAX + 64]; /* files this update created on the ESP */
	uint16_t entry;
	bool boot_next_set;
} rs;

/* ---- files ----------------------------------------------------------------- */

/* The whole of ferry.conf; one larger than ferry.efi reads is refused (-EFBIG). */
static int conf_read(const char *path, char **ret, size_t *ret_len)
{
	int r = proc_read_file(path, ret, ret_len);

	if (r == 0 && *ret_len >= FERRY_CONF_MAX) {
		free(*ret);
		*ret = NULL;
		return -EFBIG;
	}
	return r;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX], *slash;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	close(fd);
	return r;
}

/* Write @to from @src (a buffer when @src_path is NULL) through TO.new + rename. */
static int write_file(const char *to, const char *src_path, const char *buf, size_t len)
{
	char tmp[PATH_MAX + 8], chunk[65536];
	int in = -1, out, r = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.new", to);
	if (src_path) {
		in = open(src_path, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return log_error_errno(-errno, "cannot open %s", src_path);
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		r = log_error_errno(-errno, "cannot create %s", tmp);
		goto done;
	}
	if (src_path) {
		while ((n = read(in, chunk, sizeof(chunk))) > 0)
			if (write(out, chunk, (size_t)n) != n) {
				r = log_error_errno(errno ? -errno : -ENOSPC, "writing %s", tmp);
				break;
			}
		if (n < 0)
			r = log_error_errno(-errno, "reading %s", src_path);
	} else if (write(out, buf, len) != (ssize_t)len) {
		r = log_error_errno(errno ? -errno : -ENOSPC, "writing %s", tmp);
	}
	if (r == 0 && fsync(out) < 0)
		r = log_error_errno(-errno, "fsync %s", tmp);
	close(out);
	if (r == 0 && rename(tmp, to) < 0)
		r = log_error_errno(-errno, "cannot rename %s to %s", tmp, to);
	if (r < 0)
		unlink(tmp);
	else
		fsync_dir_of(to);
done:
	if (in >= 0)
		close(in);
	return r;
}

static bool same_content(const char *a, const char *b)
{
	char x[65536], y[65536];
	struct stat sa, sb;
	bool same = false;
	int fa, fb;
	ssize_t n;

	if (stat(a, &sa) < 0 || stat(b, &sb) < 0 || sa.st_size != sb.st_size)
		return false;
	fa = open(a, O_RDONLY | O_CLOEXEC);
	fb = open(b, O_RDONLY | O_CLOEXEC);
	if (fa >= 0 && fb >= 0) {
		same = true;
		while (same && (n = read(fa, x, sizeof(x))) > 0)
			same = read(fb, y, (size_t)n) == n && !memcmp(x, y, (size_t)n);
		if (n < 0)
			same = false;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* ---- the ESP ------------------------------------------------------------------ */

static bool has_ferry_efi(const char *dir)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/" ESP_DIR "/ferry.efi", dir);
	return access(p, R_OK) == 0;
}

/* $FERRY_ESP, else the first mounted FAT file system with \EFI\ferry\ferry.efi. */
static int find_esp(void)
{
	char line[PATH_MAX * 2], dev[PATH_MAX], mnt[PATH_MAX], type[64];
	const char *env = getenv("FERRY_ESP");
	FILE *f;
	int found = 0;

	if (env && *env) {
		if (!realpath(env, rs.esp))
			return log_error_errno(-errno, "FERRY_ESP=%s", env);
		if (!has_ferry_efi(rs.esp)) {
			log_error("%s (FERRY_ESP) holds no " ESP_DIR "/ferry.efi: run 'ferry efi "
				   "install --esp %s' first", rs.esp, rs.esp);
			return -ENOENT;
		}
		return 0;
	}
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return log_error_errno(-errno, "cannot read /proc/self/mounts");
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%4095s %4095s %63s", dev, mnt, type) == 3 &&
		    (!strcmp(type, "vfat") || !strcmp(type, "msdos")) && has_ferry_efi(mnt)) {
			snprintf(rs.esp, sizeof(rs.esp), "%s", mnt);
			found = 1;
		}
	fclose(f);
	if (!found) {
		log_error("ferry.efi is on no mounted EFI system partition: mount the ESP (e.g. "
			   "on /boot/efi) and run 'ferry efi install' (or set FERRY_ESP=DIR)");
		return -ENOENT;
	}
	return 0;
}

/* "/boot/efi/EFI/ferry/vmlinuz" -> "\EFI\ferry\vmlinuz" if @path is on the ESP. */
static bool esp_path(const char *path, char *out, size_t cap)
{
	size_t n = strlen(rs.esp);

	if (strncmp(path, rs.esp, n) || path[n] != '/' || strlen(path + n) >= cap)
		return false;
	snprintf(out, cap, "%s", path + n);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '\\';
	return true;
}

/* ---- ferry.conf --------------------------------------------------------------- */

/* ferry.conf as ferry.efi will read it: a line it would skip is refused,
 * before anything changed. */
static int conf_parse(void)
{
	struct ferry_diag diag = { .what = "unknown problem" };

	ferry_conf_init(&rs.old);
	if (ferry_conf_parse(&rs.old, rs.old_conf, rs.old_conf_len, &diag) < 0) {
		log_error("%s, byte %llu: %s: ferry.efi would skip that line; correct it", rs.conf,
			   (unsigned long long)diag.offset, diag.what);
		return -EINVAL;
	}
	return 0;
}

static int conf_check_region(const struct ferry_region *region)
{
	if (!rs.old.region_size) {
		log_error("%s names no region=: ferry.efi would not reserve the range; add "
			   "region=0x%llx@0x%llx", rs.conf, (unsigned long long)region->size,
			   (unsigned long long)region->phys);
		return -EINVAL;
	}
	if (rs.old.region_addr != region->phys || rs.old.region_size < region->size) {
		log_error("%s has region=0x%llx@0x%llx, but this kernel's region is 0x%llx@0x%llx: "
			   "ferry.efi would reserve and read another range; make them the same",
			   rs.conf, (unsigned long long)rs.old.region_size,
			   (unsigned long long)rs.old.region_addr, (unsigned long long)region->size,
			   (unsigned long long)region->phys);
		return -EINVAL;
	}
	return 0;
}

/* Put @path on the ESP (if it is not there) and give its ESP path in @out. */
static int place_on_esp(const char *path, int slot, char *out, size_t cap)
{
	char real[PATH_MAX], dst[PATH_MAX + 64];
	const char *base;
	bool existed;
	int r;

	if (!realpath(path, real))
		return log_error_errno(-errno, "%s", path);
	if (esp_path(real, out, cap))
		return 0;
	base = strrchr(real, '/') + 1;
	snprintf(dst, sizeof(dst), "%s/" ESP_DIR "/%s", rs.esp, base);
	if (!esp_path(dst, out, cap))
		return -ENAMETOOLONG;
	/* never overwrite what the default entry boots */
	if (!strcasecmp(rs.old.kernel, out) || !strcasecmp(rs.old.initrd, out)) {
		if (same_content(real, dst))
			return 0;
		log_error("%s would overwrite %s, which the default entry boots: rename %s",
			   real, dst, base);
		return -EEXIST;
	}
	existed = access(dst, F_OK) == 0;
	if (existed && same_content(real, dst))
		return 0;
	r = write_file(dst, real, NULL, 0);
	if (r < 0)
		return log_error_errno(r, "cannot copy %s to the ESP (%s): free space there or put it "
				"on the ESP yourself", real, dst);
	if (!existed)
		snprintf(rs.copied[slot], sizeof(rs.copied[slot]), "%s", dst);
	update_phase("copied %s to the ESP as %s", real, out);
	return 0;
}

/* what ferry.efi adds to the update kernel's command line itself */
static int keep_for_efi(const struct ferry_cmdline_param *p, void *ctx)
{
	const struct ferry_region *region = ctx;

	if (ferry_cmdline_is(p, "initrd") || ferry_cmdline_is(p, FERRY_PARAM_REGION) ||
	    ferry_cmdline_is(p, FERRY_PARAM_HANDOFF))
		return 0;
	return !(rs.old.memmap && ferry_cmdline_is(p, "memmap") && p->value &&
		 ferry_memmap_reserves(p->value, p->value_len, region->phys));
}

/*
 * The command line of the update kernel: the running one with --append
 * (update_next_cmdline()), without what ferry.efi adds itself: initrd=,
 * ferry.region=, ferry.handoff=, and the memmap= of the region unless
 * ferry.conf says memmap=no.
 */
static int update_cmdline(const struct ferry_update_options *o, const struct ferry_region *region,
			  char *out, size_t cap)
{
	struct ferry_cmdline_builder b;
	char full[4096];
	const char *init;
	size_t n;
	int r;

	r = update_next_cmdline(o->append, full, sizeof(full));
	if (r < 0)
		return r;
	ferry_cmdline_builder_init(&b, out, cap);
	ferry_cmdline_add_line(&b, full, strlen(full), keep_for_efi, (void *)region);
	n = ferry_cmdline_init_part(full, strlen(full), &init);
	ferry_cmdline_add_init(&b, init, n);
	if (ferry_cmdline_builder_end(&b) < 0)
		return log_error_errno(-E2BIG, "the update kernel's command line is longer than "
				"ferry.efi takes (%zu bytes)", cap - 1);
	return 0;
}

/* One KEY=VALUE line of ferry.conf at @buf + *@len, as ferry.efi will read it. */
static int conf_put(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
	int n = ferry_conf_format_line(buf + *len, cap - *len, key, value, strlen(value));

	if (n < 0)
		return log_error_errno(-EINVAL, "%s=%s cannot be written to %s: ferry.efi would not read it "
				"back (longer than it takes, or a ';' or newline in it)", key, value,
				rs.conf);
	*len += (size_t)n;
	return 0;
}

static int conf_write(const char *kernel, const char *initrd, const char *cmdline)
{
	size_t cap = rs.old_conf_len + 2 * FERRY_CONF_PATH_MAX + FERRY_CONF_CMDLINE_MAX + 256;
	struct ferry_conf_cursor cur;
	struct ferry_conf_line l;
	char *buf = malloc(cap);
	size_t len = 0;
	int r;

	if (!buf)
		return -ENOMEM;
	/* every line as it was but the update_* ones, which are written anew */
	ferry_conf_cursor_init(&cur, rs.old_conf, rs.old_conf_len);
	while (ferry_conf_next(&cur, &l) > 0) {
		if (ferry_conf_is(&l, FERRY_CONF_UPDATE_KERNEL) ||
		    ferry_conf_is(&l, FERRY_CONF_UPDATE_INITRD) ||
		    ferry_conf_is(&l, FERRY_CONF_UPDATE_CMDLINE))
			continue;
		memcpy(buf + len, l.text, l.text_len);
		len += l.text_len;
		if (!l.text_len || (l.text[l.text_len - 1] != '\n' && l.text[l.text_len - 1] != ';'))
			buf[len++] = '\n';
	}
	r = conf_put(buf, cap, &len, FERRY_CONF_UPDATE_KERNEL, kernel);
	if (r == 0 && initrd[0])
		r = conf_put(buf, cap, &len, FERRY_CONF_UPDATE_INITRD, initrd);
	if (r == 0)
		r = conf_put(buf, cap, &len, FERRY_CONF_UPDATE_CMDLINE, cmdline);
	if (r == 0)
		r = write_file(rs.conf, NULL, buf, len);
	free(buf);
	if (r == 0)
		rs.conf_written = true;
	return r;
}

/* ---- struct ferry_update_via ---------------------------------------------- */

static void reboot_cancel(const struct ferry_update_options *o);

static int efivars_usable(void)
{
	if (access("/sys/firmware/efi", F_OK) < 0) {
		log_error("this system was not booted through UEFI (no /sys/firmware/efi): "
			   "--via reboot needs ferry.efi; use --via kexec");
		return -ENOENT;
	}
	if (access(EFIVARS_DIR "/BootOrder-" EFI_GLOBAL_GUID, F_OK) < 0) {
		log_error("no EFI variables in " EFIVARS_DIR ": mount -t efivarfs efivarfs "
			   EFIVARS_DIR);
		return -ENOENT;
	}
	if (access(EFIVARS_DIR, W_OK) < 0)
		return log_error_errno(-errno, EFIVARS_DIR " is not writable (remount it read-write)");
	return 0;
}

static int reboot_prepare(const struct ferry_update_options *o, const struct ferry_region *region)
{
	char kernel[FERRY_CONF_PATH_MAX], initrd[FERRY_CONF_PATH_MAX] = "";
	char cmdline[FERRY_CONF_CMDLINE_MAX];
	int r;

	reboot_cancel(o);
	r = efivars_usable();
	if (r < 0)
		return r;
	r = efivars_find_entry(FERRY_ENTRY_LABEL, &rs.entry);
	if (r == -ENOENT) {
		log_error("no boot entry '" FERRY_ENTRY_LABEL "' in the firmware: run 'ferry efi "
			   "install'");
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "cannot read the boot entries in " EFIVARS_DIR);
	r = find_esp();
	if (r < 0)
		return r;
	snprintf(rs.conf, sizeof(rs.conf), "%s/" ESP_DIR "/ferry.conf", rs.esp);
	r = conf_read(rs.conf, &rs.old_conf, &rs.old_conf_len);
	if (r < 0)
		return log_error_errno(r, "cannot read %s ('ferry efi install' writes it)", rs.conf);
	r = conf_parse();
	if (r == 0)
		r = conf_check_region(region);
	if (r < 0)
		goto fail;
	r = place_on_esp(o->kernel, 0, kernel, sizeof(kernel));
	if (r == 0 && o->initrd)
		r = place_on_esp(o->initrd, 1, initrd, sizeof(initrd));
	if (r == 0)
		r = update_cmdline(o, region, cmdline, sizeof(cmdline));
	if (r == 0)
		r = conf_write(kernel, initrd, cmdline);
	if (r < 0)
		goto fail;
	update_phase("boot entry Boot%04X '" FERRY_ENTRY_LABEL "' on %s; update kernel %s%s%s", rs.entry,
	    rs.esp, kernel, initrd[0] ? " + " : "", initrd);
	update_phase("new command line: %s (ferry.efi adds initrd=, ferry.region=, memmap=, "
	    "ferry.handoff=)", cmdline);
	return 0;
fail:
	reboot_cancel(o);
	return r;
}

/* Tell the firmware this is a warm reset (/sys/kernel/reboot, Linux 5.11+). */
static void warm_reset_mode(void)
{
	int fd = open("/sys/kernel/reboot/mode", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "warm", 4) != 4)
		log_warning("cannot set /sys/kernel/reboot/mode to warm: %s", strerror(errno));
	close(fd);
}

static int reboot_execute(const struct ferry_update_options *o)
{
	const char *test = getenv("FERRY_UPDATE_TEST");
	int r;

	(void)o;
	r = efivars_set_boot_next(rs.entry);
	if (r < 0)
		return log_error_errno(r, "cannot set BootNext to Boot%04X through efivarfs", rs.entry);
	rs.boot_next_set = true;
	warm_reset_mode();
	update_phase("BootNext=Boot%04X (ferry.efi, once); warm reboot", rs.entry);
	fprintf(update_progress(), "FERRY-REBOOT: rebooting\n");
	fflush(NULL);
	sync();
	if (test && !strcmp(test, "fail-reboot"))
		r = -ECANCELED; /* qemu-tests: the reboot "fails" after BootNext was set */
	else if (reboot(RB_AUTOBOOT) < 0)
		r = -errno;
	else
		r = -EIO;
	/* still here */
	if (efivars_clear_boot_next() == 0)
		rs.boot_next_set = false;
	return r;
}

static void reboot_cancel(const struct ferry_update_options *o)
{
	(void)o;
	if (rs.boot_next_set && efivars_clear_boot_next() == 0)
		rs.boot_next_set = false;
	if (rs.conf_written && rs.old_conf &&
	    write_file(rs.conf, NULL, rs.old_conf, rs.old_conf_len) == 0)
		rs.conf_written = false;
	for (int i = 0; i < 2; i++)
		if (rs.copied[i][0]) {
			unlink(rs.copied[i]);
			rs.copied[i][0] = 0;
		}
	free(rs.old_conf);
	rs.old_conf = NULL;
	rs.old_conf_len = 0;
}

const struct ferry_update_via ferry_update_via_reboot = {
	.name = "reboot",
	.prepare = reboot_prepare,
	.execute = reboot_execute,
	.cancel = reboot_cancel,
};
