#!/usr/bin/env bash
# kiosk-session-setup writes a locked-down session into a folder (KIOSK_SETUP_ROOT) and refuses
# bad input with a clear message. Usage: session_setup_test.sh SOURCE_DIR
set -euo pipefail
script="$1/packaging/kiosk-session-setup.sh"
root="$(mktemp -d /tmp/kiosk-session-test.XXXXXX)"
trap 'rm -rf "$root"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A Raspberry Pi-like root: kernel command line in /boot/firmware.
mkdir -p "$root/boot/firmware"
echo "console=tty1 root=/dev/mmcblk0p2 rootwait" >"$root/boot/firmware/cmdline.txt"
KIOSK_SETUP_ROOT="$root" sh "$script" --rotate 90 >/dev/null
grep -q '^CAGE_OPTS="-d -r"$' "$root/etc/default/kiosk" || fail "cage rotation: $(cat "$root/etc/default/kiosk")"
grep -q 'LIBINPUT_CALIBRATION_MATRIX}="0 -1 1 1 0 0"' "$root/etc/udev/rules.d/90-kiosk-touch.rules" ||
  fail "touch does not follow the 90 degree rotation"
# X11 turns the same way as cage's -r (counter-clockwise, seen on cage_session_test's screenshot).
KIOSK_SETUP_ROOT="$root" sh "$script" --x11 --rotate 90 >/dev/null
grep -q 'Option "Rotate" "left"' "$root/etc/X11/xorg.conf.d/90-kiosk.conf" || fail "X11 --rotate 90 must be xrandr left, like cage -r"
grep -q 'CalibrationMatrix" "0 -1 1 1 0 0 0 0 1"' "$root/etc/X11/xorg.conf.d/90-kiosk.conf" || fail "X11 touch matrix for 90"
KIOSK_SETUP_ROOT="$root" sh "$script" --rotate 90 >/dev/null
grep -q 'consoleblank=0' "$root/boot/firmware/cmdline.txt" || fail "console blanking not turned off"
[[ $(wc -l <"$root/boot/firmware/cmdline.txt") == 1 ]] || fail "cmdline.txt must stay one line"
grep -q 'kernel.panic = 10' "$root/etc/sysctl.d/90-kiosk.conf" || fail "no reboot on kernel panic"
# Running it again changes nothing more (idempotent).
KIOSK_SETUP_ROOT="$root" sh "$script" --rotate 90 >/dev/null
[[ $(grep -o consoleblank=0 "$root/boot/firmware/cmdline.txt" | wc -l) == 1 ]] || fail "consoleblank=0 added twice"

# X11 instead: a drop-in replaces cage, Xorg settings carry rotation, blanking and touch.
KIOSK_SETUP_ROOT="$root" sh "$script" --x11 --rotate 180 --output HDMI-A-1 --touch-matrix "-1 0 1 0 1 0" >/dev/null
grep -q '^ExecStart=/usr/bin/xinit /usr/bin/kiosk gui' "$root/etc/systemd/system/kiosk.service.d/x11.conf" ||
  fail "no X11 drop-in"
[[ ! -e "$root/etc/default/kiosk" ]] || fail "cage settings left behind in X11 mode"
grep -q 'Identifier "HDMI-A-1"' "$root/etc/X11/xorg.conf.d/90-kiosk.conf" || fail "X11 output name"
grep -q 'Option "Rotate" "inverted"' "$root/etc/X11/xorg.conf.d/90-kiosk.conf" || fail "X11 rotation"
grep -q 'Option "BlankTime" "0"' "$root/etc/X11/xorg.conf.d/90-kiosk.conf" || fail "X11 blanking"
grep -q 'CalibrationMatrix" "-1 0 1 0 1 0 0 0 1"' "$root/etc/X11/xorg.conf.d/90-kiosk.conf" || fail "X11 touch matrix"

# Bad input: exit 2 and a message naming the problem.
for bad in "--rotate 45" "--touch-matrix 1_0_0" "--touch-matrix x" "--frobnicate"; do
  set +e
  msg="$(KIOSK_SETUP_ROOT="$root" sh "$script" ${bad//_/ } 2>&1)"
  rc=$?
  set -e
  [[ $rc == 2 ]] || fail "'$bad' exited $rc, want 2"
  [[ "$msg" == kiosk-session-setup:* ]] || fail "'$bad' gave no clear message: $msg"
done
# --dry-run writes nothing.
dry="$(mktemp -d /tmp/kiosk-session-dry.XXXXXX)"
out="$(KIOSK_SETUP_ROOT="$dry" sh "$script" --dry-run)"
grep -q 'would write /etc/default/kiosk' <<<"$out" || fail "dry run output: $out"
[[ -z "$(ls -A "$dry")" ]] || fail "--dry-run wrote files"
rmdir "$dry"
echo "ok"
