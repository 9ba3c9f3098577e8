/* SPDX-License-Identifier: MIT */
/*
 * A process of another user, as a service becomes one: started as root, it
 * sets soft and hard resource limits, supplementary groups, distinct real,
 * effective, saved and filesystem user and group ids (none of them root
 * nor ferry's), a reduced capability set in each of the five sets, its
 * securebits (locked) and no_new_privs, and makes itself dumpable again as
 * a server does after its setuid(). After the restore every one of them
 * reads back the same from inside.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <linux/capability.h>
#include <linux/securebits.h>
#include <grp.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "tlib.h"

static const gid_t groups[] = { 4200, 4201, 4202 };

static const struct {
	int resource;
	rlim_t soft, hard;
} limits[] = {
	{ RLIMIT_NOFILE, 256, 4096 },
	{ RLIMIT_CORE, 1 << 20, RLIM_INFINITY },
	{ RLIMIT_STACK, 4 << 20, 64 << 20 },
	{ RLIMIT_CPU, 3600, RLIM_INFINITY },
	{ RLIMIT_RTTIME, 5000000, 10000000 },
	{ RLIMIT_MSGQUEUE, 4096, 8192 },
};

#define NLIMITS (sizeof(limits) / sizeof(limits[0]))
#define BIT(c) (1u << (c))
#define SECUREBITS (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE)

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d);
}

static int caps_set(uint32_t eff, uint32_t prm, uint32_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { eff, prm, inh }, { 0, 0, 0 } };

	return syscall(SYS_capset, &h, d);
}

int main(int argc, char **argv)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, got[16];
	struct __user_cap_data_struct caps[2];
	const uint32_t keep = BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_SETPCAP) |
			      BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN);
	int n;

	t_init("creds", argc, argv);
	/* the driver's directory is root's: let the user it becomes write there */
	if (chmod(t_dir, 0777) < 0)
		t_fail("chmod %s: %s", t_dir, strerror(errno));
	for (size_t i = 0; i < NLIMITS; i++) {
		struct rlimit rl = { limits[i].soft, limits[i].hard };

		if (setrlimit(limits[i].resource, &rl) < 0)
			t_fail("setrlimit %d: %s", limits[i].resource, strerror(errno));
	}
	if (setgroups(3, groups) < 0 || setresgid(4100, 4101, 4102) < 0)
		t_fail("groups: %s", strerror(errno));
	/* keep the permitted set across the change of user */
	if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0) < 0 ||
	    setresuid(4000, 4001, 4002) < 0)
		t_fail("user ids: %s", strerror(errno));
	if (caps_set(keep, keep, 0) < 0)
		t_fail("capset: %s", strerror(errno));
	setfsuid(4003);
	setfsgid(4103);
	if (setfsuid(-1) != 4003 || setfsgid(-1) != 4103)
		t_fail("filesystem ids not set");
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) < 0 ||
	    prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) < 0)
		t_fail("bounding set: %s", strerror(errno));
	/* ambient needs the capability inheritable; it comes before the
	 * securebits that forbid raising another */
	if (caps_set(keep, keep, BIT(CAP_NET_BIND_SERVICE)) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) < 0)
		t_fail("ambient: %s", strerror(errno));
	if (prctl(PR_SET_SECUREBITS, SECUREBITS, 0, 0, 0) < 0)
		t_fail("securebits: %s", strerror(errno));
	/* what is left: CAP_SETPCAP gone, CAP_CHOWN permitted only */
	if (caps_set(BIT(CAP_NET_BIND_SERVICE), BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN),
		     BIT(CAP_NET_BIND_SERVICE)) < 0)
		t_fail("final capset: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		t_fail("no_new_privs, dumpable: %s", strerror(errno));

	t_ready();
	t_wait_go();

	if (getresuid(&r, &e, &s) < 0 || r != 4000 || e != 4001 || s != 4002)
		t_fail("user ids %u %u %u", r, e, s);
	if (getresgid(&rg, &eg, &sg) < 0 || rg != 4100 || eg != 4101 || sg != 4102)
		t_fail("group ids %u %u %u", rg, eg, sg);
	if (setfsuid(-1) != 4003 || setfsgid(-1) != 4103)
		t_fail("filesystem ids %d %d", setfsuid(-1), setfsgid(-1));
	n = getgroups(16, got);
	if (n != 3 || memcmp(got, groups, sizeof(groups)) != 0)
		t_fail("%d supplementary groups, first %u", n, n > 0 ? got[0] : 0);
	for (size_t i = 0; i < NLIMITS; i++) {
		struct rlimit rl;

		if (getrlimit(limits[i].resource, &rl) < 0 || rl.rlim_cur != limits[i].soft ||
		    rl.rlim_max != limits[i].hard)
			t_fail("resource limit %d is %llu %llu", limits[i].resource,
			       (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	}
	if (caps_get(caps) < 0 || caps[0].effective != BIT(CAP_NET_BIND_SERVICE) ||
	    caps[0].permitted != (BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN)) ||
	    caps[0].inheritable != BIT(CAP_NET_BIND_SERVICE) || caps[1].effective ||
	    caps[1].permitted || caps[1].inheritable)
		t_fail("capabilities: effective %#x permitted %#x inheritable %#x",
		       caps[0].effective, caps[0].permitted, caps[0].inheritable);
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 ||
	    prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0) != 0 ||
	    prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0) != 1)
		t_fail("bounding set: CAP_SYS_ADMIN %d CAP_MKNOD %d CAP_KILL %d",
		       prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0),
		       prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0),
		       prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) != 1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) != 0)
		t_fail("ambient set");
	if (prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != SECUREBITS)
		t_fail("securebits %#x, not %#x", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECUREBITS);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		t_fail("no_new_privs is not set");
	t_pass();
}
