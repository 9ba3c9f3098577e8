/* SPDX-License-Identifier: MIT */
/*
 * Names in the metadata FDT (SPEC.md §3). One registry, so writer, reader,
 * inspector and restorer agree. Node and property names are ABI: add, never
 * rename. Cells are big-endian as in every FDT; u64 values are two cells.
 */
#ifndef FERRY_SCHEMA_H
#define FERRY_SCHEMA_H

#include "ferry/magic.h" /* FERRY_META_COMPATIBLE */

/* / */
#define FM_ROOT_COMPATIBLE "compatible"
#define FM_ROOT_HOSTNAME "hostname"          /* string */
#define FM_ROOT_CLOCK_MONOTONIC "clock-monotonic-ns" /* u64, at the freeze */
#define FM_ROOT_CLOCK_BOOTTIME "clock-boottime-ns"   /* u64, at the freeze */
#define FM_ROOT_NETWORK_LOCK "network-lock" /* empty: the producer kept its network lock */

/* /processes/process@PID */
#define FM_PROCESSES "processes"
#define FM_PROCESS "process" /* unit address: the PID in hex-less decimal */
#define FM_P_PID "pid"       /* u32 */
#define FM_P_PPID "ppid"     /* u32 */
#define FM_P_PGID "pgid"     /* u32 */
#define FM_P_SID "sid"       /* u32 */
#define FM_P_COMM "comm"     /* string */
#define FM_P_EXE "exe"       /* string, path of the executable */
#define FM_P_MM "mm"         /* u32, id of a /mms/mm node */
#define FM_P_CWD "cwd"       /* string */
#define FM_P_ROOT "root"     /* string */
#define FM_P_UMASK "umask"   /* u32 */

/* /processes/process@PID/threads/thread@TID */
#define FM_THREADS "threads"
#define FM_THREAD "thread"
#define FM_T_TID "tid"                 /* u32 */
#define FM_T_SIGMASK "sigmask"         /* u64 */
#define FM_T_REGS "regs"               /* bytes: arch register set (arch-specific) */
#define FM_T_ARCH "arch"               /* string: "x86_64" */

/* /processes/process@PID/fds/fd@N */
#define FM_FDS "fds"
#define FM_FD "fd"
#define FM_FD_NUM "fd"       /* u32 */
#define FM_FD_FILE "file"    /* u32, id of a /files/file node */
#define FM_FD_CLOEXEC "cloexec" /* empty property: present when FD_CLOEXEC */

/* /mms/mm@ID/area@START */
#define FM_MMS "mms"
#define FM_MM "mm"
#define FM_MM_ID "id"          /* u32 */
#define FM_AREA "area"
#define FM_A_START "start"     /* u64 */
#define FM_A_END "end"         /* u64 */
#define FM_A_PROT "prot"       /* u32, PROT_* bits */
#define FM_A_FLAGS "flags"     /* u32, MAP_SHARED/MAP_PRIVATE|... bits */
#define FM_A_PGOFF "pgoff"     /* u64, file offset in bytes */
#define FM_A_KIND "kind"       /* string: anon, file, heap, stack, vdso, vvar, shmem, sysv */
#define FM_A_PATH "path"       /* string, for file-backed areas */
#define FM_A_FILE "file"       /* u32, /files id of the backing file, when captured */

/* /files/file@ID */
#define FM_FILES "files"
#define FM_FILE "file"
#define FM_F_ID "id"           /* u32 */
#define FM_F_TYPE "type"       /* string: regular, directory, chardev, pipe, fifo, memfd, eventfd */
#define FM_F_PATH "path"       /* string */
#define FM_F_FLAGS "flags"     /* u32, open(2) flags as in /proc/PID/fdinfo */
#define FM_F_POS "pos"         /* u64, file offset */
#define FM_F_PIPE "pipe"       /* u32, /pipes id for pipe and fifo ends */
#define FM_F_DATA "data"       /* bytes, contents of deleted or memfd files */

/* /pipes/pipe@ID */
#define FM_PIPES "pipes"
#define FM_PIPE "pipe"
#define FM_PI_ID "id"          /* u32 */
#define FM_PI_CAPACITY "capacity" /* u32, F_GETPIPE_SZ */
#define FM_PI_DATA "data"      /* bytes buffered in the pipe at the freeze */

/* ---- added with checkpoint/restore of live processes (kernel-glue/) ---- */

/* /processes/process@PID */
#define FM_P_PERSONALITY "personality" /* u32, personality(0xffffffff) */
#define FM_P_UIDS "uids"       /* u32[4]: real, effective, saved, filesystem */
#define FM_P_GIDS "gids"       /* u32[4]: real, effective, saved, filesystem */
#define FM_P_GROUPS "groups"   /* u32[]: supplementary groups */
#define FM_P_RLIMITS "rlimits" /* u64[2 * n]: cur, max for RLIMIT_* 0..n-1 */
#define FM_P_SIGACTIONS "sigactions" /* u64[4 * 64]: handler, flags, restorer, mask
				       * of signals 1..64 (kernel sigaction ABI) */

#define FM_P_SIGPENDING_SHARED "sigpending-shared" /* bytes: n * 128-byte siginfo,
						   * queued to the process */
#define FM_P_CAPS "capabilities" /* u64[5]: effective, permitted, inheritable,
				  * bounding, ambient */
#define FM_P_NO_NEW_PRIVS "no-new-privs" /* empty: PR_SET_NO_NEW_PRIVS is set */
#define FM_P_SECCOMP "seccomp" /* u32[3n]: tid, mode (2: filter), newest filter id,
				* per thread with seccomp filters */

/* /seccomp-filters/filter@ID */
#define FM_SECCOMP_FILTERS "seccomp-filters"
#define FM_SECCOMP_FILTER "filter"
#define FM_SF_ID "id"          /* u32, from 1, in order */
#define FM_SF_PARENT "parent"  /* u32: the filter it was installed on (absent: none) */
#define FM_SF_FLAGS "flags"    /* u32: SECCOMP_FILTER_FLAG_LOG */
#define FM_SF_PROGRAM "program" /* bytes: struct sock_filter[], native byte order */

/* /processes/process@PID/threads/thread@TID */
#define FM_T_XSAVE "xsave"     /* bytes: NT_X86_XSTATE as PTRACE_GETREGSET gives it */
#define FM_T_RSEQ "rseq"       /* u64[3]: address, length, signature (absent: none) */
#define FM_T_ROBUST_LIST "robust-list" /* u64[2]: head, length (absent: none) */
#define FM_T_COMM "comm"       /* string: /proc/PID/task/TID/comm */
#define FM_T_SIGALTSTACK "sigaltstack" /* u64[3]: ss_sp, ss_flags, ss_size (absent: none) */
#define FM_T_CLEAR_CHILD_TID "clear-child-tid" /* u64: set_tid_address() (absent: none) */
#define FM_T_PDEATHSIG "pdeathsig" /* u32: PR_GET_PDEATHSIG (absent: none) */
#define FM_T_SECUREBITS "securebits" /* u32: PR_GET_SECUREBITS (absent: 0) */
#define FM_T_SIGPENDING "sigpending" /* bytes: n * 128-byte siginfo, queued to the thread */
/* FM_T_REGS on x86_64: struct user_regs_struct (NT_PRSTATUS), little-endian;
 * fs_base and gs_base are part of it. */

/* /mms/mm@ID */
#define FM_MM_EXE "exe"                 /* string, /proc/PID/exe */
#define FM_MM_START_CODE "start-code"   /* u64; the eleven fields below are */
#define FM_MM_END_CODE "end-code"       /* u64  the ones prctl(PR_SET_MM_MAP) */
#define FM_MM_START_DATA "start-data"   /* u64  takes */
#define FM_MM_END_DATA "end-data"       /* u64 */
#define FM_MM_START_BRK "start-brk"     /* u64 */
#define FM_MM_BRK "brk"                 /* u64 */
#define FM_MM_START_STACK "start-stack" /* u64 */
#define FM_MM_ARG_START "arg-start"     /* u64 */
#define FM_MM_ARG_END "arg-end"         /* u64 */
#define FM_MM_ENV_START "env-start"     /* u64 */
#define FM_MM_ENV_END "env-end"         /* u64 */
#define FM_MM_AUXV "auxv"               /* bytes: /proc/PID/auxv, native words */

/* /mms/mm@ID/area@START */
#define FM_A_NAME "name"       /* string: "[vdso]", "[vvar_vclock]", ... for special areas */
#define FM_A_ADVICE "advice"   /* u32: bit N set: madvise(N) applies (MADV_DONTFORK 10, ...) */
#define FM_A_OBJECT "object"   /* u32: shmem areas with the same id map one object */

/* /files/file@ID */
#define FM_F_RDEV "rdev"       /* u64: device number of a character device */

/* ---- files carried in the image, FIFOs, memfd, eventfd ---- */

/* /files/file@ID */
#define FM_F_DELETED "deleted"       /* empty: the file was unlinked while open */
#define FM_F_SAME_INODE "same-inode" /* u32: id of an earlier file of the same inode */
#define FM_F_SIZE "size"             /* u64: size of a carried file (data may be shorter) */
#define FM_F_MODE "mode"             /* u32: permission bits of a carried file */
#define FM_F_OWNER "owner"           /* u32[2]: uid, gid of a carried file */
#define FM_F_TIMES "times"           /* u64[4]: atime s, ns, mtime s, ns of a carried file */
#define FM_F_HOLES "holes"           /* u64[2n]: offset, length of each hole (SEEK_HOLE) */
#define FM_F_SEALS "seals"           /* u32: memfd seals, F_GET_SEALS */
#define FM_F_NAME "name"             /* string: memfd name, as given to memfd_create() */
#define FM_F_EVENTFD_COUNT "eventfd-count"         /* u64: eventfd counter */
#define FM_F_EVENTFD_SEMAPHORE "eventfd-semaphore" /* empty: EFD_SEMAPHORE */
#define FM_F_PIDFD_PID "pidfd-pid"                 /* u32: the process of a pidfd */
#define FM_F_MQ_NAME "mq-name"         /* string: a message queue's name, "/NAME" */
#define FM_F_MQ_ATTR "mq-attr"         /* u64[2]: mq_maxmsg, mq_msgsize */
#define FM_F_MQ_MESSAGES "mq-messages" /* bytes: each message: u32 priority, u32 length, bytes */

/* /mms/mm@ID/area@START of kind vdso */
#define FM_A_VDSO_IMAGE "vdso-image"     /* bytes: the vDSO's contents at the freeze */
#define FM_A_VDSO_SYMBOLS "vdso-symbols" /* string list: its function symbols */
#define FM_A_VDSO_SYMBOL_VALUES "vdso-symbol-values" /* u64[2 * n]: offset, size of each */

/* ---- sockets (SPEC.md §3.7) ---- */

/* /files/file@ID of type "socket" */
#define FM_F_SOCKET "socket"             /* u32: id of its /sockets/socket node */

/* /sockets/socket@ID */
#define FM_SOCKETS "sockets"
#define FM_SOCKET "socket"
#define FM_S_ID "id"                     /* u32 */
#define FM_S_FAMILY "family"             /* u32: AF_UNIX 1, AF_INET 2, AF_INET6 10 */
#define FM_S_TYPE "sock-type"            /* u32: SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5 */
#define FM_S_PROTOCOL "protocol"         /* u32: SO_PROTOCOL */
#define FM_S_STATE "state"               /* string: closed, listening, connected */
#define FM_S_BACKLOG "backlog"           /* u32: listen() backlog */
#define FM_S_LOCAL_ADDRESS "local-address" /* bytes: 4 or 16, network byte order */
#define FM_S_LOCAL_PORT "local-port"     /* u32 */
#define FM_S_PEER_ADDRESS "peer-address" /* bytes: 4 or 16, network byte order */
#define FM_S_PEER_PORT "peer-port"       /* u32 */
#define FM_S_UNIX_NAME "unix-name"       /* bytes: sun_path as getsockname gives it */
#define FM_S_UNIX_PEER_NAME "unix-peer-name" /* bytes: sun_path of the peer */
#define FM_S_UNIX_DIR "unix-dir"         /* string: directory of a relative unix-name */
#define FM_S_UNIX_FILE "unix-file"       /* u32[3]: mode, uid, gid of the socket file */
#define FM_S_PEER "peer"                 /* u32: the other end's socket id (unix) */
#define FM_S_UNIX_PENDING "unix-pending" /* u32[n]: connections not accepted yet (1.5) */
#define FM_S_OPTIONS "options"           /* u32[3n]: level, name, int value */
#define FM_S_LINGER "linger"             /* u32[2]: SO_LINGER l_onoff, l_linger */
#define FM_S_TIMEOUTS "timeouts"         /* u64[2]: SO_RCVTIMEO, SO_SNDTIMEO in us */
#define FM_S_BUFFERS "buffers"           /* u32[2]: SO_RCVBUF, SO_SNDBUF as read */
#define FM_S_BUF_LOCK "buffer-lock"      /* u32: SO_BUF_LOCK (absent: not shown) */
#define FM_S_BIND_DEVICE "bind-device"   /* string: SO_BINDTODEVICE interface name */
#define FM_S_FILTER "filter"             /* u32[2n]: SO_GET_FILTER, code << 16 | jt << 8 | jf, k */
#define FM_S_FILTER_LOCKED "filter-locked" /* empty: SO_LOCK_FILTER */
#define FM_S_SHUTDOWN "shutdown"         /* u32: shut down, RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
#define FM_S_RECV_QUEUE "recv-queue"     /* bytes: unread bytes or datagrams */
#define FM_S_RECV_LENGTHS "recv-lengths" /* u32[n]: length of each queued datagram */
#define FM_S_RECV_SOURCES "recv-sources" /* bytes: their source addresses */
#define FM_S_RECV_SOURCE_LENGTHS "recv-source-lengths" /* u32[n] */
#define FM_S_RECV_RIGHTS "recv-rights"   /* u32[3n] (1.14): messages with descriptors in flight */
#define FM_S_RECV_RIGHTS_FILES "recv-rights-files" /* u32[n] (1.14): their file records */
#define FM_S_TCP_SEQS "tcp-seqs"         /* u32[2]: send (write_seq), receive (rcv_nxt) */
#define FM_S_TCP_SEND_QUEUE "tcp-send-queue" /* bytes: unacknowledged, then unsent */
#define FM_S_TCP_SEND_UNSENT "tcp-send-unsent" /* u32: unsent bytes at its end */
#define FM_S_TCP_WINDOW "tcp-window"     /* u32[5]: TCP_REPAIR_WINDOW */
#define FM_S_TCP_MSS "tcp-mss"           /* u32: TCP_MAXSEG */
#define FM_S_TCP_OPTIONS "tcp-options"   /* u32: TCPI_OPT_* */
#define FM_S_TCP_WSCALE "tcp-wscale"     /* u32[2]: send, receive window scale */
#define FM_S_TCP_TIMESTAMP "tcp-timestamp" /* u32: TCP_TIMESTAMP */
/* tcp-state: TCP_CLOSE_WAIT 8, TCP_FIN_WAIT2 5 (1.6); TCP_FIN_WAIT1 4, TCP_LAST_ACK 9,
 * TCP_CLOSING 11 (1.17); absent: established */
#define FM_S_TCP_STATE "tcp-state"       /* u32 (1.6) */
#define FM_S_TCP_FIN "tcp-fin"           /* u32: FINs counted in tcp-seqs: received 1, sent 2, acked 4 (1.6) */
/* a stream to journald's stdout socket (1.12) */
#define FM_S_JOURNAL "journal"           /* the group of the journal-* properties */
#define FM_J_IDENTIFIER "journal-identifier" /* string: SYSLOG_IDENTIFIER of its lines */
#define FM_J_UNIT "journal-unit"         /* string: the unit its header names */
#define FM_J_PRIORITY "journal-priority" /* u32: of a line without a <N> prefix, with its facility */
#define FM_J_LEVEL_PREFIX "journal-level-prefix" /* empty: a line's <N> prefix gives its priority */
#define FM_J_FORWARD "journal-forward"   /* u32: also to syslog 1, kmsg 2, the console 4 */
#define FM_J_CONNECTOR "journal-connector" /* u32[3]: pid, uid, gid that connected it (SO_PEERCRED) */

/* ---- terminals and event descriptors ---- */

/* /processes/process@PID */
#define FM_P_CTTY "ctty"       /* u32: /ttys id of its controlling terminal (absent: none) */

/* /files/file@ID of type tty, epoll, timerfd, signalfd, inotify */
#define FM_F_TTY "tty"                   /* u32: /ttys id of the terminal */
#define FM_F_TTY_MASTER "tty-master"     /* empty: the master side of a pty pair */
#define FM_F_EPOLL_PID "epoll-pid"       /* u32: process whose fd numbers epoll-items use */
#define FM_F_EPOLL_ITEMS "epoll-items"   /* u32[5 * n]: fd, file id, events, data high, data low */
#define FM_F_TIMERFD_CLOCK "timerfd-clock"       /* u32: clockid */
#define FM_F_TIMERFD_FLAGS "timerfd-settime-flags" /* u32: TFD_TIMER_ABSTIME 1, CANCEL_ON_SET 2 */
#define FM_F_TIMERFD_VALUE "timerfd-value"       /* u64 ns: expiry (absolute with ABSTIME,
						  * else remaining); 0: disarmed */
#define FM_F_TIMERFD_INTERVAL "timerfd-interval" /* u64 ns */
#define FM_F_TIMERFD_TICKS "timerfd-ticks"       /* u64: expirations not yet read */
#define FM_F_SIGNALFD_MASK "signalfd-mask"       /* u64: signals 1..64, bit N-1 */
#define FM_INOTIFY_WATCH "watch"                 /* child of an inotify file: watch@WD */
#define FM_IW_WD "wd"                            /* u32 */
#define FM_IW_MASK "mask"                        /* u32: IN_* mask */
#define FM_IW_PATH "path"                        /* string: the watched inode's path */

/* /ttys/tty@ID */
#define FM_TTYS "ttys"
#define FM_TTY "tty"
#define FM_TY_ID "id"                 /* u32 */
#define FM_TY_KIND "kind"             /* string: pty (both sides in the image), external */
#define FM_TY_INDEX "index"           /* u32: pty number at checkpoint (TIOCGPTN) */
#define FM_TY_PATH "path"             /* string: device path (external terminals) */
#define FM_TY_RDEV "rdev"             /* u64: device number at checkpoint */
#define FM_TY_TERMIOS "termios"       /* u32[7]: iflag, oflag, cflag, lflag, line, ispeed, ospeed */
#define FM_TY_CC "termios-cc"         /* bytes: c_cc of struct termios2 (19) */
#define FM_TY_WINSIZE "winsize"       /* u32[4]: rows, cols, xpixel, ypixel */
#define FM_TY_SLAVE_OWNER "slave-owner" /* u32[3]: a pty slave's uid, gid, mode & 07777 */
#define FM_TY_PACKET "packet-mode"    /* empty: TIOCPKT on */
#define FM_TY_LOCKED "locked"         /* empty: TIOCSPTLCK on */
#define FM_TY_EXCLUSIVE "exclusive"   /* empty: TIOCEXCL on */
#define FM_TY_INPUT "input"           /* bytes: written to the master, not yet read on the slave */
#define FM_TY_OUTPUT "output"         /* bytes: written to the slave, not yet read on the master */
#define FM_TY_FOREGROUND "foreground-pgrp" /* u32: foreground process group (absent: none) */
#define FM_TY_SESSION "session"       /* u32: session it is the controlling terminal of */

/* ---- file locks and leases (SPEC.md §3.8) ---- */

/* /locks/lock@ID */
#define FM_LOCKS "locks"
#define FM_LOCK "lock"
#define FM_LK_ID "id"           /* u32 */
#define FM_LK_KIND "kind"       /* string: posix, ofd, flock */
#define FM_LK_FILE "file"       /* u32: /files id of the open file description it is taken through */
#define FM_LK_PID "pid"         /* u32: posix: the process that owns it; ofd, flock: the
				 * process it is taken through */
#define FM_LK_TYPE "lock-type"  /* string: read, write */
#define FM_LK_START "start"     /* u64: first byte */
#define FM_LK_LENGTH "length"   /* u64: bytes; 0: to the end of the file */

/* /mount-namespace@1 (1.8): the selection's mount namespace, when it is not
 * ferry's (SPEC §3.11) */
#define FM_MOUNT_NS "mount-namespace"
#define FM_MNT_ID "id"         /* u32: 1 */
#define FM_MNT_MOUNTS "mounts" /* string: "KIND POINT ROOT FSTYPE SOURCE OPTIONS SUPER
				* PROPAGATION HOST\n" per mount, parent first */
#define FM_MNT_FILES "files"   /* bytes: the contents of its tmpfs mounts */

/* /leases/lease@ID */
#define FM_LEASES "leases"
#define FM_LEASE "lease"
#define FM_LE_ID "id"           /* u32 */
#define FM_LE_FILE "file"       /* u32: /files id of the open file description holding it */
#define FM_LE_PID "pid"         /* u32: the process that set it */
#define FM_LE_TYPE "lease-type" /* string: read, write */
#define FM_LE_SIGNAL "lease-signal" /* u32: F_GETSIG of its file: the signal of a break (0: SIGIO) */
#define FM_LE_OWNER "lease-owner"   /* u32[2]: F_GETOWN_EX of its file: type, pid (who gets it) */
/* ---- process attributes: scheduling, timer slack, OOM score, prctl, audit,
 * membarrier ---- */

/* /processes/process@PID */
#define FM_P_SCHED "sched" /* per thread unlike a new one: u32 tid, policy, flags, nice,
			    * priority; u64 runtime, deadline, period; u32 util-min,
			    * util-max (0xffffffff: not shown) */
#define FM_P_TIMER_SLACK "timer-slack" /* per thread: u32 tid, u64 PR_GET_TIMERSLACK ns */
#define FM_P_IOPRIO "ioprio"        /* per thread not at 0: u32 tid, u32 ioprio_get() */
#define FM_P_AFFINITY "cpu-affinity" /* per thread: u32 tid, u64[4] CPUs 0-255 */
#define FM_P_OOM_SCORE_ADJ "oom-score-adj" /* u32: /proc/PID/oom_score_adj, two's
					    * complement (absent: 0) */
#define FM_P_CHILD_SUBREAPER "child-subreaper" /* empty: PR_SET_CHILD_SUBREAPER */
#define FM_P_THP_DISABLE "thp-disable"     /* u32: PR_GET_THP_DISABLE (absent: 0) */
#define FM_P_NOT_DUMPABLE "not-dumpable"   /* empty: PR_SET_DUMPABLE 0 */
#define FM_P_LOGINUID "loginuid"           /* u32: /proc/PID/loginuid (absent: unset) */
#define FM_P_CGROUPS "cgroups" /* string: "CONTROLLERS:PATH\n" of each hierarchy not at "/"
				* (absent: before 1.4, the restorer's) */
#define FM_P_MEMBARRIER "membarrier"       /* u32: MEMBARRIER_CMD_REGISTER_* bits */
#define FM_P_SIGIO "sigio" /* per fd with signal-driven I/O: u32 fd, owner type, owner
			    * (0: none), signal, O_ASYNC set */

/* ---- job control and timers (format 1.1) ---- */

/* /processes/process@PID */
#define FM_P_STOP_SIGNAL "stop-signal"     /* u32: signal of its job-control stop (absent: running) */
#define FM_P_STOP_REPORTED "stop-reported" /* empty: its parent has collected that stop */
#define FM_P_ITIMER_REAL "itimer-real"     /* u64[2] ns: ITIMER_REAL time left at the freeze, period */
#define FM_P_ITIMER_VIRTUAL "itimer-virtual" /* u64[2] ns: ITIMER_VIRTUAL CPU time left, period */
#define FM_P_ITIMER_PROF "itimer-prof"     /* u64[2] ns: ITIMER_PROF CPU time left, period */

/* /processes/process@PID/posix-timers/posix-timer@ID */
#define FM_POSIX_TIMERS "posix-timers"
#define FM_POSIX_TIMER "posix-timer"
#define FM_PT_ID "id"                 /* u32: the timer id timer_create() gave */
#define FM_PT_CLOCK "clock"           /* u32: clockid_t (CPU-time clocks are negative) */
#define FM_PT_NOTIFY "notify"         /* u32: sigev_notify: SIGNAL 0, NONE 1, THREAD 2, THREAD_ID 4 */
#define FM_PT_SIGNAL "signal"         /* u32: sigev_signo */
#define FM_PT_SIGVAL "sigval"         /* u64: sigev_value */
#define FM_PT_NOTIFY_TID "notify-tid" /* u32: SIGEV_THREAD_ID: the thread it signals */
#define FM_PT_VALUE "value"           /* u64 ns: next expiry on its clock (CPU-time clocks:
				       * the time left); 0: disarmed */
#define FM_PT_INTERVAL "interval"     /* u64 ns: period (absent: one-shot) */
#define FM_PT_OVERRUN "overrun"       /* u32: timer_getoverrun() (absent: 0) */

/* ---- zombies (format 1.2) ---- */

/* /processes/process@PID/zombies/zombie@PID: a child that exited, not reaped */
#define FM_ZOMBIES "zombies"
#define FM_ZOMBIE "zombie"
#define FM_Z_PID "pid"                 /* u32: its pid */
#define FM_Z_PGID "pgid"               /* u32: its process group */
#define FM_Z_SID "sid"                 /* u32: its session */
#define FM_Z_UID "uid"                 /* u32: its real uid (si_uid of waitid()) */
#define FM_Z_STATUS "wait-status"      /* u32: the status waitpid() reports: exit code << 8,
					* or the signal that killed it (no core dump) */
#define FM_Z_EXIT_SIGNAL "exit-signal" /* u32: what its parent was sent (SIGCHLD 17, or another; 0: none) */

/* ---- System V shared memory (format 1.3) ---- */

/* /mms/mm@ID/area@START of kind sysv: part of an attachment (shmat) */
#define FM_A_SHM_ID "shm-id"         /* u32: the segment's shmid (a /sysv-shm/segment) */
#define FM_A_SHM_RDONLY "shm-rdonly" /* empty: attached with SHM_RDONLY */

/* /sysv-shm/segment@SHMID */
#define FM_SYSV_SHMS "sysv-shm"
#define FM_SYSV_SHM "segment"
#define FM_SHM_ID "id"               /* u32: its shmid */
#define FM_SHM_KEY "key"             /* u32: the key it was made with (IPC_PRIVATE 0) */
#define FM_SHM_SIZE "size"           /* u64: shm_segsz, bytes */
#define FM_SHM_MODE "mode"           /* u32: permission bits, 0777 */
#define FM_SHM_OWNER "owner"         /* u32[2]: uid, gid */
#define FM_SHM_CREATOR "creator"     /* u32[2]: cuid, cgid */
#define FM_SHM_REMOVED "removed"     /* empty: IPC_RMID done, gone at the last detach */
#define FM_SHM_LOCKED "locked"       /* empty: SHM_LOCK */
#define FM_SHM_DATA "data"           /* bytes: its first bytes; the rest up to size is zero */

/* ---- System V semaphore sets and message queues (format 1.15) ---- */

/* /sysv-sem/set@SEMID */
#define FM_SYSV_SEMS "sysv-sem"
#define FM_SYSV_SEM "set"
#define FM_SEM_ID "id"           /* u32: its semid */
#define FM_SEM_KEY "key"         /* u32: the key it was made with (IPC_PRIVATE 0) */
#define FM_SEM_MODE "mode"       /* u32: permission bits, 0777 */
#define FM_SEM_OWNER "owner"     /* u32[2]: uid, gid */
#define FM_SEM_CREATOR "creator" /* u32[2]: cuid, cgid */
#define FM_SEM_VALUES "values"   /* u32[2] each semaphore: semval, sempid */

/* /sysv-msg/queue@MSQID */
#define FM_SYSV_MSGS "sysv-msg"
#define FM_SYSV_MSG "queue"
#define FM_MSG_ID "id"             /* u32: its msqid */
#define FM_MSG_KEY "key"           /* u32: the key it was made with (IPC_PRIVATE 0) */
#define FM_MSG_MODE "mode"         /* u32: permission bits, 0777 */
#define FM_MSG_OWNER "owner"       /* u32[2]: uid, gid */
#define FM_MSG_CREATOR "creator"   /* u32[2]: cuid, cgid */
#define FM_MSG_QBYTES "qbytes"     /* u64: msg_qbytes, the most bytes it holds */
#define FM_MSG_PIDS "pids"         /* u32[2]: msg_lspid, msg_lrpid */
#define FM_MSG_MESSAGES "messages" /* u64 + u32 each message, in order: mtype, bytes */
#define FM_MSG_DATA "data"         /* bytes: every message's bytes, one after another */

/* ---- the UTS namespace (format 1.7) ---- */

/* /uts-namespace: the selection's UTS namespace, when it is not the writer's */
#define FM_UTS_NS "uts-namespace"
#define FM_UTS_HOSTNAME "hostname"     /* string: its host name (uname nodename), 1 to 64 bytes */
#define FM_UTS_DOMAINNAME "domainname" /* string: its NIS domain name, 0 to 64 bytes */

/* ---- the IPC namespace (format 1.10) ---- */

/* /ipc-namespace: the selection's IPC namespace, when it is not the writer's */
#define FM_IPC_NS "ipc-namespace"
#define FM_IPC_SYSCTLS "sysctls" /* string: "NAME=VALUE\n" of each IPC sysctl of kernel. */

/* ---- the user namespace (format 1.11) ---- */

/* /user-namespace: the selection's user namespace, when it is not the writer's */
#define FM_USERNS "user-namespace"
#define FM_USERNS_UID_MAP "uid-map"     /* string: "INSIDE OUTSIDE COUNT\n" lines, 1 to 340 */
#define FM_USERNS_GID_MAP "gid-map"     /* string: likewise */
#define FM_USERNS_SETGROUPS "setgroups" /* string: "allow" or "deny" */
#define FM_USERNS_OWNER "owner"         /* u32: its owner's uid, in the writer's namespace */

/* ---- the systemd units of the selection (format 1.13) ---- */

/* /systemd-unit@ID: a unit whose cgroup is the selection's (--unit), for its
 * adoption by systemd on the next boot */
#define FM_UNIT "systemd-unit"
#define FM_UNIT_ID "id"             /* u32: 1, 2, ...: the unit address */
#define FM_UNIT_NAME "name"         /* string: its full name, "memcached.service" */
#define FM_UNIT_CGROUP "cgroup"     /* string: its cgroup2 path (ControlGroup) */
#define FM_UNIT_MAIN_PID "main-pid" /* u32: its main PID (MainPID), a process of the image */

/* ---- the network namespace (format 1.16) ---- */

/* /network-namespace: the selection's network namespace, when it is not the writer's */
#define FM_NET_NS "network-namespace"
#define FM_NET_LO_UP "lo-up"             /* empty: lo is up */
#define FM_NET_LO_MTU "lo-mtu"           /* u32: lo's MTU */
#define FM_NET_LO_ADDRESSES "lo-addresses" /* string: "ADDRESS/PREFIX SCOPE FLAGS BROADCAST\n" each */
#define FM_NET_SYSCTLS "sysctls"         /* string: "NAME=VALUE\n" of each network sysctl of net. */
/* (format 1.18) its veth, whose peer (the host end) is in the writer's namespace */
#define FM_NET_VETH "veth" /* string: "NAME MTU UP MAC PEER PEER-MTU PEER-UP PEER-MAC\n" */
#define FM_NET_VETH_ADDRESSES "veth-addresses" /* string: "DEVICE ADDRESS/PREFIX SCOPE FLAGS BROADCAST\n" each */
#define FM_NET_ROUTES "routes" /* string: "DESTINATION/PREFIX GATEWAY DEVICE METRIC PROTOCOL SCOPE\n" each */

#endif
