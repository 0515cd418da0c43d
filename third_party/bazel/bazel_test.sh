#!/usr/bin/env bash
# make bazel-test: install Bazel 4 if missing, build everything, run `bazel test //...` with the
# given extra flags, print one "N passed, N failed" line and shut the Bazel server down.
# Exit status: bazel test's (0 when every test passed).
set -uo pipefail
cd "$(dirname "$0")/../.."

if ! command -v bazel >/dev/null; then
  echo "Bazel not found: installing Debian's bazel-bootstrap (Bazel 4.2.3, offline-capable)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "error: Bazel is not installed and installing it needs root: apt-get install -y bazel-bootstrap" >&2
    exit 2
  fi
  $SUDO apt-get install -y bazel-bootstrap >/dev/null || { $SUDO apt-get update >/dev/null &&
    $SUDO apt-get install -y bazel-bootstrap >/dev/null; } || {
    echo "error: could not install bazel-bootstrap with apt-get" >&2; exit 2; }
fi

trap 'bazel shutdown >/dev/null 2>&1' EXIT
bazel build //... || exit $?
# Results must reflect today's .venv, which Bazel does not track: never reuse cached test results.
log=$(mktemp)
bazel test //... --nocache_test_results --test_summary=short "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^//\S+\s+PASSED' "$log")
failed=$(grep -cE '^//\S+\s+(FAILED|TIMEOUT|FLAKY|INCOMPLETE|NO STATUS)' "$log")
rm -f "$log"
echo "bazel test: ${passed} passed, ${failed} failed"
exit "$status"
