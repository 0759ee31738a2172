#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang in build/fuzz and runs each for N seconds.
# Usage: scripts/fuzz.sh [SECONDS]   (default: $KIOSK_FUZZ_SECONDS, else 60)
# Exits non-zero when a target crashes; the crashing input is kept in build/fuzz/ and the line
# to reproduce it is printed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-${KIOSK_FUZZ_SECONDS:-60}}"
build="$here/build/fuzz"
targets=(hid_decoder classifier)

if ! command -v clang++ >/dev/null; then
  echo "error: clang++ is missing: apt-get install clang libclang-rt-14-dev (scripts/setup.sh does it)" >&2
  exit 1
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
echo "==> Fuzz: building ${targets[*]} with clang in build/fuzz"
cmake -S "$here" -B "$build" -G Ninja "${launcher[@]}" \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKIOSK_BUILD_FUZZ=ON -DKIOSK_BUILD_TESTS=OFF -DKIOSK_BUILD_BENCH=OFF -DKIOSK_BUILD_GUI=OFF \
  -DKIOSK_BUILD_CENTRAL=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  work="$build/corpus-$t"   # new inputs go here; the seed corpus in the repo stays untouched
  mkdir -p "$work"
  echo "==> Fuzz: fuzz_$t for ${seconds}s (seeds: fuzz/corpus/$t)"
  if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/crash-$t-" "$work" "$here/fuzz/corpus/$t" >"$build/fuzz_$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^Done" "$build/fuzz_$t.log" | sed "s/^/    /" || true
  else
    echo "FUZZ FAILURE: fuzz_$t crashed. Last lines of $build/fuzz_$t.log:"
    tail -n 30 "$build/fuzz_$t.log" | sed "s/^/    /"
    for a in "$build"/crash-"$t"-*; do
      [[ -e "$a" ]] && echo "    reproduce: $build/fuzz/fuzz_$t $a"
    done
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "==> Fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "==> Fuzz: every target ran ${seconds}s without a crash"
