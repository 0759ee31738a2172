#!/usr/bin/env bash
# Cross-builds the core and its test suites for a board and runs them under qemu-user: the check
# that the kiosk still builds and behaves on arm64 (or armhf) boards, run by scripts/test.sh.
#
# Usage: scripts/cross-test.sh [aarch64|armhf] [--full]
#   default       lean: kiosk_core, the `kiosk` CLI and the core test suites (no GUI, no central)
#   --full        also cross-builds the touchscreen app and kiosk-central (links the target's GLFW,
#                 imgui, GL and libevent) in build/cross-<arch>/full; runs no tests
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
# Host side: the cross compiler and qemu. Target side: the -dev packages, as multiarch :<arch>
# packages when apt can co-install them with the build machine's, else extracted into a sysroot.
host_packages=("g++-$triplet" qemu-user)
core_packages=(libsqlite3-dev libssl-dev libcurl4-openssl-dev libusb-1.0-0-dev zlib1g-dev)
gui_packages=(libglfw3-dev libimgui-dev libstb-dev libgl-dev libevent-dev libasound2-dev)
target_packages=("${core_packages[@]}")
((full)) && target_packages+=("${gui_packages[@]}")
sudo_cmd=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
not_installed() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}
apt_install() {
  [[ $(id -u) -eq 0 || ${#sudo_cmd[@]} -gt 0 ]] ||
    { echo "error: run as root (or install sudo) so that apt-get can install: $*" >&2; exit 1; }
  echo "==> Installing: $*"
  # The package lists may predate the architecture or be stale: update once and retry. An update
  # that fails for one index (a mirror mid-sync) still refreshes the others: carry on.
  if ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    "${sudo_cmd[@]}" apt-get update -qq || echo "warning: apt-get update reported errors (see above); trying anyway" >&2
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}
mapfile -t missing < <(not_installed "${host_packages[@]}")
((${#missing[@]})) && apt_install "${missing[@]}"

sysroot="$here/build/cross-$arch/sysroot"
stamp="$sysroot/.kiosk-packages"
all_target=("${core_packages[@]}" "${gui_packages[@]}")
if [[ -f "$stamp" && "$(cat "$stamp")" == "${all_target[*]}" ]]; then
  export KIOSK_CROSS_SYSROOT="$sysroot"   # made by an earlier run: keep using it
else
  mapfile -t missing < <(not_installed "pkgconf:$deb_arch" "${target_packages[@]/%/:$deb_arch}")
  if ((${#missing[@]})); then
    added_arch=0
    if ! dpkg --print-foreign-architectures | grep -qx "$deb_arch"; then
      added_arch=1
      echo "==> Adding the $deb_arch dpkg architecture"
      "${sudo_cmd[@]}" dpkg --add-architecture "$deb_arch"
      "${sudo_cmd[@]}" apt-get update -qq || echo "warning: apt-get update reported errors; trying anyway" >&2
    fi
    if apt-get install -s -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
      apt_install "${missing[@]}"
    else
      # Multi-Arch: same libraries must have one version on every architecture. When the mirror
      # offers the host a newer libssl3/linux-libc-dev than the target (seen here: Debian's
      # security index for armhf would not download), apt cannot co-install them: extract the
      # target's packages into a sysroot of their own instead; nothing is installed for the target.
      echo "==> apt cannot co-install the :$deb_arch -dev packages with this machine's; making a sysroot:"
      apt-get install -s --no-install-recommends "${missing[@]}" 2>&1 | grep -A3 'unmet dependencies' | sed 's/^/    /' || true
      # The architecture added for nothing would make every later `apt-get update` on this
      # machine fail on the same broken index (scripts/setup.sh stops on that): take it away again.
      if ((added_arch)) && ! dpkg-query -W -f='${Architecture}\n' 2>/dev/null | grep -qx "$deb_arch"; then
        "${sudo_cmd[@]}" dpkg --remove-architecture "$deb_arch" && echo "==> Removed the unused $deb_arch dpkg architecture again"
      fi
      mapfile -t need < <(not_installed mmdebstrap)
      ((${#need[@]})) && apt_install "${need[@]}"
      rm -rf "$sysroot"
      mkdir -p "$(dirname "$sysroot")"
      # Every package the full build needs, so that --full and the presets use the same sysroot.
      # Header-only packages (doctest, nlohmann_json, CLI11) too: the compiler sees only the sysroot.
      includes="libc6-dev,libstdc++-12-dev,$(IFS=,; echo "${all_target[*]}"),nlohmann-json3-dev,doctest-dev,libcli11-dev"
      mirror="${KIOSK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
      nice mmdebstrap --quiet --variant=extract --architectures="$deb_arch" --skip=check/qemu \
        --include="$includes" bookworm "$sysroot" \
        "deb $mirror bookworm main" \
        "deb $mirror bookworm-updates main"
      # qemu -L looks every path up in the sysroot first: its own device nodes (a ptmx outside
      # devpts, a null) would shadow the machine's /dev, and posix_openpt fails under qemu.
      rm -rf "${sysroot:?}/dev"
      echo "${all_target[*]}" >"$stamp"
      export KIOSK_CROSS_SYSROOT="$sysroot"
    fi
  fi
fi
[[ -n "${KIOSK_CROSS_SYSROOT:-}" ]] && echo "==> Target libraries from the sysroot $KIOSK_CROSS_SYSROOT"
t_install=$(elapsed "$t_start")
[[ "${KIOSK_CROSS_INSTALL_ONLY:-}" == 1 ]] && exit 0  # scripts/package.sh only needs the packages

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
jobs="${KIOSK_JOBS:-2}"  # a shared 2-core machine: leave room for the others

if ((full)); then
  build="$here/build/cross-$arch/full"
  t0=$(date +%s.%N)
  cmake -S "$here" -B "$build" -G Ninja --toolchain "$here/toolchains/$arch.cmake" "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKIOSK_BUILD_TESTS=OFF -DKIOSK_BUILD_BENCH=OFF >/dev/null
  targets=(kiosk)
  grep -q '^build kiosk-central:' "$build/build.ninja" && targets+=(kiosk-central)
  nice cmake --build "$build" -j "$jobs" --target "${targets[@]}"
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
for s in ${KIOSK_CROSS_SUITES:-core_tests services_tests storage_tests barcode_tests scan_tests doctor_tests sd_notify_tests}; do
  grep -q "^build $s: phony" "$build/build.ninja" && suites+=("$s")
done
if ((${#suites[@]} == 0)); then
  echo "error: none of the test suites (${KIOSK_CROSS_SUITES:-core_tests storage_tests ...}) exist in this tree" >&2
  exit 1
fi
echo "==> Cross-building for $arch: kiosk ${suites[*]}"
nice cmake --build "$build" -j "$jobs" --target kiosk "${suites[@]}"
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
