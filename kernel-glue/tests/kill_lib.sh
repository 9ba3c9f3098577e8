# host-test: helper, what kill_checkpoint.sh and kill_restore.sh share
# A threaded python3 echo server and its client on one TCP connection
# (kill_echo.py), in the network namespace $ns, with files in $dir; $here
# is this folder, $port the last port used.
# shellcheck shell=sh disable=SC2154 # ns, dir, here, port: the caller's

# start_pair: a new server and client, on a port of their own
start_pair() {
	port=$((port + 1)) asked=0
	rm -f "$dir"/listening "$dir"/ask.* "$dir"/ans.* "$dir"/sigcont
	: >"$dir/srv.log"
	ip netns exec "$ns" python3 "$here/kill_echo.py" serve "$port" "$dir" >>"$dir/srv.log" 2>&1 \
		</dev/null &
	srv=$!
	wait_for 100 "the server does not listen" exists "$dir/listening"
	ip netns exec "$ns" python3 "$here/kill_echo.py" client "$port" "$dir" >>"$dir/py.log" 2>&1 \
		</dev/null &
	cli=$!
	echoes || fail "the connection does not echo before any checkpoint"
}

# echoes: the client's connection carries a line there and back
echoes() {
	asked=$((asked + 1))
	: >"$dir/ask.$asked"
	poll 80 exists "$dir/ans.$asked" && [ "$(cat "$dir/ans.$asked")" = ok ]
}

# threads_bad: the first thread of the server that is traced or stopped
# ("TID traced by PID", "TID stopped"); nothing when there is none
threads_bad() {
	for st in /proc/"$srv"/task/*/status; do
		tid=${st%/status}
		tid=${tid##*/}
		tracer=$(awk '/^TracerPid:/ { print $2 }' "$st" 2>/dev/null)
		state=$(awk '/^State:/ { print $2 }' "$st" 2>/dev/null)
		[ -n "$tracer" ] && [ "$tracer" != 0 ] && { echo "tid $tid traced by $tracer"; return; }
		case $state in
		T | t) echo "tid $tid stopped ($state)"; return ;;
		esac
	done
}

