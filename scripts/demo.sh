#!/usr/bin/env bash
# Install what is missing, build, and run the agent offline (the llmsim driver plays a
# script) in a sample workspace.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$root/build" RelWithDebInfo

work="$(mktemp -d /tmp/agenthost-demo.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/scripts/demo/workspace/." "$work/"
cd "$work"
echo "== agenthost in a sample workspace: $work"
echo "\$ agenthost run -p \"What is 1231 * 2331, and what is 17 + 25?\" --harness math"
"$root/build/agenthost" run -p "What is 1231 * 2331, and what is 17 + 25?" --harness math \
  --llmsim-script "$root/scripts/demo/math.json" --data-dir "$work/.agenthost"
echo
echo "\$ agenthost sessions list"
"$root/build/agenthost" sessions list --data-dir "$work/.agenthost"
echo
echo "\$ agenthost plugins list"
"$root/build/agenthost" plugins list
