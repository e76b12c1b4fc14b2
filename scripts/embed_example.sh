#!/usr/bin/env bash
# The runtime as a library, as an embedder gets it:
#   1. install the build into a temporary prefix; build examples/embed out of tree against the
#      *installed* package (find_package(agenthost 0.1) + one target_link_libraries), run it from
#      a folder that holds no plugins, and check what it printed;
#   2. find_package(agenthost 9.0) must fail with CMake's version error;
#   3. a project that add_subdirectory()s this repository gets the same agenthost::runtime, and
#      its build of the example runs too (its build tree is BUILD_DIR/embed-subdir, kept so a
#      compiler cache can reuse it).
# Usage: scripts/embed_example.sh [BUILD_DIR]   (default: build)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
if [[ -d "$build" ]]; then
    build="$(cd "$build" && pwd)"
elif [[ "$build" != /* ]]; then
    build="$root/$build"
fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
    echo "embed_example: $build is not a configured build directory" >&2
    exit 2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/agenthost-embed-example.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
fail() { echo "embed_example: $*" >&2; exit 1; }

# check_output <what> <file>: the example's output must show the file tool's result, and the
# resumed runtime must see the whole history (user, agent with the call, tool result, agent).
check_output() {
    local what="$1" out="$2"
    grep -q '^event [0-9]* tool.completed .*"tool_name":"read_file"' "$out" || fail "$what: no tool.completed event for read_file"
    grep -q 'tool.completed .*The meeting moved to Thursday at 10' "$out" || fail "$what: the read_file result is not the file's text"
    grep -q '^turn succeeded after 2 model calls: Your notes say the meeting moved to Thursday at 10\.$' "$out" ||
        fail "$what: the turn did not succeed with the scripted answer"
    grep -q '^resumed session ' "$out" || fail "$what: the session was not resumed"
    local history
    history="$(grep '^history ' "$out" | cut -d: -f1 | tr '\n' ' ')"
    [[ "$history" == "history user history agent history tool_result history agent " ]] ||
        fail "$what: the resumed history is '$history', not user, agent, tool_result, agent"
    grep -q '^history tool_result: \[read_file returned .*The meeting moved to Thursday at 10' "$out" ||
        fail "$what: the resumed history lacks the read_file result"
}

# run_example <what> <binary>: run it from an empty folder with an empty home, so nothing but
# what the runtime finds from its own library's location can provide plugins.
run_example() {
    local what="$1" binary="$2"
    mkdir -p "$tmp/run-$what/cwd" "$tmp/run-$what/home"
    (cd "$tmp/run-$what/cwd" &&
        env -u AGENTHOST_PLUGIN_PATH -u XDG_DATA_HOME -u XDG_CONFIG_HOME HOME="$tmp/run-$what/home" \
            "$binary" "$tmp/run-$what/data" >"$tmp/run-$what/out" 2>"$tmp/run-$what/err") || {
        cat "$tmp/run-$what/out" "$tmp/run-$what/err" >&2
        fail "$what: the example failed"
    }
    cat "$tmp/run-$what/out"
    check_output "$what" "$tmp/run-$what/out"
}

echo "== installing $build into $tmp/prefix"
start=$SECONDS
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log" >&2; exit 1; }

echo "== building examples/embed against the installed package"
cmake -S "$root/examples/embed" -B "$tmp/example-build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >"$tmp/configure.log" ||
    { cat "$tmp/configure.log" >&2; exit 1; }
grep -q "^agenthost_DIR:PATH=$tmp/prefix/" "$tmp/example-build/CMakeCache.txt" || fail "agenthost was not found in $tmp/prefix"
cmake --build "$tmp/example-build" >"$tmp/build.log" || { cat "$tmp/build.log" >&2; exit 1; }
ldd "$tmp/example-build/embed" | grep -q "libagenthost.so.0.1 => $tmp/prefix/" ||
    fail "the example does not link the installed libagenthost.so"

echo "== running it from a folder without plugins"
run_example installed "$tmp/example-build/embed"
cp "$tmp/example-build/embed" "$tmp/embed.stripped" && strip "$tmp/embed.stripped"
echo "embed_example: the installed example took $((SECONDS - start)) s; stripped embedder: $(stat -c %s "$tmp/embed.stripped") bytes"

echo "== find_package(agenthost 9.0) must be refused"
mkdir -p "$tmp/too-new"
cat >"$tmp/too-new/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(too_new LANGUAGES CXX)
find_package(agenthost 9.0 REQUIRED)
CMAKE
if cmake -S "$tmp/too-new" -B "$tmp/too-new/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/too-new.log" 2>&1; then
    fail "find_package(agenthost 9.0) succeeded against version 0.1"
fi
grep -q 'compatible with requested version "9.0"' "$tmp/too-new.log" && grep -q 'version: 0\.1\.0' "$tmp/too-new.log" ||
    { cat "$tmp/too-new.log" >&2; fail "find_package(agenthost 9.0) failed without CMake's version message"; }
echo "refused: $(grep -m1 -o 'compatible with requested version "9.0"' "$tmp/too-new.log") (found 0.1.0)"

echo "== add_subdirectory() of the repository"
start=$SECONDS
project="$build/embed-subdir"
mkdir -p "$project/src"
cat >"$project/src/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(agenthost_subdirectory_user LANGUAGES C CXX)
add_subdirectory("$root" agenthost)
add_executable(embed "$root/examples/embed/embed.cpp")
target_link_libraries(embed PRIVATE agenthost::runtime)
CMAKE
launcher=()
if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# Debug without -g: the quickest build that still compiles every source of the runtime.
cmake -S "$project/src" -B "$project/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
    -DCMAKE_C_FLAGS_DEBUG=-O0 "${launcher[@]}" >"$tmp/subdir-configure.log" ||
    { cat "$tmp/subdir-configure.log" >&2; exit 1; }
grep -q '^AGENTHOST_BUILD_TESTS:BOOL=OFF$' "$project/build/CMakeCache.txt" || fail "the tests are built when agenthost is a subdirectory"
grep -q '^AGENTHOST_BUILD_BENCH:BOOL=OFF$' "$project/build/CMakeCache.txt" || fail "the benchmarks are built when agenthost is a subdirectory"
cmake --build "$project/build" -j "${AGENTHOST_JOBS:-$(nproc)}" --target embed llmsim filesystem >"$tmp/subdir-build.log" ||
    { tail -50 "$tmp/subdir-build.log" >&2; exit 1; }
[[ -f "$project/build/agenthost/plugins/llmsim.so" ]] || fail "the subdirectory's plugins are not in its own binary folder"
run_example subdirectory "$project/build/embed"
echo "embed_example: the add_subdirectory build took $((SECONDS - start)) s"
echo "embed_example: ok — built against the installed package and as a subdirectory; both ran and resumed"
