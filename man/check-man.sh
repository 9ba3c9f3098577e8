#!/bin/sh
# The man pages against the code, so that they cannot drift:
#   man-ferry-8-commands  the commands of `ferry --help` are the command
#                         sections (.SS) of ferry(8), no more, no fewer
#   man-ferry-8-options   each command's options in `ferry COMMAND --help`
#                         (its usage line and its option lines) are the
#                         options of its section's items (.TP), and the
#                         global ones of `ferry --help` those of OPTIONS
#   man-ferry-init-8      the ferry.* parameters ferry-init reads
#                         (init_cmdline_arg) and its options are items of
#                         ferry-init(8), and each item there is read
#   man-ferry-conf-5      the keys of format/include/ferry/conf.h (what
#                         ferry.efi reads) are the items of KEYS in ferry.conf(5)
# Usage: man/check-man.sh FERRY_BINARY     (from anywhere; prints PASS/FAIL)
set -u
ferry="$1"
top="$(cd "$(dirname "$0")/.." && pwd)"
man="$top/man"
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $1: $2"
	failed=1
}

# options named in text: -x and --long-name after a space, bracket,
# parenthesis, bar or comma (not inside words like "sync+kexec" or "a-b")
options_in() {
	grep -oE '(^|[][ (|,])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[^-]*//' | sort -u
}

# roff to plain text: \- to -, font changes and quotes out
unroff() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' -e 's/"//g' \
		-e 's/^\.[A-Z][A-Z]* *//'
}

# the lines of SECTION (.SH) of a man page
man_section() {
	awk -v want="$2" '/^\.SH /{ sect = substr($0, 5); gsub(/"/, "", sect); next }
		sect == want' "$1"
}

# the items (.TP: the line after it) of text on stdin, as plain text
tp_items() {
	awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' | unroff
}

# differences IN_CODE IN_MAN (lists, one entry a line): what is in one and
# not the other, on one line; nothing when they are the same
differences() {
	extra=$(comm -23 "$1" "$2" | tr '\n' ' ')
	missing=$(comm -13 "$1" "$2" | tr '\n' ' ')
	[ -n "$extra" ] && printf 'in the code but not in the man page: %s' "$extra"
	[ -n "$extra" ] && [ -n "$missing" ] && printf '; '
	[ -n "$missing" ] && printf 'in the man page but not in the code: %s' "$missing"
	true
}

# verdict NAME CODE_LIST MAN_LIST: one PASS or FAIL line
verdict() {
	d=$(differences "$2" "$3")
	if [ -n "$d" ]; then fail "$1" "$d"; else echo "PASS: $1"; fi
}

if ! "$ferry" --help >"$tmp/help" 2>&1; then
	fail man-ferry-8-commands "'$ferry --help' failed: $(head -n 3 "$tmp/help")"
	exit 1
fi

# -- ferry(8) ---------------------------------------------------------------------
sed -n '/^Commands:/,/^$/p' "$tmp/help" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | sort >"$tmp/cmds.help"
man_section "$man/ferry.8" COMMANDS | sed -n 's/^\.SS *"\{0,1\}\([a-z][a-z-]*\)"\{0,1\}$/\1/p' |
	sort >"$tmp/cmds.man"
if [ ! -s "$tmp/cmds.help" ]; then
	fail man-ferry-8-commands "no commands in 'ferry --help'"
else
	verdict man-ferry-8-commands "$tmp/cmds.help" "$tmp/cmds.man"
fi

sed -n '/^Options:/,/^$/p' "$tmp/help" | grep '^ *-' | options_in >"$tmp/global.help"
man_section "$man/ferry.8" OPTIONS | tp_items | options_in >"$tmp/global.man"
d=$(differences "$tmp/global.help" "$tmp/global.man")
all="${d:+global options: $d. }"
while read -r cmd; do
	if ! "$ferry" "$cmd" --help >"$tmp/cmd.help" 2>&1; then
		all="$all'ferry $cmd --help' failed. "
		continue
	fi
	{ head -n 1 "$tmp/cmd.help"; grep '^ *-' "$tmp/cmd.help"; } | options_in >"$tmp/opts.help"
	man_section "$man/ferry.8" COMMANDS |
		awk -v cmd="$cmd" '/^\.SS /{ name = $2; gsub(/"/, "", name); next } name == cmd' |
		tp_items | options_in >"$tmp/opts.man"
	d=$(differences "$tmp/opts.help" "$tmp/opts.man")
	all="$all${d:+ferry $cmd: $d. }"
done <"$tmp/cmds.help"
if [ -n "$all" ]; then fail man-ferry-8-options "$all"; else echo "PASS: man-ferry-8-options"; fi

# -- ferry-init(8) ----------------------------------------------------------------------
init_src="$top/kernel-glue/early-init"
{
	# each FERRY_PARAM_* it reads, by its name in format/'s registry
	grep -ho 'init_cmdline_arg(FERRY_PARAM_[A-Z_]*' "$init_src"/*.c | sed 's/.*(//' |
		while read -r param; do
			sed -n "s/^#define $param \"\(ferry\.[a-z_-]*\)\".*/\1/p" \
				"$top/format/include/ferry/magic.h"
		done
	grep -ho 'strcmp(argv\[i\], "--[a-z][a-z-]*")' "$init_src"/main.c | sed 's/.*"\(.*\)".*/\1/'
} | sort -u >"$tmp/init.code"
{
	man_section "$man/ferry-init.8" "KERNEL COMMAND LINE" | tp_items | sed -n 's/^\(ferry\.[a-z_-]*\)=.*/\1/p'
	man_section "$man/ferry-init.8" OPTIONS | tp_items | options_in | grep -- '^--.'
} | sort -u >"$tmp/init.man"
if [ ! -s "$tmp/init.code" ]; then
	fail man-ferry-init-8 "found no parameters in $init_src"
else
	verdict man-ferry-init-8 "$tmp/init.code" "$tmp/init.man"
fi

# -- ferry.conf(5) ---------------------------------------------------------------------
sed -n 's/^#define FERRY_CONF_[A-Z_]* "\([a-z_]*\)".*/\1/p' "$top/format/include/ferry/conf.h" |
	sort -u >"$tmp/conf.code"
man_section "$man/ferry.conf.5" KEYS | tp_items | sed -n 's/^\([a-z_]*\)=.*/\1/p' | sort -u >"$tmp/conf.man"
if [ ! -s "$tmp/conf.code" ]; then
	fail man-ferry-conf-5 "found no keys in format/include/ferry/conf.h"
else
	verdict man-ferry-conf-5 "$tmp/conf.code" "$tmp/conf.man"
fi

exit "$failed"
