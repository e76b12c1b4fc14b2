#!/usr/bin/env bash
# Build Release and run every benchmark in tests/bench (numbers in README.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$root/build-rel" Release
for b in "$root"/build-rel/*_bench; do
  echo "== $(basename "$b")"
  "$b" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
done
