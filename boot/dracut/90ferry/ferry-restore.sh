#!/bin/sh
# dracut pre-pivot hook: when this boot names a region (ferry.region=),
# ferry-init restores what an update left there with $NEWROOT as the
# processes' root, before the real root's init starts (ferry-init(8)).
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh

if getarg ferry.region= >/dev/null && [ -x @PKGLIBDIR@/ferry-init ]; then
	@PKGLIBDIR@/ferry-init --root "${NEWROOT:-/sysroot}" || true
fi
