#!/usr/bin/env bash
# Sets everything up and runs the whole test suite. Used by .ci/run.
# Order: build, fuzz (CI), the aarch64 cross suites under qemu, then the native suites last, so
# that the run ends with ctest's summary of the main suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset=dev
[[ "${CI:-}" == "true" ]] && preset=ci
start=$SECONDS
"$here/scripts/setup.sh" "$preset"
echo "==> Build done after $((SECONDS - start)) s"
# Fuzz the scanner report decoder and the barcode classifier (60 s each in CI; fails on a crash).
if [[ "${CI:-}" == "true" || -n "${KIOSK_FUZZ_SECONDS:-}" ]]; then "$here/scripts/fuzz.sh"; fi
# Boards run arm64: cross-build the core and run its suites under qemu (KIOSK_SKIP_CROSS=1 skips).
"$here/scripts/cross-test.sh" aarch64
echo "==> Running tests ($preset), $((SECONDS - start)) s in"
cd "$here/build/$preset"
# A failed test runs once more: the VM rig's hot-plug under TCG and the GUI flows under load have
# each failed once in a loaded run and passed alone (see the closing note of 2026-12-04); a real
# fault fails twice. Remove the retry once those are made steady.
ctest --output-on-failure -j "$(nproc)" --timeout 600 --repeat until-pass:2
