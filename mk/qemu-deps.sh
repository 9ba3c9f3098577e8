#!/bin/sh
# Install what the QEMU test tier needs on the host (Debian 12), only what is
# missing, and make sure apt knows bookworm-backports (for the 6.12 guest
# kernel). What only the guest runs (busybox-static, kexec-tools, kernels)
# is not installed here: qemu-tests/ fetches those with `apt-get download`
# and unpacks them under build/, so the host keeps its own busybox (which
# busybox-static would replace) and never gets kexec-tools' boot hooks.
# Usage: mk/qemu-deps.sh        (as root when something is missing)
set -eu
deps_label=qemu-deps
# shellcheck source=mk/deps-lib.sh
. "$(dirname "$0")/deps-lib.sh"

deps_apt_source ferry-bookworm-backports.sources deb bookworm-backports 'bookworm-backports'
deps_install qemu-system-x86 cpio e2fsprogs dpkg-dev zstd xz-utils gzip kmod
