#!/bin/sh
# Install what building ferry.efi and its QEMU/OVMF tests needs on Debian 12,
# only what is missing. Usage: efi-stage/deps.sh   (as root when something is missing)
set -eu
deps_label="efi-stage deps"
# shellcheck source=mk/deps-lib.sh
. "$(dirname "$0")/../mk/deps-lib.sh"

deps_install gnu-efi ovmf mtools dosfstools efibootmgr fdisk
