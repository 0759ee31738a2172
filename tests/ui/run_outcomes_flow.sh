#!/usr/bin/env bash
# What the central decided, on the touchscreens of two kiosks synced with a real kiosk-central on
# loopback (issue 17 item 5). Usage:
#   run_outcomes_flow.sh KIOSK KIOSK_CENTRAL FLOW_HERE FLOW_OTHER
# Made with the CLI first: KIOSK-UITEST and KIOSK-UIOTHER enrolled with the demo showroom. The
# other kiosk redeems 15,000 of Tulostin Oy's 24,500 points and checks DEMO-00007 out; this one,
# not having heard of either, redeems 15,000 too (the central honours 9,500), registers a deal,
# orders a demo unit and checks DEMO-00007 out as well (the central keeps the other kiosk's
# checkout). The vendor rejects the deal and confirms the order. Then FLOW_HERE runs on this
# kiosk's window (the partner's page lists what changed, once; the device page says the central
# keeps the other checkout) and FLOW_OTHER on the other's (the unit is also out here).
# Afterwards the partner's list is empty on this kiosk (shown), `kiosk outcomes --all` keeps
# the three outcomes, and `kiosk device DEMO-00007` says the conflict for each side. $KIOSK_SCREENSHOTS keeps the screenshots (FLOW_OTHER's in other/);
# $KIOSK_FLOW_LANGUAGE (de, fi, pl, ru) walks both flows in that language.
set -euo pipefail
kiosk="$1"; central="$2"; flow_here="$3"; flow_other="$4"
. "$(dirname "$0")/central_flow_lib.sh"
here() { "$kiosk" --data "$tmp/here" "$@"; }
other() { "$kiosk" --data "$tmp/other" "$@"; }
seq_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])'; }
card=6299246000100012
here init --demo --kiosk-id KIOSK-UITEST >/dev/null
other init --demo --kiosk-id KIOSK-UIOTHER >/dev/null
load_demo_reference
code_here="$(enrol_code KIOSK-UITEST)"; code_other="$(enrol_code KIOSK-UIOTHER)"
start_central
here enroll --central "$url" --code "$code_here" >/dev/null
other enroll --central "$url" --code "$code_other" >/dev/null
here sync --once >/dev/null
other sync --once >/dev/null

other redeem --partner "$card" --reward R-007 --by BDG-10017 >/dev/null
other checkout DEMO-00007 --rep BDG-20016 --purpose "Customer demo" >/dev/null
other sync --once >/dev/null
here redeem --partner "$card" --reward R-007 --by BDG-10017 >/dev/null
deal="$(here --json register-deal --partner "$card" --customer Kesko --product C4500 --value 48000 --close 2099-12-31 --by BDG-10017 | seq_of)"
order="$(here --json order-demo --partner "$card" --model 00614141000012 --qty 2 --by BDG-10017 | seq_of)"
here checkout DEMO-00007 --rep BDG-20024 --purpose "Trade fair" >/dev/null
here sync --once >/dev/null
"$central" --db "$db" deals reject "KIOSK-UITEST:$deal" --reason "VX-2291" >/dev/null
"$central" --db "$db" orders confirm "KIOSK-UITEST:$order" >/dev/null
here sync --once >/dev/null
other sync --once >/dev/null

shots="${KIOSK_SCREENSHOTS:-$tmp/shots}"
run_gui "$tmp/here" "$flow_here" "$shots"
run_gui "$tmp/other" "$flow_other" "$shots/other"

# Seen once: nothing left to list here; the whole record stays.
here --json outcomes "$card" --keep >"$tmp/new.json"
here --json outcomes "$card" --all >"$tmp/all.json"
# `kiosk device` says the conflict for each side, as the device page does.
here --json device DEMO-00007 >"$tmp/device_here.json"
other --json device DEMO-00007 >"$tmp/device_other.json"
python3 - "$tmp/new.json" "$tmp/all.json" "$tmp/device_here.json" "$tmp/device_other.json" <<'PY'
import json, sys
new = json.load(open(sys.argv[1]))["changes"]; every = json.load(open(sys.argv[2]))["changes"]
here = json.load(open(sys.argv[3]))["conflicts"]; other = json.load(open(sys.argv[4]))["conflicts"]
bad = []
if len(here) != 1 or here[0]["held_here"] or here[0]["other_kiosk"] != "KIOSK-UIOTHER" or not here[0]["message"].startswith("The central keeps the checkout of DEMO-00007 at KIOSK-UIOTHER by Mikko Korhonen since "):
    bad.append(f"kiosk device here: {here}")
if len(other) != 1 or not other[0]["held_here"] or other[0]["other_kiosk"] != "KIOSK-UITEST" or "also checked out at KIOSK-UITEST to Tomasz" not in other[0]["message"]:
    bad.append(f"kiosk device at the other kiosk: {other}")
if new: bad.append(f"still listed as new after the partner's page showed them: {[c['message'] for c in new]}")
kinds = sorted((c["source"], c["kind"]) for c in every)
if kinds != [("deal", "rejected"), ("order", "confirmed"), ("redemption", "adjusted")]: bad.append(f"the record holds {kinds}")
if not all(c["shown"] for c in every): bad.append("not every outcome is marked as shown")
if bad:
    print("\n".join(bad), file=sys.stderr); sys.exit(1)
print("outcomes shown once; the record keeps", len(every))
PY
