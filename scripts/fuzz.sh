#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang in build/fuzz and runs each for N seconds.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default: $KIOSK_FUZZ_SECONDS, else 60; all targets)
#        scripts/fuzz.sh build [TARGET...]       only builds them (scripts/fuzz_campaign.sh uses it)
# Runs $KIOSK_FUZZ_PARALLEL targets at a time (default 2: CI has two cores). Exits non-zero when a
# target crashes; the crashing input is kept in build/fuzz/ and the line to reproduce it is printed.
# New inputs that add coverage go to build/fuzz/corpus-TARGET; merge the useful ones into
# fuzz/corpus/TARGET with: build/fuzz/fuzz/fuzz_TARGET -merge=1 fuzz/corpus/TARGET build/fuzz/corpus-TARGET
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-${KIOSK_FUZZ_SECONDS:-60}}"
shift || true
build="$here/build/fuzz"
parallel="${KIOSK_FUZZ_PARALLEL:-2}"
# Every parser of outside input (fuzz/CMakeLists.txt builds the same list).
targets=(hid_decoder classifier digital_link batch_request batch_response reference config usb_files lean_json)
if (($#)); then targets=("$@"); fi

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
if [[ "$seconds" == build ]]; then exit 0; fi

run_one() {
  local t="$1"
  local work="$build/corpus-$t"   # new inputs go here; the seed corpus in the repo stays untouched
  mkdir -p "$work" "$here/fuzz/corpus/$t"
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/crash-$t-" "$work" "$here/fuzz/corpus/$t" >"$build/fuzz_$t.log" 2>&1
}

failed=()
for ((i = 0; i < ${#targets[@]}; i += parallel)); do
  batch=("${targets[@]:i:parallel}")
  echo "==> Fuzz: ${batch[*]/#/fuzz_} for ${seconds}s each, side by side (seeds: fuzz/corpus/)"
  pids=()
  for t in "${batch[@]}"; do
    run_one "$t" &
    pids+=($!)
  done
  for k in "${!batch[@]}"; do
    t="${batch[$k]}"
    if wait "${pids[$k]}"; then
      echo "  fuzz_$t:"
      grep -E "^stat::number_of_executed_units|^stat::new_units_added|^Done" "$build/fuzz_$t.log" | sed "s/^/    /" || true
    else
      echo "FUZZ FAILURE: fuzz_$t crashed. Last lines of $build/fuzz_$t.log:"
      tail -n 30 "$build/fuzz_$t.log" | sed "s/^/    /"
      for a in "$build"/crash-"$t"-*; do
        [[ -e "$a" ]] && echo "    reproduce: $build/fuzz/fuzz_$t $a"
      done
      failed+=("$t")
    fi
  done
done
if ((${#failed[@]})); then
  echo "==> Fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "==> Fuzz: every target ran ${seconds}s without a crash"
