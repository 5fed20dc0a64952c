#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every test (unit, end to end,
# and the real-mpirun tests). README.md and .ci/run call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

./launch/install-deps.sh
command -v swift >/dev/null || { echo "test.sh: swift is not on PATH (README.md, Requirements)" >&2; exit 1; }

echo "== build (debug, with tests)"
swift build --build-tests

echo "== swift test"
swift test --skip-build
