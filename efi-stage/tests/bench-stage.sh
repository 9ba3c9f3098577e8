#!/bin/bash
# make bench-stage: stage verify + inflate of the same image on the host and
# inside OVMF (QEMU TCG, timed by ferry.efi with the TSC calibrated against
# gBS->Stall), their ratio, and the time ferry.efi adds to the boot.
set -u
build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/run-efi-tier.sh" "$build" --prepare-only || exit 1
host=$("$build/bench/bench-stage") || { echo "bench-stage: host run failed"; exit 1; }
echo "$host"
out=$("$here/run-efi-scenario" --build "$build" efi-expand)
echo "$out" | grep -E '^(TIME|PASS|FAIL)'
line=$(echo "$out" | grep 'stage: expanded' | head -n 1)
ov=$(echo "$line" | sed -n 's/.*verify \([0-9]*\) us, inflate \([0-9]*\) us.*/\1 \2/p')
hv=$(echo "$host" | sed -n 's/.*verify \([0-9]*\) us inflate \([0-9]*\) us staged \([0-9]*\) expanded \([0-9]*\).*/\1 \2 \3 \4/p')
set -- $ov $hv
[ $# -eq 6 ] || { echo "bench-stage: could not read the numbers"; exit 1; }
awk -v ov="$1" -v oi="$2" -v hv="$3" -v hi="$4" -v st="$5" -v ex="$6" 'BEGIN {
	printf "image: %.1f MiB staged, %.1f MiB expanded\n", st / 1048576, ex / 1048576
	printf "host:  verify %.1f ms, inflate %.1f ms, %.0f MiB/s expanded\n", hv / 1e3, hi / 1e3, ex / 1048576 / ((hv + hi) / 1e6)
	printf "OVMF:  verify %.1f ms, inflate %.1f ms, %.0f MiB/s expanded (QEMU TCG)\n", ov / 1e3, oi / 1e3, ex / 1048576 / ((ov + oi) / 1e6)
	printf "ratio OVMF/host (verify+inflate time): %.1fx\n", (ov + oi) / (hv + hi)
}'
echo "$out" | grep 'ferry.efi stage took' | sed 's/^TIME: efi-expand ferry.efi /time ferry.efi adds before starting the kernel: /'
