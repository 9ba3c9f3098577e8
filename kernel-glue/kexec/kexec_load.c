// SPDX-License-Identifier: MIT
/* kexec_file_load(2), with kexec-tools as the fallback, and the jump. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kexec.h"
#define LOG_PREFIX "kexec"
#include "../common/log.h"

#ifndef KEXEC_FILE_NO_INITRAMFS
#define KEXEC_FILE_NO_INITRAMFS 0x4
#endif
#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD 0x1
#endif

const char *ferry_kexec_method_name(enum ferry_kexec_method m)
{
	switch (m) {
	case FERRY_KEXEC_FILE_LOAD: return "kexec_file_load";
	case FERRY_KEXEC_TOOLS: return "kexec_load (kexec-tools)";
	default: return "none";
	}
}

static int file_load(const struct ferry_kexec_load_opts *o)
{
	int kfd, ifd = -1, err = 0;
	unsigned long flags = 0;

	kfd = open(o->kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return log_error_errno(-errno, "cannot open kernel %s", o->kernel);
	if (o->initrd) {
		ifd = open(o->initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			err = log_error_errno(-errno, "cannot open initrd %s", o->initrd);
			close(kfd);
			return err;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(o->cmdline) + 1, o->cmdline, flags) < 0)
		err = -errno;
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	return err;
}

static const char *find_tool(void)
{
	static const char *const paths[] = { "/usr/sbin/kexec", "/sbin/kexec", "/usr/bin/kexec",
					     "/bin/kexec" };
	const char *env = getenv("FERRY_KEXEC_TOOL");
	size_t i;

	if (env && *env)
		return env;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static int tools_load(const struct ferry_kexec_load_opts *o)
{
	const char *tool = find_tool();
	char initrd_arg[4096], cmd_arg[4096 + 16], memmax_arg[64];
	const char *argv[8];
	int argc = 0, status;
	pid_t pid;

	if (!tool)
		return log_error_status(-ENOENT, "kexec_file_load refused and no kexec-tools binary "
				 "found (install kexec-tools or set FERRY_KEXEC_TOOL)");
	argv[argc++] = tool;
	argv[argc++] = "-l";
	argv[argc++] = o->kernel;
	if (o->initrd) {
		snprintf(initrd_arg, sizeof(initrd_arg), "--initrd=%s", o->initrd);
		argv[argc++] = initrd_arg;
	}
	snprintf(cmd_arg, sizeof(cmd_arg), "--command-line=%s", o->cmdline);
	argv[argc++] = cmd_arg;
	if (o->region_phys) {
		/* kexec-tools takes memory from the firmware map, where the marked
		 * range is still RAM: keep every segment below it. */
		snprintf(memmax_arg, sizeof(memmax_arg), "--mem-max=0x%" PRIx64, o->region_phys - 1);
		argv[argc++] = memmax_arg;
	}
	argv[argc] = NULL;

	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "fork");
	if (pid == 0) {
		execv(tool, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return log_error_errno(-errno, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_status(-EIO, "'%s -l %s' failed (status %d)", tool, o->kernel,
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

int ferry_kexec_load(const struct ferry_kexec_load_opts *o, enum ferry_kexec_method *ret_method)
{
	int err;

	if (!o || !o->kernel || !o->cmdline)
		return -EINVAL;
	err = o->force_tools ? -ENOSYS : file_load(o);
	if (err == 0) {
		if (ret_method)
			*ret_method = FERRY_KEXEC_FILE_LOAD;
		return 0;
	}
	if (err != -ENOSYS && err != -EPERM && err != -EKEYREJECTED && err != -EBADMSG &&
	    err != -ENOKEY && err != -EKEYREVOKED)
		return log_error_errno(err, "kexec_file_load of %s failed", o->kernel);
	if (o->no_fallback)
		return log_error_errno(err, "kexec_file_load of %s refused", o->kernel);
	if (o->force_tools)
		log_info("loading %s through kexec-tools as asked", o->kernel);
	else
		/* not an error yet: kexec-tools may load it */
		log_warning("kexec_file_load of %s refused (%s), trying kexec-tools", o->kernel,
			    strerror(-err));
	err = tools_load(o);
	if (err < 0)
		return err;
	if (ret_method)
		*ret_method = FERRY_KEXEC_TOOLS;
	return 0;
}

int ferry_kexec_unload(void)
{
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, (unsigned long)KEXEC_FILE_UNLOAD) < 0 &&
	    syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL) < 0)
		return log_error_errno(-errno, "cannot unload");
	return 0;
}

int ferry_kexec_loaded(void)
{
	char c = '0';
	int fd = open("/sys/kernel/kexec_loaded", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

int ferry_kexec_execute(void)
{
	int loaded = ferry_kexec_loaded();

	if (loaded == 0)
		return log_error_status(-ENOEXEC, "no kernel loaded");
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, NULL);
	return log_error_errno(-errno, "reboot(LINUX_REBOOT_CMD_KEXEC)");
}
