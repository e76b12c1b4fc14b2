#!/usr/bin/env bash
# `agenthost serve` driven with curl, as docs/daemon.md shows it: a real daemon on 127.0.0.1,
# offline (llmsim), with HOME and the data folder in a temp folder.
#   usage: daemon_curl_test.sh BUILD_DIR
# Waiting is bounded by curl's --max-time as a safety net; nothing asserts on elapsed time.
set -euo pipefail

build=$(cd "${1:?usage: daemon_curl_test.sh BUILD_DIR}" && pwd)
bin=$build/agenthost
[ -x "$bin" ] || { echo "daemon_curl_test: no agenthost at $bin (build it first)" >&2; exit 1; }
command -v curl >/dev/null || { echo "daemon_curl_test: curl is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/home" "$tmp/ws"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect() {  # expect NAME HAYSTACK NEEDLE
  case "$2" in *"$3"*) echo "ok: $1" ;; *) fail "$1: expected '$3' in: $2" ;; esac
}

HOME=$tmp/home "$bin" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" --harness base >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 3000); do
  grep -q "listening on" "$tmp/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
  sleep 0.01
done
base=$(sed -n 's/^listening on //p' "$tmp/out")
token=$(cat "$tmp/data/token")
c() { curl -sS --max-time 60 -H "Authorization: Bearer $token" "$@"; }
# until PATTERN CURL_ARGS...: a streaming curl's lines up to the first matching PATTERN, then stop it.
until_line() {
  local pattern=$1 line out=""
  shift
  coproc STREAM { c -N "$@" 2>/dev/null; }
  while IFS= read -r line <&"${STREAM[0]}"; do
    out+="$line"$'\n'
    case "$line" in *$pattern*) break ;; esac
  done
  kill "$STREAM_PID" 2>/dev/null || true
  wait "$STREAM_PID" 2>/dev/null || true
  printf '%s' "$out"
}

expect "health without a token" "$(curl -sS --max-time 60 "$base/v1/health")" '"status":"ok"'
expect "401 without a token" "$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' "$base/v1/sessions")" "401"
expect "token in the URL refused" "$(c "$base/v1/sessions?token=$token")" '"token_in_url"'

created=$(c -X POST "$base/v1/sessions" -H 'Content-Type: application/json' \
  -d "{\"work_dir\":\"$tmp/ws\",\"prompt\":\"hello\",\"driver_config\":{\"llmsim\":{\"responses\":[{\"text\":\"hi from curl\"},{\"text\":\"second answer\"}]}}}")
expect "create" "$created" '"session_id"'
sid=$(printf '%s' "$created" | sed -n 's/.*"session_id":"\([^"]*\)".*/\1/p')

# Follow the events until the first turn ends (NDJSON; curl stops reading at turn.completed).
first=$(until_line '"turn.completed"' "$base/v1/sessions/$sid/events?follow=1")
expect "first turn answered" "$first" '"response":"hi from curl"'

turn=$(c -X POST "$base/v1/sessions/$sid/messages" -d '{"text":"again"}')
expect "message accepted" "$turn" '"turn_id"'
last=$(printf '%s' "$first" | tail -1 | sed -n 's/.*"sequence":\([0-9]*\).*/\1/p')
second=$(until_line '"type":"turn.completed"' -H 'Accept: text/event-stream' -H "Last-Event-ID: $last" "$base/v1/sessions/$sid/events")
expect "SSE ids" "$second" "id: $((last + 1))"
expect "SSE from Last-Event-ID" "$second" '"response":"second answer"'

expect "describe" "$(c "$base/v1/sessions/$sid")" '"status":"idle"'
expect "metrics" "$(c "$base/v1/metrics")" 'agenthost_sessions{status="idle"} 1'
expect "openapi" "$(c "$base/v1/openapi.json")" '"openapi":"3.1.0"'
expect "bad work_dir" "$(c -X POST "$base/v1/sessions" -d '{"work_dir":"relative"}')" '"invalid_work_dir"'
expect "delete" "$(c -X DELETE "$base/v1/sessions/$sid")" '"deleted"'

kill "$pid"; wait "$pid" || true; pid=""
[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "daemon_curl_test: all passed"
