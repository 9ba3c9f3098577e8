/* SPDX-License-Identifier: MIT */
/* A UTS namespace of its own (what systemd's ProtectHostname= gives a
 * service): the program leaves ferry's (unshare CLONE_NEWUTS), sets a host
 * name of the longest length a namespace takes (64 bytes) and a NIS domain
 * name there, and after the restore finds both as it
 * set them, in a namespace that is not the one it left (the restorer's,
 * ferry's). (A namespace's inode number is given again once it is freed,
 * so the one made by a restore may have the number of the one killed.)
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 * host-test: run LIVE_FIRST=1 usr1 1
 */
#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "tlib.h"

/* 64 bytes: __NEW_UTS_LEN, uname() gives it without room to spare */
#define HOST "ferry-uts-test-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789x"
#define DOMAIN "uts.ferry.example"

static ino_t uts_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/uts", &st) < 0)
		t_fail("stat /proc/self/ns/uts: %s", strerror(errno));
	return st.st_ino;
}

int main(int argc, char **argv)
{
	char host[128], domain[128];
	struct utsname u;
	ino_t ferrys, mine;

	t_init("uts_ns", argc, argv);
	_Static_assert(sizeof(HOST) - 1 == 64, "a host name of 64 bytes");
	ferrys = uts_ino();
	if (unshare(CLONE_NEWUTS) < 0)
		t_fail("unshare CLONE_NEWUTS: %s", strerror(errno));
	if (sethostname(HOST, strlen(HOST)) < 0 || setdomainname(DOMAIN, strlen(DOMAIN)) < 0)
		t_fail("sethostname/setdomainname: %s", strerror(errno));
	mine = uts_ino();
	if (mine == ferrys)
		t_fail("unshare left it in the namespace it had");
	t_ready();
	t_wait_go();
	if (gethostname(host, sizeof(host)) < 0 || getdomainname(domain, sizeof(domain)) < 0)
		t_fail("gethostname/getdomainname: %s", strerror(errno));
	if (strcmp(host, HOST) != 0)
		t_fail("host name '%s', not '%s'", host, HOST);
	if (strcmp(domain, DOMAIN) != 0)
		t_fail("domain name '%s', not '%s'", domain, DOMAIN);
	if (uname(&u) < 0 || strcmp(u.nodename, HOST) != 0 || strcmp(u.domainname, DOMAIN) != 0)
		t_fail("uname says '%s' and '%s'", u.nodename, u.domainname);
	if (uts_ino() == ferrys)
		t_fail("it is in ferry's (the restorer's) UTS namespace uts:[%lu]",
		       (unsigned long)ferrys);
	printf("host name %s, domain name %s, in uts:[%lu]\n", host, domain,
	       (unsigned long)uts_ino());
	t_pass();
}
