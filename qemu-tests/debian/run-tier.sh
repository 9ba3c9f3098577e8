#!/bin/bash
# The Debian tier of `make test`: the Debian 12 guest with systemd as PID 1
# (build-image.sh), booted under QEMU (TCG) once per scenario; each scenario
# is a step of guest/ferry-test, which prints its verdict on the serial
# console (qemu-tests/lib/console.sh reads it).
#
# Usage: qemu-tests/debian/run-tier.sh BUILD_DIR
# Env:   DEBIAN_SCENARIOS "name ..." to run a subset
set -u
build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mk/verdict.sh
. "$here/../../mk/verdict.sh"
out="$build/qemu/debian"
mkdir -p "$out"
exec 9>"$out/.tier.lock"
flock -w 900 9 || { verdict_fail debian-lock "another Debian tier held $out/.tier.lock"; exit 1; }

if ! sh "$here/build-image.sh" "$build" >"$out/build.log" 2>&1; then
	verdict_fail_log debian-image "building the Debian guest failed" "$out/build.log"
	exit 1
fi
verdict_pass debian-image

# NAME FLAVOR [PORT]: the scenarios, each a step of guest/ferry-test; with
# PORT, memcached in the guest listens there for a client on the host
# (qemu-tests/memcached-client.py, through QEMU's user networking), told to
# read its keys back when the guest prints FERRY-CLIENT-GO
scenarios="debian-units-check generic
debian-journal-stream generic
debian-unit-adopt generic 11311"
client_port=39411

status=0
while read -r name flavor port; do
	[ -n "$name" ] || continue
	if [ -n "${DEBIAN_SCENARIOS:-}" ] && ! printf ' %s ' "$DEBIAN_SCENARIOS" | grep -q " $name "; then
		continue
	fi
	run="$out/run/$name"
	rm -rf "$run"
	mkdir -p "$run"
	cp --sparse=always "$out/debian.img" "$run/debian.img"
	log="$run/console.log"
	: >"$log"
	append="root=/dev/vda rw console=ttyS0 panic=-1 ferry.test=$name ferry.step=1"
	append="$append memmap=64M\$0x30000000 ferry.region=64M@0x30000000"
	nic="user,model=virtio-net-pci"
	[ -z "$port" ] || nic="$nic,hostfwd=tcp:127.0.0.1:$client_port-:$port"
	(
		# shellcheck source=qemu-tests/lib/console.sh
		. "$here/../lib/console.sh"
		expect_panic=0
		console_name=$name console_log=$log console_qemu_out=$run/qemu.out
		console_start=$(console_now)
		qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G -nodefaults -no-reboot \
			-display none -monitor none -serial "file:$log" \
			-kernel "$out/vmlinuz-$flavor" -initrd "$out/initrd.img-$flavor" -append "$append" \
			-drive "file=$run/debian.img,if=virtio,format=raw" \
			-nic "$nic" >"$run/qemu.out" 2>&1 &
		qpid=$!
		cpid=""
		if [ -n "$port" ]; then
			HOSTFWD_PORT=$client_port FERRY_CLIENT_GO="$run/client.go" \
				python3 "$here/../memcached-client.py" >"$run/client.out" 2>&1 &
			cpid=$!
		fi
		trap 'kill $qpid $cpid 2>/dev/null' EXIT
		console_hook() {
			case "$1" in
			*FERRY-CLIENT-GO*) touch "$run/client.go" ;;
			*) return 1 ;;
			esac
		}
		# a kernel switch boots the guest twice
		console_watch "$([ -n "$port" ] && echo 600 || echo 300)" 0.2
		kill "$qpid" $cpid 2>/dev/null
		wait "$qpid" $cpid 2>/dev/null
		grep -a -E '^([a-z-]+\.service( update)?|journal|FERRY-MEMCACHED|FERRY-TIME|ferry-init): ' "$log" |
			sed 's/^/   guest| /'
		[ -z "$port" ] || sed 's/^/   client| /' "$run/client.out"
		console_times
		console_result
	) || status=1
	rm -f "$run/debian.img"
done <<LIST
$(echo "$scenarios")
LIST
exit "$status"
