#!/bin/sh
# mmdebstrap's last hook: the guest's own settings and ferry's test steps.
# Usage: setup.sh ROOT GUEST_DIR
set -eu
root=$1 guest=$2
echo debian-ferry >"$root/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
chroot "$root" passwd -d root >/dev/null
# QEMU's user network: DHCP on the one interface
cat >"$root/etc/systemd/network/80-qemu.network" <<NET
[Match]
Name=en*
[Network]
DHCP=yes
NET
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
sed -i 's/^-l 127.0.0.1.*/-l 0.0.0.0/' "$root/etc/memcached.conf"
install -m 0755 "$guest/ferry-test" "$root/usr/local/sbin/ferry-test"
install -m 0644 "$guest/ferry-test.service" "$root/etc/systemd/system/ferry-test.service"
install -m 0755 "$guest/ferry-mc" "$root/usr/local/bin/ferry-mc"
install -m 0755 "$guest/ferry-network-setup" "$root/usr/local/sbin/ferry-network-setup"
install -m 0644 "$guest/ferry-memcached.service" "$root/etc/systemd/system/ferry-memcached.service"
chroot "$root" systemctl enable ferry-test.service >/dev/null 2>&1
