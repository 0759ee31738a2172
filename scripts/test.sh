#!/usr/bin/env bash
# Sets everything up and runs the whole test suite. Used by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset=dev
[[ "${CI:-}" == "true" ]] && preset=ci
"$here/scripts/setup.sh" "$preset"
# Fuzz the scanner report decoder and the barcode classifier (60 s each in CI; fails on a crash).
if [[ "${CI:-}" == "true" || -n "${KIOSK_FUZZ_SECONDS:-}" ]]; then "$here/scripts/fuzz.sh"; fi
echo "==> Running tests ($preset)"
cd "$here/build/$preset"
ctest --output-on-failure -j "$(nproc)" --timeout 600
# Boards run arm64: cross-build the core and run its suites under qemu (KIOSK_SKIP_CROSS=1 skips).
"$here/scripts/cross-test.sh" aarch64
