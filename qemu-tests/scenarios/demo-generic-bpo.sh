# scenario: demo-generic-bpo
# flavor: generic
# manual: make demo runs it, through qemu-tests/demo.sh (its options there)
#
# The appliance runs a counter holding 64 MiB of data (and memcached, with
# a client on the host, when there is a network) on 6.1; ferry update
# carries it to 6.12 by kexec; show it went on, and the downtime.

say() { echo "DEMO: $*"; }

scenario_demo() {
	from="$1" to="$2"
	case "$step" in
	1)
		say "phase 2: the appliance is up on Linux $kver ($flavor)"
		sel=--pid
		if [ -x /usr/bin/memcached ] && [ -e /sys/class/net/eth0 ]; then
			i=0
			while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
			setsid sh -c "/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m 64 -t 2 & guest-app --log /data/counter.log --console /dev/ttyS0 --mem 64 & wait" </dev/null >/dev/null 2>&1 &
			app_pid=$!
			sleep 1
			for c in $(cat /proc/$app_pid/task/*/children); do
				[ "$(cat /proc/$c/comm)" = memcached ] && echo "$c" >/data/mc.pid
				[ "$(cat /proc/$c/comm)" = guest-app ] && echo "$c" >/data/app.pid
			done
			say "a shell (pid $app_pid) runs memcached (pid $(cat /data/mc.pid)) and guest-app (pid $(cat /data/app.pid))"
			say "waiting for the memcached client on the host (through QEMU user networking) to store its keys"
			memcached_wait_client || { fail "the host client did not store its keys"; return; }
			say "$(mc stats | grep -a -E 'curr_items|curr_connections' | tr -d '\r' | tr '\n' ' ')"
			sel=--tree
		else
			app_start --log /data/counter.log --console /dev/ttyS0 --mem 64
			echo "$app_pid" >/data/app.pid
			sleep 2
		fi
		sleep 1
		say "guest-app counts every 100 ms and holds 64 MiB of data; its count now: $(last_count /data/counter.log)"
		sync
		say "phase 3: ferry update --kernel /boot/vmlinuz-$to --via kexec $sel $app_pid"
		update_to "$to" "$sel"
		fail "ferry update returned instead of kexec'ing"
		;;
	2)
		pid=$(cat /data/app.pid)
		say "phase 4: now running Linux $kver ($flavor)"
		if [ "$(cat /proc/$pid/comm 2>/dev/null)" != guest-app ]; then
			fail "guest-app (pid $pid) was not restored: $(ferry status 2>&1 | sed -n 's/^  reason *//p')"
			return
		fi
		c1=$(last_count /data/counter.log)
		sleep 3
		c2=$(last_count /data/counter.log)
		say "guest-app is still pid $pid, never restarted; its count went from $c1 to $c2 in 3 s"
		grep -q 'data bad' /data/counter.log && { fail "its data changed"; return; }
		say "its 64 MiB of data checked out unchanged"
		out=$(check_counter /data/counter.log 500) || { fail "$out"; return; }
		say "$out"
		if [ -e /data/mc.pid ]; then
			memcached_check /data/mc.pid || return
			say "memcached: every key read back by the host client on its same TCP connection"
		fi
		say "phase 5: ferry status"
		ferry status 2>&1 | sed 's/^/DEMO:   /'
		pass
		;;
	esac
}

scenario_demo generic bpo
