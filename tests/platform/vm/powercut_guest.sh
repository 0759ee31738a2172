#!/bin/sh
# vmcase=powercut (vm_powercut.cpp): one life of a kiosk between two power cuts. Mounts the data
# disk (ext4 replays its journal), checks what the last cut left (the kiosk opens the database,
# SQLite's quick_check, the journal's HMAC chain), says how far the journal goes, then logs
# events as fast as it can, saying "logged SEQ" after each commit, until the host kills the VM.
for m in virtio_pci virtio_blk crc32c_generic ext4; do modprobe "$m" 2>/dev/null || echo "modprobe $m failed"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p /mnt
if ! mount -t ext4 /dev/vda /mnt; then
  echo "@@CUT mount-failed"
  exit 1
fi
D=/mnt/data
kiosk --data $D verify >/tmp/verify 2>&1
echo "@@CUT verify $?"
grep -v '^$' /tmp/verify | head -3
kiosk --data $D status >/tmp/status 2>&1
echo "@@CUT status $?"
echo "@@CUT head $(grep -o 'last seq [0-9]*' /tmp/status | grep -o '[0-9]*$')"
echo "@@CUT appending"
kiosk --data $D stress-append --count 1000000 --by BDG-10017 DEMO-00007
echo "@@CUT append-ended $?"
