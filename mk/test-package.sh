#!/bin/sh
# The packaging tier: ferry as a distribution builds and installs it, from a
# clean copy of the committed tree (git archive HEAD), with no network.
#   package-build      dpkg-buildpackage -us -uc -b, under unshare -n
#   package-lintian    lintian on the result: no error (warnings are listed)
#   package-contents   the .deb holds exactly INSTALLED (plus its doc files)
#   install-destdir    make install DESTDIR= installs exactly INSTALLED
#   build-offline-O0   make CFLAGS=-O0 under unshare -n; the ferry built
#                      verifies the sample image
#   third-party-sums   third_party/ is unchanged from its origins
#   initramfs-*        tools/tests/initramfs.sh: mkinitramfs with the installed
#                      hook and script, lsinitramfs on the result; dracut-module:
#                      Debian's dracut, unpacked, builds one with 90ferry
#   man-*              man/check-man.sh: the man pages against the code
# Usage: mk/test-package.sh BUILD_DIR     (needs make deps: debhelper, lintian)
set -u
build="$(cd "${1:-build}" && pwd)"
top="$(cd "$(dirname "$0")/.." && pwd)"
work="$build/package-test"
failed=0

# what make install puts under DESTDIR and the package holds (README.md,
# "Using it"; the man pages: man/; the initramfs and systemd glue: boot/README.md)
INSTALLED="/etc/ferry/ferry.conf
/usr/lib/dracut/modules.d/90ferry/ferry-restore.sh
/usr/lib/dracut/modules.d/90ferry/module-setup.sh
/usr/lib/ferry/ferry-init
/usr/lib/ferry/ferry.efi
/usr/lib/systemd/system-generators/ferry-generator
/usr/sbin/ferry
/usr/share/initramfs-tools/hooks/ferry
/usr/share/initramfs-tools/scripts/init-bottom/ferry
/usr/share/man/man5/ferry.conf.5
/usr/share/man/man8/ferry-init.8
/usr/share/man/man8/ferry.8"

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	failed=1
}
# show_tail FILE: the end of a log, for a failure
show_tail() { tail -n 25 "$1" | sed 's/^/    /'; }

rm -rf "$work"
mkdir -p "$work/src"
if ! git -C "$top" archive --format=tar --prefix=ferry/ HEAD | tar -xf - -C "$work/src"; then
	fail package-build "git archive HEAD failed: the packaging tier builds the committed tree"
	exit 1
fi
cp -a "$work/src/ferry" "$work/offline"

# -- the package ---------------------------------------------------------------
if (cd "$work/src/ferry" && unshare -n dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	pass package-build
else
	fail package-build "dpkg-buildpackage -us -uc -b without network failed ($work/build.log)"
	show_tail "$work/build.log"
fi

deb=$(ls "$work"/src/ferry_*_amd64.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	fail package-lintian "no .deb was built"
	fail package-contents "no .deb was built"
else
	lintian --pedantic "$work"/src/ferry_*_amd64.changes >"$work/lintian.log" 2>&1
	sed 's/^/    /' "$work/lintian.log"
	if grep -q '^E: ' "$work/lintian.log"; then
		fail package-lintian "lintian reports errors: $(grep '^E: ' "$work/lintian.log" | tr '\n' ';')"
	else
		pass package-lintian
	fi
	dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -n 's#^\.\(/.*[^/]\)$#\1#p' |
		grep -v '^/usr/share/doc/ferry/\|^/usr/share/lintian/overrides/ferry$' |
		sed 's/\.gz$//' | sort >"$work/deb.list"
	if [ "$(cat "$work/deb.list")" = "$INSTALLED" ]; then
		pass package-contents
	else
		fail package-contents "the package holds other files than make install's: $(printf '%s\n' "$INSTALLED" |
			diff - "$work/deb.list" | grep '^[<>]' | tr '\n' ' ')"
	fi
fi

# -- make install, a user's build with CFLAGS=-O0 and no network ------------------
obuild="$work/offline/build"
# a user's build: neither DEVELOPER nor CI (make test exports DEVELOPER=1)
unset DEVELOPER CI
if (cd "$work/offline" && unshare -n make -j2 CFLAGS=-O0 BUILD="$obuild") >"$work/offline.log" 2>&1 &&
	grep -q -- '-O0' "$work/offline.log" &&
	"$obuild/bin/ferry" verify "$work/offline/format/tests/data/sample.ferry" >>"$work/offline.log" 2>&1; then
	pass build-offline-O0
else
	fail build-offline-O0 "make CFLAGS=-O0 without network, then ferry verify of the sample image, failed ($work/offline.log)"
	show_tail "$work/offline.log"
fi

dest="$work/destdir"
if (cd "$work/offline" && unshare -n make install CFLAGS=-O0 BUILD="$obuild" DESTDIR="$dest") >"$work/install.log" 2>&1; then
	(cd "$dest" && find . ! -type d | sed 's#^\.##' | sort) >"$work/install.list"
	if [ "$(cat "$work/install.list")" = "$INSTALLED" ]; then
		pass install-destdir
	else
		fail install-destdir "make install DESTDIR= installed other files than the documented ones: $(printf '%s\n' "$INSTALLED" |
			diff - "$work/install.list" | grep '^[<>]' | tr '\n' ' ')"
	fi
else
	fail install-destdir "make install DESTDIR=$dest failed ($work/install.log)"
	show_tail "$work/install.log"
fi

# boot/: the installed hook and script in an initramfs mkinitramfs builds
if [ -x "$dest/usr/lib/ferry/ferry-init" ]; then
	sh "$work/offline/tools/tests/initramfs.sh" "$dest" "$build/cache/dracut" || failed=1
else
	fail initramfs-tools-hook "make install put no ferry-init under $dest"
fi

if (cd "$work/offline" && sha256sum --quiet -c third_party/SHA256SUMS) >"$work/sums.log" 2>&1; then
	pass third-party-sums
else
	fail third-party-sums "third_party/ differs from its origins: $(tr '\n' ' ' <"$work/sums.log")"
fi

sh "$work/offline/man/check-man.sh" "$obuild/bin/ferry" || failed=1

exit "$failed"
