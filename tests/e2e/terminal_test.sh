#!/usr/bin/env bash
# The interactive terminal (`agenthost` with no arguments) driven for real inside tmux: keys go
# in with send-keys, the screen comes back with capture-pane. Offline (llmsim scripts), with
# HOME, the data dir and tmux's server all in a temp folder.
#   usage: terminal_test.sh BUILD_DIR
# Every expectation polls the screen for up to $WAIT seconds; nothing asserts on elapsed time.
set -euo pipefail

build=$(cd "${1:?usage: terminal_test.sh BUILD_DIR}" && pwd)
bin=$build/agenthost
probe_dir=$build/plugin_fixtures/probe
WAIT=${WAIT:-10}
[ -x "$bin" ] || { echo "terminal_test: no agenthost at $bin (build it first)" >&2; exit 1; }
[ -f "$probe_dir/probe.so" ] || { echo "terminal_test: no probe fixture in $probe_dir (build plugin_fixtures)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "terminal_test: tmux is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d)
export TMUX_TMPDIR=$tmp  # a tmux server of our own, whatever the caller runs
unset TMUX
tm() { tmux -L e2e "$@"; }
cleanup() {
  tm kill-server 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/home" "$tmp/ws"
failures=0
current=""

# start NAME [ENV=VALUE...] -- ARGS...: run agenthost in a new tmux session NAME. When it exits
# the pane says "[exited STATUS]" and stays open.
start() {
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local launcher=$tmp/run-$name.sh
  {
    echo "cd $(printf %q "$tmp/ws")"
    printf 'env -u ANTHROPIC_API_KEY -u OPENAI_API_KEY -u OPENAI_BASE_URL -u XDG_STATE_HOME -u XDG_DATA_HOME'
    printf ' -u AGENTHOST_LLMSIM_SCRIPT -u AGENTHOST_LLMSIM_DELAY_MS -u NO_COLOR'
    printf ' %q' "HOME=$tmp/home" "LANG=C.UTF-8" "${envs[@]}" "$bin" --data-dir "$tmp/data" "$@"
    echo
    echo 'echo "[exited $?]"'
    echo 'exec sleep 600'
  } >"$launcher"
  tm new-session -d -s "$name" -x 120 -y 40 "bash $(printf %q "$launcher")"
  current=$name
}

screen() { tm capture-pane -p -J -t "$current" -S - ; }

fail() {
  echo "FAIL [$current]: $*" >&2
  echo "----- screen -----" >&2
  screen >&2 || true
  echo "------------------" >&2
  failures=$((failures + 1))
}

# expect TEXT: the screen shows TEXT (a fixed string) within $WAIT seconds.
expect() {
  local deadline=$((SECONDS + WAIT))
  while ! screen | grep -qF -- "$1"; do
    if [ $SECONDS -ge $deadline ]; then fail "expected to see: $1"; return 0; fi
    sleep 0.1
  done
  echo "ok   [$current] $1"
}

# expect_not TEXT: the screen does not show TEXT (checked once, after an expect that settles it).
expect_not() {
  if screen | grep -qF -- "$1"; then fail "did not expect: $1"; else echo "ok   [$current] no '$1'"; fi
}

type_line() { tm send-keys -t "$current" -l "$1"; tm send-keys -t "$current" Enter; }
keys() { tm send-keys -t "$current" "$@"; }

# --- 1. a turn with a tool call, the slash commands, Ctrl-C twice at an empty prompt --------
cat >"$tmp/math.json" <<'JSON'
{"responses": [{"text": "Let me multiply.", "tool_calls": [{"name": "multiply", "arguments": {"a": 6, "b": 7}}]},
               {"text": "The answer is 42."}]}
JSON
start basics -- --harness math --llmsim-script "$tmp/math.json"
expect "agenthost · session "
expect "model llmsim · harness math · offline"
type_line "What is 6 times 7?"
expect "Let me multiply."
expect "⏺ multiply(a: 6, b: 7)"
expect "  ⎿ 42"
expect "The answer is 42."
expect "✻ 2 iterations · 1 tool call"
type_line "/help"
expect "/sessions"
expect "/quit, /exit"
type_line "/nope"
expect "unknown command /nope"
expect "commands: /help /model /sessions /quit"
type_line "/model"
expect "model llmsim (driver llmsim)"
type_line "/sessions"
expect "(this session)"
sid=$(screen | grep -o 'session [0-9a-f-]\{36\}' | head -1 | cut -d' ' -f2)
keys C-c
expect "(Ctrl-C again to exit, or /quit)"
keys C-c
expect "[exited 0]"

# --- 2. history survives a restart; Ctrl-D exits -------------------------------------------
start history -- --harness math --llmsim-script "$tmp/math.json"
expect "agenthost · session "
keys Up
expect "> /sessions"
keys Up
expect "> /model"
history_file=$tmp/home/.local/state/agenthost/history
mode=$(stat -c %a "$history_file" 2>/dev/null || echo missing)
if [ "$mode" = 600 ]; then echo "ok   [history] $history_file is 0600"; else fail "history file mode is $mode, not 600"; fi
keys C-u C-d
expect "[exited 0]"

# --- 3. resume a session: its last messages are shown ---------------------------------------
if [ -n "$sid" ]; then
  start resume -- --harness math --llmsim-script "$tmp/math.json" --session "$sid"
  expect "agenthost · session $sid"
  expect "resumed: "
  expect "> What is 6 times 7?"
  expect "⏺ multiply(a: 6, b: 7)"
  expect "The answer is 42."
  type_line "/quit"
  expect "[exited 0]"
else
  fail "no session id in the banner"
fi

# --- 4. Ctrl-C interrupts a streaming turn (text shown so far proves it streams); twice exits --
words=""
for i in $(seq 1 80); do words+="word$i "; done
printf '{"responses": [{"text": "%sEND-OF-ANSWER"}]}\n' "$words" >"$tmp/slow.json"
start slow AGENTHOST_LLMSIM_DELAY_MS=400 -- --harness math --llmsim-script "$tmp/slow.json"
expect "agenthost · session "
type_line "Tell me a long story"
expect "word1 "
keys C-c
expect "⏹ interrupted"
expect_not "END-OF-ANSWER"
type_line "/model"
expect "model llmsim (driver llmsim)"
type_line "Another long one"
expect "word2 "
keys C-c
expect "⏹ interrupting… (Ctrl-C again exits)"
expect "⏹ interrupted"
keys C-c  # the second Ctrl-C in a row (the turn has ended by now: it exits from the prompt)
expect "[exited 0]"

# --- 5. approvals (yes, no, Ctrl-C) and capability commands (the probe fixture) ---------------
cat >"$tmp/probe-harness.json" <<'JSON'
{"name": "probe-harness", "extends": "base", "capabilities": ["probe"]}
JSON
cat >"$tmp/ask.json" <<'JSON'
{"responses": [{"tool_calls": [{"name": "ask", "arguments": {"summary": "run make clean"}}]}, {"text": "First done."},
               {"tool_calls": [{"name": "ask", "arguments": {"summary": "run make install"}}]}, {"text": "Second done."},
               {"tool_calls": [{"name": "ask", "arguments": {"summary": "run make deploy"}}]}, {"text": "Third done."}]}
JSON
start approvals -- --harness "$tmp/probe-harness.json" --plugin-dir "$probe_dir" --llmsim-script "$tmp/ask.json"
expect "agenthost · session "
type_line "/help"
expect "/probe_cmd"
type_line "/probe_cmd some args"
expect "probe ran with some args"
type_line "Clean up please"
expect "? approve exec: run make clean"
expect "[y]es / [n]o ›"
expect_not "[a]lways"
type_line "y"
expect "  approved"
expect '"approved":true'
expect "First done."
type_line "Install it"
expect "? approve exec: run make install"
keys Enter
expect "  denied"
expect '"approved":false'
expect "Second done."
type_line "Deploy it"
expect "? approve exec: run make deploy"
keys C-c  # Ctrl-C at the question: denied, and the turn is interrupted
expect "  denied (interrupted)"
expect "⏹ interrupted"
expect_not "Third done."
type_line "/exit"
expect "[exited 0]"

# --- 6. the terminal shows what will run: hostile model text and commands are inert ------------
title() { tm display -p -t "$current" '#{pane_title}'; }
# The pane with its attributes as escapes (capture-pane -e): what the text was drawn with.
raw_screen() { tm capture-pane -p -e -J -t "$current" -S - ; }

# A control first: a program that does print OSC 2 does retitle this pane, so the title checks
# below can fail.
tm new-session -d -s control -x 80 -y 10 "printf '\033]2;control-title\007'; exec sleep 600"
current=control
deadline=$((SECONDS + WAIT))
until [ "$(title)" = control-title ]; do
  if [ $SECONDS -ge $deadline ]; then fail "control: OSC 2 did not retitle the pane (title '$(title)')"; break; fi
  sleep 0.1
done
[ "$(title)" = control-title ] && echo "ok   [control] OSC 2 retitles a pane"

# The command that would run is `echo hacked > pwned.txt`; a carriage return and an erase-line
# made the old prompt show only "ls -la". The model's text tries OSC 0/2 (titles), concealed
# text (SGR 8), a cursor move and a right-to-left override.
cat >"$tmp/hostile.json" <<'JSON'
{"responses": [
  {"text": "Checking.\u001b]0;pwned-title\u0007 Listing \u001b]2;pwned-two\u001b\\now \u202eexe.txt\u001b[1A \u001b[8mHIDDEN\u001b[0m",
   "tool_calls": [{"name": "bash", "arguments": {"command": "echo hacked > pwned.txt #\r\u001b[2K\u001b[1Gls -la"}}]},
  {"text": "Listed."}]}
JSON
start hostile -- --harness coding --llmsim-script "$tmp/hostile.json"
expect "agenthost · session "
before_title=$(title)
type_line "list the files"
expect 'Checking.\x1b]0;pwned-title\x07 Listing \x1b]2;pwned-two\x1b\now \u{202e}exe.txt\x1b[1A \x1b[8mHIDDEN\x1b[0m'
expect '? approve exec: run bash: echo hacked > pwned.txt #\x0d\x1b[2K\x1b[1Gls -la'
expect "[y]es / [n]o / [a]lways"
after_title=$(title)
if [ "$after_title" = "$before_title" ] && [[ "$after_title" != *pwned* ]]; then
  echo "ok   [hostile] the window title stayed '$after_title'"
else
  fail "the window title changed from '$before_title' to '$after_title'"
fi
if raw_screen | grep -Eq $'\e\\[([0-9;]*;)?8m'; then fail "concealed text (SGR 8) reached the pane"; else echo "ok   [hostile] nothing drawn concealed"; fi
if raw_screen | grep -q $'\e\[1m? approve exec'; then echo "ok   [hostile] the question is drawn bold, by us"; else fail "the question is not drawn bold"; fi
type_line "n"
expect "  denied"
expect "Listed."
if [ -e "$tmp/ws/pwned.txt" ]; then fail "the denied command ran"; else echo "ok   [hostile] the denied command did not run"; fi
[ "$(title)" = "$before_title" ] || fail "the window title changed to '$(title)'"
type_line "/quit"
expect "[exited 0]"

if [ $failures -gt 0 ]; then
  echo "terminal_test: $failures expectation(s) failed" >&2
  exit 1
fi
echo "terminal_test: all expectations met"
