#!/usr/bin/env bash
# Install what is missing, build, and run the agent offline (the llmsim driver plays a
# script) in a sample workspace.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$root/build" RelWithDebInfo

work="$(mktemp -d /tmp/agenthost-demo.XXXXXX)"
data="$(mktemp -d /tmp/agenthost-demo-data.XXXXXX)"
trap 'rm -rf "$work" "$data"' EXIT
cp -r "$root/scripts/demo/workspace/." "$work/"
cd "$work"
echo "== the coding agent, offline (llmsim plays scripts/demo/coding.json), in a sample workspace: $work"
echo "\$ agenthost run -p \"Make greet.sh print 'Hello, NAME!' and check it\" --approval auto"
"$root/build/agenthost" run -p "Make greet.sh print 'Hello, NAME!' and check it" --approval auto \
  --llmsim-script "$root/scripts/demo/coding.json" --data-dir "$data"
echo
echo "\$ cat greet.sh"
cat greet.sh
echo
echo "\$ agenthost sessions list"
"$root/build/agenthost" sessions list --data-dir "$data"
echo
echo "Next: run $root/build/agenthost in a project of yours (interactive), or see README.md."
