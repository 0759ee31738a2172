#!/usr/bin/env bash
# The kiosk .deb, built from this build tree and really installed with dpkg into a temporary root
# (dpkg --root --force-script-chrootless; the maintainer scripts honour $DPKG_ROOT):
#   1. contents: binary, assets, unit, tmpfiles, conffile, maintainer scripts, Depends that cover
#      every NEEDED library of the binaries
#   2. install: the kiosk system user and its 0750 data folder are created
#   3. upgrade to a newer version keeps the database, the key and an edited conffile, and the new
#      binary opens the old database
#   4. remove keeps data and config; purge keeps a data folder that holds a journal (and its user),
#      and on a kiosk that was never enrolled removes everything the package made
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR. Exit 77 (skipped) when not root or without dpkg.
set -euo pipefail
build="$1"
src="$2"

if [[ $(id -u) -ne 0 ]]; then echo "skipped: dpkg --root needs root to set file owners"; exit 77; fi
command -v dpkg-deb >/dev/null || { echo "skipped: no dpkg-deb"; exit 77; }

work="$(mktemp -d /tmp/kiosk-deb-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { local what="$1"; shift; "$@" || fail "$what"; }

# ---- 1. build and inspect -----------------------------------------------------------------------------
(cd "$build" && cpack -G DEB -D CPACK_COMPONENTS_ALL=kiosk -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack could not build the package (is the kiosk target built?)"; }
deb="$(ls "$work"/out/kiosk_*.deb)"
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

contents="$(dpkg-deb -c "$deb" | awk '{ print $6 }')"
for f in ./usr/bin/kiosk ./usr/sbin/kiosk-session-setup ./usr/lib/systemd/system/kiosk.service \
         ./usr/lib/tmpfiles.d/kiosk.conf ./etc/kiosk/kiosk.json ./usr/share/showroom-kiosk/barcode_rules.json \
         ./usr/share/doc/kiosk/deployment.md; do
  grep -qx "$f" <<<"$contents" || fail "package lacks $f"
done
if ls "$src"/assets/udev/*.rules >/dev/null 2>&1; then
  grep -q '^./usr/lib/udev/rules.d/.*\.rules$' <<<"$contents" || fail "package lacks the udev rules from assets/udev"
fi
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/kiosk >"$work/kiosk.bin"
! readelf -S "$work/kiosk.bin" | grep -q '\.symtab' || fail "the packaged /usr/bin/kiosk is not stripped"

dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/kiosk/kiosk.json "$work/control/conffiles" || fail "/etc/kiosk/kiosk.json is not a conffile"
for s in postinst prerm postrm; do
  [[ -x "$work/control/$s" ]] || fail "maintainer script $s missing or not executable"
  sh -n "$work/control/$s" || fail "maintainer script $s has a syntax error"
done
unit="$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/kiosk.service)"
for line in "User=kiosk" "Restart=always" "Type=notify" "NotifyAccess=all" "WantedBy=graphical.target" \
            "Environment=KIOSK_DATA=/var/lib/kiosk"; do
  grep -qx "$line" <<<"$unit" || fail "kiosk.service lacks '$line'"
done
grep -q '^WatchdogSec=[1-9]' <<<"$unit" || fail "kiosk.service has no WatchdogSec"
if command -v systemd-analyze >/dev/null; then
  printf '%s\n' "$unit" >"$work/kiosk.service"
  systemd-analyze verify "$work/kiosk.service" 2>&1 | grep -v -e 'cage' -e 'kiosk' -e 'Failed to prepare filename' \
    -e 'Command .* is not executable' | grep -i -e 'unknown' -e 'invalid' && fail "systemd-analyze finds kiosk.service invalid"
fi

depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
# Every shared library a packaged binary needs must come from a package in its Depends (checked
# on native builds, where dpkg knows the libraries).
needed_in_depends() {  # BINARY "DEPENDS"
  local bin="$1" deps="$2" soname path real pkg p
  for soname in $(objdump -p "$bin" | awk '/NEEDED/ { print $2 }'); do
    # awk reads to the end: an early exit would SIGPIPE ldconfig and, with pipefail, end the test.
    path="$(ldconfig -p | awk -v s="$soname" '$1 == s && !found { print $NF; found = 1 }')"
    [[ -n "$path" ]] || fail "cannot find $soname on this machine"
    # dpkg knows each file under one spelling: /lib or /usr/lib (merged /usr), link or target.
    pkg=""
    real="$(readlink -f "$path")"
    for p in "$path" "$real" "/usr${path#/usr}" "${path#/usr}" "/usr${real#/usr}" "${real#/usr}"; do
      pkg="$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1 || true)"
      [[ -n "$pkg" ]] && break
    done
    [[ -n "$pkg" ]] || fail "no package owns $path ($soname)"
    tr ',' '\n' <<<"$deps" | awk '{ print $1 }' | grep -qxF "$pkg" ||
      fail "$(basename "$bin") needs $soname from $pkg, which is not in its Depends ($deps)"
  done
}
if [[ "$(dpkg-deb -f "$deb" Architecture)" == "$(dpkg --print-architecture)" ]]; then
  needed_in_depends "$build/kiosk" "$depends"
  central_bin="$(find "$build" -maxdepth 2 -name kiosk-central -type f -perm -u+x | head -1)"
  if [[ -n "$central_bin" ]]; then
    central_deps="$(sed -n 's/^set(CPACK_DEBIAN_CENTRAL_PACKAGE_DEPENDS "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")"
    [[ -n "$central_deps" ]] || fail "no CPACK_DEBIAN_CENTRAL_PACKAGE_DEPENDS in CPackConfig.cmake"
    needed_in_depends "$central_bin" "$central_deps"
  fi
fi

# ---- 2. install into a temporary root --------------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/var/lib/dpkg/{info,updates,triggers} "$root"/var/log "$root"/etc "$root"/usr/sbin
touch "$root/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$root/etc/passwd"
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
printf 'root:x:0:\nvideo:x:44:\ninput:x:105:\nplugdev:x:46:\ndialout:x:20:\n' >"$root/etc/group"
printf 'root:*::\nvideo:*::\ninput:*::\nplugdev:*::\ndialout:*::\n' >"$root/etc/gshadow"
cp /etc/login.defs "$root/etc/login.defs"
host_passwd_before="$(md5sum </etc/passwd)"

dpkg_root() {
  dpkg --root="$root" --force-script-chrootless --force-depends --force-confold --log="$work/dpkg.log" "$@" \
    >>"$work/dpkg.out" 2>&1 || { cat "$work/dpkg.out"; fail "dpkg $*"; }
}
dpkg_root -i "$deb"
[[ "$(md5sum </etc/passwd)" == "$host_passwd_before" ]] || fail "the maintainer scripts changed the host's /etc/passwd"
check "kiosk binary installed" test -x "$root/usr/bin/kiosk"
user_line="$(grep '^kiosk:' "$root/etc/passwd")" || fail "postinst did not create the kiosk user"
IFS=: read -r _ _ kiosk_uid kiosk_gid gecos home shell <<<"$user_line"
((kiosk_uid < 1000)) || fail "kiosk is not a system user (uid $kiosk_uid)"
[[ "$home" == /var/lib/kiosk && "$shell" == /usr/sbin/nologin ]] || fail "kiosk user: home $home, shell $shell"
grep -q '^kiosk:' "$root/etc/group" || fail "postinst did not create the kiosk group"
for g in video input plugdev dialout; do
  grep "^$g:" "$root/etc/group" | cut -d: -f4 | tr ',' '\n' | grep -qx kiosk || fail "kiosk is not in group $g"
done
[[ "$(stat -c '%a %u' "$root/var/lib/kiosk")" == "750 $kiosk_uid" ]] ||
  fail "/var/lib/kiosk is $(stat -c '%a %u' "$root/var/lib/kiosk"), want 750 owned by uid $kiosk_uid"
grep -q 'root:x:0:0' "$root/etc/passwd" || fail "postinst damaged existing passwd entries"

# ---- 3. an enrolled kiosk survives an upgrade --------------------------------------------------------------
data="$root/var/lib/kiosk"
"$root/usr/bin/kiosk" --data "$data" init >/dev/null || fail "kiosk init in the installed tree"
chown -R "$kiosk_uid:$kiosk_gid" "$data"
db_sum="$(md5sum <"$data/kiosk.db")"
key_sum="$(md5sum <"$data/kiosk.key")"
kiosk_id="$("$root/usr/bin/kiosk" --data "$data" --json status | grep -m1 '"kiosk_id"')"
sed -i 's/"sync_interval_s": 300/"sync_interval_s": 600/' "$root/etc/kiosk/kiosk.json"

dpkg-deb -R "$deb" "$work/next"
sed -i 's/^Version: .*/Version: 99.0.0/' "$work/next/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/next" "$work/kiosk_99.0.0.deb" >/dev/null
dpkg_root -i "$work/kiosk_99.0.0.deb"
grep -q "status installed kiosk:.* 99.0.0" "$work/dpkg.log" || fail "the upgrade to 99.0.0 was not installed"
[[ "$(md5sum <"$data/kiosk.key")" == "$key_sum" ]] || fail "the upgrade changed the journal key"
[[ -f "$data/kiosk.db" ]] || fail "the upgrade removed the database"
[[ "$(md5sum <"$data/kiosk.db")" == "$db_sum" ]] || echo "note: the database changed during the upgrade (migration)"
grep -q '"sync_interval_s": 600' "$root/etc/kiosk/kiosk.json" || fail "the upgrade overwrote the edited /etc/kiosk/kiosk.json"
[[ "$(grep '^kiosk:' "$root/etc/passwd" | cut -d: -f3)" == "$kiosk_uid" ]] || fail "the upgrade changed the kiosk uid"
[[ "$(grep -c '^kiosk:' "$root/etc/passwd")" == 1 ]] || fail "the upgrade created a second kiosk user"
after="$("$root/usr/bin/kiosk" --data "$data" --json status | grep -m1 '"kiosk_id"')" ||
  fail "the upgraded kiosk cannot open the old database"
[[ "$after" == "$kiosk_id" ]] || fail "kiosk id changed across the upgrade: $kiosk_id -> $after"
"$root/usr/bin/kiosk" --data "$data" verify >/dev/null || fail "the journal does not verify after the upgrade"

# ---- 4. remove and purge ---------------------------------------------------------------------------------------
dpkg_root -r kiosk
[[ ! -e "$root/usr/bin/kiosk" ]] || fail "remove left /usr/bin/kiosk"
[[ -f "$root/etc/kiosk/kiosk.json" ]] || fail "remove deleted the conffile (only purge may)"
[[ -f "$data/kiosk.db" ]] || fail "remove deleted the database"
dpkg_root -P kiosk
[[ ! -e "$root/etc/kiosk/kiosk.json" ]] || fail "purge left the conffile"
[[ -f "$data/kiosk.db" && -f "$data/kiosk.key" ]] || fail "purge deleted an enrolled kiosk's journal"
grep -q '^kiosk:' "$root/etc/passwd" || fail "purge removed the user that owns the kept journal"
grep -q 'kept .*/var/lib/kiosk' "$work/dpkg.out" || fail "purge did not say why it kept /var/lib/kiosk"

# A kiosk that was never enrolled: purge leaves nothing of the package behind.
rm -rf "$data"
dpkg_root -i "$deb"
dpkg_root -P kiosk
[[ ! -e "$data" ]] || fail "purge left the empty /var/lib/kiosk"
[[ ! -e "$root/etc/kiosk" ]] || fail "purge left /etc/kiosk"
! grep -q '^kiosk:' "$root/etc/passwd" || fail "purge left the kiosk user it created"
! grep -q '^kiosk:' "$root/etc/group" || fail "purge left the kiosk group it created"
grep -q '^video:x:44:$' "$root/etc/group" || fail "purge damaged other groups: $(grep '^video:' "$root/etc/group")"
grep -q 'root:x:0:0' "$root/etc/passwd" || fail "purge damaged existing passwd entries"

# A kiosk user the site made itself is never deleted.
printf 'kiosk:x:990:990:Site kiosk account:/home/kiosk:/bin/sh\n' >>"$root/etc/passwd"
printf 'kiosk:x:990:\n' >>"$root/etc/group"
dpkg_root -i "$deb"
dpkg_root -P kiosk
grep -q '^kiosk:x:990:990:Site kiosk account' "$root/etc/passwd" || fail "purge deleted a kiosk user the package did not create"

echo "ok: contents, install, upgrade keeping the database, remove, purge"
