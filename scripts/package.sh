#!/usr/bin/env bash
# Builds the Debian packages `kiosk` and `kiosk-central` for one architecture, from a Release build
# with the touchscreen app, and prints the sizes of the stripped binaries and of the packages.
# Usage: scripts/package.sh [amd64|arm64|armhf]   (default: this machine's architecture)
# Output: out/<arch>/kiosk_<version>_<arch>.deb and kiosk-central_<version>_<arch>.deb
# arm64/armhf are cross-built with toolchains/*.cmake; scripts/cross-test.sh --full installs the
# target's -dev packages first (only what is missing); for a native package, scripts/setup.sh once.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${1:-$(dpkg --print-architecture)}"
native="$(dpkg --print-architecture)"

toolchain=()
case "$arch" in
  "$native") ;;
  arm64 | aarch64)
    arch=arm64
    KIOSK_CROSS_INSTALL_ONLY=1 "$here/scripts/cross-test.sh" aarch64 --full
    toolchain=(--toolchain "$here/toolchains/aarch64.cmake") ;;
  armhf)
    KIOSK_CROSS_INSTALL_ONLY=1 "$here/scripts/cross-test.sh" armhf --full
    toolchain=(--toolchain "$here/toolchains/armhf.cmake") ;;
  *) echo "error: unknown architecture '$arch' (expected $native, arm64 or armhf)" >&2; exit 2 ;;
esac

build="$here/build/package-$arch"
# armhf: next to its sysroot, in the one folder the armhf builds use.
[[ "$arch" == armhf ]] && build="$here/build/cross-armhf/package"
out="$here/out/$arch"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
t0=$(date +%s)
cmake -S "$here" -B "$build" -G Ninja "${toolchain[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DKIOSK_BUILD_TESTS=OFF -DKIOSK_BUILD_BENCH=OFF >/dev/null
targets=(kiosk)
grep -q '^build kiosk-central:' "$build/build.ninja" && targets+=(kiosk-central)
nice cmake --build "$build" -j "${KIOSK_JOBS:-2}" --target "${targets[@]}"
rm -rf "$out"
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
rm -rf "$out/_CPack_Packages"
echo "==> Built in $(($(date +%s) - t0)) s for $arch:"
strip_tool="strip"
[[ "$arch" == arm64 ]] && strip_tool=aarch64-linux-gnu-strip
[[ "$arch" == armhf ]] && strip_tool=arm-linux-gnueabihf-strip
for t in "${targets[@]}"; do
  bin="$(find "$build" -maxdepth 2 -name "$t" -type f -perm -u+x | head -1)"
  "$strip_tool" -o "$build/$t.stripped" "$bin"
  printf '    %-28s %8d bytes stripped\n' "$t" "$(stat -c %s "$build/$t.stripped")"
done
for deb in "$out"/*.deb; do
  printf '    %-28s %8d bytes\n' "$(basename "$deb")" "$(stat -c %s "$deb")"
done
