#!/bin/bash
# Builds the VM rig's initramfs: busybox-static as the shell, the kernel modules a USB scanner
# needs (with their dependencies from modules.dep), systemd-udevd (libusb's hotplug listens to
# udev's events, as on a kiosk), the test programs and every shared library they load (ldd).
#
#   make_initramfs.sh OUT.cpio.gz KERNEL_VERSION INIT_SCRIPT PROGRAM [PROGRAM...]
#
# Needs: busybox (busybox-static), gzip, the kernel's /lib/modules/VERSION. Prints nothing on
# success; exits non-zero with a reason otherwise.
set -euo pipefail
out=$1 kver=$2 init=$3
shift 3
moddir=/lib/modules/$kver
busybox=$(command -v busybox) || { echo "busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
[ -f "$moddir/modules.dep" ] || { echo "no $moddir/modules.dep (apt-get install linux-image-amd64)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,tmp,etc,lib64,usr/lib/x86_64-linux-gnu,lib/x86_64-linux-gnu} "$root$moddir"
cp "$busybox" "$root/bin/busybox"
for applet in sh mount mkdir cat echo sleep modprobe insmod ls dmesg poweroff reboot stty head tail grep sync mknod ip cut; do
  ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$init" "$root/init"

# Modules and everything they depend on, as modules.dep says.
want="xhci-pci usbhid hid-generic evdev ftdi_sio usbserial virtio_pci virtio_blk virtio_net crc32c_generic ext4"
declare -A seen=()
add_module() {
  local name=$1 line path dep
  line=$(grep -E "(^|/)${name//-/[-_]}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -1) || true
  [ -n "$line" ] || { echo "module $name not found in $moddir/modules.dep" >&2; exit 1; }
  path=${line%%:*}
  [ -n "${seen[$path]:-}" ] && return 0
  seen[$path]=1
  mkdir -p "$root$moddir/$(dirname "$path")"
  cp "$moddir/$path" "$root$moddir/$path"
  for dep in ${line#*:}; do
    dep=$(basename "$dep"); dep=${dep%%.ko*}
    add_module "$dep"
  done
}
for m in $want; do add_module "$m"; done
cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$root$moddir/" 2>/dev/null || true
: > "$root$moddir/modules.dep"
for p in "${!seen[@]}"; do grep -E "^$p:" "$moddir/modules.dep" >> "$root$moddir/modules.dep"; done

# Programs and their libraries.
progs=("$@")
udevd=/lib/systemd/systemd-udevd
[ -x "$udevd" ] && progs+=("$udevd")
copy_with_libs() {
  local f=$1 dest=$2 lib
  mkdir -p "$root$(dirname "$dest")"
  cp "$f" "$root$dest"
  # Without debug info: a RelWithDebInfo kiosk is about 150 MB with it, and the guest unpacks the
  # initramfs into its 512 MB of RAM ("Initramfs unpacking failed: write error" once it grew).
  strip --strip-debug "$root$dest" 2>/dev/null || true
  for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*'); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
for p in "${progs[@]}"; do
  case $p in
    $udevd) copy_with_libs "$p" /sbin/udevd ;;
    *) copy_with_libs "$p" "/bin/$(basename "$p")" ;;
  esac
done
# KIOSK_VM_DATA: a kiosk data folder to put at /data (the touchscreen's scan path needs one).
if [ -n "${KIOSK_VM_DATA:-}" ]; then cp -a "$KIOSK_VM_DATA" "$root/data"; fi
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

(cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -1 > "$out"
