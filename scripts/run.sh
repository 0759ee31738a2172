#!/usr/bin/env bash
# Sets everything up and runs the kiosk on its embedded default: SQLite in ./data, seeded with
# the demo showroom on first run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh" dev
kiosk="$here/build/dev/kiosk"
export KIOSK_DATA="${KIOSK_DATA:-$here/data}"
if [[ ! -f "$KIOSK_DATA/kiosk.db" ]]; then
  echo "==> First run: creating $KIOSK_DATA with the demo showroom"
  "$kiosk" init --demo
fi
"$kiosk" status
