/* SPDX-License-Identifier: MIT */
/*
 * ferry efi install [--esp DIR] [--efi FILE] [--conf FILE]
 * ferry efi status [--json]
 * ferry efi uninstall [--esp DIR]
 *
 * install copies ferry.efi and its configuration to \EFI\ferry on the ESP
 * and registers a boot entry "ferry" with efibootmgr, first in BootOrder; the
 * entries already there stay behind it as the fallback. status shows that
 * entry, BootCurrent/BootNext/BootOrder, the marked range and the handoff the
 * running kernel was booted with (ferry.handoff=).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ferry/cmdline.h"
#include "ferry/conf.h"
#include "ferry/handoff.h"

#include "commands.h"
#include "json.h"
#include "../../kernel-glue/common/log.h"

#define EFIVARS "/sys/firmware/efi/efivars"
#define DEFAULT_ESP "/boot/efi"
/* where make install puts them (PKGLIBDIR, SYSCONFDIR) */
#ifndef FERRY_PKGLIBDIR
#define FERRY_PKGLIBDIR "/usr/lib/ferry"
#endif
#ifndef FERRY_SYSCONFDIR
#define FERRY_SYSCONFDIR "/etc"
#endif
#define DEFAULT_EFI FERRY_PKGLIBDIR "/ferry.efi"
#define DEFAULT_CONF FERRY_SYSCONFDIR "/ferry/ferry.conf"
#define ENTRY_LABEL "ferry"
#define ENTRY_LOADER "\\EFI\\ferry\\ferry.efi"

static int run_prog(char *const argv[], char *out, size_t cap)
{
	int pipefd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd) < 0)
		return log_error_errno(-errno, "pipe");
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "fork");
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out ? out + len : (char[256]){ 0 }, out ? cap - 1 - len : 256)) > 0)
		if (out)
			len += (size_t)n;
	close(pipefd[0]);
	if (out)
		out[len] = '\0';
	if (waitpid(pid, &status, 0) < 0)
		return log_error_errno(-errno, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int copy_file(const char *from, const char *to)
{
	char tmp[PATH_MAX], buf[65536];
	int in, out, r = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.new", to);
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return log_error_errno(-errno, "cannot open %s", from);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		r = log_error_errno(-errno, "cannot create %s", tmp);
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = log_error_errno(-errno, "writing %s", tmp);
			break;
		}
	if (n < 0)
		r = log_error_errno(-errno, "reading %s", from);
	if (r == 0 && fsync(out) < 0)
		r = log_error_errno(-errno, "fsync %s", tmp);
	close(in);
	close(out);
	if (r == 0 && rename(tmp, to) < 0)
		r = log_error_errno(-errno, "rename %s to %s", tmp, to);
	if (r < 0)
		unlink(tmp);
	return r;
}

/* The block device mounted at @dir: "/dev/vdc1" -> disk "/dev/vdc", part 1. */
static int esp_device(const char *dir, char *disk, size_t cap, int *ret_part)
{
	char line[PATH_MAX + 64], mnt[PATH_MAX], dev[PATH_MAX], real[PATH_MAX], path[PATH_MAX], *name;
	FILE *f;
	int found = 0, part;

	if (!realpath(dir, real))
		return log_error_errno(-errno, "ESP %s", dir);
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return log_error_errno(-errno, "/proc/self/mounts");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%4095s %4095s", dev, mnt) == 2 && !strcmp(mnt, real))
			found = 1, snprintf(path, sizeof(path), "%s", dev);
	fclose(f);
	if (!found) {
		log_error("%s is not a mount point: mount the EFI system partition there or pass --esp DIR", real);
		return -ENOENT;
	}
	name = strrchr(path, '/');
	name = name ? name + 1 : path;
	snprintf(line, sizeof(line), "/sys/class/block/%s/partition", name);
	f = fopen(line, "re");
	if (!f || fscanf(f, "%d", &part) != 1) {
		if (f)
			fclose(f);
		log_error("%s (on %s) is not a partition: efibootmgr needs the ESP's disk and partition", path, real);
		return -ENODEV;
	}
	fclose(f);
	/* the disk is the partition's parent in sysfs */
	snprintf(line, sizeof(line), "/sys/class/block/%s/..", name);
	if (!realpath(line, dev))
		return log_error_errno(-errno, "parent of %s", path);
	name = strrchr(dev, '/');
	if ((size_t)snprintf(disk, cap, "/dev/%.200s", name ? name + 1 : dev) >= cap)
		return -ENAMETOOLONG;
	*ret_part = part;
	return 0;
}

static int need_efivars(void)
{
	if (access(EFIVARS, F_OK) < 0) {
		log_error("%s is missing: this system was not booted through UEFI", EFIVARS);
		return -ENOENT;
	}
	return 0;
}

/* Delete existing entries labelled ENTRY_LABEL, so install can be repeated. */
static void delete_old_entries(void)
{
	static char out[65536];
	char *line, *save = NULL;
	char *argv[] = { "efibootmgr", NULL };

	if (run_prog(argv, out, sizeof(out)) != 0)
		return;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char num[5];

		if (sscanf(line, "Boot%4[0-9A-Fa-f]", num) == 1 && strlen(line) > 10 &&
		    (!strcmp(line + 9, " " ENTRY_LABEL) || !strncmp(line + 9, " " ENTRY_LABEL "\t", 7) ||
		     !strcmp(line + 10, ENTRY_LABEL))) {
			char *del[] = { "efibootmgr", "-q", "-b", num, "-B", NULL };

			(void)run_prog(del, NULL, 0);
		}
	}
}

/* BootOrder before install put the entry first, for uninstall */
static void boot_order_path(char *buf, size_t cap)
{
	const char *dir = getenv("FERRY_STATE_DIR");

	snprintf(buf, cap, "%s/efi-boot-order", dir && *dir ? dir : "/var/lib/ferry");
}

/* efibootmgr's "BootOrder: 0001,0002" into @out ("" when none) */
static int current_boot_order(char *out, size_t cap)
{
	static char text[65536];
	char *argv[] = { "efibootmgr", NULL }, *line, *save = NULL;

	out[0] = 0;
	if (run_prog(argv, text, sizeof(text)) != 0)
		return -EIO;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "BootOrder: ", 11))
			snprintf(out, cap, "%s", line + 11);
	return 0;
}

static void save_boot_order(void)
{
	char order[512], path[4096], dir[4096], *slash;
	FILE *f;

	if (current_boot_order(order, sizeof(order)) < 0 || !order[0])
		return;
	boot_order_path(path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	mkdir(dir, 0755);
	f = fopen(path, "we");
	if (!f) {
		log_error_errno(-errno, "warning: cannot keep BootOrder in %s for 'ferry efi uninstall'",
				path);
		return;
	}
	fprintf(f, "%s\n", order);
	fclose(f);
}

/* @path as ferry.efi will read it (ferry/conf.h): refused before anything
 * is installed when ferry.efi would skip a line of it or not read it. */
static int check_conf(const char *path)
{
	static char text[FERRY_CONF_MAX];
	struct ferry_conf c;
	struct ferry_diag diag = { .what = "unknown problem" };
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return log_error_errno(-errno, "cannot open the configuration %s", path);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (n == sizeof(text))
		return log_error_errno(-EFBIG, "%s is %u bytes or more: ferry.efi does not read it",
				       path, FERRY_CONF_MAX);
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, text, n, &diag) < 0) {
		log_error("%s, byte %llu: %s: ferry.efi would skip that line", path,
			  (unsigned long long)diag.offset, diag.what);
		return -EINVAL;
	}
	return 0;
}

static int efi_install(const char *esp, const char *efi, const char *conf)
{
	char dir[PATH_MAX], dst[PATH_MAX + 32], disk[PATH_MAX], part_s[16];
	static char out[65536];
	int part = 0, r;

	/* refused before anything is written */
	if (check_conf(conf) < 0)
		return FERRY_EXIT_REFUSED;
	if (need_efivars() < 0)
		return FERRY_EXIT_REFUSED;
	if (esp_device(esp, disk, sizeof(disk), &part) < 0)
		return FERRY_EXIT_REFUSED;
	snprintf(dir, sizeof(dir), "%s/EFI", esp);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "mkdir %s", dir), FERRY_EXIT_FAILURE;
	snprintf(dir, sizeof(dir), "%s/EFI/ferry", esp);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "mkdir %s", dir), FERRY_EXIT_FAILURE;
	snprintf(dst, sizeof(dst), "%s/ferry.efi", dir);
	if (copy_file(efi, dst) < 0) {
		log_hint("build it with 'make efi-stage' and pass --efi build/efi/ferry.efi");
		return FERRY_EXIT_FAILURE;
	}
	printf("installed %s\n", dst);
	snprintf(dst, sizeof(dst), "%s/ferry.conf", dir);
	if (copy_file(conf, dst) < 0) {
		log_hint("write the configuration (kernel=, initrd=, cmdline=, region=SIZE@ADDR, "
			 "update_kernel=, ...) to %s or pass --conf FILE", DEFAULT_CONF);
		return FERRY_EXIT_FAILURE;
	}
	printf("installed %s\n", dst);
	sync();

	delete_old_entries();
	save_boot_order();
	snprintf(part_s, sizeof(part_s), "%d", part);
	{
		char *argv[] = { "efibootmgr", "-q", "-c", "-d", disk, "-p", part_s, "-L", ENTRY_LABEL,
				 "-l", ENTRY_LOADER, NULL };

		r = run_prog(argv, out, sizeof(out));
	}
	if (r != 0) {
		log_error("efibootmgr could not create the boot entry (status %d): %s", r, out);
		log_hint("is efivarfs mounted read-write on %s?", EFIVARS);
		return FERRY_EXIT_FAILURE;
	}
	printf("boot entry '%s' (%s on %s partition %d) is first in BootOrder; "
	       "the existing entries follow as the fallback\n", ENTRY_LABEL, ENTRY_LOADER, disk, part);
	return FERRY_EXIT_OK;
}

/* Every file of \EFI\ferry (ferry.efi, ferry.conf, update kernels copied
 * there) and the directory */
static int remove_esp_dir(const char *esp)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/EFI/ferry", esp);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : log_error_errno(-errno, "cannot open %s", dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0)
			r = log_error_errno(-errno, "cannot remove %s", path);
	}
	closedir(d);
	if (r == 0 && rmdir(dir) < 0)
		r = log_error_errno(-errno, "cannot remove %s", dir);
	if (r == 0)
		printf("removed %s\n", dir);
	sync();
	return r;
}

/* BootOrder as install found it: the saved order, of the entries still there */
static int restore_boot_order(void)
{
	char path[4096], saved[512], now[512], order[512] = "", *num, *save = NULL;
	char *argv[] = { "efibootmgr", "-q", "-o", order, NULL };
	static char out[4096];
	FILE *f;

	boot_order_path(path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0; /* install kept none: removing the entry left the rest in order */
	if (!fgets(saved, sizeof(saved), f))
		saved[0] = 0;
	fclose(f);
	saved[strcspn(saved, "\n")] = 0;
	if (current_boot_order(now, sizeof(now)) < 0)
		return -EIO;
	for (num = strtok_r(saved, ",", &save); num; num = strtok_r(NULL, ",", &save))
		if (strlen(num) == 4 && strstr(now, num))
			snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%s",
				 order[0] ? "," : "", num);
	if (order[0] && strcmp(order, now)) {
		if (run_prog(argv, out, sizeof(out)) != 0) {
			log_error("efibootmgr could not set BootOrder to %s: %s", order, out);
			return -EIO;
		}
	}
	unlink(path);
	if (order[0])
		printf("BootOrder: %s\n", order);
	return 0;
}

static int efi_uninstall(const char *esp)
{
	int r;

	if (need_efivars() < 0)
		return FERRY_EXIT_REFUSED;
	delete_old_entries();
	printf("boot entry '%s' removed\n", ENTRY_LABEL);
	r = restore_boot_order();
	if (remove_esp_dir(esp) < 0 || r < 0)
		return FERRY_EXIT_FAILURE;
	return FERRY_EXIT_OK;
}

/* The last @key= among the running kernel's parameters (ferry/cmdline.h). */
static int cmdline_value(const char *key, char *out, size_t cap)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen("/proc/cmdline", "re");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return ferry_cmdline_value(buf, n, key, out, cap) == 1 ? 0 : -1;
}

/* What `ferry efi status` shows, gathered first, then written as text or JSON. */
struct efi_state {
	char boot_current[8], boot_next[8], boot_order[256];
	char entry[512];              /* efibootmgr's line of the ferry entry, or "" */
	char region[128];             /* ferry.region= of this kernel, or "" */
	bool have_handoff;            /* ferry.handoff= on the command line */
	uint64_t handoff_addr;
	int handoff_read;             /* 0 read, <0 unreadable or not mapped */
	struct ferry_handoff handoff;
};

static const char *handoff_image_state(const struct ferry_handoff *h)
{
	static const char *const states[] = { "none", "compressed", "expanded" };

	return h->image_state < 3 ? states[h->image_state] : "?";
}

static int read_handoff(uint64_t addr, struct ferry_handoff *h)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t base = addr & ~(uint64_t)(page - 1);
	size_t len = 64 * 1024 + (size_t)(addr - base);
	void *p;
	int fd = open("/dev/mem", O_RDONLY | O_SYNC | O_CLOEXEC), r;

	if (fd < 0)
		return log_error_errno(-errno, "cannot open /dev/mem to read the handoff");
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)base);
	close(fd);
	if (p == MAP_FAILED)
		return log_error_errno(-errno, "cannot map the handoff at 0x%" PRIx64, addr);
	r = ferry_handoff_read((uint8_t *)p + (addr - base), 60 * 1024, h) < 0 ? -EBADMSG : 0;
	munmap(p, len);
	return r;
}

/* "Label: VALUE" of efibootmgr's output into @out */
static void efibootmgr_value(const char *line, const char *label, char *out, size_t cap)
{
	size_t n = strlen(label);

	if (strncmp(line, label, n))
		return;
	line += n;
	while (*line == ' ')
		line++;
	snprintf(out, cap, "%s", line);
}

static int efi_gather(struct efi_state *st)
{
	static char out[65536];
	char *argv[] = { "efibootmgr", NULL };
	char *line, *save = NULL, v[256] = "";
	int r;

	memset(st, 0, sizeof(*st));
	if (need_efivars() < 0)
		return -ENOENT;
	r = run_prog(argv, out, sizeof(out));
	if (r != 0) {
		log_error("efibootmgr failed (status %d): %s", r, out);
		return -EIO;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		efibootmgr_value(line, "BootCurrent:", st->boot_current, sizeof(st->boot_current));
		efibootmgr_value(line, "BootNext:", st->boot_next, sizeof(st->boot_next));
		efibootmgr_value(line, "BootOrder:", st->boot_order, sizeof(st->boot_order));
		if (!st->entry[0] && strstr(line, ENTRY_LABEL) && !strncmp(line, "Boot", 4) &&
		    strncmp(line, "BootOrder", 9) && strncmp(line, "BootCurrent", 11) &&
		    strncmp(line, "BootNext", 8))
			snprintf(st->entry, sizeof(st->entry), "%s", line);
	}
	if (cmdline_value(FERRY_PARAM_REGION, v, sizeof(v)) == 0)
		snprintf(st->region, sizeof(st->region), "%s", v);
	v[0] = '\0';
	if (cmdline_value(FERRY_PARAM_HANDOFF, v, sizeof(v)) == 0) {
		st->have_handoff = true;
		st->handoff_addr = strtoull(v, NULL, 0);
		st->handoff_read = read_handoff(st->handoff_addr, &st->handoff);
	}
	return 0;
}

static void efi_status_text(const struct efi_state *st)
{
	const struct ferry_handoff *h = &st->handoff;

	if (st->boot_current[0])
		printf("BootCurrent: %s\n", st->boot_current);
	if (st->boot_next[0])
		printf("BootNext: %s\n", st->boot_next);
	if (st->boot_order[0])
		printf("BootOrder: %s\n", st->boot_order);
	if (st->entry[0])
		printf("entry:        %s\n", st->entry);
	else
		printf("entry:        none (run 'ferry efi install')\n");
	if (st->region[0])
		printf("region:       %s (ferry.region= on this kernel's command line)\n", st->region);
	else
		printf("region:       none on this kernel's command line\n");
	if (!st->have_handoff) {
		printf("handoff:      none (this boot had nothing to hand over)\n");
		return;
	}
	if (st->handoff_read == -EBADMSG)
		printf("handoff:      at 0x%" PRIx64 ", unreadable (overwritten since boot?)\n",
		       st->handoff_addr);
	if (st->handoff_read < 0)
		return;
	printf("handoff:      at 0x%" PRIx64 ": image %s%s, stage %s %s, %.1f ms\n", st->handoff_addr,
	       handoff_image_state(h), h->verified ? " (verified)" : "", h->stage, h->stage_version,
	       h->stage_time_ns / 1e6);
	if (h->image_state != FERRY_HANDOFF_IMAGE_NONE)
		printf("image:        0x%" PRIx64 ", %" PRIu64 " bytes\n", h->image_address,
		       h->image_size);
	if (h->reason[0])
		printf("reason:       %s\n", h->reason);
}

static void string_or_null(struct json_writer *j, const char *key, const char *s)
{
	json_string(j, key, s[0] ? s : NULL);
}

static int efi_status_json(const struct efi_state *st)
{
	const struct ferry_handoff *h = &st->handoff;
	struct json_writer j;
	char order[sizeof(st->boot_order)], *num, *save = NULL;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	string_or_null(&j, "boot_current", st->boot_current);
	string_or_null(&j, "boot_next", st->boot_next);
	json_array_begin(&j, "boot_order");
	snprintf(order, sizeof(order), "%s", st->boot_order);
	for (num = strtok_r(order, ",", &save); num; num = strtok_r(NULL, ",", &save))
		json_string(&j, NULL, num);
	json_array_end(&j);
	if (st->entry[0]) {
		json_object_begin(&j, "entry");
		json_string_bytes(&j, "number", st->entry + 4, strspn(st->entry + 4, "0123456789ABCDEFabcdef"));
		json_bool(&j, "active", strchr(st->entry, '*') && strchr(st->entry, '*') < st->entry + 10);
		json_string(&j, "line", st->entry);
		json_object_end(&j);
	} else {
		json_null(&j, "entry");
	}
	string_or_null(&j, "region", st->region);
	if (st->have_handoff) {
		json_object_begin(&j, "handoff");
		json_hex(&j, "address", st->handoff_addr);
		json_bool(&j, "readable", st->handoff_read == 0);
		if (st->handoff_read == 0) {
			json_string(&j, "image", handoff_image_state(h));
			json_bool(&j, "verified", h->verified);
			json_string(&j, "stage", h->stage);
			json_string(&j, "stage_version", h->stage_version);
			json_double(&j, "stage_ms", h->stage_time_ns / 1e6);
			if (h->image_state != FERRY_HANDOFF_IMAGE_NONE) {
				json_hex(&j, "image_address", h->image_address);
				json_u64(&j, "image_bytes", h->image_size);
			}
			string_or_null(&j, "reason", h->reason);
		}
		json_object_end(&j);
	} else {
		json_null(&j, "handoff");
	}
	json_object_end(&j);
	if (json_finish(&j) < 0) {
		log_error("cannot write the report");
		return FERRY_EXIT_FAILURE;
	}
	return FERRY_EXIT_OK;
}

static int efi_status(bool json)
{
	static struct efi_state st;

	if (efi_gather(&st) < 0)
		return FERRY_EXIT_FAILURE;
	if (json)
		return efi_status_json(&st);
	efi_status_text(&st);
	return FERRY_EXIT_OK;
}

static int run_efi(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "esp", required_argument, NULL, 'e' },
		{ "efi", required_argument, NULL, 'f' },
		{ "conf", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	const char *esp = DEFAULT_ESP, *efi = DEFAULT_EFI, *conf = DEFAULT_CONF, *verb;
	bool json = false;
	int c;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		switch (c) {
		case 'e': esp = optarg; break;
		case 'f': efi = optarg; break;
		case 'c': conf = optarg; break;
		case 'j': json = true; break;
		default: return FERRY_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return command_usage_error(cmd, "expected one of: install, status, uninstall");
	verb = argv[optind];
	if (json && strcmp(verb, "status"))
		return command_usage_error(cmd, "--json goes with status");
	if (!strcmp(verb, "install"))
		return efi_install(esp, efi, conf);
	if (!strcmp(verb, "status"))
		return efi_status(json);
	if (!strcmp(verb, "uninstall"))
		return efi_uninstall(esp);
	return command_usage_error(cmd, "unknown action '%s' (install, status, uninstall)", verb);
}

const struct command command_efi = {
	.name = "efi",
	.summary = "install ferry.efi as a boot entry, or show its state",
	.usage = "install [--esp DIR] [--efi FILE] [--conf FILE] | status [--json] | "
		 "uninstall [--esp DIR]",
	.help = "  install      copy ferry.efi and ferry.conf to DIR\\EFI\\ferry and register a\n"
		"               boot entry 'ferry' first in BootOrder (efibootmgr); the\n"
		"               existing entries stay behind it as the fallback\n"
		"    --esp DIR  the mounted EFI system partition (default " DEFAULT_ESP ")\n"
		"    --efi FILE ferry.efi to install (default " DEFAULT_EFI ")\n"
		"    --conf FILE  its configuration (default " DEFAULT_CONF ")\n"
		"  status       the entry, BootCurrent/BootNext/BootOrder, the range, and\n"
		"               the handoff of this boot (ferry.handoff=)\n"
		"    --json     one JSON object: boot_current, boot_next, boot_order,\n"
		"               entry (number, active, line), region, handoff (address,\n"
		"               readable, image, verified, stage, stage_version, stage_ms,\n"
		"               image_address, image_bytes, reason); null for what is not\n"
		"               there\n"
		"  uninstall    remove the entry 'ferry' and put BootOrder back as install\n"
		"               found it (kept in /var/lib/ferry/efi-boot-order); remove\n"
		"               DIR\\EFI\\ferry\n"
		"Needs /sys/firmware/efi/efivars (a UEFI boot, efivarfs mounted).\n"
		"Exit status: 0 done, 1 failed, 3 install or uninstall refused (the\n"
		"configuration, no efivarfs or no ESP mounted; nothing written),\n"
		"2 usage error.\n",
	.run = run_efi,
};
