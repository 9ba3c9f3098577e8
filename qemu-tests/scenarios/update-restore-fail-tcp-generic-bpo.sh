# scenario: update-restore-fail-tcp-generic-bpo
# flavor: generic
# option: --net tcp:127.0.0.1:39215-:11211
# option: --client qemu-tests/memcached-client.py
# option: --guest-reset
# option: --timeout 500
#
# A cell of the fault matrix (qemu-tests/README.md): a restore that fails
# late sends nothing to a TCP peer. A tree, a shell running memcached
# (Debian 12's) as its child, holds a connection of a client on the host
# (memcached-client.py through QEMU user networking: 2000 keys stored, the
# connection idle). ferry update --tree by kexec into 6.12 with
# ferry.test_init=fail-after-1: 6.12's ferry-init rebuilds memcached's
# socket in repair mode, lets the shell go, fails, removes both (the socket
# closed in repair mode: no FIN, no RST), and resets the machine into 6.1
# (the default, ferry.on_restore_failure=reset), whose ferry-init restores
# the image. The client then reads every key back on its one connection: a
# FIN or RST from the failed restore would have ended it (QEMU's user
# networking passes both on to the host's socket).
# the kernel's release as an extended regular expression (6.12's has a +)
kver_re=$(printf '%s' "$kver" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
to=bpo
[ -x /usr/bin/memcached ] || { fail "no memcached in the guest: the host has none to copy (make deps)"; return; }
boot=$(($(cat /data/tcp-boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/data/tcp-boots
sync
[ "$flavor" = generic ] || { fail "boot $boot runs on $flavor, expected generic (6.12 booted on after its failed restore?)"; return; }
case "$boot" in
1)
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	# "; :" keeps the shell: it does not exec its last command
	setsid sh -c "/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m 64 -t 2; :" </dev/null >/dev/null 2>&1 &
	app_pid=$!
	memcached_up || { fail "memcached did not come up"; return; }
	mc_pid=$(cat /proc/$app_pid/task/*/children | tr -d " \n")
	[ "$(cat /proc/$mc_pid/comm 2>/dev/null)" = memcached ] || { fail "the shell's child is not memcached: $mc_pid"; return; }
	echo "tree: shell $app_pid, memcached $mc_pid"
	memcached_wait_client || { fail "the host client did not store its keys"; return; }
	echo "$app_pid" >/data/sh.pid
	echo "$mc_pid" >/data/app.pid
	sync
	append_extra=ferry.test_init=fail-after-1 update_to "$to" --tree
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	st=$(ferry status 2>&1)
	echo "$st"
	echo "$st" | grep -Eq '^  attempt 1 +on 6\.12\.[^ ]* at .*: failed \(restore failed: .*FERRY_TEST_RESTORE_FAIL_AFTER.*\); ferry-init reset the machine into the default kernel$' ||
		{ fail "ferry status does not show the failed restore on 6.12 and the reset: $(echo "$st" | grep attempt | tr '\n' ';')"; return; }
	echo "$st" | grep -Eq "^  attempt 2 +on $kver_re at .*: restored$" ||
		{ fail "ferry status does not show the restore on $kver as the second attempt"; return; }
	[ -d "/proc/$(cat /data/sh.pid)" ] || { fail "the shell (pid $(cat /data/sh.pid)) was not restored"; return; }
	memcached_check && pass
	;;
*) fail "boot $boot: the machine was reset again (a loop)" ;;
esac
