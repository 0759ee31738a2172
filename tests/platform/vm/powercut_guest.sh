#!/bin/sh
# vmcase=powercut (vm_powercut.cpp): one life of a kiosk between two power cuts. Mounts the data
# disk (ext4 replays its journal), checks what the last cut left (the kiosk opens the database,
# SQLite's quick_check, the journal's HMAC chain and the central's anchor), says how far the
# journal goes, then logs events as fast as it can, saying "logged SEQ" after each commit, until
# the host kills the VM.
# With central=URL on the kernel command line (the host's kiosk-central, reached through QEMU's
# user network: 10.0.2.2 is the host's loopback) it also syncs round after round while it logs,
# saying "@@CUT sync EXIT [CODE] through seq N" after each. With vmlast=1 it only checks, makes one
# last sync that must succeed, and says how far the journal goes after it.
for m in virtio_pci virtio_blk crc32c_generic ext4; do modprobe "$m" 2>/dev/null || echo "modprobe $m failed"; done
central=$(grep -o 'central=[^ ]*' /proc/cmdline | cut -d= -f2-)
if [ -n "$central" ]; then
  modprobe virtio_net 2>/dev/null || echo "modprobe virtio_net failed"
  ip link set lo up
  ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || echo "@@CUT network-failed"
fi
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
head_line() {  # "SEQ HASH" of the journal's last event, from `kiosk --json status`
  kiosk --data $D --json status >/tmp/status 2>&1
  rc=$?
  seq=$(grep -o '"last_seq": [0-9]*' /tmp/status | grep -o '[0-9]*$')
  hash=$(grep -o '"last_hash": "[0-9a-f]*"' /tmp/status | cut -d'"' -f4)
  fork=$(grep -c '"journal_fork": null' /tmp/status)
  return $rc
}
head_line
echo "@@CUT status $rc"
[ "$rc" != 0 ] || [ "$fork" = 1 ] || { echo "@@CUT forked"; grep -A4 journal_fork /tmp/status; }  # damage: status says so
echo "@@CUT head $seq $hash"
sync_once() {
  kiosk --data $D sync --once --central "$central" >/tmp/sync 2>&1
  rc=$?
  echo "@@CUT $1 $rc $(grep -o '\[[a-z_.]*\]$' /tmp/sync | tail -1) $(grep -o 'through seq [0-9]*' /tmp/sync | tail -1)"
  [ $rc = 0 ] || [ "$(grep -c '\[net\.' /tmp/sync)" != 0 ] || grep -v '^$' /tmp/sync | head -3
}
if grep -q 'vmlast=1' /proc/cmdline; then
  [ -n "$central" ] && sync_once final-sync
  head_line
  echo "@@CUT synced-head $seq $hash"
  exit 0
fi
echo "@@CUT appending"
if [ -z "$central" ]; then
  kiosk --data $D stress-append --count 1000000 --by BDG-10017 DEMO-00007
  echo "@@CUT append-ended $?"
  exit 0
fi
kiosk --data $D stress-append --count 1000000 --by BDG-10017 DEMO-00007 &
while :; do sync_once sync; done
