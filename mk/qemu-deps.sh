#!/bin/sh
# Install what the QEMU test tier needs on the host (Debian 12), only what is
# missing, and make sure apt knows bookworm-backports (for the 6.12 guest
# kernel). What only the guest runs (busybox-static, kexec-tools, kernels)
# is not installed here: qemu-tests/ fetches those with `apt-get download`
# and unpacks them under build/, so the host keeps its own busybox (which
# busybox-static would replace) and never gets kexec-tools' boot hooks.
# Usage: mk/qemu-deps.sh        (as root when something is missing)
set -eu

qemu_pkgs="qemu-system-x86 cpio e2fsprogs dpkg-dev zstd xz-utils gzip kmod"

bpo_list=/etc/apt/sources.list.d/ferry-bookworm-backports.sources
need_update=0
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "qemu-deps: need a bookworm-backports apt entry; run as root" >&2
		exit 1
	fi
	cat >"$bpo_list" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi

missing=""
for p in $qemu_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ] || [ "$need_update" = 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "qemu-deps: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	apt-get update -qq
	if [ -n "$missing" ]; then
		echo "qemu-deps: installing:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
fi
exit 0
