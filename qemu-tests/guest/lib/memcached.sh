# shellcheck shell=sh disable=SC2154 # app_pid: set by the callers
# memcached in the guest on port 11211, a client on the host storing and
# reading keys through QEMU's user networking (run-scenario --net --client,
# or run-efi-scenario --net): the update-memcached-*, efi-update-memcached,
# demo-* and bench-update-* scenarios.

# mc COMMAND: memcached's answer to COMMAND, on a connection of its own
# (at most 5 s); mc_get KEY: the value of KEY; mc_set KEY VALUE
mc() { printf '%b' "$1\r\nquit\r\n" | timeout 5 nc 127.0.0.1 11211 2>/dev/null; }
mc_get() { mc "get $1" | awk 'NR == 2 { sub(/\r$/, ""); print; exit }'; }
mc_set() { mc "set $1 0 0 ${#2}\r\n$2" >/dev/null; }

# Start memcached (app_pid) and wait until the host client stored its keys.
memcached_start() {
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid /usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m "${MC_MEM:-64}" -t 2 </dev/null >/dev/null 2>&1 &
	app_pid=$!
	memcached_up || return 1
	echo "FERRY-MEMCACHED: up as pid $app_pid, waiting for the host client"
	memcached_wait_client
}

# memcached answers on 11211 (10 s at most)
memcached_up() {
	i=0
	until mc version | grep -q VERSION; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

memcached_wait_client() {
	i=0
	until [ -n "$(mc_get ferry-client-loaded)" ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && return 1
		sleep 0.5
	done
	echo "FERRY-MEMCACHED: the host client stored $(mc_get ferry-client-loaded) keys; $(mc stats | grep -a 'curr_connections' | tr -d '\r')"
}

# After the restore: tell the client, wait for its verdict over its connection.
memcached_check() {
	pid=$(cat "${1:-/data/app.pid}")
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = memcached ] || {
		fail "memcached (pid $pid) was not restored: $(ferry status 2>&1 | sed -n 's/^  reason *//p')"
		return 1
	}
	echo "FERRY-MEMCACHED: restored as pid $pid; $(mc stats | grep -a 'curr_items' | tr -d '\r')"
	grep ':2BCB' /proc/net/tcp | sed 's/^/tcp: /' 
	mc_set ferry-guest-restored 1
	echo "FERRY-CLIENT-GO"
	i=0
	until v=$(mc_get ferry-client-verified) && [ -n "$v" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && { fail "the host client never reported"; return 1; }
		sleep 0.5
	done
	echo "FERRY-MEMCACHED: client: $v"
	case "$v" in
	ok*) return 0 ;;
	*) fail "host client: $v"; return 1 ;;
	esac
}

