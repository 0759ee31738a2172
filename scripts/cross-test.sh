#!/usr/bin/env bash
# Cross-builds the core and its test suites for a board and runs them under qemu-user: the check
# that the kiosk still builds and behaves on arm64 (or armhf) boards, run by scripts/test.sh.
#
# Usage: scripts/cross-test.sh [aarch64|armhf] [--full]
#   default       lean: kiosk_core, the `kiosk` CLI and the core test suites (no GUI, no central)
#   --full        also cross-builds the touchscreen app and kiosk-central (links the target's GLFW,
#                 imgui, GL and cpp-httplib) in build/cross-<arch>-full; runs no tests
# Env: KIOSK_CROSS_SUITES  test suites to build and run (default: the core suites that exist)
#      KIOSK_SKIP_CROSS=1  skip (scripts/test.sh honours it too)
#      KIOSK_CROSS_EXCLUDE  ctest -E regex of tests not run under qemu (default: the fork+unshare/setuid ones)
#      KIOSK_CROSS_INSTALL_ONLY=1  only install what is missing (used by scripts/package.sh)
#
# Installs only what is missing: the cross compiler, qemu-user and the target's -dev packages
# (adding the dpkg architecture and running apt-get update only when they are needed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

arch=aarch64
full=0
for arg in "$@"; do
  case "$arg" in
    aarch64 | arm64) arch=aarch64 ;;
    armhf | arm) arch=armhf ;;
    --full) full=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$arg' (expected aarch64, armhf or --full)" >&2; exit 2 ;;
  esac
done
if [[ "${KIOSK_SKIP_CROSS:-}" == 1 ]]; then
  echo "==> Cross test skipped (KIOSK_SKIP_CROSS=1)"
  exit 0
fi

case "$arch" in
  aarch64) deb_arch=arm64 triplet=aarch64-linux-gnu qemu=qemu-aarch64 ;;
  armhf) deb_arch=armhf triplet=arm-linux-gnueabihf qemu=qemu-arm ;;
esac
t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- Packages -------------------------------------------------------------------------------
packages=("g++-$triplet" qemu-user "pkgconf:$deb_arch" "libsqlite3-dev:$deb_arch" "libssl-dev:$deb_arch"
          "libcurl4-openssl-dev:$deb_arch" "libusb-1.0-0-dev:$deb_arch")
if ((full)); then
  packages+=("libglfw3-dev:$deb_arch" "libimgui-dev:$deb_arch" "libstb-dev:$deb_arch" "libgl-dev:$deb_arch"
             "libcpp-httplib-dev:$deb_arch" "libasound2-dev:$deb_arch")
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: run as root (or install sudo) so that apt-get can install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! dpkg --print-foreign-architectures | grep -qx "$deb_arch"; then
    echo "==> Adding the $deb_arch dpkg architecture"
    "${sudo_cmd[@]}" dpkg --add-architecture "$deb_arch"
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  echo "==> Installing missing cross packages: ${missing[*]}"
  # The package lists may predate the architecture or be stale: update once and retry.
  if ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
t_install=$(elapsed "$t_start")
[[ "${KIOSK_CROSS_INSTALL_ONLY:-}" == 1 ]] && exit 0  # scripts/package.sh only needs the packages

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
jobs="$(nproc)"

if ((full)); then
  build="$here/build/cross-$arch-full"
  t0=$(date +%s.%N)
  cmake -S "$here" -B "$build" -G Ninja --toolchain "$here/toolchains/$arch.cmake" "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKIOSK_BUILD_TESTS=OFF -DKIOSK_BUILD_BENCH=OFF >/dev/null
  targets=(kiosk)
  grep -q '^build kiosk-central:' "$build/build.ninja" && targets+=(kiosk-central)
  cmake --build "$build" -j "$jobs" --target "${targets[@]}"
  echo "==> Full $arch cross-build (${targets[*]}) took $(elapsed "$t0") s; $(file -b "$build/kiosk" | cut -d, -f1-2)"
  exit 0
fi

# ---- Lean build: core + CLI + core suites ----------------------------------------------------
build="$here/build/cross-$arch"
t0=$(date +%s.%N)
cmake -S "$here" -B "$build" -G Ninja --toolchain "$here/toolchains/$arch.cmake" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DKIOSK_BUILD_GUI=OFF -DKIOSK_BUILD_CENTRAL=OFF -DKIOSK_BUILD_BENCH=OFF \
  -DKIOSK_TEST_PACKAGING=OFF >/dev/null
suites=()
for s in ${KIOSK_CROSS_SUITES:-core_tests storage_tests barcode_tests scan_tests doctor_tests}; do
  grep -q "^build $s: phony" "$build/build.ninja" && suites+=("$s")
done
if ((${#suites[@]} == 0)); then
  echo "error: none of the test suites (${KIOSK_CROSS_SUITES:-core_tests storage_tests ...}) exist in this tree" >&2
  exit 1
fi
echo "==> Cross-building for $arch: kiosk ${suites[*]}"
cmake --build "$build" -j "$jobs" --target kiosk "${suites[@]}"
t_build=$(elapsed "$t0")

# ---- Run under qemu (CMAKE_CROSSCOMPILING_EMULATOR in the toolchain file) --------------------
t0=$(date +%s.%N)
echo "==> Running ${suites[*]} under $qemu"
# One ctest per suite folder, so that another area's broken test discovery cannot stop the rest.
# Under qemu-user libusb's device discovery spins: tests that open libusb must set
# LIBUSB_OPTION_NO_DEVICE_DISCOVERY; KIOSK_UNDER_QEMU tells them they are emulated.
# Tests that need what qemu-user does not emulate faithfully (a forked child that unshares a mount
# namespace or drops to another uid hangs under it): run natively only.
exclude="${KIOSK_CROSS_EXCLUDE:-really full disk|kiosk user can.t write}"
failed=()
for s in "${suites[@]}"; do
  dir="$(dirname "$(find "$build/tests" -name "$s" -type f -perm -u+x | head -1)")"
  log="$build/ctest-$s.log"
  if KIOSK_UNDER_QEMU=1 ctest --test-dir "$dir" -R "^$s:" -E "$exclude" -j "$jobs" --timeout 120 --output-on-failure >"$log" 2>&1; then
    echo "    $s: $(grep -E 'tests passed' "$log" | head -1)"
  else
    cat "$log"
    failed+=("$s")
  fi
done
t_test=$(elapsed "$t0")
echo "==> $arch cross test: packages ${t_install} s, build ${t_build} s, tests under qemu ${t_test} s, total $(elapsed "$t_start") s"
if ((${#failed[@]})); then
  echo "error: $arch test suites failed under qemu: ${failed[*]}" >&2
  exit 1
fi
