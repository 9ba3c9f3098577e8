/* SPDX-License-Identifier: MIT */
/*
 * A service as systemd 252 (Debian 12) starts one with PrivateUsers=,
 * ProtectHostname= and a mount namespace: as root it makes the mount and
 * UTS namespaces first (owned by the initial user namespace), sets the
 * service's groups, then makes the user namespace last, its maps written
 * by a child left outside: setgroups "deny", uid map "0 0 1" and
 * "UID UID 1", gid map likewise; inside it becomes the service user and
 * keeps some capabilities. Here: a tmpfs with a file in the mount
 * namespace, a host name, supplementary groups one of which the map does
 * not show, uid/gid 4100/4200, CAP_NET_BIND_SERVICE effective, permitted,
 * inheritable and ambient, CAP_SYS_MODULE dropped from the bounding set,
 * SECBIT_NOROOT locked, and a second thread. After the restore it checks,
 * from inside: the maps and setgroups, its ids and groups as the
 * namespace shows them, its capabilities and securebits (the thread's
 * too), that its user namespace is owned by root (NS_GET_OWNER_UID), its
 * parent outside it (NS_GET_PARENT), and that its mount and UTS namespaces
 * are not owned by it (NS_GET_USERNS); the host name and the tmpfs's file.
 * (From inside, the kernel names no namespace above the caller's: that
 * the parent and the owner are the initial user namespace, ferry's
 * restore verifies from outside before the process runs.)
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <grp.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tlib.h"

#define SVC_UID 4100
#define SVC_GID 4200
#define OTHER_GID 4300 /* a supplementary group the map does not show */
#define HOST "ferry-userns"
#define CAPS (1u << CAP_NET_BIND_SERVICE)
#define SECBITS (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED)

static volatile pid_t thread_tid;

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = (pid_t)syscall(SYS_gettid);
	for (;;)
		pause();
	return NULL;
}

static void write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		_exit(1);
	close(fd);
}

/* systemd's setup_private_users(): the maps written from outside */
static void private_users(void)
{
	char uid_map[64], gid_map[64], c = 0;
	int p[2], status;
	pid_t child, parent = getpid();

	snprintf(uid_map, sizeof(uid_map), "0 0 1\n%d %d 1\n", SVC_UID, SVC_UID);
	snprintf(gid_map, sizeof(gid_map), "0 0 1\n%d %d 1\n", SVC_GID, SVC_GID);
	if (pipe(p) < 0)
		t_fail("pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	if (child == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		write_proc(parent, "setgroups", "deny\n");
		write_proc(parent, "gid_map", gid_map);
		write_proc(parent, "uid_map", uid_map);
		_exit(0);
	}
	close(p[0]);
	if (unshare(CLONE_NEWUSER) < 0)
		t_fail("unshare CLONE_NEWUSER: %s", strerror(errno));
	if (write(p[1], &c, 1) != 1)
		t_fail("write: %s", strerror(errno));
	close(p[1]);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		t_fail("the child could not write the maps");
}

static void set_caps(uint32_t eff, uint32_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { eff, eff, inh }, { 0, 0, 0 } };

	if (syscall(SYS_capset, &h, d) < 0)
		t_fail("capset: %s", strerror(errno));
}

static void read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	if (n < 0)
		t_fail("read %s: %s", path, strerror(errno));
	buf[n] = 0;
	close(fd);
}

/* a map as the kernel writes it, compared line by line */
static void check_map(const char *file, unsigned int id)
{
	char path[64], text[256];
	unsigned int v[6];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	read_text(path, text, sizeof(text));
	if (sscanf(text, "%u %u %u %u %u %u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6 ||
	    v[0] || v[1] || v[2] != 1 || v[3] != id || v[4] != id || v[5] != 1 ||
	    strchr(strchr(strchr(text, '\n') + 1, '\n') + 1, '\n'))
		t_fail("%s is '%s', not \"0 0 1\" and \"%u %u 1\"", file, text, id, id);
}

static int ns_fd(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	return fd;
}

static bool same_ns(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

static void check_caps_of(const char *status_path, const char *who)
{
	char text[4096], want[64], *p;

	read_text(status_path, text, sizeof(text));
	snprintf(want, sizeof(want), "\nUid:\t%d\t%d\t%d\t%d\n", SVC_UID, SVC_UID, SVC_UID, SVC_UID);
	if (!strstr(text, want))
		t_fail("%s: its uids are not %d: %s", who, SVC_UID, strstr(text, "Uid:"));
	snprintf(want, sizeof(want), "\nGroups:\t%d %d \n", SVC_GID, 65534);
	if (!strstr(text, want))
		t_fail("%s: its groups, as the namespace shows them, are not %d 65534: %s", who,
		       SVC_GID, strstr(text, "Groups:"));
	p = strstr(text, "\nCapEff:");
	if (!p || strtoull(p + 9, NULL, 16) != CAPS)
		t_fail("%s: CapEff is not %#x: %s", who, CAPS, p ? p + 1 : "?");
	p = strstr(text, "\nCapAmb:");
	if (!p || strtoull(p + 9, NULL, 16) != CAPS)
		t_fail("%s: CapAmb is not %#x", who, CAPS);
	p = strstr(text, "\nCapBnd:");
	if (!p || (strtoull(p + 9, NULL, 16) & (1ull << CAP_SYS_MODULE)))
		t_fail("%s: CAP_SYS_MODULE is in its bounding set", who);
}

int main(int argc, char **argv)
{
	gid_t groups[2] = { SVC_GID, OTHER_GID }, got[8];
	uid_t r, e, s, owner = 99;
	gid_t gr, ge, gs;
	char text[256], path[4096 + 64];
	pthread_t th;
	int userns, parent, fd, n;

	t_init("user_ns", argc, argv);
	if (chmod(t_dir, 0777) < 0)
		t_fail("chmod %s: %s", t_dir, strerror(errno));
	/* the mount and UTS namespaces first, as root */
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0)
		t_fail("unshare CLONE_NEWNS|CLONE_NEWUTS: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		t_fail("make / a slave: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/tmp", t_dir);
	if (mkdir(path, 0777) < 0 || mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
					   "size=64k,mode=0777") < 0)
		t_fail("a tmpfs on %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/tmp/note", t_dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "inside\n", 7) != 7)
		t_fail("write %s: %s", path, strerror(errno));
	close(fd);
	if (sethostname(HOST, strlen(HOST)) < 0)
		t_fail("sethostname: %s", strerror(errno));
	/* the groups before the user namespace: it denies setgroups() */
	if (setgroups(2, groups) < 0)
		t_fail("setgroups: %s", strerror(errno));
	private_users();
	/* inside: the service user, with what the unit leaves it */
	if (setresgid(SVC_GID, SVC_GID, SVC_GID) < 0 || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setresuid(SVC_UID, SVC_UID, SVC_UID) < 0)
		t_fail("become %d:%d inside: %s", SVC_UID, SVC_GID, strerror(errno));
	set_caps(CAPS | (1u << CAP_SETPCAP), CAPS);
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECUREBITS, SECBITS, 0, 0, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) < 0)
		t_fail("bounding set, securebits, ambient: %s", strerror(errno));
	set_caps(CAPS, CAPS);
	if (pthread_create(&th, NULL, thread_main, NULL) != 0)
		t_fail("pthread_create");
	while (!thread_tid)
		usleep(1000);
	t_ready();
	t_wait_go();

	check_map("uid_map", SVC_UID);
	check_map("gid_map", SVC_GID);
	read_text("/proc/self/setgroups", text, sizeof(text));
	if (strcmp(text, "deny\n") != 0)
		t_fail("setgroups is '%s', not deny", text);
	if (getresuid(&r, &e, &s) < 0 || r != SVC_UID || e != SVC_UID || s != SVC_UID ||
	    setfsuid(-1) != SVC_UID)
		t_fail("uids %u %u %u, filesystem uid %d, not %d", r, e, s, setfsuid(-1), SVC_UID);
	if (getresgid(&gr, &ge, &gs) < 0 || gr != SVC_GID || ge != SVC_GID || gs != SVC_GID ||
	    setfsgid(-1) != SVC_GID)
		t_fail("gids %u %u %u, not %d", gr, ge, gs, SVC_GID);
	n = getgroups(8, got);
	if (n != 2 || got[0] != SVC_GID || got[1] != 65534)
		t_fail("%d groups (%u %u), not %d and 65534 (%d unmapped)", n, n > 0 ? got[0] : 0,
		       n > 1 ? got[1] : 0, SVC_GID, OTHER_GID);
	check_caps_of("/proc/self/status", "the main thread");
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", thread_tid);
	check_caps_of(path, "the second thread");
	if (prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != SECBITS)
		t_fail("securebits %#x, not %#x", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBITS);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) != 1)
		t_fail("CAP_NET_BIND_SERVICE is not ambient");
	/* the namespaces, as far as they can be seen from inside: the parent
	 * of its user namespace, and the owner of its mount and UTS
	 * namespaces, lie outside it (NS_GET_PARENT and NS_GET_USERNS answer
	 * EPERM for a namespace that is not the caller's or below it: had the
	 * restore made them inside, NS_GET_USERNS would give its own); ferry
	 * verifies from outside that both are the restorer's */
	userns = ns_fd("user");
	parent = ioctl(userns, NS_GET_PARENT);
	if (parent >= 0 || errno != EPERM)
		t_fail("NS_GET_PARENT of its user namespace: %s, not EPERM (a parent outside it)",
		       parent >= 0 ? "a namespace" : strerror(errno));
	if (ioctl(userns, NS_GET_OWNER_UID, &owner) < 0 || owner != 0)
		t_fail("its user namespace is owned by uid %u, not root", owner);
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "uts" : "mnt";
		int ns = ns_fd(name), own = ioctl(ns, NS_GET_USERNS);

		if (own >= 0)
			t_fail("its %s namespace is owned by its user namespace%s", name,
			       same_ns(own, userns) ? "" : " or one below it");
		if (errno != EPERM)
			t_fail("NS_GET_USERNS of its %s namespace: %s", name, strerror(errno));
		close(ns);
	}
	close(userns);
	if (gethostname(text, sizeof(text)) < 0 || strcmp(text, HOST) != 0)
		t_fail("host name '%s', not %s", text, HOST);
	snprintf(path, sizeof(path), "%s/tmp/note", t_dir);
	read_text(path, text, sizeof(text));
	if (strcmp(text, "inside\n") != 0)
		t_fail("%s holds '%s'", path, text);
	printf("uid %d gid %d inside, thread %d, namespaces owned by the initial one\n", SVC_UID,
	       SVC_GID, thread_tid);
	t_pass();
}
