/* SPDX-License-Identifier: MIT */
/*
 * Not a test of its own: the loader servers.sh starts a Debian service
 * with, the seccomp filters systemd 252 (Debian 12) installs for the
 * sandboxing options of memcached.service, one filter per option as
 * systemd loads them, then execs the service (t_sandbox PROGRAM ARG...):
 *
 *   RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
 *                      socket() of any other family: EAFNOSUPPORT
 *   MemoryDenyWriteExecute=true
 *                      mmap() writable and executable, mprotect() and
 *                      pkey_mprotect() executable, shmat() SHM_EXEC: EPERM
 *   RestrictRealtime=true
 *                      sched_setscheduler() SCHED_FIFO, SCHED_RR,
 *                      SCHED_DEADLINE: EPERM
 *   RestrictNamespaces=true
 *                      unshare() and clone() with a namespace flag,
 *                      setns(): EPERM; clone3(): ENOSYS (glibc then
 *                      uses clone(), whose flags a filter can see)
 *   ProtectKernelModules=true   (@module) init_module, finit_module,
 *                      delete_module: EPERM
 *   PrivateDevices=true         (@raw-io) ioperm, iopl: EPERM
 *
 * Each checks the architecture first (another one passes, as systemd's
 * filter for x86-64 lets through what its filters for the others decide).
 * NoNewPrivileges= and CapabilityBoundingSet= are setpriv's part.
 *
 * host-test: by servers.sh
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define ARG_LO(n) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[n]))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define ERRNO(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))
/* the start of every filter: another architecture passes */
#define NATIVE_ONLY LOAD(arch), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0), ALLOW

/* not CLONE_NEWTIME: in clone()'s flags that bit is part of the exit signal */
#define NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |        \
	 CLONE_NEWPID | CLONE_NEWNET)

static void load(const char *what, struct sock_filter *insns, size_t n)
{
	struct sock_fprog prog = { .len = n, .filter = insns };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		fprintf(stderr, "t_sandbox: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

#define LOAD_FILTER(what, ...)                                                               \
	do {                                                                                  \
		struct sock_filter f_[] = { NATIVE_ONLY, __VA_ARGS__ };                       \
		load(what, f_, sizeof(f_) / sizeof(f_[0]));                                   \
	} while (0)

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: t_sandbox PROGRAM [ARG...]\n");
		return 2;
	}
	/* a filter needs no_new_privs or CAP_SYS_ADMIN: setpriv gave the first */
	LOAD_FILTER("RestrictAddressFamilies",
		    LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0), ALLOW,
		    ARG_LO(0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 3, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0), ERRNO(EAFNOSUPPORT),
		    ALLOW);
	LOAD_FILTER("MemoryDenyWriteExecute",
		    LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 6, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 8, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pkey_mprotect, 7, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_shmat, 1, 0), ALLOW,
		    /* shmat */ ARG_LO(2), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SHM_EXEC, 6, 7),
		    /* mmap */ ARG_LO(2), BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 3, 2),
		    /* mprotect, pkey_mprotect */ ARG_LO(2),
		    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 1, 0), ALLOW, ERRNO(EPERM),
		    ALLOW);
	LOAD_FILTER("RestrictRealtime",
		    LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sched_setscheduler, 1, 0),
		    ALLOW, ARG_LO(1), BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~SCHED_RESET_ON_FORK),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SCHED_FIFO, 3, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SCHED_RR, 2, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SCHED_DEADLINE, 1, 0), ALLOW, ERRNO(EPERM));
	LOAD_FILTER("RestrictNamespaces",
		    LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 6, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 6, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 1, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 2),
		    ARG_LO(0), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 1, 0), ALLOW,
		    ERRNO(EPERM), ERRNO(ENOSYS));
	LOAD_FILTER("ProtectKernelModules",
		    LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_init_module, 3, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_finit_module, 2, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_delete_module, 1, 0), ALLOW,
		    ERRNO(EPERM));
	LOAD_FILTER("PrivateDevices",
		    LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioperm, 2, 0),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_iopl, 1, 0), ALLOW, ERRNO(EPERM));
	execvp(argv[1], argv + 1);
	fprintf(stderr, "t_sandbox: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
