#!/usr/bin/env bash
# The locked-down session for real, as far as this machine allows: cage (the compositor
# kiosk.service runs) with the options kiosk-session-setup writes, nested in Xvfb through wlroots'
# X11 backend and the pixman software renderer, the kiosk inside it through Xwayland (Debian's GLFW
# is X11-only), run as an unprivileged user like User=kiosk (cage refuses to run as root).
# Checks on screenshots of the Xvfb screen: the app fills the screen with nothing else on it, and
# --rotate 90 really turns it. Screenshots are kept in BUILD_DIR/tests/packaging/ to look at.
# What it cannot show here: DRM/KMS output, logind seat, real touch input (no GPU, no /dev/input).
# Usage: cage_session_test.sh BUILD_DIR SOURCE_DIR. Exit 77 (skipped) when a tool is missing.
set -euo pipefail
build="$1"
src="$2"
kiosk="$build/kiosk"
for tool in cage Xwayland Xvfb xwd xwdtopnm pnmtoplainpnm setpriv; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool not installed (scripts/packages.txt)"; exit 77; }
done
"$kiosk" gui --help >/dev/null 2>&1 || { echo "skipped: $kiosk has no touchscreen app (KIOSK_BUILD_GUI=OFF)"; exit 77; }
[[ $(id -u) == 0 ]] || { echo "skipped: needs root to run the session as another user"; exit 77; }
user=nobody
group="$(id -gn "$user")"

work="$(mktemp -d /tmp/kiosk-cage-test.XXXXXX)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
chmod 755 "$work"
# The session runs as nobody, who may not reach the build folder (a clone made under `mktemp -d` is
# private to root, and cage then stops at once): the kiosk and its assets are copied in here.
cp "$kiosk" "$work/kiosk"
cp -r "$src/assets" "$work/assets"
chmod -R a+rX "$work/kiosk" "$work/assets"
kiosk="$work/kiosk"
export KIOSK_ASSETS="$work/assets"
"$kiosk" --data "$work/data" init --demo >/dev/null || fail "kiosk init --demo"
chown -R "$user:$group" "$work/data"
shots="$build/tests/packaging"
mkdir -p "$shots"

# stats PPM: "<pixels of the app's background> <pixels of the white input field> <their mean x>
# <mean y> <spread in x> <spread in y> <width*height>" (spreads: standard deviations in pixels).
stats() {
  pnmtoplainpnm "$1" | awk '
    NR == 2 { w = $1; h = $2; next }
    NR <= 3 { next }
    { for (i = 1; i <= NF; i++) v[n++ % 3] = $i
      while (n >= 3) { n -= 3; r = v[0]; g = v[1]; b = v[2]; x = p % w; y = int(p / w); p++
        if (r >= 20 && r <= 32 && g >= 22 && g <= 34 && b >= 27 && b <= 39) bg++
        if (r >= 247 && g >= 247 && b >= 247) { f++; sx += x; sy += y; sxx += x * x; syy += y * y } } }
    END { mx = f ? sx / f : -1; my = f ? sy / f : -1
          printf "%d %d %d %d %d %d %d\n", bg, f, mx, my, f ? sqrt(sxx / f - mx * mx) : 0,
                 f ? sqrt(syy / f - my * my) : 0, w * h }'
}

# run_session ROTATE: sets shot (PPM) after the app has drawn, or fails.
run_session() {
  local rotate="$1" etc="$work/etc-$1" opts disp xpid cpid i
  KIOSK_SETUP_ROOT="$etc" sh "$src/packaging/kiosk-session-setup.sh" --rotate "$rotate" >/dev/null
  opts="$(sed -n 's/^CAGE_OPTS="\(.*\)"$/\1/p' "$etc/etc/default/kiosk")"
  [[ -n "$opts" ]] || fail "kiosk-session-setup wrote no CAGE_OPTS"
  Xvfb -displayfd 1 -screen 0 1024x600x24 -nolisten tcp >"$work/display-$rotate" 2>"$work/xvfb-$rotate.log" &
  xpid=$!
  pids+=("$xpid")
  for i in $(seq 50); do [[ -s "$work/display-$rotate" ]] && break; sleep 0.1; done
  disp=":$(head -1 "$work/display-$rotate")"
  [[ "$disp" != ":" ]] || fail "Xvfb did not start: $(cat "$work/xvfb-$rotate.log")"
  mkdir -m 700 "$work/run-$rotate"
  chown "$user:$group" "$work/run-$rotate"
  # shellcheck disable=SC2086 # CAGE_OPTS is a word list, as in kiosk.service's ExecStart
  setpriv --reuid="$user" --regid="$group" --clear-groups env -i PATH=/usr/bin:/bin HOME="$work" \
    DISPLAY="$disp" XDG_RUNTIME_DIR="$work/run-$rotate" WLR_BACKENDS=x11 WLR_RENDERER=pixman \
    WLR_LIBINPUT_NO_DEVICES=1 KIOSK_CONFIG="$work/none.json" KIOSK_ASSETS="$KIOSK_ASSETS" \
    timeout -k 5 60 cage $opts -- "$kiosk" --data "$work/data" gui --exit-after 45000 >"$work/cage-$rotate.log" 2>&1 &
  cpid=$!
  pids+=("$cpid")
  shot="$work/shot-$rotate.ppm"
  for i in $(seq 40); do
    sleep 1
    kill -0 "$cpid" 2>/dev/null || fail "cage exited early: $(grep -v ALSA "$work/cage-$rotate.log" | tail -5)"
    xwd -root -display "$disp" -silent | xwdtopnm >"$shot" 2>/dev/null || continue
    read -r bg field fx fy _ _ total < <(stats "$shot")
    ((field > 5000)) && break
  done
  ((field > 5000)) || fail "rotate $rotate: the kiosk never drew its screen inside cage: $(grep -v ALSA "$work/cage-$rotate.log" | tail -5)"
  command -v pnmtopng >/dev/null && pnmtopng "$shot" >"$shots/cage-session-rotate-$rotate.png" 2>/dev/null
  kill "$cpid" "$xpid" 2>/dev/null || true
  wait "$cpid" "$xpid" 2>/dev/null || true
  echo "rotate $rotate (cage $opts): background $((100 * bg / total)) % of the screen, input field centred at ($fx, $fy)"
}

run_session 0
read -r bg0 f0 fx0 fy0 dx0 dy0 total < <(stats "$shot")
# Full screen, nothing else: the app's background covers most of Xvfb's (black) screen.
((bg0 * 2 > total)) || fail "rotate 0: the app covers only $((100 * bg0 / total)) % of the screen"
# Unrotated, the code field is a wide bar across the upper half.
((dx0 > 4 * dy0 && fy0 < 300)) || fail "rotate 0: the input field spreads ${dx0}x${dy0} px around ($fx0, $fy0)"

run_session 90
read -r bg90 f90 fx90 fy90 dx90 dy90 total < <(stats "$shot")
((bg90 * 2 > total)) || fail "rotate 90: the app covers only $((100 * bg90 / total)) % of the screen"
# --rotate 90 is a panel mounted turned 90 degrees clockwise: the picture is turned 90 degrees
# counter-clockwise to stand upright, so the field becomes a tall bar near the app's top, which
# is now the screen's left edge.
((dy90 > 4 * dx90)) || fail "rotate 90: the input field spreads ${dx90}x${dy90} px: cage did not rotate"
((fx90 < 512)) || fail "rotate 90: the input field is at x=$fx90: the picture turned clockwise, not counter-clockwise"
echo "ok: cage session shows the kiosk full screen; rotation follows kiosk-session-setup --rotate"
