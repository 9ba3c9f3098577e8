#!/bin/sh
# An interactive bash in a tmux pane, run as PID 1 of a private PID namespace
# by run.sh. This is how a user keeps a session across a kernel update: the
# tmux server holds the pty master, so the server and its shells form one
# tree that ferry carries whole (pty pair, controlling terminal, settings,
# window size); the tmux client, a terminal outside the tree, is not carried:
# a new one talks to the restored server through its (restored) socket.
#
# Type commands (a variable, a function, a cd, stty settings, history),
# ROUNDS times checkpoint the server's tree with --kill and restore it, then
# type more and check: the variable and function are there, history has the
# earlier lines, the terminal has the same settings (read from outside while
# the shell waits at its prompt, and by stty in the shell), the cwd is the
# same, the shell answers new input on the terminal and exits on `exit`.
#
# Usage: interactive_shell.sh BUILD ROUNDS
# host-test: run pidns 1
# host-test: run pidns 2
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
build="$1" rounds="$2"
rounds_label interactive-shell "$rounds"
ferry="$build/bin/ferry"

for c in tmux bash; do
	command -v "$c" >/dev/null || skip "$c is not installed"
done
dir=$(mktemp -d /tmp/ferry-shell.XXXXXX)
sock="$dir/tmux.sock"
work="$dir/work dir"
mkdir "$work"

# fail shows ferry's log and the end of the pane, and stops tmux
fail_report() {
	show_tails 20 "    " "$dir/log"
	tm capture-pane -p 2>/dev/null | grep . | tail -n 10 | sed 's/^/    | /'
}

cleanup() {
	tm kill-server 2>/dev/null
	[ -n "${server:-}" ] && kill -9 "$server" "$shell" 2>/dev/null
	rm -rf "$dir"
}

tm() {
	tmux -S "$sock" "$@"
}

# Whether the pane shows a line matching $1.
pane_shows() {
	tm capture-pane -p | grep -q "$1"
}

# Type line $1 into the shell, then a command creating $dir/$2; wait for it.
type_line() {
	tm send-keys -l "$1" && tm send-keys Enter &&
		tm send-keys -l ": > \"\$FERRY_DIR/$2\"" && tm send-keys Enter ||
		fail "tmux send-keys failed"
	wait_for 100 "the shell did not run: $1" exists "$dir/$2"
}

# "ppid pgid sid tpgid" of $1, and whether it has a controlling terminal
ids() {
	sed 's/^.*) [A-Za-z] \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\) \([-0-9]*\) .*/\1 \2 \3 tty:\4 \5/' \
		"/proc/$1/stat" | sed 's/tty:0 /no-tty /; s/tty:[0-9]* /tty /'
}

# The terminal's settings and size, read from outside the shell.
outside_stty() {
	tty=$(readlink "/proc/$shell/fd/0")
	case "$tty" in
	/dev/pts/*) stty -a -F "$tty" ;;
	*) echo "stdin is $tty" ;;
	esac
}

# the server inherits nothing beyond stdio: the tree must be self-contained
FERRY_DIR="$dir" bash -c 'for fd in /proc/$$/fd/*; do
		fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@"' - \
	tmux -S "$sock" -f /dev/null new-session -d -x 100 -y 30 \
	"exec env HISTFILE= PS1='\$ ' bash --norc --noprofile -i" >>"$dir/log" 2>&1 ||
	fail "tmux did not start"
server=$(tm display -p '#{pid}') && shell=$(tm display -p '#{pane_pid}') ||
	fail "tmux does not answer"

type_line 'ferry_var="kept 42"' 1
type_line 'greet() { echo "hello, $1"; }' 2
type_line 'cd "$FERRY_DIR/work dir"' 3
type_line 'stty cols 91 rows 33 -echo intr ^B' 4
type_line 'stty -a > "$FERRY_DIR/stty.before"; echo "first $((6 * 7))"' 5
sleep 0.3 # back at the prompt, reading
ids_before=$(ids "$shell")
outside_stty >"$dir/outside.before" 2>&1
grep -q 'rows 33; columns 91' "$dir/outside.before" ||
	fail "stty did not set the size: $(head -n 1 "$dir/outside.before")"
pane_shows '^first 42$' || fail "the shell did not answer before the checkpoint"

round=1
while [ "$round" -le "$rounds" ]; do
	"$ferry" checkpoint --tree "$server" -o "$dir/image" --kill >>"$dir/log" 2>&1 ||
		fail "checkpoint $round failed"
	wait_gone 50 "$server" "$shell" || fail "the tree is still there after checkpoint --kill"
	"$ferry" restore "$dir/image" >>"$dir/log" 2>&1 || fail "restore $round failed"
	[ -e "/proc/$server" ] && [ -e "/proc/$shell" ] ||
		fail "the server or the shell is not there after restore $round"
	[ "$(tm display -p '#{pid} #{pane_pid}')" = "$server $shell" ] ||
		fail "after restore $round tmux does not answer as before"
	ids_after=$(ids "$shell")
	[ "$ids_after" = "$ids_before" ] ||
		fail "after restore $round the shell's ppid pgid sid tpgid are $ids_after, not $ids_before"
	outside_stty >"$dir/outside.after" 2>&1
	cmp -s "$dir/outside.before" "$dir/outside.after" ||
		fail "after restore $round the terminal's settings differ: $(diff "$dir/outside.before" "$dir/outside.after" | tr '\n' ' ')"
	type_line "echo \"round $round\"" "round.$round"
	sleep 0.3
	round=$((round + 1))
done

[ "$(readlink "/proc/$shell/cwd")" = "$work" ] || fail "the cwd is $(readlink "/proc/$shell/cwd")"
type_line '{ echo "var=$ferry_var"; greet there; pwd; stty -a > "$FERRY_DIR/stty.after"; history; } > "$FERRY_DIR/after" 2>&1' 6
grep -qx 'var=kept 42' "$dir/after" || fail "the variable is lost: $(head -n 1 "$dir/after")"
grep -qx 'hello, there' "$dir/after" || fail "the function is lost: $(sed -n 2p "$dir/after")"
grep -qxF "$work" "$dir/after" || fail "the shell's cwd is $(sed -n 3p "$dir/after")"
for h in 'ferry_var="kept 42"' 'greet() { echo "hello, $1"; }' 'cd "$FERRY_DIR/work dir"' \
	'stty cols 91 rows 33 -echo intr ^B' 'echo "round 1"'; do
	grep -qF " $h" "$dir/after" || fail "history lacks: $h"
done
cmp -s "$dir/stty.before" "$dir/stty.after" ||
	fail "stty -a in the shell differs: $(diff "$dir/stty.before" "$dir/stty.after" | tr '\n' ' ')"
grep -q 'intr = ^B;' "$dir/stty.after" && grep -q ' -echo ' "$dir/stty.after" ||
	fail "the shell's terminal settings are not the ones set: $(head -n 2 "$dir/stty.after")"

tm send-keys -l 'echo "answer $((6 * 7))"' && tm send-keys Enter
wait_for 50 "the shell does not answer on its terminal" pane_shows '^answer 42$'
tm send-keys -l 'exit' && tm send-keys Enter
wait_gone 50 "$shell" "$server" || fail "the shell and the server did not exit"
echo "PASS: $label"
rm -rf "$dir"
