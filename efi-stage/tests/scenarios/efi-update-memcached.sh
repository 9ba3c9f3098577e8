# scenario: efi-update-memcached
# option: --net
#
# memcached with a client on the host (efi-stage/tests/mc-client, one
# connection through QEMU's user network) carried by ferry update --via
# reboot from 6.1 to 6.12: the client's increments go on over the same
# connection.
efi_boot_begin || return
case "$boots" in
1)
	# memcached (the host's binary and libraries, in the overlay) on
	# 10.0.2.15:11211; the runner's client on the host connects through
	# QEMU's user networking and increments ctr on one connection
	[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
	command -v memcached >/dev/null || { fail "memcached is not in the guest (not installed on the build host: make deps)"; return; }
	efi_install_entry || return
	efi_net_up || return
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid memcached -u root -l 0.0.0.0 -p 11211 -t 1 -U 0 </dev/null >/dev/null 2>&1 &
	mc_pid=$!
	sleep 1
	[ -d "/proc/$mc_pid" ] || { fail "memcached did not start: $(memcached -V 2>&1 | head -n 2)"; return; }
	ip addr show eth0 2>&1 | sed 's/^/net: /'
	echo "FERRY-EFI: memcached ready"
	i=0
	until [ "$(mc_get ctr)" -ge 5 ] 2>/dev/null || [ $i -ge 100 ]; do
		sleep 0.3
		i=$((i + 1))
	done
	v1=$(mc_get ctr)
	[ "$(mc_get greeting)" = hello ] || { fail "the host client did not store 'greeting'"; return; }
	[ "${v1:-0}" -ge 5 ] 2>/dev/null || { fail "the host client did not increment ctr (ctr=$v1)"; return; }
	echo "memcached: pid $mc_pid, ctr $v1 from the host client"
	echo "$mc_pid" >/data/mc.pid
	sync
	app_pid=$mc_pid
	efi_update_to bpo
	fail "ferry update --via reboot returned: $?"
	;;
2)
	[ "$flavor" = bpo ] || { fail "boot 2 on $flavor, expected the update kernel (bpo)"; return; }
	ferry status 2>&1
	pid=$(cat /data/mc.pid)
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = memcached ] ||
		{ fail "memcached (pid $pid) was not restored: $(grep -E 'NOT RESTORED|reason|cannot' /run/ferry/init.log 2>/dev/null | tail -n 2)"; return; }
	efi_net_up || return
	# the request the client had in flight at the freeze arrives when
	# QEMU's user network sends it again (backing off: seconds later)
	v1=$(mc_get ctr)
	i=0
	while [ $i -lt 60 ]; do
		sleep 2
		v2=$(mc_get ctr)
		[ "$v2" -gt "$v1" ] 2>/dev/null && break
		i=$((i + 1))
	done
	v2=$(mc_get ctr)
	[ "$(mc_get greeting)" = hello ] || { fail "memcached lost 'greeting'"; return; }
	[ -n "$v1" ] && [ "$v2" -gt "$v1" ] 2>/dev/null ||
		{ fail "the host client's increments did not go on after the restore (ctr $v1, then $v2)"; return; }
	echo "memcached: pid $pid on $kver, ctr $v1 -> $v2 from the host client's connection"
	efi_client_stop || return
	pass
	;;
*) efi_unexpected_boot ;;
esac
