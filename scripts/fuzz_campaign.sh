#!/usr/bin/env bash
# A long fuzzing campaign on a shared machine: runs each target until its own CPU time (not the
# wall clock) reaches CPU_SECONDS, one target at a time at nice 19, so other work keeps the cores
# and an "hour of fuzzing" means an hour of the fuzzer's CPU whatever the load was.
# Usage: scripts/fuzz_campaign.sh CPU_SECONDS TARGET...
# Builds like scripts/fuzz.sh (clang, build/fuzz). For each target: prints the executions, the
# coverage (cov/ft) at the end, wall and CPU seconds, and merges the inputs that add coverage into
# fuzz/corpus/TARGET (-merge=1), so the campaign's corpus is kept in the repository.
# A crash stops the campaign with the input kept in build/fuzz/ and the line to reproduce it.
# To end a campaign early: kill this script, then send SIGINT to its fuzzer and merge by hand
# (build/fuzz/fuzz/fuzz_T -merge=1 fuzz/corpus/T build/fuzz/campaign-T). Never pause one with
# SIGSTOP: libFuzzer's unit timeout is wall-clock, and the paused unit is reported as a timeout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if (($# < 2)); then
  echo "usage: $0 CPU_SECONDS TARGET..." >&2
  exit 2
fi
cpu_goal="$1"
shift
build="$here/build/fuzz"
nice -n 19 "$here/scripts/fuzz.sh" build "$@" | grep -v '^\[' || true
for t in "$@"; do
  [[ -x "$build/fuzz/fuzz_$t" ]] || { echo "error: $build/fuzz/fuzz_$t was not built (run scripts/fuzz.sh 1 $t)" >&2; exit 1; }
done

ticks="$(getconf CLK_TCK)"
cpu_of() {   # CPU seconds (user + system) of one process
  local f
  read -r -a f <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
  # fields after the command name: utime is the 14th, stime the 15th of the whole line
  echo $(((f[13] + f[14]) / ticks))
}

for t in "$@"; do
  work="$build/campaign-$t"
  mkdir -p "$work" "$here/fuzz/corpus/$t"
  log="$build/campaign_$t.log"
  start="$(date -u +%H:%M)"
  t0="$(date +%s)"
  nice -n 19 "$build/fuzz/fuzz_$t" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/crash-$t-" "$work" "$here/fuzz/corpus/$t" >"$log" 2>&1 &
  pid=$!
  cpu=0
  while kill -0 "$pid" 2>/dev/null; do
    cpu="$(cpu_of "$pid")"
    if ((cpu >= cpu_goal)); then
      kill -INT "$pid"
      break
    fi
    sleep 5
  done
  wait "$pid" || true   # libFuzzer exits 72 when interrupted; a crash is told by its log below
  wall=$(($(date +%s) - t0))
  if grep -q "^==[0-9]*== ERROR\|deadly signal\|Test unit written" "$log"; then
    echo "FUZZ FAILURE: fuzz_$t crashed after ${cpu} CPU s; last lines of $log:"
    tail -n 30 "$log"
    for a in "$build"/crash-"$t"-*; do [[ -e "$a" ]] && echo "reproduce: $build/fuzz/fuzz_$t $a"; done
    exit 1
  fi
  execs="$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
  last="$(grep -E '#[0-9]+.*(pulse|NEW|REDUCE).*cov:' "$log" | tail -n 1)"
  cov="$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")"
  before="$(ls "$here/fuzz/corpus/$t" | wc -l)"
  "$build/fuzz/fuzz_$t" -merge=1 "$here/fuzz/corpus/$t" "$work" >"$build/campaign_${t}_merge.log" 2>&1
  after="$(ls "$here/fuzz/corpus/$t" | wc -l)"
  echo "fuzz_$t: from $start UTC, ${wall} s wall, ${cpu} s CPU, ${execs:-?} executions, cov ${cov:-?} ft ${ft:-?}, no crash; corpus $before -> $after inputs"
done
