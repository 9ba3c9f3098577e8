#!/bin/bash
# make demo: the appliance in QEMU (TCG) on Debian's 6.1 kernel running
# memcached, filled by a client on this host through QEMU user networking,
# and an application that counts and holds 64 MiB of data; `ferry update`
# to 6.12 through kexec; both go on (the client on its same connection),
# and the downtime.
#
# Usage: qemu-tests/demo.sh BUILD_DIR   (after make all qemu-images)
set -u

build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
name=demo-generic-bpo
log="$build/qemu/logs/$name.log"
bold="" plain=""
if [ -t 1 ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
fi

say() { printf '%s\n' "$*"; }
phase() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

phase "phase 1: built: ferry, ferry-init, Debian kernels 6.1 and 6.12, the guest ($build/qemu)"
say "booting the appliance under QEMU (TCG, no KVM): kernel 6.1, a 128 MiB marked region"
say "(memmap=128M\$0x30000000 ferry.region=128M@0x30000000), a persistent disk for the app"

rm -f "$log"
port=39212
"$here/run-scenario" --build "$build" --timeout 400 --region 128M@0x30000000 \
	--net "tcp:127.0.0.1:$port-:11211" "$name" generic >"$build/qemu/demo.out" 2>&1 &
runner=$!
# the memcached client on this host, through QEMU's user networking
go="$build/qemu/demo.client-go"
rm -f "$go"
FERRY_CLIENT_GO="$go" python3 "$here/memcached-client.py" "$port" 2000 2>&1 |
	sed -u 's/^client: /  [host client] /' &
client=$!
# run-scenario truncates the log before QEMU starts
for _ in $(seq 100); do [ -e "$log" ] && break; sleep 0.1; done

tail -n +1 -F --pid="$runner" "$log" 2>/dev/null | while IFS= read -r line; do
	line=${line%$'\r'}
	case "$line" in
	DEMO:\ phase*) phase "${line#DEMO: }" ;;
	DEMO:*) say "  ${line#DEMO: }" ;;
	"FERRY-INIT: kernel"*) say "  [boot] Linux ${line#FERRY-INIT: kernel } reached init" ;;
	"ferry update: "*) say "  [ferry] ${line#ferry update: }" ;;
	"ferry-init: "*) say "  [ferry-init] ${line#ferry-init: }" ;;
	"FERRY-KEXEC: jumping"*) say "  [kexec] leaving the old kernel; the application is frozen in the region" ;;
	"guest-app "*": count "*) say "  [app] ${line#guest-app }" ;;
	FERRY-MEMCACHED:*) say "  [memcached] ${line#FERRY-MEMCACHED: }" ;;
	FERRY-CLIENT-GO*) touch "$go" ;;
	esac
done
wait "$runner"
rc=$?
kill "$client" 2>/dev/null
phase "result"
grep -E '^(PASS|FAIL|TIME)' "$build/qemu/demo.out" | grep -v 'kexec-to-init\|boot-to-init' | sed 's/^/  /'
say "  serial console: $log"
exit "$rc"
