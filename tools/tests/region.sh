# shellcheck shell=sh
# ferry region suggest|install|check against fixture root directories
# (--root): a memory map with the kernel in the way, one that needs the
# firmware's map, GRUB's snippet read back by a shell as update-grub reads
# it, /etc/kernel/cmdline edited by the kernel's rules, and the running
# kernel's reservation seen in /proc/iomem. Sourced by
# tools/tests/cli-test.sh (its ferry, tmp, expect, pass, fail);
# test_region runs it all.

# fixture DIR: /proc/iomem of a 1 GiB + 1 GiB machine whose kernel sits at
# 256 MiB, and a command line
region_fixture() {
	mkdir -p "$1/proc" "$1/etc/default"
	cat >"$1/proc/iomem" <<'IOMEM'
00000000-00000fff : Reserved
00001000-0009fbff : System RAM
000f0000-000fffff : System ROM
00100000-3ffdffff : System RAM
  10000000-10ffffff : Kernel code
  11000000-113fffff : Kernel data
3ffe0000-3fffffff : Reserved
fec00000-fec003ff : IOAPIC 0
100000000-13fffffff : System RAM
IOMEM
	echo 'BOOT_IMAGE=/vmlinuz-6.1.0-9-amd64 root=UUID=0c1d ro quiet -- single' >"$1/proc/cmdline"
}

test_region_suggest() {
	r="$tmp/region-a"
	region_fixture "$r"
	expect region-suggest-clear-of-kernel 0 \
		'^kernel parameters: memmap=0x4000000\$0x11400000 ferry\.region=0x4000000@0x11400000$' \
		region suggest --root "$r"
	"$ferry" region suggest --root "$r" --size 768M --json >"$tmp/suggest.json" 2>&1
	expect_json region-suggest-above-4g "$tmp/suggest.json" $? 0 \
		'.address == "0x100000000" and .size == 805306368 and .source == "/proc/iomem" and
		.parameters == ["memmap=0x30000000$0x100000000", "ferry.region=0x30000000@0x100000000"]'
	expect region-suggest-too-big 1 'no System RAM range in /proc/iomem holds 2048 MiB' \
		region suggest --root "$r" --size 2G
	# not root: /proc/iomem reads as zeros; the firmware's map has it
	sed 's/[0-9a-f]*-[0-9a-f]* :/00000000-00000000 :/' "$r/proc/iomem" >"$r/iomem.zero"
	mv "$r/iomem.zero" "$r/proc/iomem"
	i=0
	for range in "0 9fbff System RAM" "100000 3ffdffff System RAM" "3ffe0000 3fffffff Reserved"; do
		mkdir -p "$r/sys/firmware/memmap/$i"
		set -- $range
		echo "0x$1" >"$r/sys/firmware/memmap/$i/start"
		echo "0x$2" >"$r/sys/firmware/memmap/$i/end"
		shift 2
		echo "$*" >"$r/sys/firmware/memmap/$i/type"
		i=$((i + 1))
	done
	expect region-suggest-firmware-map 0 \
		'^region: 64 MiB at 0x10000000, in System RAM 0x100000-0x3ffdffff of /sys/firmware/memmap$' \
		region suggest --root "$r"
}

test_region_install() {
	r="$tmp/region-b"
	region_fixture "$r"
	touch "$r/etc/default/grub"
	expect region-install-grub 0 'etc/default/grub.d/ferry.cfg: memmap=0x4000000\$0x11400000 ' \
		region install --root "$r"
	# as update-grub reads it: sourced by the shell, then into grub.cfg,
	# where GRUB's script language reads \$ as $
	got=$(GRUB_CMDLINE_LINUX="quiet splash"
		. "$r/etc/default/grub.d/ferry.cfg" && printf '%s' "$GRUB_CMDLINE_LINUX")
	want='quiet splash memmap=0x4000000\$0x11400000 ferry.region=0x4000000@0x11400000'
	if [ "$got" = "$want" ]; then
		pass region-install-grub-escaped
	else
		fail region-install-grub-escaped "GRUB_CMDLINE_LINUX is '$got', expected '$want'"
	fi
	got=$(unset GRUB_CMDLINE_LINUX; . "$r/etc/default/grub.d/ferry.cfg" && printf '%s' "$GRUB_CMDLINE_LINUX")
	[ "$got" = "${want#quiet splash }" ] && pass region-install-grub-alone ||
		fail region-install-grub-alone "GRUB_CMDLINE_LINUX is '$got'"

	# kernel-install: the first time from /proc/cmdline, then replaced in
	# place, the user's own memmap= kept
	mkdir -p "$r/etc/kernel"
	expect region-install-bls-first 0 'etc/kernel/cmdline: ' \
		region install --root "$r" --for bls --size 16M --address 0x30000000
	want='root=UUID=0c1d ro quiet memmap=0x1000000$0x30000000 ferry.region=0x1000000@0x30000000 -- single'
	[ "$(cat "$r/etc/kernel/cmdline")" = "$want" ] && pass region-install-bls-from-proc ||
		fail region-install-bls-from-proc "'$(cat "$r/etc/kernel/cmdline")', expected '$want'"
	sed -i 's/ quiet / quiet memmap=1G$0x200000000 /' "$r/etc/kernel/cmdline"
	expect region-install-bls-again 0 'etc/kernel/cmdline: ' region install --root "$r" --for bls
	want='root=UUID=0c1d ro quiet memmap=1G$0x200000000 memmap=0x4000000$0x11400000 ferry.region=0x4000000@0x11400000 -- single'
	[ "$(cat "$r/etc/kernel/cmdline")" = "$want" ] && pass region-install-bls-replaced ||
		fail region-install-bls-replaced "'$(cat "$r/etc/kernel/cmdline")', expected '$want'"

	r="$tmp/region-c"
	region_fixture "$r"
	rm -r "$r/etc/default"
	expect region-install-no-boot-loader 3 'neither GRUB .* nor kernel-install' \
		region install --root "$r"
	[ -z "$(find "$r/etc" -mindepth 1)" ] && pass region-install-refused-writes-nothing ||
		fail region-install-refused-writes-nothing "$(find "$r/etc" | head -n 3 | tr '\n' ' ')"
	expect usage-region-install-json 2 'goes with suggest and check' region install --json
}

test_region_check() {
	r="$tmp/region-d"
	region_fixture "$r"
	echo 'root=/dev/vda1 memmap=64M$0x30000000 ferry.region=64M@0x30000000' >"$r/proc/cmdline"
	sed -i 's/^00100000-3ffdffff : System RAM$/00100000-2fffffff : System RAM\n30000000-33ffffff : Reserved\n34000000-3ffdffff : System RAM/' \
		"$r/proc/iomem"
	"$ferry" region check --root "$r" --json >"$tmp/check.json" 2>&1
	expect_json region-check-reserved "$tmp/check.json" $? 0 \
		'.reserved and .reservation == "reserved" and .address == "0x30000000" and
		.size == 67108864 and .ferry_region == "64M@0x30000000"'
	region_fixture "$r"
	echo 'root=/dev/vda1 ferry.region=64M@0x30000000' >"$r/proc/cmdline"
	expect region-check-not-reserved 1 'not reserved: the range overlaps System RAM' \
		region check --root "$r"
	echo 'root=/dev/vda1 -- ferry.region=64M@0x30000000' >"$r/proc/cmdline"
	"$ferry" region check --root "$r" --json >"$tmp/check.json" 2>&1
	expect_json region-check-none "$tmp/check.json" $? 1 '.reserved == false and .ferry_region == null'
}

test_region() {
	test_region_suggest
	test_region_install
	test_region_check
}
