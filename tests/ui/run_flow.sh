#!/usr/bin/env bash
# Runs one GUI flow script against the real window under Xvfb, on a fresh demo data folder, then
# checks the journal. Usage: run_flow.sh KIOSK SCRIPT [TYPE=COUNT ...]
#   TYPE=COUNT: the journal must hold exactly COUNT events of TYPE after the run.
# If SCRIPT.restart.txt exists beside SCRIPT (flows/settings.txt -> flows/settings.restart.txt),
# the app is closed after SCRIPT and started again on the same data folder to run it: what a
# flow changed must still be there after a restart.
# $KIOSK_SCREENSHOTS, if set, keeps the screenshots there (docs/screenshots is made this way).
# $KIOSK_FLOW_TIMEOUT (seconds, default 45) ends a hung app well before ctest's own timeout.
# $KIOSK_FLOW_GL, if set: the app's GL version must contain it (e.g. "OpenGL ES" with KIOSK_GLES=1).
# $KIOSK_FLOW_BEEP=1: ALSA's default device is a file PCM (ALSA_CONFIG_PATH); afterwards it must
#   hold $KIOSK_FLOW_MIN_BEEPS beeps (default 3) with an error and an ok one among them (S16 mono
#   at 22,050 Hz: 350 ms and 90 ms).
# $KIOSK_FLOW_LANGUAGE, if set (de, fi, pl, ru): the English flow is walked in that language
#   (`kiosk gui --walk-language`): the app starts in it, buttons are found by the translation of
#   their English words, and every screen must show only that language's words.
# $KIOSK_FLOW_LABELS, if set: words (GS1 data without parentheses, card numbers, badge codes). The
#   flow's ${LABEL_DIR} is a new empty folder; afterwards it must hold one PDF whose pages decode
#   (zbarimg) to exactly that many symbols, each holding one of the words.
# $KIOSK_FLOW_SETUP, if set: the arguments (split at spaces) of `kiosk` commands (separated by
#   '|') run on the fresh data folder before the app starts, e.g. a CLI checkout the flow then
#   looks at.
# $KIOSK_FLOW_PIDS, if set, gets "xvfb PID" and "kiosk PID" lines (the orphan test reads them).
# $KIOSK_FLOW_CENTRAL, if set, names a kiosk-central binary: before the app, one is started on a
#   free loopback port (its database in the temp folder) with an enrolment code for KIOSK-UITEST,
#   and the app runs a copy of SCRIPT in which ${CENTRAL_URL}, ${ENROL_CODE}, ${ENROL_CODE_TYPO}
#   (the code with its last character mistyped) and ${ENROL_CODE_LAST} (that character) are
#   filled in. Afterwards the kiosk must be enrolled with that central, with nothing waiting to be
#   sent, and the central must hold its journal up to the last event.
set -euo pipefail
kiosk="$1"; script="$2"; shift 2
tmp="$(mktemp -d)"
xvfb_pid=""; app_pid=""; central_pid=""
# Digits and lower case only: the folder is typed on the touchscreen's address keyboard.
label_dir="/tmp/kiosk-flow-labels-$$-$(date +%s%N)"
stop_central() {
  [ -n "$central_pid" ] && kill -TERM "$central_pid" 2>/dev/null || true
  [ -n "$central_pid" ] && wait "$central_pid" 2>/dev/null || true
  central_pid=""
}
cleanup() {
  # Whatever ended the run (success, failure, ctest's SIGTERM), nothing of it may stay behind.
  [ -n "$app_pid" ] && kill -KILL "$app_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill -TERM "$xvfb_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && wait "$xvfb_pid" 2>/dev/null || true
  stop_central
  rm -rf "$tmp" "$label_dir"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP
"$kiosk" --data "$tmp/data" init --demo --kiosk-id KIOSK-UITEST >/dev/null
if [ -n "${KIOSK_FLOW_SETUP:-}" ]; then
  IFS='|' read -r -a setup_commands <<<"$KIOSK_FLOW_SETUP"
  for setup_command in "${setup_commands[@]}"; do
    read -r -a setup_args <<<"$setup_command"
    "$kiosk" --data "$tmp/data" "${setup_args[@]}" >/dev/null
  done
fi
shots="${KIOSK_SCREENSHOTS:-$tmp/shots}"
size="${KIOSK_SCREEN:-1024x600}"
limit="${KIOSK_FLOW_TIMEOUT:-45}"
if [ "${KIOSK_FLOW_BEEP:-}" = 1 ]; then
  printf 'pcm.null { type null }\npcm.!default { type file slave { pcm "null" } file "%s" format "raw" truncate false }\n' \
    "$tmp/beep.raw" >"$tmp/asound.conf"
  export ALSA_CONFIG_PATH="$tmp/asound.conf"
fi

# One Xvfb per app run, started here rather than by xvfb-run so that this script owns its pid.
# -displayfd: Xvfb picks a free display itself (parallel ctest runs do not collide) and writes its
# number. -terminate: it exits when its last client, the app, goes away, so even if this script is
# killed with SIGKILL (its traps never run), Xvfb does not outlive the app; and the app itself runs
# under `timeout`, which outlives a killed script and ends a hung app after $limit s.
run_app() {
  local run_script="$1"
  rm -f "$tmp/display"
  Xvfb -displayfd 3 -terminate -nolisten tcp -screen 0 "${size}x24" 3>"$tmp/display" 2>"$tmp/xvfb.log" &
  xvfb_pid=$!
  for _ in $(seq 200); do
    [ -s "$tmp/display" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || { cat "$tmp/xvfb.log" >&2; echo "Xvfb did not start" >&2; return 3; }
    sleep 0.05
  done
  [ -s "$tmp/display" ] || { echo "Xvfb gave no display number" >&2; return 3; }
  local display=":$(tr -d '\n' <"$tmp/display")"
  local walk=()
  [ -n "${KIOSK_FLOW_LANGUAGE:-}" ] && walk=(--walk-language "$KIOSK_FLOW_LANGUAGE")
  DISPLAY="$display" timeout -k 5 "$limit" "$kiosk" --data "$tmp/data" gui \
    --script "$run_script" --screenshots "$shots" "${walk[@]}" > >(tee -a "$tmp/app.out") &
  app_pid=$!
  if [ -n "${KIOSK_FLOW_PIDS:-}" ]; then
    printf 'xvfb %s\nkiosk %s\n' "$xvfb_pid" "$app_pid" >>"$KIOSK_FLOW_PIDS"
  fi
  local rc=0
  wait "$app_pid" || rc=$?
  app_pid=""
  wait "$xvfb_pid" 2>/dev/null || true  # -terminate: gone with its last client
  xvfb_pid=""
  [ "$rc" -eq 124 ] && echo "the app did not finish $run_script within $limit s" >&2
  return "$rc"
}

run_script="$script"
if [ -n "${KIOSK_FLOW_CENTRAL:-}" ]; then
  central="$KIOSK_FLOW_CENTRAL"
  enrol_out="$("$central" --db "$tmp/central.db" enroll KIOSK-UITEST)"
  enrol_code="${enrol_out#*--code }"; enrol_code="${enrol_code%%[[:space:]]*}"
  [ "${#enrol_code}" -eq 23 ] || { echo "kiosk-central enroll printed no code: $enrol_out" >&2; exit 1; }
  code_last="${enrol_code: -1}"
  typo_last=0; [ "$code_last" = 0 ] && typo_last=1
  # Like the app, the central runs under `timeout`: it cannot outlive a killed script for long.
  # The file exists before the server's shell opens it: the loop below reads it at once, and a
  # failing read would end this script (set -e), as it did when the central's shell was slow.
  : >"$tmp/central.out"
  timeout -k 5 $((limit + 30)) "$central" --db "$tmp/central.db" serve --listen 127.0.0.1:0 >>"$tmp/central.out" 2>&1 &
  central_pid=$!
  central_url=""
  for _ in $(seq 200); do
    central_url="$(sed -n 's|^kiosk-central listening on \(http://[^ ]*\).*|\1|p' "$tmp/central.out")"
    [ -n "$central_url" ] && break
    kill -0 "$central_pid" 2>/dev/null || { cat "$tmp/central.out" >&2; echo "kiosk-central did not start" >&2; exit 3; }
    sleep 0.05
  done
  [ -n "$central_url" ] || { cat "$tmp/central.out" >&2; echo "kiosk-central did not say where it listens" >&2; exit 3; }
  echo "kiosk-central at $central_url, enrolment code $enrol_code"
  run_script="$tmp/$(basename "$script")"
  sed -e "s|\${CENTRAL_URL}|$central_url|g" -e "s|\${ENROL_CODE}|$enrol_code|g" \
      -e "s|\${ENROL_CODE_TYPO}|${enrol_code%?}$typo_last|g" -e "s|\${ENROL_CODE_LAST}|$code_last|g" \
      "$script" >"$run_script"
fi
if [ -n "${KIOSK_FLOW_LABELS:-}" ]; then
  mkdir "$label_dir"
  labels_script="$tmp/labels-$(basename "$script")"
  sed -e "s|\${LABEL_DIR}|$label_dir|g" "$run_script" >"$labels_script"
  run_script="$labels_script"
fi
run_app "$run_script"
if [ -n "${KIOSK_FLOW_LABELS:-}" ]; then
  mapfile -t pdfs < <(find "$label_dir" -name 'labels-*.pdf')
  [ "${#pdfs[@]}" -eq 1 ] || { echo "labels: expected one PDF in $label_dir, found: $(ls "$label_dir")" >&2; exit 1; }
  pdftoppm -r 300 -gray -png "${pdfs[0]}" "$tmp/labelpage"
  zbarimg --quiet --raw "$tmp"/labelpage*.png >"$tmp/decoded.txt" || true
  python3 - "$tmp/decoded.txt" $KIOSK_FLOW_LABELS <<'PY'
import sys
decoded = ["".join(c for c in l if 32 <= ord(c) < 127) for l in open(sys.argv[1], encoding="latin-1")]
decoded = [l for l in decoded if l]
words = sys.argv[2:]
missing = [w for w in words if not any(w in l for l in decoded)]
if missing or len(decoded) != len(words):
    print(f"labels: decoded {decoded}, expected one symbol each for {words}", file=sys.stderr)
    sys.exit(1)
print(f"labels ok: {len(decoded)} symbols read back from the PDF")
PY
fi
if [ -n "${KIOSK_FLOW_GL:-}" ] && ! grep -q "^gl: .*${KIOSK_FLOW_GL}" "$tmp/app.out"; then
  echo "the app did not render with ${KIOSK_FLOW_GL}: $(grep '^gl:' "$tmp/app.out")" >&2
  exit 1
fi
restart="${script%.txt}.restart.txt"
if [ -f "$restart" ]; then
  echo "restarting the app for $restart"
  run_app "$restart"
fi
if [ "${KIOSK_FLOW_BEEP:-}" = 1 ]; then
  # ALSA's file PCM with `truncate false` writes each opening (each beep) to a file of its own:
  # beep.raw, beep.raw.0001, ...
  beeps=$(find "$tmp" -maxdepth 1 -name 'beep.raw*' | wc -l)
  bytes=$(cat "$tmp"/beep.raw* 2>/dev/null | wc -c)
  min_beeps="${KIOSK_FLOW_MIN_BEEPS:-3}"
  if [ "$beeps" -lt "$min_beeps" ] || [ "$bytes" -lt $(( (7717 + 1984) * 2 )) ]; then
    echo "beeps: expected at least $min_beeps beeps with an error and an ok one, got $beeps ($bytes bytes)" >&2
    exit 1
  fi
  echo "beeps ok: $beeps beeps, $bytes bytes of sound"
fi
"$kiosk" --data "$tmp/data" journal --json >"$tmp/journal.json"
python3 - "$tmp/journal.json" "$@" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))
counts = {}
for e in events:
    counts[e["type"]] = counts.get(e["type"], 0) + 1
bad = []
for spec in sys.argv[2:]:
    t, n = spec.split("=")
    if counts.get(t, 0) != int(n):
        bad.append(f"journal: expected {n} {t} event(s), found {counts.get(t, 0)}")
if bad:
    print("\n".join(bad), file=sys.stderr)
    print("journal types:", counts, file=sys.stderr)
    sys.exit(1)
print("journal ok:", ", ".join(sys.argv[2:]) or "(no checks)")
PY
if [ -n "${KIOSK_FLOW_CENTRAL:-}" ]; then
  stop_central
  "$kiosk" --data "$tmp/data" status --json >"$tmp/status.json"
  "$central" --db "$tmp/central.db" kiosks >"$tmp/kiosks.csv"
  python3 - "$tmp/data/kiosk.db" "$tmp/journal.json" "$tmp/status.json" "$tmp/kiosks.csv" "$central_url" <<'PY'
import csv, json, sqlite3, sys
db, journal, status, kiosks, url = sys.argv[1:]
state = dict(sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT key, value FROM sync_state"))
last_seq = max(e["seq"] for e in json.load(open(journal)))
pending = json.load(open(status))["sync"]["pending_events"]
held = {r["kiosk_id"]: int(r["acked_through"]) for r in csv.DictReader(open(kiosks))}
bad = []
if len(state.get("central_public_key", "")) != 64:
    bad.append("the kiosk is not enrolled: sync_state has no central_public_key")
if state.get("central_url") != url:
    bad.append(f"the kiosk is enrolled with {state.get('central_url')!r}, not {url}")
if pending != 0:
    bad.append(f"{pending} events still wait to be sent")
if held.get("KIOSK-UITEST") != last_seq:
    bad.append(f"the central holds KIOSK-UITEST up to {held.get('KIOSK-UITEST')}, the journal ends at {last_seq}")
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
print(f"central ok: KIOSK-UITEST enrolled with {url}, the central holds seq 1..{last_seq}")
PY
fi
