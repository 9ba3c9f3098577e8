#!/bin/bash
# dracut module ferry: ferry-init into the initramfs and a pre-pivot hook
# that runs it with the real root mounted at $NEWROOT (ferry-init(8)).
# The hook runs in dracut's own init; in an initramfs with systemd, systemd
# stops every process of the initramfs at the switch root, the restored
# ones too: leave the systemd module out (omit_dracutmodules+=" systemd ").

check() {
	require_binaries @PKGLIBDIR@/ferry-init || return 1
	return 0
}

depends() {
	return 0
}

install() {
	inst_simple @PKGLIBDIR@/ferry-init
	inst_hook pre-pivot 90 "$moddir/ferry-restore.sh"
}
