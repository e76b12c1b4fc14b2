#!/usr/bin/env bash
# Install what is missing, build, and run every test:
#   1. a Debug build and its full ctest run, then the fixture tests again with the folder
#      around the clone hidden (nothing outside the repository is read);
#   2. the same tests under AddressSanitizer + UBSan (the plugins, fixtures and CLI included);
#   3. the SDK example built out of tree against the installed SDK and loaded by agenthost;
#   4. the embedding example built against the installed runtime package, and as a subdirectory;
#   5. the Debian package, built from the Debug tree, unpacked and run from there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh"

echo "== build (Debug) and test"
"$root/scripts/build.sh" "$root/build-test" Debug
ctest --test-dir "$root/build-test" --output-on-failure -j 2

echo "== the fixture tests with nothing beside the repository"
"$root/scripts/fresh_clone_check.sh" "$root/build-test"

echo "== build with AddressSanitizer + UBSan and test"
"$root/scripts/build.sh" "$root/build-asan" Debug -DAGENTHOST_SANITIZE=ON -DAGENTHOST_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j 2

echo "== SDK example, out of tree against the installed SDK"
"$root/scripts/sdk_example.sh" "$root/build-test"

echo "== embedding example, against the installed runtime and as a subdirectory"
"$root/scripts/embed_example.sh" "$root/build-test"

echo "== Debian package"
"$root/scripts/deb_test.sh" "$root/build-test"

echo "== all tests passed"
