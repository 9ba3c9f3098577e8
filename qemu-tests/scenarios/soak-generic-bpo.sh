# scenario: soak-generic-bpo
# flavor: generic
# option: --net tcp:127.0.0.1:39241-:11211
# option: --client qemu-tests/soak-client.py
# option: --timeout 1200
#
# Endurance: ferry.soak= (default 10; make soak: 100) updates in a row by
# kexec in one guest, alternating 6.1 and 6.12, of one tree: a shell
# running memcached, whose 2000 keys a host client (soak-client.py) keeps
# on one TCP connection throughout, and guest-app counting. After each
# cycle: the client reads every key back on its connection (a tenth
# rewritten each cycle), the counter went on with no gap above that
# update's downtime, and nothing grows: the tree's processes and open
# descriptors are the same, their resident memory no more than 4 MiB and
# their memory areas no more than 2 above the first cycle's, no
# network-lock rule is left, and the region holds no
# sealed image. The last cycle prints the downtimes: min, median, p95, max.
[ -x /usr/bin/memcached ] || { fail "no memcached in the guest: the host has none to copy (make deps)"; return; }
cycles=$(arg ferry.soak)
cycles=${cycles:-10}

soak_start() {
	i=0
	while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
	setsid sh -c "/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -m 64 -t 2 & guest-app $APP_CLOCK --log /data/counter.log; wait" \
		</dev/null >/dev/null 2>&1 &
	app_pid=$!
	memcached_up || return 1
	memcached_wait_client || return 1
	sleep 1
	echo "$app_pid" >/data/app.pid
	soak_begin $app_pid $(cat /proc/$app_pid/task/*/children)
	[ "$(wc -w <"$soak_dir/pids")" = 3 ] || { echo "the tree is not a shell and two children: $(cat "$soak_dir/pids")"; return 1; }
	echo "soak: tree $(tr '\n' ' ' <"$soak_dir/procs"), $cycles cycles"
}

# The client's verdict on cycle $1, over its connection
soak_client_check() {
	mc_set ferry-guest-cycle "$1"
	echo "FERRY-CLIENT-GO"
	i=0
	while :; do
		v=$(mc_get ferry-client-verified)
		case "$v" in
		"ok "*" cycle $1 "*) echo "FERRY-MEMCACHED: client: $v"; return 0 ;;
		bad*) fail "cycle $1: host client: $v"; return 1 ;;
		esac
		i=$((i + 1))
		[ $i -gt 600 ] && { fail "cycle $1: the host client never reported (last: $v)"; return 1; }
		sleep 0.5
	done
}

# Everything after the update of cycle $1 is as it was, and the client
# read every key back on its connection
soak_check() {
	soak_check_common "$1" || return 1
	soak_client_check "$1" || return 1
	echo "soak: cycle $1 of $cycles on $kver: $soak_line"
}

# step 1 starts the tree on 6.1; step S (S = 2 .. cycles + 1) checks the
# update of cycle S - 1 and makes the next, 6.1 on odd steps, 6.12 on even
case $((step % 2)) in 1) here=generic next=bpo ;; *) here=bpo next=generic ;; esac
[ "$flavor" = "$here" ] || { fail "step $step runs on $flavor, expected $here"; return; }
if [ "$step" = 1 ]; then
	soak_start || { fail "memcached, guest-app or the host client did not come up"; return; }
else
	soak_check $((step - 1)) || return
fi
if [ "$step" -gt "$cycles" ]; then
	soak_summary
	pass
	return
fi
app_pid=$(cat /data/app.pid)
sync
update_to "$next" --tree
fail "cycle $step: ferry update returned instead of kexec'ing"
