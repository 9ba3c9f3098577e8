# shellcheck shell=sh
# Machine-readable operation, as a test rig drives ferry: every --json
# report is one valid JSON object (python3 -m json.tool and jq), and the
# exit statuses tell "refused, nothing changed" (3) from "failed after the
# point of no return" (4). The commands that freeze or update run in a
# sandbox: new user, PID and mount namespaces, where ferry holds no
# capability over the machine (kexec_file_load and reboot() cannot touch
# it), the region is a sparse file (FERRY_DEVMEM, FERRY_IOMEM,
# FERRY_CMDLINE) and the history a temporary directory (FERRY_STATE_DIR).
# Sourced by tools/tests/cli-test.sh (its ferry, repo, tmp, pass, fail,
# skip); test_machine runs it all.

# valid NAME FILE: FILE is one JSON object for both parsers
valid() {
	if ! python3 -m json.tool "$2" >/dev/null 2>"$tmp/json-err"; then
		fail "$1" "python3 -m json.tool: $(head -c 200 "$tmp/json-err"); the output: $(head -c 300 "$2")"
		return 1
	fi
	if ! jq -e 'type == "object"' "$2" >/dev/null 2>&1; then
		fail "$1" "jq does not read one object: $(head -c 300 "$2")"
		return 1
	fi
	return 0
}

# expect_json NAME FILE STATUS WANT_STATUS JQ-EXPRESSION: valid JSON, the
# exit status, and the expression true on it
expect_json() {
	name="$1" file="$2" got="$3" want="$4" expr="$5"
	valid "$name" "$file" || return
	if [ "$got" -ne "$want" ]; then
		fail "$name" "exit status $got, expected $want; $(head -c 300 "$file" | tr '\n' ' ')"
	elif ! jq -e "$expr" "$file" >/dev/null 2>&1; then
		fail "$name" "not true: $expr; in $(jq -c . "$file" | head -c 600)"
	else
		pass "$name"
	fi
}

# ---- images: verify --json -------------------------------------------------

test_verify_json() {
	sample="$repo/format/tests/data/sample.ferry"
	if [ ! -f "$sample" ]; then
		skip verify-json "no $sample"
		return
	fi
	"$ferry" verify --json "$sample" >"$tmp/v.json" 2>/dev/null
	expect_json verify-json-ok "$tmp/v.json" $? 0 \
		".ok == true and .chunk_count == $(od -An --endian=little -tu4 -j 36 -N4 "$sample" | tr -d ' ')"
	cp "$sample" "$tmp/bad.ferry"
	printf '\377' | dd of="$tmp/bad.ferry" bs=1 seek=96 conv=notrunc status=none
	"$ferry" verify --json "$tmp/bad.ferry" >"$tmp/v.json" 2>/dev/null
	expect_json verify-json-bad "$tmp/v.json" $? 1 \
		'.ok == false and .part == "header" and (.reason | length > 0) and .chunk == null'
	"$ferry" verify --json "$tmp/missing.ferry" >"$tmp/v.json" 2>/dev/null
	expect_json verify-json-missing-file "$tmp/v.json" $? 1 \
		'.ok == false and .part == "file" and (.reason | test("No such file"))'
}

# ---- netlock --json in a network namespace of its own -----------------------

test_netlock_json() {
	if ! unshare -n true 2>/dev/null; then
		skip netlock-json "cannot create a network namespace (unshare -n)"
		return
	fi
	unshare -n sh -c 'ip rule add priority 0 from 10.1.2.3 to 10.4.5.6 ipproto tcp \
		sport 1234 dport 80 blackhole protocol 70 &&
		"$0" netlock --json >"$1/list.json"; echo $? >"$1/list.rc"
		"$0" netlock --release --json >"$1/release.json"; echo $? >"$1/release.rc"
		"$0" netlock --json >"$1/after.json"; echo $? >"$1/after.rc"' "$ferry" "$tmp" \
		2>"$tmp/netlock.err"
	if [ ! -s "$tmp/list.rc" ]; then
		fail netlock-json "the lock's rule could not be set up: $(head -c 300 "$tmp/netlock.err")"
		return
	fi
	expect_json netlock-json-lists "$tmp/list.json" "$(cat "$tmp/list.rc")" 0 \
		'.rule_protocol == 70 and .connections == [{"family": "ipv4",
		"peer": "10.1.2.3:1234", "local": "10.4.5.6:80"}] and .other_rules == 0'
	expect_json netlock-json-release "$tmp/release.json" "$(cat "$tmp/release.rc")" 0 '.removed == 1'
	expect_json netlock-json-released "$tmp/after.json" "$(cat "$tmp/after.rc")" 0 '.connections == []'
}

# ---- the sandbox -------------------------------------------------------------

# sandbox CMD...: CMD as root of new user, PID and mount namespaces (root
# mapped to root, setgroups allowed, so a restore can set groups)
sandbox() {
	fifo="$tmp/sandbox.fifo"
	rm -f "$fifo"
	mkfifo "$fifo" || return 1
	unshare -U -p -f --mount-proc sh -c 'read go <"$0" && exec "$@"' "$fifo" "$@" &
	sandbox_pid=$!
	i=0
	while [ "$(readlink /proc/$sandbox_pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || break
		sleep 0.1
	done
	if echo "0 0 1" >/proc/$sandbox_pid/uid_map && echo "0 0 1" >/proc/$sandbox_pid/gid_map; then
		echo go >"$fifo"
	else
		kill $sandbox_pid 2>/dev/null
	fi
	wait $sandbox_pid
}

# What runs inside: a region of 16 MiB at 4 GiB in a sparse file, reserved
# in a made-up /proc/iomem; a "kernel" that is no kernel, loaded by a
# kexec-tools that is /bin/true (kexec_file_load is refused in the sandbox).
cat >"$tmp/inside.sh" <<'EOF'
set -u
ferry="$1" tmp="$2"
export FERRY_DEVMEM="$tmp/mem" FERRY_IOMEM="$tmp/iomem" FERRY_STATE_DIR="$tmp/state" \
	FERRY_CMDLINE='memmap=16M$0x100000000 ferry.region=16M@0x100000000' FERRY_KEXEC_TOOL=/bin/true
truncate -s $((0x101000000)) "$tmp/mem"
printf '00000000-0009fbff : System RAM\n100000000-100ffffff : Reserved\n' >"$tmp/iomem"
echo "not a kernel" >"$tmp/vmlinuz"

# a process with nothing open but /dev/null, and one whose stdout is a
# pipe to another process (which ferry refuses); nothing else inherited
# (the test lock's descriptor, say)
python3 -c 'import os; os.closerange(3, 65536); os.execvp("sleep", ["sleep", "600"])' \
	</dev/null >/dev/null 2>&1 &
alone=$!
python3 -c 'import os, sys
os.closerange(3, 65536)
open(sys.argv[1] + "/piped", "w").write(str(os.getpid()))
os.execvp("sleep", ["sleep", "600"])' "$tmp" </dev/null 2>/dev/null | cat >/dev/null &
until [ "$(cat /proc/$alone/comm)" = sleep ] && [ -s "$tmp/piped" ] &&
	[ "$(cat "/proc/$(cat "$tmp/piped")/comm")" = sleep ]; do sleep 0.05; done
piped=$(cat "$tmp/piped")

"$ferry" check --json --pid "$piped" >"$tmp/check-refused.json" 2>"$tmp/check.err"
echo $? >"$tmp/check-refused.rc"
# in a network namespace of its own: refused by the inventory, before any freeze
python3 -c 'import os; os.closerange(3, 65536); os.execvp("unshare", ["unshare", "--net", "sleep", "600"])' \
	</dev/null >/dev/null 2>&1 &
own_net=$!
until [ "$(cat /proc/$own_net/comm)" = sleep ]; do sleep 0.05; done
"$ferry" check --json --no-freeze --pid "$own_net" >"$tmp/check-inventory.json" 2>>"$tmp/check.err"
echo $? >"$tmp/check-inventory.rc"
"$ferry" check --json --pid "$alone" >"$tmp/check-ok.json" 2>>"$tmp/check.err"
echo $? >"$tmp/check-ok.rc"

"$ferry" update --json --kernel "$tmp/vmlinuz" --via kexec --pid "$piped" \
	>"$tmp/update-refused.json" 2>"$tmp/update-refused.err"
echo $? >"$tmp/update-refused.rc"
"$ferry" update --json --kernel "$tmp/vmlinuz" --via kexec --pid "$alone" \
	>"$tmp/update-failed.json" 2>"$tmp/update-failed.err"
echo $? >"$tmp/update-failed.rc"
kill -0 "$alone" && echo yes >"$tmp/alive-after-update"

"$ferry" status --json --history >"$tmp/status.json" 2>"$tmp/status.err"
echo $? >"$tmp/status.rc"
"$ferry" status --history >"$tmp/history.txt" 2>>"$tmp/status.err"

# a name full of escapes, quotes and bytes that are not UTF-8, checkpointed
# with --kill and restored: restore --json must still be JSON
python3 -c '
import ctypes, os, signal
os.closerange(3, 65536)
ctypes.CDLL(None).prctl(15, b"\xff\x1b]0;\x07\"q\\\xc0\x80", 0, 0, 0)
signal.pause()' </dev/null >/dev/null 2>&1 &
odd=$!
until [ "$(od -An -tu1 -N1 /proc/$odd/comm | tr -d ' ')" = 255 ]; do sleep 0.05; done
"$ferry" checkpoint --pid "$odd" -o "$tmp/odd.ferry" --kill >"$tmp/odd.log" 2>&1 &&
	"$ferry" restore --json "$tmp/odd.ferry" >"$tmp/restore.json" 2>>"$tmp/odd.log"
echo $? >"$tmp/restore.rc"
kill "$odd" 2>/dev/null
EOF

test_sandboxed() {
	if ! unshare -U -p -f --mount-proc true 2>/dev/null; then
		for t in check-json-refused check-json-refused-by-inventory check-json-ok update-json-refused update-json-after-no-return \
			status-json-history restore-json-odd-name; do
			skip "$t" "cannot create user and PID namespaces (unshare -U -p) to run it apart"
		done
		return
	fi
	sandbox sh "$tmp/inside.sh" "$ferry" "$tmp" >"$tmp/inside.log" 2>&1
	if [ ! -s "$tmp/status.rc" ]; then
		fail machine-sandbox "the sandboxed run stopped early: $(tail -c 400 "$tmp/inside.log")"
		return
	fi
	expect_json check-json-refused "$tmp/check-refused.json" "$(cat "$tmp/check-refused.rc")" 3 \
		'.checkpointable == false and .inventory_only == false and
		([.messages[] | select(.level == "error" and (.text | test("pipe")))] | length > 0)'
	expect_json check-json-refused-by-inventory "$tmp/check-inventory.json" \
		"$(cat "$tmp/check-inventory.rc")" 3 \
		'.checkpointable == false and .inventory_only == true and
		([.messages[] | select(.text | test("network namespace"))] | length > 0)'
	expect_json check-json-ok "$tmp/check-ok.json" "$(cat "$tmp/check-ok.rc")" 0 \
		'.checkpointable == true and .messages == [] and .selection.tree == false'
	expect_json update-json-refused "$tmp/update-refused.json" "$(cat "$tmp/update-refused.rc")" 3 \
		'.exit_status == 3 and .nothing_changed == true and .record.outcome == "refused" and
		.record.past_point_of_no_return == false and (.record.reason | test("pipe")) and
		.record.stamps_us.freeze == null'
	# the image was sealed and the kexec issued: reboot() came back (no
	# kernel is loaded, and no capability over the machine)
	expect_json update-json-after-no-return "$tmp/update-failed.json" \
		"$(cat "$tmp/update-failed.rc")" 4 \
		'.exit_status == 4 and .nothing_changed == false and .record.outcome == "failed" and
		.record.past_point_of_no_return == true and (.record.reason | test("^kexec failed")) and
		.record.image_bytes > 0 and .record.phases_ms.write >= 0 and
		.record.stamps_us.kexec >= .record.stamps_us.sealed'
	if [ -s "$tmp/alive-after-update" ]; then
		pass update-after-no-return-thawed
	else
		fail update-after-no-return-thawed "the process did not live through the failed kexec"
	fi
	expect_json status-json-history "$tmp/status.json" "$(cat "$tmp/status.rc")" 0 \
		'.region.state == "empty" and .region.address == "0x100000000" and
		.last_update.outcome == "failed" and (.history | length) == 2 and
		.history[0].outcome == "failed" and .history[0].past_point_of_no_return and
		.history[1].outcome == "refused" and
		.history[0].stamps_us.start > .history[1].stamps_us.start'
	if grep -q '^history: 2 updates' "$tmp/history.txt" &&
		grep -q 'failed .*(kexec failed' "$tmp/history.txt"; then
		pass status-history-text
	else
		fail status-history-text "$(head -c 400 "$tmp/history.txt")"
	fi
	expect_json restore-json-odd-name "$tmp/restore.json" "$(cat "$tmp/restore.rc")" 0 \
		'(.processes | length) == 1 and (.processes[0].comm | startswith("\ufffd\u001b]0;\u0007\"q\\"))'
}

# ---- ferry-init's log: /dev/kmsg, and none ----------------------------------

# ferry-init with no region on the command line, in a mount namespace whose
# /dev is a tmpfs: once with /dev/kmsg a FIFO read into a file (each record
# as the kernel would get it), once without it
test_init_kmsg() {
	init="$(cd "$build/bin" && pwd)/ferry-init"
	if ! unshare -m true 2>/dev/null; then
		skip init-kmsg-records "cannot create a mount namespace (unshare -m)"
		skip init-without-kmsg "cannot create a mount namespace (unshare -m)"
		return
	fi
	for kmsg in fifo none; do
		unshare -m sh -c 'mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 || exit 99
			if [ "$2" = fifo ]; then
				mkfifo /dev/kmsg && cat /dev/kmsg >"$1/kmsg.$2" &
				sleep 0.2
			fi
			FERRY_CMDLINE="ferry.log=$1/init.$2.log" "$0" -- /bin/sh -c "echo the real init"
			' "$init" "$tmp" "$kmsg" >"$tmp/init.$kmsg.out" 2>"$tmp/init.$kmsg.err"
		echo $? >"$tmp/init.$kmsg.rc"
	done
	if [ "$(cat "$tmp/init.fifo.rc")" = 0 ] &&
		grep -qx '<6>ferry-init: no ferry.region= on the command line: nothing to restore' \
			"$tmp/kmsg.fifo" 2>/dev/null &&
		grep -qx 'the real init' "$tmp/init.fifo.out"; then
		pass init-kmsg-records
	else
		fail init-kmsg-records "status $(cat "$tmp/init.fifo.rc"); records: $(head -c 300 \
			"$tmp/kmsg.fifo" 2>&1); stderr: $(head -c 300 "$tmp/init.fifo.err")"
	fi
	if [ "$(cat "$tmp/init.none.rc")" = 0 ] && grep -qx 'the real init' "$tmp/init.none.out" &&
		[ "$(grep -c 'cannot open /dev/kmsg' "$tmp/init.none.err")" = 1 ] &&
		grep -q 'nothing to restore' "$tmp/init.none.log"; then
		pass init-without-kmsg
	else
		fail init-without-kmsg "status $(cat "$tmp/init.none.rc"); stderr: $(head -c 300 \
			"$tmp/init.none.err"); out: $(head -c 100 "$tmp/init.none.out")"
	fi
}

# ferry-init --root DIR as the initramfs scripts run it (boot/): it binds
# /dev, /proc, /sys and /run onto DIR's, works there (its log lands in the
# /run bound in) and leaves nothing mounted on DIR when it returns
test_init_root() {
	init="$(cd "$build/bin" && pwd)/ferry-init"
	if ! unshare -m true 2>/dev/null; then
		skip init-root "cannot create a mount namespace (unshare -m)"
		return
	fi
	mkdir -p "$tmp/newroot/dev" "$tmp/newroot/proc" "$tmp/newroot/sys" "$tmp/newroot/run"
	unshare -m sh -c 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /dev &&
		mknod -m 666 /dev/null c 1 3 || exit 99
		FERRY_CMDLINE="ferry.log=/run/ferry/root.log" "$0" --root "$1/newroot"
		echo $? >"$1/root.rc"
		cp /run/ferry/root.log "$1/root.log"
		grep " $1/newroot/" /proc/self/mounts >"$1/root.mounts"
		true' "$init" "$tmp" >"$tmp/root.out" 2>&1
	if [ "$(cat "$tmp/root.rc" 2>/dev/null)" = 0 ] &&
		grep -q 'nothing to restore' "$tmp/root.log" 2>/dev/null && [ ! -s "$tmp/root.mounts" ]; then
		pass init-root
	else
		fail init-root "status $(cat "$tmp/root.rc" 2>&1); log: $(head -c 200 "$tmp/root.log" 2>&1); \
still mounted: $(head -c 200 "$tmp/root.mounts" 2>&1); $(head -c 300 "$tmp/root.out")"
	fi
}

test_machine() {
	if ! command -v python3 >/dev/null 2>&1; then
		fail machine "python3 is needed (make deps)"
		return
	fi
	test_verify_json
	test_netlock_json
	test_sandboxed
	test_init_kmsg
	test_init_root
}
