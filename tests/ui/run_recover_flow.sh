#!/usr/bin/env bash
# The touchscreen's Recover against a real kiosk-central on loopback. Usage:
#   run_recover_flow.sh KIOSK KIOSK_CENTRAL FLOW
# Made with the CLI first: a kiosk enrolled, one demo order synced, its data folder copied (the
# backup), a checkout and another order synced, the backup put back, a demo order logged and a sync
# that finds the fork. Then FLOW runs in the real window under Xvfb (flows/recover.txt taps
# Recover). Afterwards: the journal holds the demo order again after the central's head with its
# `replaces` link, a sync leaves both sides level, `kiosk verify` passes and no fork is left.
# $KIOSK_SCREENSHOTS, if set, keeps the screenshots there. $KIOSK_FLOW_LANGUAGE (de, fi, pl, ru):
# the flow is walked in that language, as run_flow.sh does.
set -euo pipefail
kiosk="$1"; central="$2"; flow="$3"
. "$(dirname "$0")/central_flow_lib.sh"
d="$tmp/data"
k() { "$kiosk" --data "$d" "$@"; }
k init --demo --kiosk-id KIOSK-UITEST >/dev/null
load_demo_reference
code="$(enrol_code KIOSK-UITEST)"
start_central
k enroll --central "$url" --code "$code" >/dev/null
# Demo orders and a checkout: their event types read the same in every language's walk.
k order-demo --partner 6299246000100012 --model 00614141000029 --by BDG-10017 >/dev/null
k sync --once >/dev/null
cp -a "$d" "$tmp/backup"
k checkout DEMO-00009 --rep BDG-20024 --purpose "Trade fair" >/dev/null
k order-demo --partner 6299246000100012 --model 00614141000036 --by BDG-10017 >/dev/null
k sync --once >/dev/null
rm -rf "$d"; cp -a "$tmp/backup" "$d"
restored_head="$(k status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["journal"]["last_seq"])')"
k order-demo --partner 6299246000100012 --model 00614141000012 --by BDG-10017 >/dev/null
if k sync --once >/dev/null 2>"$tmp/sync.err"; then echo "the sync after the restore did not find the fork" >&2; exit 1; fi
grep -q "journal.fork" "$tmp/sync.err" || { cat "$tmp/sync.err" >&2; exit 1; }

run_gui "$d" "$flow" "${KIOSK_SCREENSHOTS:-$tmp/shots}"

k sync --once >/dev/null
k verify >/dev/null
k journal --json >"$tmp/journal.json"
k status --json >"$tmp/status.json"
"$central" --db "$db" kiosks >"$tmp/kiosks.csv" 2>/dev/null || true
python3 - "$tmp/journal.json" "$tmp/status.json" "$tmp/kiosks.csv" "$restored_head" <<'PY'
import csv, json, sys
journal = json.load(open(sys.argv[1])); status = json.load(open(sys.argv[2])); restored = int(sys.argv[4])
bad = []
relogged = [e for e in journal if "replaces" in json.loads(e["payload"])]
if len(relogged) != 1 or relogged[0]["type"] != "demo.ordered" or json.loads(relogged[0]["payload"])["replaces"]["seq"] != restored + 1:
    bad.append(f"expected one demo.ordered logged again in place of seq {restored + 1}, found {[(e['seq'], e['type']) for e in relogged]}")
if status.get("journal_fork") is not None: bad.append(f"the fork is still recorded: {status['journal_fork']}")
if status["sync"]["pending_events"] != 0: bad.append(f"{status['sync']['pending_events']} events still wait")
held = {r["kiosk_id"]: int(r["acked_through"]) for r in csv.DictReader(open(sys.argv[3]))}
if held.get("KIOSK-UITEST") != journal[-1]["seq"]:
    bad.append(f"the central holds up to {held.get('KIOSK-UITEST')}, the kiosk's journal ends at {journal[-1]['seq']}")
if bad:
    print("\n".join(bad), file=sys.stderr); sys.exit(1)
print(f"recovered: seq {relogged[0]['seq']} replaces {restored + 1}; central and kiosk level at {journal[-1]['seq']}")
PY
