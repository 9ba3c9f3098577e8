#!/bin/sh
# Install what building ferry.efi and its QEMU/OVMF tests needs on Debian 12,
# only what is missing. Usage: efi-stage/deps.sh   (as root when something is missing)
set -eu

pkgs="gnu-efi ovmf mtools dosfstools efibootmgr fdisk"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "efi-stage deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "efi-stage deps: installing:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
