#!/usr/bin/env bash
# The Debian package: cpack -G DEB from an existing build tree (reconfigured for the /usr prefix
# if needed, so the library lands in Debian's multiarch libdir), then unpacked with dpkg-deb -x
# into a temporary root and run from there — `agenthost plugins list` and one llmsim turn — with
# the build tree moved away, so the plugins and harnesses can only come from the unpacked files.
# Usage: scripts/deb_test.sh [BUILD_DIR]   (default: build)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
if [[ -d "$build" ]]; then
    build="$(cd "$build" && pwd)"
elif [[ "$build" != /* ]]; then
    build="$root/$build"
fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
    echo "deb_test: $build is not a configured build directory" >&2
    exit 2
fi
for tool in cpack dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { echo "deb_test: $tool is missing (apt-get install dpkg-dev)" >&2; exit 2; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/agenthost-deb.XXXXXX")"
hidden="$build.deb-test-moved-away"
cleanup() {
    if [[ -d "$hidden" && ! -e "$build" ]]; then mv "$hidden" "$build"; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }
start=$SECONDS

if ! grep -q '^CMAKE_INSTALL_PREFIX:PATH=/usr$' "$build/CMakeCache.txt"; then
    echo "== reconfiguring $build for the /usr prefix"
    cmake -DCMAKE_INSTALL_PREFIX=/usr "$build" >/dev/null
fi
echo "== building what changed, then cpack -G DEB"
cmake --build "$build" -j "${AGENTHOST_JOBS:-$(nproc)}" >"$tmp/build.log" || { tail -50 "$tmp/build.log" >&2; exit 1; }
(cd "$build" && cpack -G DEB -B "$tmp/package" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log" >&2; exit 1; }
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")"
deb="$tmp/package/agenthost_${version}_$(dpkg --print-architecture).deb"
[[ -f "$deb" ]] || { ls "$tmp/package" >&2; fail "cpack made no $(basename "$deb")"; }
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
dpkg-deb --field "$deb" Package Version Architecture Depends Recommends

depends="$(dpkg-deb --field "$deb" Depends)"
# (Debian's spdlog package is libspdlog1.10-fmt9: a name may carry a suffix.)
for lib in libboost-json1\\.81\\.0 libspdlog1\\.10 libre2-9 libssl3 libstdc\\+\\+6 libedit2; do
    grep -Eq "(^|, )$lib[-a-z0-9.]*( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
[[ "$(dpkg-deb --field "$deb" Recommends)" == *bubblewrap* ]] || fail "bubblewrap is not recommended"

multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)"
dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/contents"
for f in /usr/bin/agenthost \
    "/usr/lib/$multiarch/libagenthost.so.$version" "/usr/lib/$multiarch/libagenthost.so" \
    "/usr/lib/$multiarch/agenthost/plugins/llmsim.so" "/usr/lib/$multiarch/agenthost/plugins/llmsim.json" \
    "/usr/lib/$multiarch/agenthost/plugins/filesystem.so" /usr/share/agenthost/harnesses/math.json \
    /usr/include/agenthost/runtime.hpp /usr/include/agenthost/export.hpp /usr/include/ahp/ahp.h \
    "/usr/lib/$multiarch/cmake/agenthost/agenthostConfig.cmake" "/usr/lib/$multiarch/cmake/agenthost/agenthostConfigVersion.cmake" \
    "/usr/lib/$multiarch/cmake/ahp/ahpConfig.cmake"; do
    grep -qx -- "$f" "$tmp/contents" || fail "the package lacks $f"
done
if grep -q "$build\|/plugin_fixtures/\|_tests$" "$tmp/contents"; then fail "the package holds build-tree or test files"; fi

echo "== unpacking it into $tmp/root and moving $build away"
dpkg-deb -x "$deb" "$tmp/root"
mv "$build" "$hidden"
mkdir -p "$tmp/cwd" "$tmp/home"
cp "$root/scripts/demo/math.json" "$tmp/math-script.json"
agenthost=(env -u AGENTHOST_PLUGIN_PATH -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u ANTHROPIC_API_KEY -u OPENAI_API_KEY
    -u OPENAI_BASE_URL HOME="$tmp/home" "$tmp/root/usr/bin/agenthost")

echo "== agenthost plugins list (from the unpacked root)"
(cd "$tmp/cwd" && "${agenthost[@]}" plugins list) >"$tmp/plugins.txt" 2>&1 || { cat "$tmp/plugins.txt" >&2; fail "plugins list failed"; }
cat "$tmp/plugins.txt"
grep -qx "  $tmp/root/usr/lib/$multiarch/agenthost/plugins" "$tmp/plugins.txt" ||
    fail "plugins list does not search the unpacked $tmp/root/usr/lib/$multiarch/agenthost/plugins"
grep -q "^llmsim .*loaded" "$tmp/plugins.txt" || fail "llmsim is not loaded from the package"
grep -q "^filesystem .*loaded" "$tmp/plugins.txt" || fail "filesystem is not loaded from the package"
grep -q " 0 refused$" "$tmp/plugins.txt" || fail "the package has refused plugins"

echo "== one llmsim turn with the math harness (from the unpacked root)"
(cd "$tmp/cwd" && "${agenthost[@]}" run -p "What is 1231 * 2331 and 17 + 25?" --harness math \
    --llmsim-script "$tmp/math-script.json" --data-dir "$tmp/data" --output-format json) >"$tmp/run.json" 2>"$tmp/run.err" ||
    { cat "$tmp/run.json" "$tmp/run.err" >&2; fail "the llmsim turn failed"; }
cat "$tmp/run.json"
python3 - "$tmp/run.json" <<'PY' || fail "the turn's JSON is not a successful math answer"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["success"] is True and r["iterations"] == 2, r
assert "2,869,461" in r["result"] and "42" in r["result"], r["result"]
PY
events="$(ls "$tmp/data/sessions/"*.jsonl)"
grep -q '"tool.completed".*2869461' "$events" || fail "the session log lacks the multiply tool's result"

mv "$hidden" "$build"
echo "deb_test: ok — $(basename "$deb") installs the runtime, which runs from its unpacked root ($((SECONDS - start)) s)"
