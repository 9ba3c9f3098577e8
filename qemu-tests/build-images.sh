#!/bin/sh
# Build everything the QEMU scenarios boot, cached under BUILD/qemu:
#
#   kernels/<flavor>/vmlinuz        Debian kernels (fetch-kernels.sh)
#   initramfs-<flavor>.cpio.gz      busybox, kexec, ferry, test programs,
#                                   /init, that kernel's modules
#   boot.img                        ext4 holding every vmlinuz + initramfs,
#                                   attached read-only: what a guest kexecs
#   data.img                        ext4 template for the persistent disk
#   kernels.txt                     the pinned kernel packages
#
# Usage: qemu-tests/build-images.sh BUILD_DIR     (make qemu-images)
set -eu

build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
qdir="$build/qemu"
debs="$build/cache/debs"
mkdir -p "$qdir" "$debs"

sh "$here/../mk/qemu-deps.sh"
sh "$here/fetch-kernels.sh" "$build"

# Guest-only user space, unpacked, never installed on the host.
fetch_pkg() {
	pkg="$1"
	out="$qdir/pkgs/$pkg"
	[ -e "$out/.done" ] && return 0
	deb=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$debs" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
			echo "build-images: apt-get download $pkg failed" >&2
			exit 1
		}
		deb=$(ls "$debs/${pkg}_"*.deb | head -n 1)
	fi
	rm -rf "$out"
	mkdir -p "$out"
	dpkg-deb -x "$deb" "$out"
	touch "$out/.done"
}

# fetch_pkg_deps PKG: PKG and, recursively, every package it depends on that
# this machine does not have installed (what is installed here has its own
# dependencies installed too); their library directories go on
# copy_prog_libpath, so copy_prog finds what a guest program links against.
# The first alternative of each dependency is taken; virtual packages
# (debconf-2.0) are left out, as they hold no libraries.
fetch_pkg_deps() {
	case " $fetched_deps " in *" $1 "*) return 0 ;; esac
	fetched_deps="$fetched_deps $1"
	fetch_pkg "$1"
	for dir in "$qdir/pkgs/$1/lib/x86_64-linux-gnu" "$qdir/pkgs/$1/usr/lib/x86_64-linux-gnu"; do
		# absolute, or ldd names its libraries by paths copy_prog does not take
		[ -d "$dir" ] && copy_prog_libpath="${copy_prog_libpath:+$copy_prog_libpath:}$(cd "$dir" && pwd)"
	done
	deb=$(ls "$debs/${1}_"*.deb | head -n 1)
	for dep in $(dpkg-deb -f "$deb" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //' |
		tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' | grep .); do
		dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed" &&
			continue
		apt-cache show "$dep" 2>/dev/null | grep -q "^Package:" || continue # a virtual package
		fetch_pkg_deps "$dep"
	done
}
fetched_deps=""
copy_prog_libpath=""
fetch_pkg busybox-static
fetch_pkg_deps kexec-tools

# shellcheck source=qemu-tests/copy-prog.sh
. "$here/copy-prog.sh"

base="$qdir/rootfs-base"
stamp="$qdir/.base-stamp"
# the guest's /init, its helpers and every scenario file (qemu-tests/scenarios)
inputs="$here/guest/init $(ls "$here"/guest/lib/*.sh "$here"/scenarios/*.sh) $build/tests/region-probe
	$qdir/pkgs/busybox-static/.done $qdir/pkgs/kexec-tools/.done $here/build-images.sh
	$here/copy-prog.sh"
rebuild_base=0
[ -e "$stamp" ] || rebuild_base=1
for f in $inputs; do
	[ -e "$f" ] || { echo "build-images: missing $f" >&2; exit 1; }
	[ "$rebuild_base" = 1 ] || [ "$f" -nt "$stamp" ] && rebuild_base=1
done
# optional guest programs: the CLI, and any build/tests/guest-* binaries
for f in "$build/bin/ferry" "$build/bin/ferry-init" "$build"/tests/guest-* /usr/bin/memcached; do
	[ -x "$f" ] || continue
	inputs="$inputs $f"
	[ "$f" -nt "$stamp" ] && rebuild_base=1
done

# the stamp holds the list of inputs: a file gone (a scenario removed) changes it
# shellcheck disable=SC2086 # one word per file
[ "$(echo $inputs)" = "$(cat "$stamp" 2>/dev/null)" ] || rebuild_base=1

if [ "$rebuild_base" = 1 ]; then
	rm -rf "$base"
	mkdir -p "$base/bin" "$base/sbin" "$base/etc/ferry/lib" "$base/etc/ferry/scenarios" "$base/proc" "$base/sys" "$base/dev" \
		"$base/tmp" "$base/run" "$base/boot" "$base/data" "$base/lib/modules" "$base/root" "$base/mnt"
	cp "$qdir/pkgs/busybox-static/bin/busybox" "$base/bin/busybox"
	ln -s busybox "$base/bin/sh"
	copy_prog "$qdir/pkgs/kexec-tools/sbin/kexec" /sbin/kexec "$base"
	[ -x "$build/bin/ferry" ] && copy_prog "$build/bin/ferry" /bin/ferry "$base"
	[ -x "$build/bin/ferry-init" ] && cp "$build/bin/ferry-init" "$base/bin/ferry-init"
	# a real application: Debian 12's memcached, as the host has it (make deps)
	[ -x /usr/bin/memcached ] && copy_prog /usr/bin/memcached /usr/bin/memcached "$base"
	cp "$build/tests/region-probe" "$base/bin/region-probe"
	for f in "$build"/tests/guest-*; do
		[ -x "$f" ] && copy_prog "$f" "/bin/$(basename "$f")" "$base"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$base/etc/passwd"
	echo "root:x:0:" >"$base/etc/group"
	cp "$here/guest/init" "$base/init"
	cp "$here"/guest/lib/*.sh "$base/etc/ferry/lib/"
	cp "$here"/scenarios/*.sh "$base/etc/ferry/scenarios/"
	chmod 755 "$base/init"
	# shellcheck disable=SC2086
	echo $inputs >"$stamp"
fi

# One initramfs per kernel: the base plus that kernel's modules.
while read -r flavor pkg kver; do
	out="$qdir/initramfs-$flavor.cpio.gz"
	kdir="$qdir/kernels/$flavor"
	if [ -e "$out" ] && [ "$out" -nt "$stamp" ] && [ "$out" -nt "$kdir/vmlinuz" ]; then
		continue
	fi
	root="$qdir/rootfs-$flavor"
	rm -rf "$root"
	cp -a "$base" "$root"
	mkdir -p "$root/lib/modules/$kver"
	cp "$kdir"/modules/*.ko "$root/lib/modules/$kver/" 2>/dev/null || true
	cp "$kdir/modules.order" "$root/lib/modules/$kver/modules.order"
	echo "$flavor" >"$root/etc/ferry/kernel-flavor"
	echo "$pkg" >"$root/etc/ferry/kernel-package"
	(cd "$root" && find . -print | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -6 >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$root"
	echo "build-images: $out ($(du -h "$out" | cut -f1), $kver)"
done <"$qdir/kernels.txt"

# The boot disk: what a running guest can kexec into.
boot="$qdir/boot.img"
need=0
[ -e "$boot" ] || need=1
for f in "$qdir"/initramfs-*.cpio.gz "$qdir"/kernels/*/vmlinuz; do
	[ "$f" -nt "$boot" ] && need=1
done
if [ "$need" = 1 ]; then
	bdir="$qdir/bootfs"
	rm -rf "$bdir"
	mkdir -p "$bdir"
	while read -r flavor pkg kver; do
		cp "$qdir/kernels/$flavor/vmlinuz" "$bdir/vmlinuz-$flavor"
		cp "$qdir/initramfs-$flavor.cpio.gz" "$bdir/initramfs-$flavor.cpio.gz"
	done <"$qdir/kernels.txt"
	cp "$qdir/kernels.txt" "$bdir/kernels.txt"
	kb=$(du -sk "$bdir" | cut -f1)
	rm -f "$boot.tmp"
	mkfs.ext4 -q -F -L ferry-boot -d "$bdir" "$boot.tmp" "$((kb * 12 / 10 + 8192))k"
	mv "$boot.tmp" "$boot"
	rm -rf "$bdir"
	echo "build-images: $boot ($(du -h --apparent-size "$boot" | cut -f1))"
fi

# The persistent data disk template (each scenario gets its own copy).
if [ ! -e "$qdir/data.img" ]; then
	mkdir -p "$qdir/datafs"
	echo "ferry data disk" >"$qdir/datafs/README"
	mkfs.ext4 -q -F -L ferry-data -d "$qdir/datafs" "$qdir/data.img.tmp" 64M
	mv "$qdir/data.img.tmp" "$qdir/data.img"
	rm -rf "$qdir/datafs"
fi
