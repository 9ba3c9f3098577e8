#!/bin/sh
# The Debian 12 guest with systemd as PID 1 (qemu-tests/debian/README.md):
# a root file system made by mmdebstrap from Debian's archive (systemd,
# memcached and redis-server with their packaged units, initramfs-tools),
# the 6.1 and 6.12 kernels of build/cache/debs installed into it, ferry's
# own .deb (dpkg-buildpackage of the committed tree) installed with apt,
# and the test steps (guest/). The result, under BUILD/qemu/debian:
#   debian.img            the root file system (ext4, 2 GiB, sparse)
#   vmlinuz-FLAVOR        the kernels QEMU boots (generic: 6.1, bpo: 6.12)
#   initrd.img-FLAVOR     their initramfs, made in the guest by
#                         update-initramfs, with ferry's hook in it
# Each step is rebuilt only when what it is made of changed: the .deb when
# HEAD does, the file system when the .deb, the kernels or this folder do.
#
# Usage: qemu-tests/debian/build-image.sh BUILD
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$build/qemu/debian"
debs="$build/cache/debs"
mkdir -p "$out"

die() {
	echo "build-image: $*" >&2
	exit 1
}
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (make deps installs it)"
command -v mke2fs >/dev/null || die "mke2fs is not installed (e2fsprogs)"

# the kernels the busybox guests use too (qemu-tests/fetch-kernels.sh)
k61=$(ls "$debs"/linux-image-6.1.*-amd64_*.deb 2>/dev/null | grep -v cloud | head -n 1)
k612=$(ls "$debs"/linux-image-6.12.*-amd64_*.deb 2>/dev/null | head -n 1)
[ -n "$k61" ] && [ -n "$k612" ] ||
	die "the 6.1 and 6.12 kernel packages are not in $debs (make qemu-images fetches them)"

# ferry's .deb, from the committed tree
head=$(git -C "$top" rev-parse HEAD)
if [ "$(cat "$out/deb.head" 2>/dev/null)" != "$head" ]; then
	rm -rf "$out/src"
	mkdir -p "$out/src"
	git -C "$top" archive --format=tar --prefix=ferry/ HEAD | tar -xf - -C "$out/src"
	(cd "$out/src/ferry" && dpkg-buildpackage -us -uc -b) >"$out/deb.log" 2>&1 ||
		die "dpkg-buildpackage failed: $out/deb.log"
	echo "$head" >"$out/deb.head"
fi
deb=$(ls "$out"/src/ferry_*_amd64.deb | head -n 1)

# what the file system is made of
stamp=$( { sha256sum "$deb" "$k61" "$k612"; find "$here" -type f | sort | xargs sha256sum; } |
	sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/image.stamp" 2>/dev/null)" = "$stamp" ] && [ -e "$out/debian.img" ]; then
	exit 0
fi
rm -rf "$out/root" "$out/debs" "$out/debian.img" "$out/image.stamp"
mkdir -p "$out/debs"
cp "$deb" "$k61" "$k612" "$out/debs/"
# the units as Debian ships them; memcached listens on every address so that
# the host reaches it through QEMU's user network (its only change)
# the packages mmdebstrap downloads are kept under build/cache (and taken
# from there the next time)
apt_cache="$build/cache/debian-guest-archives"
mkdir -p "$apt_cache"
# mmdebstrap gives apt's Pre-Install-Pkgs hook the lowest free descriptor
# and the hook's shell (dash) redirects only to descriptors 0 to 9: with
# what make and the test runner leave open it got 11 and the download
# failed ("Bad fd number"), so mmdebstrap starts with only 0, 1 and 2 open
perl -e 'use POSIX (); POSIX::close($_) for 3 .. 1023; exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n"' \
	mmdebstrap --variant=apt --mode=root --skip=download/empty \
	--setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
	--setup-hook="sync-in $apt_cache /var/cache/apt/archives" \
	--include=systemd,systemd-sysv,udev,kmod,initramfs-tools,memcached,redis-server,iproute2,procps,netbase,jq \
	--customize-hook='mkdir -p "$1/tmp/debs"' \
	--customize-hook="sync-in $out/debs /tmp/debs" \
	--customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/debs/*.deb && rm -rf /tmp/debs"' \
	--customize-hook="sync-out /var/cache/apt/archives $apt_cache" \
	--customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
	--customize-hook="sh $here/guest/setup.sh \"\$1\" $here/guest" \
	bookworm "$out/root.tar" \
	"deb http://deb.debian.org/debian bookworm main" \
	"deb http://deb.debian.org/debian bookworm-backports main" >"$out/mmdebstrap.log" 2>&1 ||
	die "mmdebstrap failed: $out/mmdebstrap.log"
mkdir "$out/root"
tar -xpf "$out/root.tar" -C "$out/root" --numeric-owner
for f in "$out"/root/boot/vmlinuz-*; do
	v=${f#*/vmlinuz-}
	case "$v" in
	6.1.*) flavor=generic ;;
	6.12.*) flavor=bpo ;;
	*) continue ;;
	esac
	cp "$f" "$out/vmlinuz-$flavor"
	cp "$out/root/boot/initrd.img-$v" "$out/initrd.img-$flavor"
	echo "$flavor $v" >>"$out/kernels.txt.new"
done
mv "$out/kernels.txt.new" "$out/kernels.txt"
mke2fs -q -t ext4 -d "$out/root" -L root "$out/debian.img" 2G
rm -rf "$out/root" "$out/root.tar" "$out/debs"
echo "$stamp" >"$out/image.stamp"
