# scenario: update-memcached-generic-bpo
# flavor: generic
# option: --net tcp:127.0.0.1:39211-:11211
# option: --client qemu-tests/memcached-client.py
#
# memcached (Debian 12's, copied from the host with its libraries) with
# 2000 keys stored by a client on the host (memcached-client.py, through
# QEMU user networking): after ferry update to 6.12 the same client
# connection reads every key back.
to=bpo
# memcached is a test dependency (make deps); the guest image copies the host's
[ -x /usr/bin/memcached ] || { fail "no memcached in the guest: the host has none to copy (make deps)"; return; }
case "$step" in
1)
	memcached_start || { fail "memcached or its host client did not come up"; return; }
	echo "$app_pid" >/data/app.pid
	sync
	update_to "$to" --pid
	fail "ferry update returned instead of kexec'ing"
	;;
2)
	memcached_check && pass
	;;
esac
