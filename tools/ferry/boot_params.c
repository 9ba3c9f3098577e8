/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/cmdline.h"

#include "boot_params.h"
#include "../../kernel-glue/common/log.h"

#define LINE_MAX_BYTES 4096

static int safe_params(const char *params)
{
	for (const char *p = params; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._=@$,:!- ",
			    *p)) {
			log_error("cannot write '%c' into the boot configuration", *p);
			return -EINVAL;
		}
	return 0;
}

/* @text as @path: a temporary file beside it, fsynced, renamed over it */
static int replace_file(const char *path, const char *text)
{
	char dir[4096], tmp[4200], *slash;
	size_t len = strlen(text);
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	/* grub.d and kernel/ may be missing; /etc/default and /etc are there */
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return log_error_errno(-errno, "cannot create %s", dir);
	}
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(-errno, "cannot create %s", tmp);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		r = log_error_errno(errno ? -errno : -EIO, "cannot write %s", tmp);
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = log_error_errno(-errno, "cannot rename %s to %s", tmp, path);
	if (r < 0)
		unlink(tmp);
	return r;
}

int boot_params_write_grub(const char *root, const char *params)
{
	char path[4096], escaped[LINE_MAX_BYTES * 4], text[LINE_MAX_BYTES * 4 + 512];
	size_t n = 0;
	int r = safe_params(params);

	if (r < 0)
		return r;
	for (const char *p = params; *p && n + 4 < sizeof(escaped); p++) {
		/* GRUB: \$ is a plain $; the shell: \\ is \, \$ is $ */
		if (*p == '$') {
			memcpy(escaped + n, "\\\\\\$", 4);
			n += 4;
		} else {
			escaped[n++] = *p;
		}
	}
	escaped[n] = 0;
	snprintf(path, sizeof(path), "%s" BOOT_PARAMS_GRUB_FILE, root);
	snprintf(text, sizeof(text),
		 "# The marked region of ferry(8), written by 'ferry region install'.\n"
		 "# update-grub puts it on every entry's command line; '$' is written \\\\\\$:\n"
		 "# the shell that reads this file and GRUB's script language both expand $.\n"
		 "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX:+$GRUB_CMDLINE_LINUX }%s\"\n",
		 escaped);
	return replace_file(path, text);
}

struct drop_ctx {
	int (*drop)(const struct ferry_cmdline_param *p, const char *line, size_t len);
	const char *line;
	int from_proc;
};

static int keep_param(const struct ferry_cmdline_param *p, void *arg)
{
	const struct drop_ctx *ctx = arg;

	if (ctx->from_proc && (ferry_cmdline_is(p, "BOOT_IMAGE") || ferry_cmdline_is(p, "initrd")))
		return 0;
	return !ctx->drop(p, ctx->line, strlen(ctx->line));
}

static int read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int boot_params_write_bls(const char *root, const char *params,
			  int (*drop)(const struct ferry_cmdline_param *p, const char *line,
				      size_t len))
{
	char path[4096], old[LINE_MAX_BYTES], line[LINE_MAX_BYTES + 1];
	struct drop_ctx ctx = { .drop = drop };
	struct ferry_cmdline_builder b;
	const char *init;
	size_t init_len;
	int r = safe_params(params);

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s" BOOT_PARAMS_BLS_FILE, root);
	r = read_line(path, old, sizeof(old));
	if (r == -ENOENT) {
		char proc[4096];

		snprintf(proc, sizeof(proc), "%s/proc/cmdline", root);
		ctx.from_proc = 1;
		r = read_line(proc, old, sizeof(old));
		if (r < 0)
			return log_error_errno(r, "no %s, and %s cannot be read", path, proc);
	} else if (r < 0) {
		return log_error_errno(r, "cannot read %s", path);
	}
	ctx.line = old;
	ferry_cmdline_builder_init(&b, line, sizeof(line) - 1);
	ferry_cmdline_add_line(&b, old, strlen(old), keep_param, &ctx);
	for (const char *w = params; *w;) {
		size_t n = strcspn(w, " ");

		if (n)
			ferry_cmdline_add_word(&b, w, n);
		w += n + (w[n] == ' ');
	}
	init_len = ferry_cmdline_init_part(old, strlen(old), &init);
	ferry_cmdline_add_init(&b, init, init_len);
	if (ferry_cmdline_builder_end(&b) < 0)
		return log_error_errno(-ENAMETOOLONG, "the command line for %s does not fit", path);
	strcat(line, "\n");
	return replace_file(path, line);
}
