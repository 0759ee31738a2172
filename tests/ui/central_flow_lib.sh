# Shared by the touchscreen flows that need a real kiosk-central on loopback
# (run_recover_flow.sh, run_outcomes_flow.sh), and by code_release_test.sh for its Xvfb. Source it
# after setting $kiosk and $central ($central only for the central's functions).
# Gives: $tmp (removed at exit with everything started here), $db, start_xvfb, start_central (loads the demo
# showroom, serves on 127.0.0.1:0 and sets $url), enrol_code ID (a one-time enrolment code), and
# run_gui DATA FLOW SHOTS (the flow in a real window under its own Xvfb, walked in
# $KIOSK_FLOW_LANGUAGE if set; exits with the flow's code if it fails).
tmp="$(mktemp -d)"
db="$tmp/central.db"
central_pid=""; xvfb_pid=""; app_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill -KILL "$app_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill -TERM "$xvfb_pid" 2>/dev/null || true
  [ -n "$central_pid" ] && kill -TERM "$central_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

enrol_code() {
  local c
  c="$("$central" --db "$db" enroll "$1")"
  c="${c#*--code }"
  echo "${c%%[[:space:]]*}"
}

# The demo showroom's reference data into the central's database; `start_central` serves it.
load_demo_reference() {
  "$central" --db "$db" load-reference "$(dirname "${BASH_SOURCE[0]}")/../../assets/demo/showroom.json" >/dev/null
}

start_central() {
  : >"$tmp/central.out"  # before the server's shell opens it: the loop below reads it at once
  timeout -k 5 120 "$central" --db "$db" serve --listen 127.0.0.1:0 >>"$tmp/central.out" 2>&1 &
  central_pid=$!
  url=""
  for _ in $(seq 200); do
    url="$(sed -n 's|^kiosk-central listening on \(http://[^ ]*\).*|\1|p' "$tmp/central.out")"
    [ -n "$url" ] && break
    kill -0 "$central_pid" 2>/dev/null || { cat "$tmp/central.out" >&2; exit 3; }
    sleep 0.05
  done
  [ -n "$url" ] || { echo "kiosk-central did not say where it listens" >&2; exit 3; }
}

walk=()
[ -n "${KIOSK_FLOW_LANGUAGE:-}" ] && walk=(--walk-language "$KIOSK_FLOW_LANGUAGE")
# An Xvfb of its own (it picks a free display: parallel runs do not collide; -terminate: gone with
# its last client): sets $xvfb_pid and $display (":N").
start_xvfb() {
  rm -f "$tmp/display"
  Xvfb -displayfd 3 -terminate -nolisten tcp -screen 0 1024x600x24 3>"$tmp/display" 2>"$tmp/xvfb.log" &
  xvfb_pid=$!
  for _ in $(seq 200); do [ -s "$tmp/display" ] && break; sleep 0.05; done
  [ -s "$tmp/display" ] || { cat "$tmp/xvfb.log" >&2; echo "Xvfb gave no display number" >&2; exit 3; }
  display=":$(tr -d '\n' <"$tmp/display")"
}

run_gui() {
  local data="$1" flow="$2" out="$3"
  start_xvfb
  DISPLAY="$display" timeout -k 5 45 "$kiosk" --data "$data" gui --script "$flow" \
    --screenshots "$out" "${walk[@]}" &
  app_pid=$!
  local rc=0
  wait "$app_pid" || rc=$?
  app_pid=""
  [ "$rc" -eq 0 ] || { echo "$flow failed (exit $rc)" >&2; exit "$rc"; }
  wait "$xvfb_pid" 2>/dev/null || true
  xvfb_pid=""
}
