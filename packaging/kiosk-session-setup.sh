#!/bin/sh
# kiosk-session-setup: turns a board with the kiosk package into a locked-down kiosk: the app as the
# only thing on the screen, no login prompt, no screen blanking, the screen and touch rotated and
# calibrated, restarted on any crash or hang (and the board itself on a kernel panic).
# Installed as /usr/sbin/kiosk-session-setup by the kiosk package; see docs/deployment.md.
#
# Usage: kiosk-session-setup [options]
#   --x11                 X11 without a window manager (xinit) instead of cage (Wayland)
#   --rotate DEG          0, 90, 180 or 270: how far the panel is mounted turned clockwise
#                         (the picture and the touch input are turned back; 90: cage -r)
#   --touch-matrix "M"    libinput calibration matrix, 6 numbers "a b c d e f", replacing the one
#                         derived from --rotate (e.g. "-1 0 1 0 1 0" for a mirrored touch panel)
#   --output NAME         X11 only: output to rotate (xrandr name, default HDMI-1)
#   --no-enable           write the settings but do not enable/start kiosk.service
#   --dry-run             print what would be written, change nothing
# Env: KIOSK_SETUP_ROOT=DIR writes under DIR instead of / and runs no systemctl/udevadm (tests).
set -eu

ROOT="${KIOSK_SETUP_ROOT:-}"
mode=cage
rotate=0
touch_matrix=""
output=HDMI-1
enable=1
dry=0

die() { echo "kiosk-session-setup: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --x11) mode=x11 ;;
    --rotate) [ $# -ge 2 ] || die "--rotate needs 0, 90, 180 or 270"; rotate="$2"; shift ;;
    --touch-matrix) [ $# -ge 2 ] || die "--touch-matrix needs six numbers in quotes"; touch_matrix="$2"; shift ;;
    --output) [ $# -ge 2 ] || die "--output needs an xrandr output name such as HDMI-1"; output="$2"; shift ;;
    --no-enable) enable=0 ;;
    --dry-run) dry=1 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

case "$rotate" in
  # DEG is how far the panel is mounted turned clockwise; the picture is turned DEG
  # counter-clockwise to stand upright. cage's -r is Wayland's transform 90, which is
  # counter-clockwise (checked on a screenshot by tests/packaging/cage_session_test.sh); X11 must
  # match it: xrandr's "left" is counter-clockwise too. The touch matrix follows the picture.
  0) cage_rot="" xrandr_rot=normal matrix="1 0 0 0 1 0" ;;
  90) cage_rot="-r" xrandr_rot=left matrix="0 -1 1 1 0 0" ;;
  180) cage_rot="-r -r" xrandr_rot=inverted matrix="-1 0 1 0 -1 1" ;;
  270) cage_rot="-r -r -r" xrandr_rot=right matrix="0 1 0 -1 0 1" ;;
  *) die "--rotate must be 0, 90, 180 or 270 (degrees clockwise), got '$rotate'" ;;
esac
if [ -n "$touch_matrix" ]; then
  set -- $touch_matrix
  [ $# -eq 6 ] || die "--touch-matrix needs exactly six numbers (the top two rows of the 3x3 matrix), got '$touch_matrix'"
  for n in "$@"; do
    echo "$n" | grep -Eq '^-?[0-9]+(\.[0-9]+)?$' || die "--touch-matrix: '$n' is not a number"
  done
  matrix="$touch_matrix"
fi

if [ -z "$ROOT" ] && [ "$dry" = 0 ] && [ "$(id -u)" != 0 ]; then
  die "run as root (sudo kiosk-session-setup ...): it writes system settings under /etc"
fi
if [ -z "$ROOT" ] && [ "$dry" = 0 ] && ! getent passwd kiosk >/dev/null; then
  die "there is no 'kiosk' user: install the kiosk package first"
fi
if [ "$mode" = cage ] && [ -z "$ROOT" ] && [ "$dry" = 0 ] && ! command -v cage >/dev/null; then
  die "cage is not installed: apt-get install cage (or use --x11)"
fi
if [ "$mode" = x11 ] && [ -z "$ROOT" ] && [ "$dry" = 0 ] && ! command -v xinit >/dev/null; then
  die "X11 mode needs xinit and the X server: apt-get install xserver-xorg xinit"
fi

# write PATH (relative to /) with the text on stdin, creating folders; prints it in --dry-run.
write() {
  if [ "$dry" = 1 ]; then
    echo "---- would write /$1"
    cat
    return
  fi
  mkdir -p "$(dirname "$ROOT/$1")"
  cat >"$ROOT/$1.tmp.$$"
  mv "$ROOT/$1.tmp.$$" "$ROOT/$1"
  echo "wrote /$1"
}
remove() {
  [ -e "$ROOT/$1" ] || return 0
  if [ "$dry" = 1 ]; then echo "---- would remove /$1"; return; fi
  rm -f "$ROOT/$1"
  echo "removed /$1"
}

# ---- Session ------------------------------------------------------------------------------------
if [ "$mode" = cage ]; then
  # -d: no client-side decorations; -r: rotate 90 degrees clockwise per -r (cage 0.1.4).
  write etc/default/kiosk <<EOF
# Written by kiosk-session-setup: read by kiosk.service.
CAGE_OPTS="$(echo "-d $cage_rot" | sed 's/ *$//')"
EOF
  remove etc/systemd/system/kiosk.service.d/x11.conf
  remove etc/X11/xorg.conf.d/90-kiosk.conf
else
  write etc/systemd/system/kiosk.service.d/x11.conf <<EOF
# Written by kiosk-session-setup --x11: X11 without a window manager instead of cage.
[Service]
Environment=XDG_SESSION_TYPE=x11
ExecStart=
ExecStart=/usr/bin/xinit /usr/bin/kiosk gui -- :0 vt1 -keeptty -nolisten tcp -nocursor -s 0 -dpms
EOF
  # Rotation, blanking and touch for X11 are static server settings: no script runs in the session.
  write etc/X11/xorg.conf.d/90-kiosk.conf <<EOF
# Written by kiosk-session-setup --x11.
Section "ServerFlags"
    Option "BlankTime" "0"
    Option "StandbyTime" "0"
    Option "SuspendTime" "0"
    Option "OffTime" "0"
    Option "DontVTSwitch" "true"
    Option "DontZap" "true"
EndSection

Section "Monitor"
    Identifier "$output"
    Option "Rotate" "$xrandr_rot"
    Option "DPMS" "false"
EndSection

Section "InputClass"
    Identifier "kiosk touchscreen"
    MatchIsTouchscreen "on"
    Option "CalibrationMatrix" "$matrix 0 0 1"
EndSection
EOF
  # Xorg started by a service rather than from a console login needs the wrapper's permission.
  write etc/X11/Xwrapper.config <<EOF
# Written by kiosk-session-setup --x11: kiosk.service starts Xorg as the kiosk user on tty1.
allowed_users=anybody
needs_root_rights=no
EOF
  remove etc/default/kiosk
fi

# ---- Touch calibration (libinput reads it for cage and for X11's libinput driver) -------------------
write etc/udev/rules.d/90-kiosk-touch.rules <<EOF
# Written by kiosk-session-setup: rotate/calibrate the touchscreen to match the screen.
ENV{ID_INPUT_TOUCHSCREEN}=="1", ENV{LIBINPUT_CALIBRATION_MATRIX}="$matrix"
EOF

# ---- Screen blanking off on the console; reboot on a kernel panic ------------------------------------
write etc/sysctl.d/90-kiosk.conf <<EOF
# Written by kiosk-session-setup: an unattended kiosk reboots 10 s after a kernel panic.
kernel.panic = 10
EOF
cmdline=""
for f in boot/firmware/cmdline.txt boot/cmdline.txt; do
  if [ -f "$ROOT/$f" ]; then cmdline="$f"; break; fi
done
if [ -n "$cmdline" ]; then
  # Raspberry Pi: one line of kernel arguments.
  if ! grep -q 'consoleblank=0' "$ROOT/$cmdline"; then
    if [ "$dry" = 1 ]; then
      echo "---- would append consoleblank=0 to /$cmdline"
    else
      sed -i '1 s/$/ consoleblank=0/' "$ROOT/$cmdline"
      echo "appended consoleblank=0 to /$cmdline"
    fi
  fi
elif [ -d "$ROOT/etc/default/grub.d" ] || [ -f "$ROOT/etc/default/grub" ]; then
  write etc/default/grub.d/90-kiosk.cfg <<'EOF'
# Written by kiosk-session-setup: never blank the console.
GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT consoleblank=0"
EOF
  if [ -z "$ROOT" ] && [ "$dry" = 0 ] && command -v update-grub >/dev/null; then update-grub; fi
fi

# ---- Enable ------------------------------------------------------------------------------------------
if [ -z "$ROOT" ] && [ "$dry" = 0 ]; then
  sysctl -q -p /etc/sysctl.d/90-kiosk.conf || true
  udevadm control --reload-rules && udevadm trigger --subsystem-match=input --action=change || true
  systemctl daemon-reload
  if [ "$enable" = 1 ]; then
    systemctl set-default graphical.target
    systemctl enable kiosk.service
    if [ -e /var/lib/kiosk/kiosk.db ]; then
      systemctl restart kiosk.service
      echo "kiosk.service restarted: the kiosk is on tty1"
    else
      echo "kiosk.service enabled; it starts once the kiosk is enrolled:" \
           "sudo -u kiosk kiosk --data /var/lib/kiosk init ...; sudo systemctl start kiosk"
    fi
  fi
fi
