#!/bin/sh
# /init of the VM rig's initramfs: the kernel modules a USB scanner needs, udevd (libusb's
# hotplug listens to its events), then the guest program; the VM powers off when it is done.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /run/udev /tmp
# Real power cuts (vm_powercut): the kiosk on a disk, nothing of the scanners' set-up.
case "$(cat /proc/cmdline)" in
  *vmcase=powercut*) echo "@@BOOT powercut"; /bin/powercut_guest.sh; echo "@@GUEST exit $?"; sync; poweroff -f ;;
esac
for m in xhci-pci usbhid hid-generic evdev ftdi_sio; do modprobe "$m" || echo "modprobe $m failed"; done
if [ -x /sbin/udevd ]; then /sbin/udevd --daemon 2>/dev/null || echo "udevd did not start"; fi
stty -echo 2>/dev/null
echo "@@BOOT modules loaded"
/bin/vm_guest $(cat /proc/cmdline | grep -o 'vmcase=[a-z]*' | cut -d= -f2)
echo "@@GUEST exit $?"
sync
poweroff -f
