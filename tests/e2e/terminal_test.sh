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

# --- 6. SIGTERM cancels a running turn (recorded) and exits 143; SIGHUP at the prompt exits 129 --
agent_pid() { pgrep -P "$(tm display-message -p -t "$current" '#{pane_pid}')" -x agenthost; }
start term AGENTHOST_LLMSIM_DELAY_MS=400 -- --harness math --llmsim-script "$tmp/slow.json"
expect "agenthost · session "
type_line "Tell me a long story"
expect "word1 "
kill -TERM "$(agent_pid)"
expect "[exited 143]"
expect_not "END-OF-ANSWER"
last_log=$(ls -t "$tmp"/data/sessions/*.jsonl | head -n 1)
if tail -n 1 "$last_log" | grep -qF '"type":"turn.cancelled"'; then
  echo "ok   [term] the log ends with turn.cancelled"
else
  fail "the log does not end with turn.cancelled"
fi
start hup -- --harness math --llmsim-script "$tmp/slow.json"
expect "agenthost · session "
kill -HUP "$(agent_pid)"
expect "[exited 129]"

if [ $failures -gt 0 ]; then
  echo "terminal_test: $failures expectation(s) failed" >&2
  exit 1
fi
echo "terminal_test: all expectations met"
