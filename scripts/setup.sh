#!/usr/bin/env bash
# Installs the Debian packages that are missing, then configures and builds one CMake preset.
# Usage: scripts/setup.sh [PRESET]   (default: dev). Safe to run again: it only does what is left.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-dev}"

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$here/scripts/packages.txt"

if ((${#missing[@]})); then
  echo "==> Installing missing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: run as root (or install sudo) so that apt-get can install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f "$here/build/$preset/build.ninja" ]]; then
  echo "==> Configuring ($preset)"
  cmake --preset "$preset" -S "$here" "${launcher[@]}" >/dev/null
fi
echo "==> Building ($preset)"
cmake --build "$here/build/$preset" -j "$(nproc)"
