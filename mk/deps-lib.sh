#!/bin/sh
# Sourced by the deps scripts (mk/deps.sh, mk/qemu-deps.sh,
# efi-stage/deps.sh): add an apt source when it is missing and install only
# the packages that are not installed yet. Set deps_label first; it starts
# every message.

deps_apt_update=0

# deps_need_root WHAT: exit with WHAT as the reason unless we are root
deps_need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "$deps_label: $1 (run 'make deps' as root)" >&2
	exit 1
}

# deps_apt_source FILE TYPE SUITE PATTERN: unless a line of apt's sources
# matches the extended regular expression PATTERN, write an entry of TYPE
# (deb or deb-src) for SUITE of Debian's archive (main) to
# /etc/apt/sources.list.d/FILE and remember that apt's lists need an update
deps_apt_source() {
	grep -rqsE "$4" /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	deps_need_root "apt needs a $2 entry for $3"
	cat >"/etc/apt/sources.list.d/$1" <<SRC
Types: $2
URIs: http://deb.debian.org/debian
Suites: $3
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	deps_apt_update=1
}

# deps_install PACKAGE...: install those of them that are missing
deps_install() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && [ "$deps_apt_update" = 0 ] && return 0
	[ -n "$missing" ] && deps_need_root "missing packages:$missing"
	apt-get update -qq
	deps_apt_update=0
	[ -z "$missing" ] && return 0
	echo "$deps_label: installing:$missing"
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
