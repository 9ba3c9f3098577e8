#!/bin/sh
# boot/'s initramfs-tools hook and script as update-initramfs uses them,
# and its dracut module as dracut does.
#
# initramfs-tools:
# mkinitramfs builds an initramfs into a temporary directory with the hook
# and the init-bottom script make install put under DESTDIR, and
# lsinitramfs and unmkinitramfs show what it holds: the installed
# ferry-init, byte for byte, and the script, run after udev's in
# init-bottom's ORDER. It all happens in a mount namespace: /usr/lib gets
# ferry-init and an empty modules directory for a made-up kernel through an
# overlay, /usr/share/initramfs-tools the hook and the script through a
# bind, /boot that kernel's config on a tmpfs; nothing on the machine
# changes.
#
# dracut, which cannot be installed next to initramfs-tools: Debian's
# dracut-core unpacked into CACHE (apt-get download, once), run with its
# modules directory holding the installed 90ferry: dracut lists the module,
# builds an initramfs with it and lsinitrd shows ferry-init and the
# pre-pivot hook in it.
#
# Prints PASS/FAIL/SKIP lines (run by mk/test-package.sh).
# Usage: tools/tests/initramfs.sh DESTDIR CACHE
set -u
dest="$1" cache="$2"
failed=0
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ferry-initramfs-test.XXXXXX")" || exit 1
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	failed=1
}

if ! command -v mkinitramfs >/dev/null 2>&1 || ! command -v lsinitramfs >/dev/null 2>&1; then
	fail initramfs-tools-hook "mkinitramfs and lsinitramfs are missing (make deps: initramfs-tools)"
	exit 1
fi
if ! unshare -m true 2>/dev/null; then
	echo "SKIP: initramfs-tools-hook: cannot create a mount namespace (unshare -m)"
	exit 0
fi

ver=0.0.0-ferry-test
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m sh -c '
	set -e
	dest="$1" tmp="$2" ver="$3"
	mkdir -p "$tmp/up/ferry" "$tmp/up/modules/$ver" "$tmp/work" "$tmp/itools"
	cp "$dest/usr/lib/ferry/ferry-init" "$tmp/up/ferry/"
	mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$tmp/up,workdir=$tmp/work" /usr/lib
	cp -a /usr/share/initramfs-tools/. "$dest/usr/share/initramfs-tools/." "$tmp/itools/"
	mount --bind "$tmp/itools" /usr/share/initramfs-tools
	mount -t tmpfs tmpfs /boot
	echo CONFIG_RD_GZIP=y >"/boot/config-$ver"
	mkinitramfs -o "$tmp/initrd.img" "$ver"
' sh "$dest" "$tmp" "$ver" >"$tmp/mkinitramfs.log" 2>&1
if [ ! -s "$tmp/initrd.img" ]; then
	fail initramfs-tools-hook "mkinitramfs built nothing: $(tail -n 5 "$tmp/mkinitramfs.log" | tr '\n' ' ')"
	exit 1
fi
lsinitramfs "$tmp/initrd.img" >"$tmp/list" 2>&1
if grep -qx 'usr/lib/ferry/ferry-init' "$tmp/list" && grep -qx 'scripts/init-bottom/ferry' "$tmp/list"; then
	pass initramfs-tools-hook
else
	fail initramfs-tools-hook "lsinitramfs does not list usr/lib/ferry/ferry-init and scripts/init-bottom/ferry"
fi
unmkinitramfs "$tmp/initrd.img" "$tmp/x" >/dev/null 2>&1
root="$tmp/x"
[ -d "$tmp/x/main" ] && root="$tmp/x/main"
if cmp -s "$root/usr/lib/ferry/ferry-init" "$dest/usr/lib/ferry/ferry-init" &&
	[ -x "$root/usr/lib/ferry/ferry-init" ]; then
	pass initramfs-holds-ferry-init
else
	fail initramfs-holds-ferry-init "the initramfs's ferry-init is not the installed one"
fi
order="$root/scripts/init-bottom/ORDER"
if grep -q '^/scripts/init-bottom/ferry "\$@"$' "$order" 2>/dev/null &&
	{ ! grep -q 'init-bottom/udev' "$order" ||
		[ "$(grep -n 'init-bottom/udev' "$order" | cut -d: -f1)" -lt \
			"$(grep -n 'init-bottom/ferry' "$order" | cut -d: -f1)" ]; } &&
	grep -q 'ferry-init --root "${rootmnt:-/root}"' "$root/scripts/init-bottom/ferry"; then
	pass initramfs-init-bottom-order
else
	fail initramfs-init-bottom-order "init-bottom's ORDER: $(tr '\n' ' ' <"$order" 2>&1)"
fi

# ---- dracut ---------------------------------------------------------------
dracut_deb=$(ls "$cache"/dracut-core_*.deb 2>/dev/null | head -n 1)
if [ -z "$dracut_deb" ]; then
	mkdir -p "$cache"
	(cd "$cache" && apt-get download -q dracut-core) >"$tmp/apt.log" 2>&1
	dracut_deb=$(ls "$cache"/dracut-core_*.deb 2>/dev/null | head -n 1)
fi
if [ -z "$dracut_deb" ]; then
	fail dracut-module "apt-get download dracut-core failed: $(tail -n 2 "$tmp/apt.log" | tr '\n' ' ')"
	exit 1
fi
dpkg-deb -x "$dracut_deb" "$tmp/dracut"
cp -a "$dest/usr/lib/dracut/modules.d/90ferry" "$tmp/dracut/usr/lib/dracut/modules.d/"
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m sh -c '
	set -e
	dest="$1" tmp="$2" ver="$3"
	mkdir -p "$tmp/dup/ferry" "$tmp/dup/modules/$ver" "$tmp/dwork"
	cp "$dest/usr/lib/ferry/ferry-init" "$tmp/dup/ferry/"
	mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$tmp/dup,workdir=$tmp/dwork" /usr/lib
	export dracutbasedir="$tmp/dracut/usr/lib/dracut"
	bash "$tmp/dracut/usr/bin/dracut" --list-modules --no-kernel >"$tmp/dracut.modules"
	bash "$tmp/dracut/usr/bin/dracut" --no-kernel --no-hostonly -m "base ferry" --force \
		"$tmp/dracut.img" "$ver"
	bash "$tmp/dracut/usr/bin/lsinitrd" "$tmp/dracut.img" >"$tmp/dracut.list"
' sh "$dest" "$tmp" "$ver" >"$tmp/dracut.log" 2>&1
if grep -qx ferry "$tmp/dracut.modules" 2>/dev/null &&
	grep -q ' usr/lib/ferry/ferry-init$' "$tmp/dracut.list" 2>/dev/null &&
	grep -q ' usr/lib/dracut/hooks/pre-pivot/90-ferry-restore.sh$' "$tmp/dracut.list"; then
	pass dracut-module
else
	fail dracut-module "dracut did not take the module or lsinitrd lacks ferry-init or the pre-pivot hook: $(tail -n 4 "$tmp/dracut.log" | tr '\n' ' ')"
fi
exit "$failed"
