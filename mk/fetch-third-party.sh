#!/bin/sh
# Fetch the sources of zlib, libfdt and mbedTLS from Debian's archive
# (apt-get source) for the freestanding builds, cached under build/.
# libfdt comes from u-boot's source package: the device-tree-compiler
# source is not always served, and u-boot carries the same libfdt.
# Usage: mk/fetch-third-party.sh BUILD_DIR
set -eu
mkdir -p "$1"

build="$(cd "$1" && pwd)"
cache="$build/cache/src"
out="$build/third_party"
stamp="$out/.complete"

[ -f "$stamp" ] && exit 0
mkdir -p "$cache" "$out"
cd "$cache"

fetch() {
	ls "$1"_*.orig.tar.* >/dev/null 2>&1 && return 0
	echo "fetch: apt-get source $1"
	apt-get source --download-only -qq "$1" >/dev/null 2>&1 ||
		{ echo "fetch: 'apt-get source $1' failed: is there a deb-src entry? (make deps)" >&2; exit 1; }
}

fetch zlib
fetch mbedtls
fetch u-boot

rm -rf "$out/zlib" "$out/mbedtls" "$out/libfdt"
mkdir -p "$out/zlib" "$out/mbedtls" "$out/libfdt" "$out/tmp"

tar -xf zlib_*.orig.tar.* -C "$out/tmp"
cp "$out"/tmp/zlib-*/*.[ch] "$out/zlib/"

tar -xf mbedtls_*.orig.tar.* -C "$out/tmp"
m=$(ls -d "$out"/tmp/*mbedtls*/ | head -n 1)
cp -r "$m/include" "$out/mbedtls/"
mkdir -p "$out/mbedtls/library"
cp "$m"/library/*.[ch] "$out/mbedtls/library/"

tar -xf u-boot_*.orig.tar.* -C "$out/tmp" --wildcards '*/scripts/dtc/libfdt/*'
cp "$out"/tmp/u-boot-*/scripts/dtc/libfdt/*.[ch] "$out/libfdt/"

rm -rf "$out/tmp"
touch "$stamp"
