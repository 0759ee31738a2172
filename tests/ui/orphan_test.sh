#!/usr/bin/env bash
# A hung GUI run must leave nothing behind: neither when the app's own time limit ends it, nor
# when its driver (run_flow.sh) is killed with SIGKILL the way a harsh ctest timeout would.
# Usage: orphan_test.sh RUN_FLOW KIOSK HANG_SCRIPT
set -uo pipefail
run_flow="$1"; kiosk="$2"; hang="$3"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail=0
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
wait_gone() {  # PID SECONDS
  for _ in $(seq $(( $2 * 10 ))); do alive "$1" || return 0; sleep 0.1; done
  return 1
}
pids_of() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# 1. The app hangs; its time limit ends it; run_flow.sh fails, and Xvfb and the app are gone.
KIOSK_FLOW_TIMEOUT=4 KIOSK_FLOW_PIDS="$tmp/pids1" "$run_flow" "$kiosk" "$hang" >"$tmp/out1" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then echo "FAIL: a hung flow passed"; fail=1; fi
grep -q "did not finish" "$tmp/out1" || { echo "FAIL: no time-limit message"; cat "$tmp/out1"; fail=1; }
for p in $(pids_of "$tmp/pids1" xvfb) $(pids_of "$tmp/pids1" kiosk); do
  wait_gone "$p" 2 || { echo "FAIL: pid $p ($(cat /proc/$p/comm 2>/dev/null)) outlived a timed-out flow"; fail=1; }
done
[ -s "$tmp/pids1" ] || { echo "FAIL: run_flow.sh wrote no pids"; fail=1; }

# 2. The driver is SIGKILLed while the app runs (its traps never run): the app's own limit still
#    ends it, and Xvfb (-terminate) goes with its last client.
# TMPDIR: the killed driver cannot remove its own temporary folder; ours goes, with it inside.
TMPDIR="$tmp" KIOSK_FLOW_TIMEOUT=6 KIOSK_FLOW_PIDS="$tmp/pids2" "$run_flow" "$kiosk" "$hang" >"$tmp/out2" 2>&1 &
driver=$!
for _ in $(seq 100); do grep -q '^kiosk' "$tmp/pids2" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -KILL "$driver"
wait "$driver" 2>/dev/null
for p in $(pids_of "$tmp/pids2" xvfb) $(pids_of "$tmp/pids2" kiosk); do
  wait_gone "$p" 15 || { echo "FAIL: pid $p ($(cat /proc/$p/comm 2>/dev/null)) outlived its killed driver"; fail=1; kill -KILL "$p" 2>/dev/null; }
done
[ -s "$tmp/pids2" ] || { echo "FAIL: run_flow.sh wrote no pids before it was killed"; fail=1; }
[ "$fail" -eq 0 ] && echo "no orphans: 2 passed, 0 failed"
exit "$fail"
