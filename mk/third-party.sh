#!/bin/sh
# Unpack zlib's sources for the freestanding builds (the format core's link
# check and ferry.efi) from Debian's binutils-source, which ships them
# (/usr/src/binutils/binutils-*.tar.xz, zlib/; mk/deps.sh installs it), with
# no network. libfdt and mbedTLS's SHA-256 are in third_party/ (no Debian
# binary package ships them: third_party/README.md). BUILD_DIR/third_party/
# .complete names the binutils-source version unpacked; a new version
# unpacks again.
# Usage: mk/third-party.sh BUILD_DIR
set -eu
mkdir -p "$1"
build="$(cd "$1" && pwd)"
out="$build/third_party"
stamp="$out/.complete"
mbedtls_series=2.28

die() {
	echo "third-party: $*" >&2
	exit 1
}

# zlib 1.2.12's CVE-2022-37434 is only reachable through inflateGetHeader()
if grep -rqs inflateGetHeader format efi-stage; then
	die "format/ or efi-stage/ calls inflateGetHeader(): binutils-source's zlib 1.2.12 has CVE-2022-37434 there"
fi

mbedtls_have=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\([0-9]*\.[0-9]*\)\..*/\1/p' \
	/usr/include/mbedtls/version.h 2>/dev/null || true)
[ -n "$mbedtls_have" ] || die "libmbedtls-dev is not installed (make deps installs it)"
[ "$mbedtls_have" = "$mbedtls_series" ] ||
	die "libmbedtls-dev is $mbedtls_have, third_party/mbedtls is $mbedtls_series: headers and sources must be one series"

version=$(dpkg-query -W -f='${Version}' binutils-source 2>/dev/null || true)
[ -n "$version" ] || die "the package binutils-source is not installed (make deps installs it)"
tarball=$(ls /usr/src/binutils/binutils-*.tar.xz 2>/dev/null | head -n 1 || true)
[ -n "$tarball" ] || die "binutils-source ships no /usr/src/binutils/binutils-*.tar.xz (reinstall it)"
want="binutils-source $version"

[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0

echo "third-party: unpacking zlib from $tarball"
rm -rf "$out"
mkdir -p "$out/zlib" "$out/tmp"
tar -xJf "$tarball" -C "$out/tmp" --wildcards '*/zlib/*.[ch]'
cp "$out"/tmp/binutils-*/zlib/*.[ch] "$out/zlib/"
rm -rf "$out/tmp"
printf '%s\n' "$want" >"$stamp"
