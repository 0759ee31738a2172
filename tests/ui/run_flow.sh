#!/usr/bin/env bash
# Runs one GUI flow script against the real window under Xvfb, on a fresh demo data folder, then
# checks the journal. Usage: run_flow.sh KIOSK SCRIPT [TYPE=COUNT ...]
#   TYPE=COUNT: the journal must hold exactly COUNT events of TYPE after the run.
# $KIOSK_SCREENSHOTS, if set, keeps the screenshots there (docs/screenshots is made this way).
set -euo pipefail
kiosk="$1"; script="$2"; shift 2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$kiosk" --data "$tmp/data" init --demo --kiosk-id KIOSK-UITEST >/dev/null
shots="${KIOSK_SCREENSHOTS:-$tmp/shots}"
size="${KIOSK_SCREEN:-1024x600}"
# -a picks a free display, so parallel ctest runs do not collide.
xvfb-run -a -s "-screen 0 ${size}x24" "$kiosk" --data "$tmp/data" gui --script "$script" --screenshots "$shots"
"$kiosk" --data "$tmp/data" journal --json >"$tmp/journal.json"
python3 - "$tmp/journal.json" "$@" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))
counts = {}
for e in events:
    counts[e["type"]] = counts.get(e["type"], 0) + 1
bad = []
for spec in sys.argv[2:]:
    t, n = spec.split("=")
    if counts.get(t, 0) != int(n):
        bad.append(f"journal: expected {n} {t} event(s), found {counts.get(t, 0)}")
if bad:
    print("\n".join(bad), file=sys.stderr)
    print("journal types:", counts, file=sys.stderr)
    sys.exit(1)
print("journal ok:", ", ".join(sys.argv[2:]) or "(no checks)")
PY
