#!/usr/bin/env bash
# Prove that the tests which replay recorded data read nothing outside the repository: run them
# with the repository's parent folder replaced by an empty one (a mount namespace made by
# bubblewrap), so that no sibling folder of the clone is there, exactly as in a fresh clone.
# Usage: scripts/fresh_clone_check.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: fresh_clone_check.sh BUILD_DIR}" && pwd)"
parent="$(dirname "$root")"
if [ "$parent" = "/" ]; then
  echo "fresh_clone_check: the repository is at $root, directly under /: nothing beside it to hide" >&2
  exit 0
fi
case "$build" in
  "$root"/*) ;;
  *) echo "fresh_clone_check: the build folder $build must be inside the repository $root" >&2; exit 2 ;;
esac

# Every suite that reads tests/fixtures (grep provider_fixture|fixtures_dir|web_fixture tests/).
filter='*OpenAi*:*Anthropic*:*HtmlMarkdown*:*WebSearch*:Web.*:*RecordedOverHttp*:*PromptCaching*'
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
bwrap --dev-bind / / --tmpfs "$parent" --bind "$root" "$root" --chdir "$root" -- \
  "$build/agenthost_tests" --gtest_filter="$filter" --gtest_brief=1 >"$out" 2>&1 || {
  cat "$out"
  echo "fresh_clone_check: the fixture tests fail with nothing beside the repository" >&2
  exit 1
}
ran="$(sed -n 's/^\[==========\] \([0-9]*\) tests\? from .* ran\..*/\1/p' "$out")"
tail -n 3 "$out"
if [ "${ran:-0}" -lt 150 ]; then
  echo "fresh_clone_check: only ${ran:-0} fixture tests ran; expected at least 150" >&2
  exit 1
fi
echo "fresh_clone_check: $ran fixture tests passed with nothing beside $root"
