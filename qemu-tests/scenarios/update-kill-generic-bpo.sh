# scenario: update-kill-generic-bpo
# flavor: generic
# option: --timeout 420
#
# Cells of the fault matrix (qemu-tests/README.md): `ferry update` killed
# (SIGKILL) in the preflight (FERRY_UPDATE_TEST=stop-in-preflight: the new
# kernel loaded, nothing frozen yet), in the freeze (stop-in-freeze: one
# thread of memcached seized, its others running) and after the seal
# (stop-after-seal: the image sealed, filesystems synced, the kexec next).
# The target is memcached with a TCP connection from a client in the
# guest (nc through a fifo) that stays open through all three. After each
# kill: every thread of memcached runs, untraced; the connection answers a
# set and a get; no network-lock rule is left (`ferry netlock` lists none,
# `ip rule` is as before); the region holds no sealed image; ferry status
# says what happened. Then a plain update by kexec into 6.12 must work
# (a sealed image left behind would refuse it): memcached restored there,
# its keys kept.
to=bpo
[ -x /usr/bin/memcached ] || { fail "no memcached in the guest: the host has none to copy (make deps)"; return; }

# memcached's threads: untraced and not stopped (5 s at most)
kill_untraced() {
	i=0
	while [ $i -lt 50 ]; do
		bad=""
		for s in /proc/"$1"/task/*/status; do
			grep -q '^TracerPid:[[:space:]]*0$' "$s" || bad="$bad ${s#/proc/*/task/} traced"
			grep -q '^State:[[:space:]]*[tT]' "$s" && bad="$bad ${s#/proc/*/task/} stopped"
		done
		[ -z "$bad" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$bad"
	return 1
}

# the client's connection answers: set key $1, get it back (5 s at most)
conn_check() {
	printf 'set %s 0 0 2\r\nok\r\nget %s\r\n' "$1" "$1" >&3
	i=0
	until grep -q "^VALUE $1 " /tmp/mc.out; do
		i=$((i + 1))
		[ $i -gt 50 ] && return 1
		sleep 0.1
	done
}

# kill_cell NAME HOOK: ferry update stopped by HOOK, killed; the checks
kill_cell() {
	name="$1" hook="$2"
	rm -f /tmp/kill.out
	FERRY_UPDATE_TEST=$hook update_to "$to" --pid >/tmp/kill.out 2>&1 &
	upid=$!
	i=0
	while ! grep -q 'test: stopped .*(pid [0-9]*)' /tmp/kill.out && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	fpid=$(sed -n 's/.*test: stopped .*(pid \([0-9]*\)).*/\1/p' /tmp/kill.out | head -n 1)
	[ -n "$fpid" ] || { cat /tmp/kill.out; fail "$name: ferry update did not stop ($hook)"; return 1; }
	traced_now=$(grep -l '^TracerPid:[[:space:]]*[1-9]' /proc/"$mcpid"/task/*/status 2>/dev/null | wc -l)
	echo "$name: ferry (pid $fpid) stopped; $traced_now of $(ls /proc/"$mcpid"/task | wc -l) threads of memcached traced; killing it"
	if [ "$hook" = stop-in-freeze ] && [ "$traced_now" -ne 1 ]; then
		fail "$name: $traced_now threads traced, expected the first one only"
		return 1
	fi
	held=$(ferry netlock 2>&1)
	echo "$name: while stopped: $held" | head -n 3
	if [ "$hook" = stop-after-seal ] && [ "$held" = "no network lock held" ]; then
		fail "$name: the client's connection is not locked after the seal: nothing to undo"
		return 1
	fi
	kill -9 "$fpid"
	wait "$upid"
	sed 's/^/  ferry| /' /tmp/kill.out
	why=$(kill_untraced "$mcpid") || { fail "$name: memcached after the kill:$why"; return 1; }
	conn_check "$name" || { fail "$name: the client's connection does not answer: $(tail -n 3 /tmp/mc.out | tr '\r\n' '  ')"; return 1; }
	[ "$(mc_get "$name")" = ok ] || { fail "$name: a new connection does not read the key back"; return 1; }
	rules=$(ferry netlock 2>&1)
	[ "$rules" = "no network lock held" ] || { fail "$name: network-lock rules left: $rules"; return 1; }
	[ "$(ip rule)" = "$rules0" ] || { fail "$name: ip rule differs from before: $(ip rule | tr '\n' ';')"; return 1; }
	st=$(ferry status 2>&1)
	echo "$st" | sed 's/^/  status| /'
	echo "$st" | grep -q 'state sealed' && { fail "$name: the region holds a sealed image"; return 1; }
	echo "$st" | grep -q 'state writing' && { fail "$name: the region is left WRITING"; return 1; }
	echo "cell $name: memcached (pid $mcpid) runs on, untraced; the connection answers; no lock rule; region $(echo "$st" | sed -n 's/.*state \([a-z]*\).*/\1/p' | head -n 1)"
}

case "$step" in
1)
	[ "$flavor" = generic ] || { fail "step 1 runs on $flavor, expected generic"; return; }
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid /usr/bin/memcached -u root -l 127.0.0.1 -p 11211 -m 16 -t 2 </dev/null >/dev/null 2>&1 &
	mcpid=$!
	app_pid=$mcpid
	memcached_up || { fail "memcached does not answer"; return; }
	echo "$mcpid" >/data/app.pid
	rm -f /tmp/mc.in && mkfifo /tmp/mc.in
	nc 127.0.0.1 11211 </tmp/mc.in >/tmp/mc.out 2>&1 &
	ncpid=$!
	exec 3>/tmp/mc.in
	conn_check before || { fail "the client's connection does not answer before any update"; return; }
	rules0=$(ip rule)
	echo "memcached pid $mcpid ($(ls /proc/$mcpid/task | wc -l) threads), client nc pid $ncpid: $(grep -c ':2BCB' /proc/net/tcp) sockets on 11211"

	kill_cell preflight stop-in-preflight || return
	st=$(ferry status 2>&1)
	echo "$st" | grep -q '^last update: failed' && { fail "preflight: ferry status says an update failed: nothing was written"; return; }
	echo "preflight: the new kernel stays loaded (/sys/kernel/kexec_loaded $(cat /sys/kernel/kexec_loaded))"

	kill_cell freeze stop-in-freeze || return
	st=$(ferry status 2>&1)
	echo "$st" | grep -q '^last update: failed' || { fail "freeze: ferry status does not say the update failed"; return; }
	echo "$st" | grep -q 'reason .*killed before the seal' || { fail "freeze: ferry status does not say ferry was killed before the seal"; return; }

	kill_cell seal stop-after-seal || return
	st=$(ferry status 2>&1)
	echo "$st" | grep -q '^last update: failed' || { fail "seal: ferry status does not say the update failed"; return; }
	echo "$st" | grep -q 'reason .*killed after the seal' || { fail "seal: ferry status does not say ferry was killed after the seal"; return; }
	[ "$(cat /sys/kernel/kexec_loaded)" = 0 ] || { fail "seal: the new kernel is still loaded for a kexec"; return; }

	# the client goes; then an update that must not find the region busy
	exec 3>&-
	kill "$ncpid" 2>/dev/null
	wait "$ncpid" 2>/dev/null
	mc_set carried yes
	sync
	app_pid=$mcpid
	update_to "$to" --pid
	fail "ferry update returned instead of kexec'ing (after the killed ones)"
	;;
2)
	[ "$flavor" = "$to" ] || { fail "step 2 runs on $flavor, expected $to"; return; }
	ferry status 2>&1
	pid=$(cat /data/app.pid)
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = memcached ] ||
		{ fail "memcached (pid $pid) was not restored: $(ferry status 2>&1 | sed -n 's/^  reason *//p')"; return; }
	ferry status 2>&1 | grep -q '^last update: restored' || { fail "ferry status: not restored"; return; }
	for k in before preflight freeze seal; do
		[ "$(mc_get $k)" = ok ] || { fail "key $k lost: $(mc_get $k)"; return; }
	done
	[ "$(mc_get carried)" = yes ] || { fail "key carried lost"; return; }
	pass
	;;
esac
