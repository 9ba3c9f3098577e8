#!/bin/bash
# make bench-update: in one QEMU run (TCG), the downtime of `ferry update`
# (6.1 -> 6.12 by kexec) of memcached holding BENCH_MIB (default 256) MiB
# stored by a client on the host (or, with BENCH_APP=guest-app or without
# memcached, a program holding that much), then, on the same guest, a plain
# reboot (kexec into the same 6.12, no ferry) followed by a cold start of
# the same program (its state lost).
#
# Guest-side numbers come from `ferry status` (TSC across the kexec);
# host-side wall times come from when serial console lines arrive.
#
# Usage: qemu-tests/bench-update.sh BUILD_DIR
# Env:   BENCH_MIB (256), BENCH_LEVEL (zlib level of the image, 0: stored, as ferry update does),
#        BENCH_PRECOPY=1 (ferry update --pre-copy)
set -u

build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
mib="${BENCH_MIB:-256}"
level="${BENCH_LEVEL:-0}"
precopy="${BENCH_PRECOPY:-0}"
name=bench-update-generic-bpo
log="$build/qemu/logs/$name.log"
stamps="$build/qemu/bench-update.stamps"

rm -f "$log"
app="${BENCH_APP:-memcached}"
[ -x /usr/bin/memcached ] || app=guest-app
netargs=()
if [ "$app" = memcached ]; then
	# values of 256 KiB stored by the client on the host, through user networking
	netargs=(--net "tcp:127.0.0.1:39213-:11211"
		--client "$here/memcached-client.py 39213 $((mib * 4)) 262144")
fi
"$here/run-scenario" --build "$build" --timeout 1200 --mem 2G --region 768M@0x40000000 \
	"${netargs[@]}" --append "ferry.bench_mib=$mib ferry.bench_level=$level ferry.bench_app=$app ferry.bench_precopy=$precopy" \
	"$name" generic >"$build/qemu/bench-update.out" 2>&1 &
runner=$!
for _ in $(seq 100); do [ -e "$log" ] && break; sleep 0.1; done
: >"$stamps"
tail -n +1 -F --pid="$runner" "$log" 2>/dev/null | while IFS= read -r line; do
	line=${line%$'\r'}
	case "$line" in
	BENCH:* | "ferry update: freezing"* | "ferry update: pre-copy: "*[0-9]*" during it"* | "ferry-init: restored pid"* | FERRY-INIT:* | "ferry update: image sealed"* | FERRY-MEMCACHED:*)
		echo "$(date +%s.%N) $line" >>"$stamps"
		case "$line" in BENCH:\ status*) ;; *) echo "  $line" ;; esac
		;;
	esac
done
wait "$runner"
rc=$?
cat "$build/qemu/bench-update.out" | grep -E '^(PASS|FAIL|SKIP)'
[ "$rc" -eq 0 ] || { tail -n 30 "$build/qemu/bench-update.out"; exit 1; }

at() { grep -m1 -F "$1" "$stamps" | cut -d' ' -f1; }
wall() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%8.0f ms", (b - a) * 1000 }'; }
field() { sed -n "s/^[0-9.]* BENCH: status   $1 *\([0-9]*\) ms.*/\1/p" "$stamps"; }

echo
echo "== update of $app holding $mib MiB of data: 6.1 -> 6.12 by kexec, image level $level$([ "$precopy" = 1 ] && echo ", --pre-copy") (QEMU TCG, 1 vCPU, 2 GiB)"
grep -m1 -F 'ferry update: pre-copy: ' "$stamps" | sed 's/^[0-9.]* ferry update: /  /'
grep -F 'BENCH: status   image' "$stamps" | sed 's/^[0-9.]* BENCH: status  /  /'
for p in freeze write sync+kexec "kernel switch" restore downtime; do
	printf '  %-34s %8s ms\n' "$p" "$(field "$p")"
done
printf '  %-34s %s\n' "host wall: freezing -> restored" \
	"$(wall "$(at 'ferry update: freezing')" "$(at 'ferry-init: restored pid')")"
echo "== plain reboot (kexec into 6.12, no ferry) + cold start of $app (its data lost)"
printf '  %-34s %s\n' "host wall: reboot -> app ready" \
	"$(wall "$(at 'BENCH: plain-reboot-begin')" "$(at 'BENCH: app-ready-again')")"
printf '  %-34s %8s ms\n' "of which the cold start (guest)" \
	"$(grep -m1 'BENCH: cold-start-2' "$stamps" | sed 's/.*cold-start-2 \([0-9]*\) ms.*/\1/')"
grep -h 'client|' "$build/qemu/bench-update.out" | sed 's/^ *client| /  host /'
[ "$app" = memcached ] || echo "  (guest-app rebuilds its data at start; a cache would start empty)"
