#!/usr/bin/env bash
# Start-up's code leaves the touchscreen's resident set once it is idle (platform/program_code.hpp):
# runs the real `kiosk gui --trace` under Xvfb on a demo data folder, waits for its
# "released_code_kb" trace line, lets it sit idle, then reads its /proc smaps: the kiosk binary's
# resident code must be well under the code start-up had mapped. Then the released code must run:
# a badge and a demo unit scanned through the replay FIFO each bring a frame with their result.
# Usage: code_release_test.sh KIOSK
set -euo pipefail
kiosk="$1"
. "$(dirname "$0")/central_flow_lib.sh"  # $tmp, the cleanup at exit, start_xvfb
"$kiosk" --data "$tmp/data" init --demo >/dev/null
start_xvfb
mkfifo "$tmp/scans.fifo"
DISPLAY="$display" "$kiosk" --data "$tmp/data" gui --trace --exit-after 20000 \
  --scan-fifo "$tmp/scans.fifo" >"$tmp/trace" 2>"$tmp/err" &
app_pid=$!

# Resident KiB of the kiosk binary's executable mapping, and the mapping's size in KiB.
code_kb() { awk -v exe="$(readlink -f "$kiosk")" '
  /^[0-9a-f]+-[0-9a-f]+ / { ours = ($2 == "r-xp" && $6 == exe) }
  ours && /^Size:/ { size += $2 }
  ours && /^Rss:/ { rss += $2 }
  END { print rss + 0, size + 0 }' "/proc/$app_pid/smaps"; }

for _ in $(seq 150); do grep -q "^trace released_code_kb" "$tmp/trace" && break; sleep 0.1; done
grep "^trace released_code_kb" "$tmp/trace" || { cat "$tmp/err" >&2; echo "FAIL: no released_code_kb trace line within 15 s" >&2; exit 1; }
read -r released _ segments _ error _ traced < <(grep "^trace released_code_kb" "$tmp/trace" | cut -d' ' -f3-)
[ "$error" = 0 ] && [ "$traced" = 0 ] && [ "$segments" -ge 1 ] && [ "$released" -gt 0 ] ||
  { echo "FAIL: the release did nothing: released ${released} KiB, segments ${segments}, error ${error}, traced ${traced}" >&2; exit 1; }
sleep 2  # idle: only what the idle loop runs comes back
read -r rss size < <(code_kb)
echo "kiosk code mapped: ${size} KiB; released ${released} KiB after start-up; resident after 2 s idle: ${rss} KiB"
# Without the release, start-up leaves about four fifths of the code resident (3.3 of 4.1 MiB on
# x86-64); the idle loop alone runs far less than half of it.
[ "$rss" -lt $((size / 2)) ] || { echo "FAIL: ${rss} KiB of ${size} KiB code still resident" >&2; exit 1; }
kill -0 "$app_pid" || { cat "$tmp/err" >&2; echo "FAIL: the app is gone" >&2; exit 1; }
exec 4>"$tmp/scans.fifo"
for code in BDG-10017 DEMO-00007; do
  before="$(grep -c "^trace scan_frame_mono_us" "$tmp/trace" || true)"
  echo "$code" >&4
  for _ in $(seq 50); do [ "$(grep -c "^trace scan_frame_mono_us" "$tmp/trace" || true)" -gt "$before" ] && break; sleep 0.1; done
  [ "$(grep -c "^trace scan_frame_mono_us" "$tmp/trace" || true)" -gt "$before" ] ||
    { cat "$tmp/err" >&2; echo "FAIL: no frame with the result of scanning $code after the release" >&2; exit 1; }
  echo "scanned $code: its result was drawn"
done
exec 4>&-
kill -TERM "$app_pid"
wait "$app_pid" || true
app_pid=""
echo "PASS"
