#!/bin/sh
# The initramfs images the OVMF scenarios boot from the ESP: qemu-tests'
# initramfs-<flavor>.cpio.gz followed by an overlay archive (the kernel
# unpacks both, the later one wins) with the OVMF scenarios
# (efi-stage/tests/scenarios, in /etc/ferry/scenarios next to qemu-tests'),
# their helpers (efi-stage/tests/guest/lib, in /etc/ferry/lib), the guest
# helper program, efibootmgr, memcached and the modules `ferry efi install`
# needs (vfat, efivarfs). Anything of these missing fails the build, naming it.
#
# Usage: efi-stage/tests/build-overlay.sh BUILD_DIR   (after make qemu-images)
set -eu
build="${1:-build}"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
qdir="$build/qemu"
edir="$build/efi"
mkdir -p "$edir"

# shellcheck source=qemu-tests/copy-prog.sh
. "$top/qemu-tests/copy-prog.sh"

missing() {
	echo "build-overlay: $*" >&2
	exit 1
}
# both sets of scenarios land in one directory of the guest
for f in "$here"/scenarios/*.sh; do
	if [ -e "$top/qemu-tests/scenarios/$(basename "$f")" ]; then
		missing "$f has the name of a qemu-tests scenario: the guest would carry only one of them"
	fi
done
for f in "$build/bin/ferry" "$build/bin/ferry-init" "$edir/guest-efi-stage" "$edir/ferry.efi"; do
	[ -x "$f" ] || [ -f "$f" ] || missing "$f is not built"
done
command -v efibootmgr >/dev/null || missing "no efibootmgr on this machine (efi-stage/deps.sh installs it)"
command -v memcached >/dev/null || missing "no memcached on this machine (make deps installs it)"

while read -r flavor pkg kver; do
	out="$edir/initrd-$flavor"
	root="$edir/overlay-$flavor"
	rm -rf "$root"
	mkdir -p "$root/etc/ferry/lib" "$root/etc/ferry/scenarios" "$root/bin" "$root/lib/modules/$kver/extra"
	cp "$here"/guest/lib/*.sh "$root/etc/ferry/lib/"
	cp "$here"/scenarios/*.sh "$root/etc/ferry/scenarios/"
	cp "$edir/guest-efi-stage" "$root/bin/guest-efi-stage"
	# ferry-init behind a wrapper that brings the network up first (ferry.net=)
	cp "$build/bin/ferry-init" "$root/bin/ferry-init.bin"
	cp "$here/guest/ferry-init-net" "$root/bin/ferry-init"
	# what `ferry efi install` installs in the efi-install scenario
	mkdir -p "$root/usr/lib/ferry"
	cp "$edir/ferry.efi" "$root/usr/lib/ferry/ferry.efi"
	cat >"$root/etc/ferry/ferry.conf" <<CONF
kernel=\\EFI\\ferry\\vmlinuz-generic
initrd=\\EFI\\ferry\\initrd-generic
cmdline=console=ttyS0 panic=-1 ferry.test=efi-install
region=64M@0x30000000
update_kernel=\\EFI\\ferry\\vmlinuz-bpo
update_initrd=\\EFI\\ferry\\initrd-bpo
update_cmdline=console=ttyS0 panic=-1 ferry.test=efi-install
CONF
	copy_prog "$build/bin/ferry" /bin/ferry "$root"
	copy_prog "$(command -v efibootmgr)" /bin/efibootmgr "$root"
	# the efi-update-memcached scenario: the build host's memcached, and
	# the user it runs as (-u root)
	copy_prog "$(command -v memcached)" /bin/memcached "$root"
	[ -e "$qdir/rootfs-base/etc/passwd" ] || echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	[ -e "$qdir/rootfs-base/etc/group" ] || echo 'root:x:0:' >"$root/etc/group"
	# the kernel's package (qemu-tests/fetch-kernels.sh keeps it in the cache)
	deb=$(ls "$build/cache/debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		mkdir -p "$build/cache/debs"
		(cd "$build/cache/debs" && apt-get download -q "$pkg" >/dev/null) ||
			missing "apt-get download $pkg failed: its modules vfat and efivarfs are needed"
		deb=$(ls "$build/cache/debs/${pkg}_"*.deb | head -n 1)
	fi
	x="$edir/deb-$flavor"
	if [ ! -e "$x/.done" ]; then
		rm -rf "$x"
		mkdir -p "$x"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards \
			'*/fs/fat/*' '*/fs/efivarfs/*' '*/fs/nls/nls_cp437*' '*/fs/nls/nls_ascii*' \
			'*/fs/nls/nls_utf8*' 2>/dev/null || true
		touch "$x/.done"
	fi
	for m in fat vfat nls_cp437 nls_ascii nls_utf8 efivarfs; do
		f=$(find "$x" -name "$m.ko*" | head -n 1)
		[ -n "$f" ] || continue
		case "$f" in
		*.ko.xz) xz -dc "$f" >"$root/lib/modules/$kver/extra/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$kver/extra/$m.ko" ;;
		*) cp "$f" "$root/lib/modules/$kver/extra/$m.ko" ;;
		esac
	done
	(cd "$root" && find . -print | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -6 >"$out.overlay"
	cat "$qdir/initramfs-$flavor.cpio.gz" "$out.overlay" >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -f "$out.overlay"
done <"$qdir/kernels.txt"
