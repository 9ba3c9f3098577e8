#!/bin/sh
# Install what building and testing ferry needs on Debian 12, only what is
# missing. Usage: mk/deps.sh [build|test]   (test is a superset of build)
set -eu
deps_label=deps
# shellcheck source=mk/deps-lib.sh
. "$(dirname "$0")/deps-lib.sh"

# binutils-source ships the zlib sources that the freestanding builds compile
# (mk/third-party.sh); gnu-efi builds ferry.efi
build_pkgs="gcc make libc6-dev zlib1g-dev libfdt-dev libmbedtls-dev libdeflate-dev gnu-efi binutils-source xz-utils"
# build-essential, debhelper, lintian, initramfs-tools: the packaging tier
# (mk/test-package.sh; mkinitramfs and lsinitramfs for boot/); sqlite3: the
# host test of file locks (kernel-glue/tests/sqlite_lock.sh); mmdebstrap: the
# Debian guest of the debian tier (qemu-tests/debian/build-image.sh);
# nginx-light: the host test and bench of Debian's nginx (kernel-glue/tests/nginx.sh,
# kernel-glue/bench/bench_apps.sh); postgresql-15: the host test and bench of
# Debian's PostgreSQL (kernel-glue/tests/postgres.sh, the same bench)
test_pkgs="clang libclang-rt-14-dev device-tree-compiler jq python3 procps busybox iproute2 memcached \
redis-server redis-tools tmux dpkg-dev build-essential debhelper lintian initramfs-tools sqlite3 \
mmdebstrap nginx-light postgresql-15"

pkgs="$build_pkgs"
[ "${1:-build}" = test ] && pkgs="$pkgs $test_pkgs"

# shellcheck disable=SC2086 # one word per package
deps_install $pkgs
