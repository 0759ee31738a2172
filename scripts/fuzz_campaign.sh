#!/usr/bin/env bash
# A long fuzzing campaign on a shared machine: runs each target until its own CPU time (not the
# wall clock) reaches CPU_SECONDS, one target at a time at nice 19, so other work keeps the cores
# and an "hour of fuzzing" means an hour of the fuzzer's CPU whatever the load was.
# Usage: scripts/fuzz_campaign.sh CPU_SECONDS TARGET...
# Builds like scripts/fuzz.sh (clang, build/fuzz). For each target: prints the executions, the
# coverage (cov/ft) at the end, wall and CPU seconds, and merges the inputs that add coverage into
# fuzz/corpus/TARGET (-merge=1), so the campaign's corpus is kept in the repository.
# A crash stops the campaign with the input kept in build/fuzz/ and the line to reproduce it.
# To end a campaign early, send SIGINT (Ctrl-C) or SIGTERM to this script: it stops the fuzzer,
# merges what it found, prints the figures and runs no further target. Never pause one with
# SIGSTOP: libFuzzer's unit timeout is wall-clock, and the paused unit is reported as a timeout.
# Each fuzzer runs in a session of its own whose autogroup gets nice 19 too: with the kernel's
# autogroups (Debian's default), nice alone only ranks processes within one session, and a
# fuzzer started from another terminal took a full core's share from benchmarks at nice 0.
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

# Once the fuzzer has a session of its own, its autogroup gets nice 19 (not this script's: that
# may be the caller's terminal). Without autogroups (the file is missing) nice alone does it.
background_autogroup() {
  local mine i
  mine="$(cat /proc/$$/autogroup 2>/dev/null)" || return 0
  for ((i = 0; i < 50; i++)); do
    [[ "$(cat "/proc/$1/autogroup" 2>/dev/null)" != "$mine" ]] && break
    sleep 0.1
  done
  [[ "$(cat "/proc/$1/autogroup" 2>/dev/null)" != "$mine" ]] && echo 19 >"/proc/$1/autogroup" 2>/dev/null
  return 0
}

stop=0
trap 'stop=1' INT TERM HUP   # HUP too: the fuzzer, in a session of its own, no longer gets the terminal's
for t in "$@"; do
  ((stop)) && break
  work="$build/campaign-$t"
  mkdir -p "$work" "$here/fuzz/corpus/$t"
  log="$build/campaign_$t.log"
  start="$(date -u +%H:%M)"
  t0="$(date +%s)"
  # setsid execs in place here (a background job of a script leads no process group), so $! is the fuzzer.
  # -max_total_time (wall) only bounds a fuzzer this script can no longer stop (a SIGKILL of it).
  nice -n 19 setsid "$build/fuzz/fuzz_$t" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -max_total_time=$((cpu_goal * 20 + 3600)) \
    -artifact_prefix="$build/crash-$t-" "$work" "$here/fuzz/corpus/$t" >"$log" 2>&1 &
  pid=$!
  background_autogroup "$pid"
  cpu=0
  while ((!stop)) && kill -0 "$pid" 2>/dev/null; do
    cpu="$(cpu_of "$pid")"
    ((cpu >= cpu_goal)) && break
    sleep 5 &
    wait $! || true   # a signal to this script ends the wait at once
  done
  if kill -0 "$pid" 2>/dev/null; then kill -INT "$pid"; fi   # the goal reached, or this script stopped
  while kill -0 "$pid" 2>/dev/null; do sleep 1; done
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
  how=""
  ((stop)) && how=" (stopped early by a signal)"
  echo "fuzz_$t: from $start UTC, ${wall} s wall, ${cpu} s CPU$how, ${execs:-?} executions, cov ${cov:-?} ft ${ft:-?}, no crash; corpus $before -> $after inputs"
done
