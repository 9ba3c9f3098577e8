/* SPDX-License-Identifier: MIT */
/*
 * ferry update --watchdog SECONDS: the hardware watchdog across the kernel
 * switch.
 *
 * The old kernel opens /dev/watchdog (which starts it), sets the timeout
 * and pings it just before the kexec or reboot, and never closes it: there
 * is no magic close, so nothing stops it on the way out. The watchdog is a
 * device, not a timer of the kernel, so it keeps counting through the
 * kexec; a new kernel that hangs before ferry-init (or before the driver
 * probes: Linux's i6300esb stops a running watchdog when it probes) is
 * reset after SECONDS, into the default kernel, whose ferry-init restores
 * the image still sealed. ferry-init re-arms it for the restore and stops
 * it once the restore is done (restore_region.c).
 *
 * softdog is a timer of the running kernel: the kexec ends it with the
 * kernel. It can never reset a hung new kernel, so it is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

const char *ferry_watchdog_device(void)
{
	return "/dev/watchdog";
}

static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* /sys/class/watchdog/watchdogN/@attr of the device (/dev/watchdog is watchdog0). */
static bool sysfs_attr(const char *attr, char *buf, size_t len)
{
	const char *dev = ferry_watchdog_device(), *base = strrchr(dev, '/');
	char path[256];

	base = base ? base + 1 : dev;
	if (!strcmp(base, "watchdog"))
		base = "watchdog0";
	snprintf(path, sizeof(path), "/sys/class/watchdog/%s/%s", base, attr);
	return read_line(path, buf, len) == 0;
}

static bool is_softdog(const char *identity)
{
	return !strcmp(identity, "Software Watchdog") || !strcmp(identity, "softdog");
}

static int refuse_softdog(void)
{
	return log_error_status(-EOPNOTSUPP, "%s is softdog, a timer of the running kernel: the kexec "
				"ends it with the kernel, so it cannot reset a new kernel that "
				"hangs; --watchdog needs a hardware watchdog (i6300esb under "
				"QEMU, iTCO_wdt, sp5100_tco, a BMC's) and its driver loaded",
				ferry_watchdog_device());
}

int ferry_watchdog_check(unsigned seconds)
{
	char identity[64] = "", state[32], v[32] = "";
	struct stat st;

	if (stat(ferry_watchdog_device(), &st) < 0)
		return log_error_errno(-errno, "--watchdog: no watchdog device %s (load the driver of "
				       "the machine's hardware watchdog; under QEMU: -device "
				       "i6300esb and the i6300esb module)", ferry_watchdog_device());
	if (sysfs_attr("identity", identity, sizeof(identity)) && is_softdog(identity))
		return refuse_softdog();
	/* Linux stops a watchdog at reboot and at kexec (its reboot notifier)
	 * when the driver asks for it, as i6300esb and most do; only
	 * watchdog.stop_on_reboot=0 keeps it running */
	if (read_line("/sys/module/watchdog/parameters/stop_on_reboot", v, sizeof(v)) < 0 ||
	    strcmp(v, "0"))
		return log_error_status(-EOPNOTSUPP, "--watchdog: this kernel stops %s (%s) when "
					"it kexecs or reboots (watchdog.stop_on_reboot is %s, not 0; "
					"i6300esb and most drivers ask for that): boot with "
					"watchdog.stop_on_reboot=0 (or 'options watchdog "
					"stop_on_reboot=0' in /etc/modprobe.d) so that it keeps "
					"running across the switch", ferry_watchdog_device(),
					identity[0] ? identity : "?", v[0] ? v : "not there");
	if (sysfs_attr("state", state, sizeof(state)) && !strcmp(state, "active"))
		return log_error_status(-EBUSY, "--watchdog: %s (%s) is already running, opened by "
					"another program (systemd's RuntimeWatchdogSec=, a watchdog "
					"daemon); stop that first", ferry_watchdog_device(),
					identity[0] ? identity : "?");
	if (sysfs_attr("max_timeout", v, sizeof(v)) && atoi(v) > 0 && seconds > (unsigned)atoi(v))
		return log_error_status(-ERANGE, "--watchdog %u: %s (%s) takes at most %s s", seconds,
					ferry_watchdog_device(), identity, v);
	if (sysfs_attr("min_timeout", v, sizeof(v)) && seconds < (unsigned)atoi(v))
		return log_error_status(-ERANGE, "--watchdog %u: %s (%s) takes at least %s s", seconds,
					ferry_watchdog_device(), identity, v);
	return 0;
}

int ferry_watchdog_stop(int fd)
{
	int r = 0, flags = WDIOS_DISABLECARD;

	if (fd < 0)
		return 0;
	if (write(fd, "V", 1) != 1)
		r = -errno;
	/* a driver without magic close may still stop on request */
	ioctl(fd, WDIOC_SETOPTIONS, &flags);
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

int ferry_watchdog_arm(unsigned seconds)
{
	struct watchdog_info info = { 0 };
	int fd, t = (int)seconds;

	fd = open(ferry_watchdog_device(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "--watchdog: cannot open %s", ferry_watchdog_device());
	if (ioctl(fd, WDIOC_GETSUPPORT, &info) == 0 && is_softdog((const char *)info.identity)) {
		ferry_watchdog_stop(fd);
		return refuse_softdog();
	}
	if (ioctl(fd, WDIOC_SETTIMEOUT, &t) < 0) {
		int e = -errno;

		ferry_watchdog_stop(fd);
		return log_error_errno(e, "--watchdog: %s (%.32s) does not take a timeout of %u s",
				       ferry_watchdog_device(), (const char *)info.identity, seconds);
	}
	ioctl(fd, WDIOC_KEEPALIVE, 0);
	if ((unsigned)t != seconds)
		log_warning("%s (%.32s) set a timeout of %d s for the %u s asked",
			    ferry_watchdog_device(), (const char *)info.identity, t, seconds);
	return fd;
}

bool ferry_watchdog_fired(void)
{
	char v[32];

	return sysfs_attr("bootstatus", v, sizeof(v)) && (strtoul(v, NULL, 0) & WDIOF_CARDRESET);
}

const char *ferry_watchdog_describe(const struct ferry_update_record *rec, char *buf, size_t len)
{
	unsigned f = rec->watchdog;

	if (!(f & FERRY_WATCHDOG_ARMED)) {
		snprintf(buf, len, "not armed");
		return buf;
	}
	snprintf(buf, len, "%u s, armed before the switch%s%s%s%s%s", rec->watchdog_s,
		 f & FERRY_WATCHDOG_FIRED ? "; it reset the machine" : "",
		 f & FERRY_WATCHDOG_TAKEN ? "; re-armed by ferry-init for the restore" : "",
		 f & FERRY_WATCHDOG_STOPPED ? "; stopped" : "",
		 f & FERRY_WATCHDOG_ABSENT ? "; no watchdog device on the new kernel (still "
					     "running until its driver probes)" : "",
		 f & FERRY_WATCHDOG_FAILED ? "; could not be stopped (see ferry-init's log)" : "");
	return buf;
}
