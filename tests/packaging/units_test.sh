#!/usr/bin/env bash
# The systemd units as packaged: built into .debs with cpack, extracted into a temporary root and
# checked offline with `systemd-analyze verify --root` (no running systemd needed), plus what the
# deployment relies on: an unprivileged user, restart on failure, Type=notify with a watchdog,
# ordering after the console session it replaces, logs to the journal.
# Usage: units_test.sh BUILD_DIR. Exit 77 (skipped) without systemd-analyze or dpkg-deb.
set -euo pipefail
build="$1"
command -v systemd-analyze >/dev/null || { echo "skipped: no systemd-analyze (apt-get install systemd)"; exit 77; }
command -v dpkg-deb >/dev/null || { echo "skipped: no dpkg-deb"; exit 77; }
work="$(mktemp -d /tmp/kiosk-units-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack could not build the packages"; }
root="$work/root"
mkdir -p "$root"
for deb in "$work"/out/*.deb; do dpkg-deb -x "$deb" "$root"; done
units=()
for u in kiosk.service kiosk-central.service; do
  [[ -f "$root/usr/lib/systemd/system/$u" ]] && units+=("$u")
done
[[ " ${units[*]} " == *" kiosk.service "* ]] || fail "the kiosk package has no kiosk.service"
if grep -q '^build kiosk-central:' "$build/build.ninja" 2>/dev/null; then
  [[ " ${units[*]} " == *" kiosk-central.service "* ]] || fail "the kiosk-central package has no kiosk-central.service"
fi

# verify resolves dependencies (sysinit.target, ...) and checks that ExecStart= programs exist:
# give the root this machine's systemd units and stand-ins for the programs of other packages
# (cage is a Recommends of kiosk; X11 mode replaces it by a drop-in).
mkdir -p "$root/usr/lib/systemd/system"
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
for prog in cage; do
  [[ -e "$root/usr/bin/$prog" ]] || { printf '#!/bin/sh\n' >"$root/usr/bin/$prog"; chmod 755 "$root/usr/bin/$prog"; }
done
verify() { systemd-analyze verify --man=no --root="$root" "$@" 2>&1; }

# The check itself can fail: a misspelt setting and a missing program are reported.
sed 's/^Type=notify$/Type=notifyy/' "$root/usr/lib/systemd/system/kiosk.service" >"$root/usr/lib/systemd/system/broken.service"
out="$(verify broken.service || true)"
grep -q "notifyy" <<<"$out" || fail "systemd-analyze did not report a bad Type= (got: $out)"
rm "$root/usr/lib/systemd/system/broken.service"
sed 's|^ExecStart=/usr/bin/cage|ExecStart=/usr/bin/no-such-cage|' "$root/usr/lib/systemd/system/kiosk.service" \
  >"$root/usr/lib/systemd/system/broken.service"
out="$(verify broken.service || true)"
grep -q "no-such-cage" <<<"$out" || fail "systemd-analyze did not report a missing program (got: $out)"
rm "$root/usr/lib/systemd/system/broken.service"

# The packaged units: no error, no warning (verify exits 0 even on "ignoring" lines, so both count).
set +e
out="$(verify "${units[@]}")"
rc=$?
set -e
[[ $rc == 0 && -z "$out" ]] || fail "systemd-analyze verify ${units[*]} (exit $rc): $out"
echo "systemd-analyze verify: ${units[*]} clean"

# value KEY UNIT: the last assignment of KEY in UNIT (later lines win in systemd).
value() { sed -n "s/^$1=//p" "$root/usr/lib/systemd/system/$2" | tail -1; }
kiosk=kiosk.service
[[ "$(value User $kiosk)" == kiosk ]] || fail "kiosk.service does not run as the unprivileged kiosk user"
[[ "$(value Type $kiosk)" == notify ]] || fail "kiosk.service is not Type=notify"
wd="$(value WatchdogSec $kiosk)"
[[ "$wd" =~ ^[1-9][0-9]*s?$ ]] || fail "kiosk.service: WatchdogSec='$wd', want a positive number of seconds"
# cage runs the app as its child: without NotifyAccess=all systemd drops the app's READY/WATCHDOG.
[[ "$(value NotifyAccess $kiosk)" == all ]] || fail "kiosk.service: NotifyAccess must be all (the app is cage's child)"
# on-failure is the minimum; always also restarts a session that exited cleanly.
[[ "$(value Restart $kiosk)" =~ ^(on-failure|always)$ ]] || fail "kiosk.service: Restart=$(value Restart $kiosk)"
[[ "$(value StartLimitIntervalSec $kiosk)" == 0 ]] || fail "kiosk.service gives up restarting (StartLimitIntervalSec)"
# The unit is the display session: it starts once logins are allowed and logind runs, and takes
# tty1 from the getty it conflicts with.
after="$(sed -n 's/^After=//p' "$root/usr/lib/systemd/system/$kiosk" | tr '\n' ' ')"
for dep in systemd-user-sessions.service systemd-logind.service getty@tty1.service; do
  [[ " $after " == *" $dep "* ]] || fail "kiosk.service is not ordered After=$dep"
done
grep -qx 'Conflicts=getty@tty1.service' "$root/usr/lib/systemd/system/$kiosk" || fail "kiosk.service does not take tty1 from getty"
grep -qx 'WantedBy=graphical.target' "$root/usr/lib/systemd/system/$kiosk" || fail "kiosk.service is not part of graphical.target"
for s in StandardOutput StandardError; do
  v="$(value $s $kiosk)"
  [[ -z "$v" || "$v" == journal* ]] || fail "kiosk.service: $s=$v, want the journal"
done
if [[ " ${units[*]} " == *" kiosk-central.service "* ]]; then
  c=kiosk-central.service
  [[ "$(value DynamicUser $c)" == yes || -n "$(value User $c)" ]] || fail "kiosk-central.service runs as root"
  [[ "$(value User $c)" != root ]] || fail "kiosk-central.service runs as root"
  [[ "$(value Restart $c)" =~ ^(on-failure|always)$ ]] || fail "kiosk-central.service: Restart=$(value Restart $c)"
  for s in StandardOutput StandardError; do
    v="$(value $s $c)"
    [[ -z "$v" || "$v" == journal* ]] || fail "kiosk-central.service: $s=$v, want the journal"
  done
fi
# Offline exposure score, for information (lower is better; not a pass/fail criterion).
for u in "${units[@]}"; do
  systemd-analyze security --offline=true --root="$root" "$u" 2>/dev/null | tail -1 | sed "s/^/$u: /" || true
done
echo "ok: ${units[*]}"
