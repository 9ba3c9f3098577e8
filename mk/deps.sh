#!/bin/sh
# Install what building and testing ferry needs on Debian 12, only what is
# missing. Usage: mk/deps.sh [build|test]   (test is a superset of build)
set -eu

want="${1:-build}"

build_pkgs="gcc make libc6-dev zlib1g-dev libfdt-dev libmbedtls-dev dpkg-dev xz-utils bzip2"
test_pkgs="clang libclang-rt-14-dev device-tree-compiler jq python3 busybox iproute2 memcached redis-server redis-tools tmux"

pkgs="$build_pkgs"
[ "$want" = test ] && pkgs="$pkgs $test_pkgs"

# The freestanding builds compile zlib, libfdt and mbedTLS from Debian's own
# source packages, so apt needs a deb-src entry for bookworm.
src_list=/etc/apt/sources.list.d/ferry-deb-src.sources
need_update=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need a deb-src entry for bookworm; run as root" >&2
		exit 1
	fi
	cat >"$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ] || [ "$need_update" = 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
		exit 1
	fi
	echo "deps: installing:$missing"
	apt-get update -qq
	[ -n "$missing" ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
exit 0
