#!/usr/bin/env bash
# Build sdk/examples/hello out of tree against the *installed* SDK, then have the built
# agenthost check the plugin. Usage: scripts/sdk_example.sh [BUILD_DIR]   (default: build)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
# A relative BUILD_DIR is taken from the current folder if it exists there, else from the repo root.
if [[ -d "$build" ]]; then
    build="$(cd "$build" && pwd)"
elif [[ "$build" != /* ]]; then
    build="$root/$build"
fi

if [[ ! -f "$build/CMakeCache.txt" ]]; then
    echo "sdk_example: $build is not a configured build directory" >&2
    exit 2
fi
if [[ ! -x "$build/agenthost" ]]; then
    echo "sdk_example: $build/agenthost is missing; build it first" >&2
    exit 2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ahp-sdk-example.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

echo "== installing the SDK into $tmp/prefix"
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log" >&2
    exit 1
}

echo "== configuring sdk/examples/hello against it"
cmake -S "$root/sdk/examples/hello" -B "$tmp/hello-build" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON

echo "== building it"
cmake --build "$tmp/hello-build"

if [[ -f "$tmp/hello-build/CTestTestfile.cmake" ]]; then
    echo "== its unit test, on the installed fake host"
    ctest --test-dir "$tmp/hello-build" --output-on-failure
fi

manifest="$tmp/hello-build/plugins/hello.json"
for f in "$manifest" "$tmp/hello-build/plugins/hello.so"; do
    [[ -f "$f" ]] || { echo "sdk_example: $f was not built" >&2; exit 1; }
done

echo "== agenthost plugins check $manifest"
status=0
output="$("$build/agenthost" plugins check "$manifest" 2>&1)" || status=$?
printf '%s\n' "$output"
if [[ $status -ne 0 ]]; then
    echo "sdk_example: agenthost plugins check failed (exit $status)" >&2
    exit 1
fi
# The report must name the plugin and say it loaded (text "loaded" or JSON "loaded": true), and
# must not say it was refused.
if ! grep -q 'hello' <<<"$output" ||
    ! grep -qiE '(^|[^a-z_])loaded([^a-z_]|$)' <<<"$output" ||
    grep -qiE 'refused|not loaded|"loaded" *: *false' <<<"$output"; then
    echo "sdk_example: agenthost plugins check did not report hello as loaded" >&2
    exit 1
fi
echo "sdk_example: ok — hello built against the installed SDK and loaded"
