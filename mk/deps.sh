#!/bin/sh
# Install what building and testing ferry needs on Debian 12, only what is
# missing. Usage: mk/deps.sh [build|test]   (test is a superset of build)
set -eu
deps_label=deps
# shellcheck source=mk/deps-lib.sh
. "$(dirname "$0")/deps-lib.sh"

build_pkgs="gcc make libc6-dev zlib1g-dev libfdt-dev libmbedtls-dev dpkg-dev xz-utils bzip2"
test_pkgs="clang libclang-rt-14-dev device-tree-compiler jq python3 busybox iproute2 memcached redis-server redis-tools tmux"

pkgs="$build_pkgs"
[ "${1:-build}" = test ] && pkgs="$pkgs $test_pkgs"

# The freestanding builds compile zlib, libfdt and mbedTLS from Debian's own
# source packages, so apt needs a deb-src entry for bookworm.
deps_apt_source ferry-deb-src.sources deb-src bookworm '^(Types:.*deb-src|deb-src)'
# shellcheck disable=SC2086 # one word per package
deps_install $pkgs
