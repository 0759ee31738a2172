#!/usr/bin/env python3
"""Generate the demo showroom: assets/demo/showroom.json and a printable barcode sheet.

Run by hand; the output is committed so a fresh clone needs no Python to seed a kiosk:

    python3 tools/gen_demo.py            # writes assets/demo/{showroom.json,barcodes.svg,.pdf,.png}
    python3 tools/gen_demo.py --check    # regenerates in memory and fails if the committed JSON differs

Standard library only. A fixed seed makes the output byte-for-byte reproducible (the admin PIN
salt included), so a re-run produces no diff unless the data below changed.

The data follows docs/reference-format.md. Before writing anything the generator checks every
check digit, every key for uniqueness, every reference (card -> partner, device -> model,
custodian -> active rep badge, balance -> partner), the enum spellings against
kiosk/core/domain.cpp, and decodes every barcode it drew back from the SVG geometry. Any failure
stops it with a message naming the record, and nothing is written.

The PNG/PDF renders need rsvg-convert (Debian package librsvg2-bin); without it only the SVG is
written. If zbarimg (zbar-tools) is installed the PNG is also read back by a real decoder.
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from xml.sax.saxutils import escape

SEED = 20261124
REFERENCE_DATE = datetime.date(2026, 11, 24)  # "today" of the demo: overdue is relative to it
GENERATED_AT = "2026-11-24T08:00:00Z"
GS1_COMPANY_PREFIX = "0614141"  # GS1's own example prefix: never a real product
ADMIN_PIN = "2468"
PBKDF2_ITERATIONS = 120000

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class DemoError(Exception):
    pass


def Fail(msg):
    raise DemoError(msg)


# ---------------------------------------------------------------------------------------------
# Check digits


def LuhnCheckDigit(payload):
    """Check digit that makes payload + digit pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # rightmost payload digit is doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def LuhnValid(number):
    return number.isdigit() and len(number) >= 2 and LuhnCheckDigit(number[:-1]) == number[-1]


def Gs1CheckDigit(payload):
    total = 0
    for i, ch in enumerate(reversed(payload)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def Gs1Valid(code):
    return code.isdigit() and Gs1CheckDigit(code[:-1]) == code[-1]


def Gtin(item_ref):
    body = "0" + GS1_COMPANY_PREFIX + "%05d" % item_ref
    return body + Gs1CheckDigit(body)


def CardNumber(country_numeric, partner_no, card_no):
    # 6299 + ISO 3166 numeric country + partner number + card sequence + Luhn = 16 digits.
    body = "6299%03d%04d%04d" % (country_numeric, partner_no, card_no)
    return body + LuhnCheckDigit(body)


def BadgeCode(four):
    return "BDG-%04d%s" % (four, LuhnCheckDigit("%04d" % four))


def BadgeValid(code):
    return re.fullmatch(r"BDG-\d{5}", code) is not None and LuhnValid(code[4:])


def PinHash(pin, rng):
    salt = rng.randbytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PBKDF2_ITERATIONS, dklen=32)
    return "pbkdf2-sha256$%d$%s$%s" % (PBKDF2_ITERATIONS, salt.hex(), digest.hex())


def PinMatches(pin, stored):
    scheme, iterations, salt_hex, hash_hex = stored.split("$")
    if scheme != "pbkdf2-sha256" or len(salt_hex) != 32 or len(hash_hex) != 64:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex), int(iterations),
                                 dklen=32)
    return digest.hex() == hash_hex


# ---------------------------------------------------------------------------------------------
# The showroom

SETTINGS = {
    "offline_soft_points": 5000, "offline_hard_points": 20000,
    "offline_soft_count": 2, "offline_hard_count": 4,
    "offline_kiosk_points_cap": 100000, "stale_hours": 72,
    "default_loan_days": 14, "idle_timeout_s": 90, "language": "en",
}

COUNTRY_NUMERIC = {"FI": 246, "PL": 616, "DE": 276, "RU": 643, "GB": 826, "IE": 372, "US": 840,
                   "CA": 124, "AU": 36}

# What a partner must reach to be in a tier (the requirements of the *next* tier are shown).
TIER_ORDER = ["registered", "silver", "gold", "platinum"]
TIER_REQUIREMENTS = {
    "silver":   {"revenue_eur": 150000,  "certified_sales": 1, "certified_technical": 1,
                 "demo_investment_eur": 5000},
    "gold":     {"revenue_eur": 400000,  "certified_sales": 2, "certified_technical": 2,
                 "demo_investment_eur": 15000},
    "platinum": {"revenue_eur": 1000000, "certified_sales": 4, "certified_technical": 3,
                 "demo_investment_eur": 40000},
}
REQUIREMENT_LABELS = [
    ("revenue_eur", "Revenue (12 months)", "EUR"),
    ("certified_sales", "Certified sales staff", ""),
    ("certified_technical", "Certified technical staff", ""),
    ("demo_investment_eur", "Demo equipment investment", "EUR"),
]

# id, name, country, region, tier, type, authorization, status, sales, technical,
# revenue EUR (12 months), demo investment EUR, number of cards, points available, pending
PARTNERS = [
    ("P-FI-0001", "Tulostin Oy", "FI", "Nordics", "gold", "solution_provider", "authorized",
     "active", 3, 2, 610000, 28000, 2, 24500, 3200),
    ("P-FI-0002", "Paperiton Toimisto Oy", "FI", "Nordics", "registered", "agent", "authorized",
     "active", 1, 0, 62000, 0, 1, 350, 120),
    ("P-PL-0001", "Drukarnia Nowak Sp. z o.o.", "PL", "Central Europe", "silver", "concessionaire",
     "exclusive", "active", 2, 1, 265000, 9000, 2, 7800, 1500),
    ("P-PL-0002", "Biurotech Kowalski S.A.", "PL", "Central Europe", "platinum", "volume_partner",
     "authorized", "active", 6, 4, 1850000, 72000, 3, 58300, 4100),
    ("P-DE-0001", "Bürotechnik Schulz GmbH", "DE", "DACH", "platinum",
     "document_technology_partner", "exclusive", "active", 5, 4, 1420000, 55000, 2, 41200, 0),
    ("P-DE-0002", "Schneider IT-Services GmbH", "DE", "DACH", "silver", "msp", "authorized",
     "active", 1, 2, 310000, 11000, 1, 4600, 900),
    ("P-RU-0001", "ООО «ПринтСервис»", "RU", "Russia & CIS", "gold",
     "document_technology_partner", "authorized", "active", 3, 3, 720000, 31000, 2, 16900, 2400),
    ("P-RU-0002", "ООО «ОфисТехника»", "RU", "Russia & CIS", "registered", "agent", "authorized",
     "suspended", 0, 1, 48000, 2000, 1, 3100, 0),
    ("P-GB-0001", "Northgate Office Solutions Ltd", "GB", "UK & Ireland", "gold",
     "solution_provider", "authorized", "active", 2, 3, 540000, 19000, 2, 8200, 650),
    ("P-IE-0001", "Liffey Print Services Ltd", "IE", "UK & Ireland", "silver", "agent",
     "authorized", "active", 1, 1, 205000, 6500, 1, 2150, 300),
    ("P-US-0001", "Cascade Imaging Inc.", "US", "North America", "platinum", "volume_partner",
     "exclusive", "active", 9, 6, 3400000, 120000, 3, 184500, 12750),
    ("P-CA-0001", "Maple Leaf Document Systems Inc.", "CA", "North America", "registered",
     "var", "authorized", "active", 0, 0, 35000, 0, 1, 900, 0),
    ("P-AU-0001", "Southern Cross Print Pty Ltd", "AU", "Australia & NZ", "silver",
     "concessionaire", "authorized", "active", 2, 1, 330000, 12500, 2, 11400, 2200),
]

# Cards that exist but may not be used: (partner id, card sequence) -> why.
BLOCKED_CARDS = {("P-GB-0001", 1): "reported lost; replaced by card 2"}

# (four digits before the check digit, name, role, active)
BADGES = [
    (1001, "Anna Virtanen", "staff", True),
    (1002, "Katarzyna Wójcik", "staff", True),
    (1003, "Jonas Becker", "staff", True),
    (1004, "Emily Clarke", "staff", True),
    (1005, "Ольга Иванова", "staff", False),  # left the company; badge kept for the journal
    (2001, "Mikko Korhonen", "rep", True),
    (2002, "Tomasz Zieliński", "rep", True),
    (2003, "Lena Hoffmann", "rep", True),
    (2004, "Дмитрий Соколов", "rep", True),
    (2005, "James O'Connor", "rep", True),
    (9000, "Sari Mäkinen", "admin", True),
]

# item ref, name, category, quota registered/silver/gold/platinum, active, serial prefix
MODELS = [
    (1, "Colour MFP A3 C4500", "A3 colour MFP", (1, 2, 3, 5), True, "C45A"),
    (2, "Mono MFP A3 M3600", "A3 mono MFP", (1, 2, 3, 5), True, "M36A"),
    (3, "Colour MFP A4 C2200", "A4 colour MFP", (1, 2, 4, 6), True, "C22B"),
    (4, "Mono MFP A4 M1800", "A4 mono MFP", (2, 3, 4, 8), True, "M18B"),
    (5, "Production Printer P9100", "Production printer", (0, 0, 1, 2), True, "P91P"),
    (6, "Label Printer L420", "Label printer", (1, 2, 3, 4), True, "L42L"),
    (7, "Document Scanner S760", "Scanner", (1, 2, 3, 4), True, "S76S"),
    (8, "Booklet Finisher F50", "Finisher", (0, 1, 2, 3), True, "F50F"),
    (9, "Paper Tray PT-2x500", "Accessory", (1, 2, 3, 5), True, "PT2T"),
    (10, "Card Reader CR-10", "Accessory", (1, 2, 3, 5), True, "CR1R"),
    (11, "Mono Printer A4 P1500", "A4 mono printer", (0, 0, 0, 0), False, "P15B"),
]

# Devices: (item ref, kit, state, custodian badge four, due date, purpose, location).
# Kit members follow each other; they share state, custodian and due date.
OVERDUE_DUE = "2026-11-17"
FUTURE_DUE = "2026-12-04"
SOON_DUE = "2026-11-27"
DEVICES = [
    # Showroom A: the big floor models, set up as complete kits
    (1, "KIT-0001", "available", None, "", "", "Showroom A, bay 1"),
    (8, "KIT-0001", "available", None, "", "", "Showroom A, bay 1"),
    (9, "KIT-0001", "available", None, "", "", "Showroom A, bay 1"),
    (2, "KIT-0002", "available", None, "", "", "Showroom A, bay 2"),
    (8, "KIT-0002", "available", None, "", "", "Showroom A, bay 2"),
    (9, "KIT-0002", "available", None, "", "", "Showroom A, bay 2"),
    (3, "", "available", None, "", "", "Showroom A, bay 3"),
    (3, "", "checked_out", 2001, OVERDUE_DUE, "Customer demo: Kesko Oyj, Helsinki",
     "Showroom A, bay 3"),
    (4, "", "available", None, "", "", "Showroom A, bay 4"),
    (4, "", "available", None, "", "", "Showroom A, bay 4"),
    (5, "KIT-0003", "available", None, "", "", "Showroom A, bay 5"),
    (8, "KIT-0003", "available", None, "", "", "Showroom A, bay 5"),
    (6, "", "available", None, "", "", "Showroom A, bay 6"),
    (7, "", "available", None, "", "", "Showroom A, bay 6"),
    (10, "", "available", None, "", "", "Showroom A, bay 3"),
    (1, "", "available", None, "", "", "Showroom A, bay 7"),
    (2, "", "available", None, "", "", "Showroom A, bay 7"),
    (6, "", "available", None, "", "", "Showroom A, bay 6"),
    (7, "", "available", None, "", "", "Showroom A, bay 6"),
    (4, "", "available", None, "", "", "Showroom A, bay 4"),
    (3, "KIT-0004", "available", None, "", "", "Showroom A, bay 8"),
    (10, "KIT-0004", "available", None, "", "", "Showroom A, bay 8"),
    (9, "KIT-0004", "available", None, "", "", "Showroom A, bay 8"),
    (7, "", "checked_out", 2005, SOON_DUE, "Customer trial: Dublin City Council",
     "Showroom A, bay 6"),
    # Showroom B: the smaller office models
    (1, "KIT-0005", "checked_out", 2003, FUTURE_DUE,
     "Trade fair: Büro & Druck Forum, Düsseldorf", "Showroom B, bay 6"),
    (8, "KIT-0005", "checked_out", 2003, FUTURE_DUE,
     "Trade fair: Büro & Druck Forum, Düsseldorf", "Showroom B, bay 6"),
    (9, "KIT-0005", "checked_out", 2003, FUTURE_DUE,
     "Trade fair: Büro & Druck Forum, Düsseldorf", "Showroom B, bay 6"),
    (2, "", "available", None, "", "", "Showroom B, bay 1"),
    (3, "", "available", None, "", "", "Showroom B, bay 1"),
    (4, "", "available", None, "", "", "Showroom B, bay 2"),
    (4, "", "available", None, "", "", "Showroom B, bay 2"),
    (6, "", "available", None, "", "", "Showroom B, bay 3"),
    (6, "", "available", None, "", "", "Showroom B, bay 3"),
    (7, "", "available", None, "", "", "Showroom B, bay 3"),
    (10, "", "available", None, "", "", "Showroom B, bay 2"),
    (10, "", "available", None, "", "", "Storage room, shelf 2"),
    (9, "", "available", None, "", "", "Storage room, shelf 2"),
    (8, "", "available", None, "", "", "Storage room, shelf 1"),
    (3, "", "in_transit", None, "", "", "In transit to the Warsaw office"),
    (2, "", "repair", None, "", "", "Service bench (fuser unit replacement)"),
    (11, "", "retired", None, "", "", "Storage room, shelf 4 (retired)"),
    (5, "", "available", None, "", "", "Showroom B, bay 4"),
    (1, "", "available", None, "", "", "Showroom B, bay 5"),
    (7, "", "checked_out", 2004, FUTURE_DUE, "Pilot installation: ООО «ПринтСервис», Moscow",
     "Showroom B, bay 3"),
]

# id, name, category, points, stock, active
REWARDS = [
    ("R-001", "Branded coffee mug set", "Merchandise", 500, 40, True),
    ("R-002", "Toner cartridge voucher", "Supplies", 1500, 25, True),
    ("R-003", "Wireless keyboard and mouse", "Electronics", 2500, 12, True),
    ("R-004", "Certification exam voucher", "Training", 4000, 20, True),
    ("R-005", "Noise-cancelling headphones", "Electronics", 9000, 5, True),
    ("R-006", "Espresso machine", "Lifestyle", 12000, 3, True),
    ("R-007", "Label Printer L420 for your office", "Products", 15000, 4, True),
    ("R-008", "Technical training course (2 days)", "Training", 18000, 6, True),
    ("R-009", "10-inch tablet", "Electronics", 22000, 0, True),
    ("R-010", "Demo equipment voucher (EUR 1,000)", "Program", 25000, 10, True),
    ("R-011", "Partner conference pass (2 people)", "Events", 35000, 2, True),
    ("R-012", "Co-marketing fund (EUR 3,000)", "Marketing", 45000, 5, True),
    ("R-013", "Incentive trip to Lapland (1 person)", "Events", 60000, 1, True),
    ("R-014", "Golf umbrella", "Merchandise", 800, 15, False),
]


def NextTierRequirements(tier, sales, technical, revenue, demo):
    if tier == "platinum":
        return []
    target = TIER_REQUIREMENTS[TIER_ORDER[TIER_ORDER.index(tier) + 1]]
    have = {"revenue_eur": revenue, "certified_sales": sales, "certified_technical": technical,
            "demo_investment_eur": demo}
    return [{"key": key, "label": label, "have": have[key], "need": target[key], "unit": unit}
            for key, label, unit in REQUIREMENT_LABELS]


def Serial(rng, prefix, used):
    while True:
        serial = prefix + "%07d" % rng.randrange(100000, 4000000)
        if serial not in used:
            used.add(serial)
            return serial


def BuildShowroom():
    rng = random.Random(SEED)
    doc = {
        "format": "showroom-kiosk/reference",
        "format_version": 1,
        "version": 1,
        "full": True,
        "generated_at": GENERATED_AT,
        "settings": dict(SETTINGS),
    }
    partners, cards, balances = [], [], []
    for (pid, name, country, region, tier, ptype, auth, status, sales, tech, revenue, demo,
         n_cards, available, pending) in PARTNERS:
        partners.append({
            "id": pid, "name": name, "country": country, "region": region, "tier": tier,
            "type": ptype, "authorization": auth, "status": status,
            "certified_sales": sales, "certified_technical": tech,
            "next_tier": NextTierRequirements(tier, sales, tech, revenue, demo),
        })
        partner_no = int(pid[-4:])
        for seq in range(1, n_cards + 1):
            cards.append({"number": CardNumber(COUNTRY_NUMERIC[country], partner_no, seq),
                          "partner_id": pid,
                          "status": "blocked" if (pid, seq) in BLOCKED_CARDS else "active"})
        balances.append({"partner_id": pid, "available": available, "pending": pending})

    badges = []
    for four, name, role, active in BADGES:
        badge = {"code": BadgeCode(four), "name": name, "role": role, "active": active}
        if role == "admin":
            badge["pin_hash"] = PinHash(ADMIN_PIN, rng)
        badges.append(badge)

    models, prefix_of = [], {}
    for item, name, category, quota, active, prefix in MODELS:
        gtin = Gtin(item)
        prefix_of[item] = prefix
        models.append({"gtin": gtin, "name": name, "category": category,
                       "quota": dict(zip(TIER_ORDER, quota)), "active": active})

    devices, used_serials = [], set()
    for n, (item, kit, state, custodian, due, purpose, location) in enumerate(DEVICES, start=1):
        devices.append({
            "asset_tag": "DEMO-%05d" % n, "gtin": Gtin(item),
            "serial": Serial(rng, prefix_of[item], used_serials), "kit": kit, "state": state,
            "custodian": BadgeCode(custodian) if custodian else "", "due_date": due,
            "purpose": purpose, "location": location,
        })

    rewards = [{"id": rid, "name": name, "category": cat, "points": points, "stock": stock,
                "active": active} for rid, name, cat, points, stock, active in REWARDS]

    doc.update({"partners": partners, "cards": cards, "badges": badges, "models": models,
                "devices": devices, "rewards": rewards, "balances": balances})
    return doc


# ---------------------------------------------------------------------------------------------
# Self-check of the data


def DomainEnumNames():
    """Enum spellings from kiosk/core/domain.cpp, so the data can't drift from the C++ parser."""
    path = os.path.join(REPO_ROOT, "kiosk", "core", "domain.cpp")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names = {}
    for enum, value in re.findall(r"\{\s*(\w+)::\w+\s*,\s*\"([a-z_]+)\"\s*\}", text):
        names.setdefault(enum, set()).add(value)
    for enum in ("Tier", "PartnerType", "Authorization", "PartnerStatus", "CardStatus", "Role",
                 "DeviceState"):
        if enum not in names:
            Fail("could not read the spellings of %s from %s" % (enum, path))
    return names


def CheckShowroom(doc):
    enums = DomainEnumNames()

    def Unique(records, key, what):
        seen = set()
        for i, r in enumerate(records):
            if r[key] in seen:
                Fail("/%s/%d/%s: duplicate %s %r" % (what, i, key, what, r[key]))
            seen.add(r[key])
        return seen

    def Enum(value, enum, where):
        if value not in enums[enum]:
            Fail("%s: %r is not a %s (expected one of %s)" % (where, value, enum,
                                                              sorted(enums[enum])))

    # Guard the check-digit functions with known-good values: the classic Luhn test number,
    # and the badge and GTIN examples of docs/reference-format.md. (That document's card example
    # 6299000000000012 fails Luhn: its check digit would be 5.)
    if not LuhnValid("79927398713") or LuhnValid("79927398710") or \
            BadgeCode(1001) != "BDG-10017" or BadgeCode(9000) != "BDG-90001" or \
            Gtin(1) != "00614141000012" or not Gs1Valid("00614141000012"):
        Fail("check-digit functions are broken")

    if doc["version"] != 1 or doc["full"] is not True:
        Fail("the demo showroom must be version 1 and a full snapshot")

    partner_ids = Unique(doc["partners"], "id", "partners")
    tiers, types, auths, statuses = set(), set(), set(), set()
    for i, p in enumerate(doc["partners"]):
        where = "/partners/%d" % i
        if not re.fullmatch(r"P-[A-Z]{2}-\d{4}", p["id"]) or p["id"][2:4] != p["country"]:
            Fail("%s/id: %r does not match its country %r" % (where, p["id"], p["country"]))
        Enum(p["tier"], "Tier", where + "/tier")
        Enum(p["type"], "PartnerType", where + "/type")
        Enum(p["authorization"], "Authorization", where + "/authorization")
        Enum(p["status"], "PartnerStatus", where + "/status")
        tiers.add(p["tier"]), types.add(p["type"]), auths.add(p["authorization"])
        statuses.add(p["status"])
        if (p["tier"] == "platinum") != (p["next_tier"] == []):
            Fail("%s/next_tier: must be empty exactly for platinum" % where)
        current = TIER_REQUIREMENTS.get(p["tier"])
        for req in p["next_tier"]:
            if req["key"] == "certified_sales" and req["have"] != p["certified_sales"] or \
                    req["key"] == "certified_technical" and req["have"] != p["certified_technical"]:
                Fail("%s/next_tier: %s does not match the partner's staff count" %
                     (where, req["key"]))
        if current:  # a partner should mostly meet what its own tier asks for
            have = {r["key"]: r["have"] for r in p["next_tier"]} if p["next_tier"] else None
            if have and have["revenue_eur"] < current["revenue_eur"]:
                Fail("%s: revenue below its own tier's requirement" % where)
        if p["next_tier"] and all(r["have"] >= r["need"] for r in p["next_tier"]):
            Fail("%s/next_tier: meets every requirement of the next tier; promote it" % where)
    for needed, got, what in ((TIER_ORDER, tiers, "tier"),
                              (["agent", "concessionaire", "document_technology_partner",
                                "solution_provider", "volume_partner"], types, "type"),
                              (["authorized", "exclusive"], auths, "authorization"),
                              (["active", "suspended"], statuses, "status")):
        missing = set(needed) - got
        if missing:
            Fail("no partner with %s %s" % (what, sorted(missing)))
    if not types & {"var", "msp"}:
        Fail("no var or msp partner")

    Unique(doc["cards"], "number", "cards")
    cards_of = {}
    for i, c in enumerate(doc["cards"]):
        where = "/cards/%d" % i
        if not (len(c["number"]) == 16 and c["number"].startswith("6299") and
                LuhnValid(c["number"])):
            Fail("%s/number: %r is not 16 digits starting 6299 with a Luhn check digit" %
                 (where, c["number"]))
        if c["partner_id"] not in partner_ids:
            Fail("%s/partner_id: unknown partner %r" % (where, c["partner_id"]))
        Enum(c["status"], "CardStatus", where + "/status")
        cards_of.setdefault(c["partner_id"], []).append(c)
    for pid in partner_ids:
        n = len(cards_of.get(pid, []))
        if not 1 <= n <= 3:
            Fail("partner %s has %d cards (want 1 to 3)" % (pid, n))
        if not any(c["status"] == "active" for c in cards_of[pid]):
            Fail("partner %s has no active card" % pid)
    if not any(c["status"] == "blocked" for c in doc["cards"]):
        Fail("no blocked card")

    Unique(doc["badges"], "code", "badges")
    reps, roles = set(), {}
    for i, b in enumerate(doc["badges"]):
        where = "/badges/%d" % i
        if not BadgeValid(b["code"]):
            Fail("%s/code: %r is not BDG- + 5 digits with a Luhn check digit" % (where, b["code"]))
        Enum(b["role"], "Role", where + "/role")
        if b["active"]:
            roles[b["role"]] = roles.get(b["role"], 0) + 1
        if b["role"] == "rep" and b["active"]:
            reps.add(b["code"])
        if b["role"] == "admin" and not PinMatches(ADMIN_PIN, b.get("pin_hash", "")):
            Fail("%s/pin_hash: does not verify with the admin PIN" % where)
        if b["role"] != "admin" and "pin_hash" in b:
            Fail("%s/pin_hash: only admins have a PIN" % where)
    if roles.get("staff", 0) < 3 or roles.get("rep", 0) < 3 or roles.get("admin", 0) < 1:
        Fail("need at least 3 active staff, 3 active reps and 1 admin; have %s" % roles)
    if all(b["active"] for b in doc["badges"]):
        Fail("no inactive badge")

    gtins = Unique(doc["models"], "gtin", "models")
    for i, m in enumerate(doc["models"]):
        where = "/models/%d/gtin" % i
        if not (len(m["gtin"]) == 14 and m["gtin"].startswith("0" + GS1_COMPANY_PREFIX) and
                Gs1Valid(m["gtin"])):
            Fail("%s: %r is not a GTIN-14 under prefix %s" % (where, m["gtin"],
                                                                GS1_COMPANY_PREFIX))
        if set(m["quota"]) != set(TIER_ORDER):
            Fail("/models/%d/quota: needs exactly %s" % (i, TIER_ORDER))
    if not 8 <= len(doc["models"]) <= 12:
        Fail("want 8 to 12 models, have %d" % len(doc["models"]))

    Unique(doc["devices"], "asset_tag", "devices")
    Unique(doc["devices"], "serial", "devices")
    kits, states = {}, {}
    for i, d in enumerate(doc["devices"]):
        where = "/devices/%d" % i
        if not re.fullmatch(r"DEMO-\d{5}", d["asset_tag"]):
            Fail("%s/asset_tag: %r is not DEMO- + 5 digits" % (where, d["asset_tag"]))
        if d["gtin"] not in gtins:
            Fail("%s/gtin: no model with GTIN %r" % (where, d["gtin"]))
        if not re.fullmatch(r"[A-Z0-9]{1,20}", d["serial"]):
            Fail("%s/serial: %r is not a GS1 AI (21) serial we can print" % (where, d["serial"]))
        Enum(d["state"], "DeviceState", where + "/state")
        states[d["state"]] = states.get(d["state"], 0) + 1
        out = d["state"] == "checked_out"
        if out != bool(d["custodian"]) or out != bool(d["due_date"]) or out != bool(d["purpose"]):
            Fail("%s: custodian, due date and purpose go with checked_out and only with it" % where)
        if out:
            if d["custodian"] not in reps:
                Fail("%s/custodian: %r is not an active rep badge" % (where, d["custodian"]))
            datetime.date.fromisoformat(d["due_date"])
        if not d["location"]:
            Fail("%s/location: every unit needs a home location" % where)
        if d["kit"]:
            kits.setdefault(d["kit"], []).append((where, d))
    for kit, members in kits.items():
        if len(members) < 2:
            Fail("kit %s has only one member" % kit)
        first = members[0][1]
        for where, d in members[1:]:
            for field in ("state", "custodian", "due_date", "purpose"):
                if d[field] != first[field]:
                    Fail("%s/%s: kit %s members must move together" % (where, field, kit))
    if len(doc["devices"]) < 40:
        Fail("want at least 40 devices, have %d" % len(doc["devices"]))
    for state in ("available", "checked_out", "in_transit", "repair", "retired"):
        if state not in states:
            Fail("no device in state %s" % state)
    dues = [datetime.date.fromisoformat(d["due_date"]) for d in doc["devices"] if d["due_date"]]
    if not any(x < REFERENCE_DATE for x in dues) or not any(x > REFERENCE_DATE for x in dues):
        Fail("want both an overdue and a not-yet-due checkout relative to %s" % REFERENCE_DATE)

    Unique(doc["rewards"], "id", "rewards")
    if len([r for r in doc["rewards"] if r["active"]]) < 12:
        Fail("want at least 12 active rewards")
    if not any(r["stock"] == 0 and r["active"] for r in doc["rewards"]):
        Fail("want one active reward out of stock")

    Unique(doc["balances"], "partner_id", "balances")
    if {b["partner_id"] for b in doc["balances"]} != partner_ids:
        Fail("every partner needs exactly one balance")
    for i, b in enumerate(doc["balances"]):
        if b["available"] < 0 or b["pending"] < 0:
            Fail("/balances/%d: negative points" % i)


# ---------------------------------------------------------------------------------------------
# Code 128 (sets B and C) and GS1-128

# Bar/space widths in modules of symbol values 0..106 (106 is the stop pattern).
CODE128_PATTERNS = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
]
CODE_C, CODE_B, FNC1, START_B, START_C, STOP = 99, 100, 102, 104, 105, 106
FNC1_CHAR = "\xf1"  # stands for FNC1 in the text handed to the encoder
GS = "\x1d"


def CheckCode128Table():
    if len(CODE128_PATTERNS) != 107 or len(set(CODE128_PATTERNS)) != 107:
        Fail("Code 128 table: want 107 distinct patterns")
    for v, p in enumerate(CODE128_PATTERNS):
        widths = [int(c) for c in p]
        bars = sum(widths[0::2])
        if sum(widths) != (13 if v == STOP else 11) or bars % 2 != 0:
            Fail("Code 128 table: pattern %d (%s) is malformed" % (v, p))


def DigitRun(text, i):
    n = 0
    while i + n < len(text) and text[i + n].isdigit():
        n += 1
    return n


def Code128Values(text):
    """Symbol values (start .. check) for text in sets B and C; FNC1_CHAR encodes FNC1."""
    for ch in text:
        if ch != FNC1_CHAR and not 32 <= ord(ch) <= 126:
            Fail("Code 128 set B can't encode %r in %r" % (ch, text))
    first = 1 if text.startswith(FNC1_CHAR) else 0
    run = DigitRun(text, first)
    use_c = run >= 4 or (run >= 2 and run % 2 == 0 and first + run == len(text))
    values = [START_C if use_c else START_B]
    i = 0
    while i < len(text):
        if text[i] == FNC1_CHAR:
            values.append(FNC1)
            i += 1
            continue
        run = DigitRun(text, i)
        if use_c:
            if run >= 2:
                values.append(int(text[i:i + 2]))
                i += 2
                continue
            values.append(CODE_B)
            use_c = False
        at_end = i + run == len(text) or text[i + run] == FNC1_CHAR
        if run >= 6 or (run >= 4 and at_end):
            if run % 2:  # odd run: one digit in B so the rest pairs up in C
                values.append(ord(text[i]) - 32)
                i += 1
            values.append(CODE_C)
            use_c = True
            continue
        values.append(ord(text[i]) - 32)
        i += 1
    check = (values[0] + sum(pos * v for pos, v in enumerate(values[1:], start=1))) % 103
    return values + [check]


def Code128Modules(text):
    """Alternating bar/space widths in modules, stop pattern included (no quiet zones)."""
    widths = []
    for v in Code128Values(text) + [STOP]:
        widths.extend(int(c) for c in CODE128_PATTERNS[v])
    return widths


def Code128Decode(widths):
    """Decode bar/space widths back to what a scanner sends: AIM id (]C0 or ]C1) + data."""
    lookup = {p: v for v, p in enumerate(CODE128_PATTERNS)}
    if len(widths) < 6 * 3 + 7 or (len(widths) - 7) % 6:
        Fail("decode: %d widths is not a whole number of symbols" % len(widths))
    symbols = []
    for k in range(0, len(widths) - 7, 6):
        pattern = "".join(str(w) for w in widths[k:k + 6])
        if pattern not in lookup:
            Fail("decode: unknown pattern %s at element %d" % (pattern, k))
        symbols.append(lookup[pattern])
    if "".join(str(w) for w in widths[-7:]) != CODE128_PATTERNS[STOP]:
        Fail("decode: no stop pattern")
    start, data, check = symbols[0], symbols[1:-1], symbols[-1]
    if (start + sum(pos * v for pos, v in enumerate(data, start=1))) % 103 != check:
        Fail("decode: check symbol mismatch")
    if start not in (START_B, START_C):
        Fail("decode: unexpected start symbol %d" % start)
    use_c, out = start == START_C, []
    aim = "]C1" if data and data[0] == FNC1 else "]C0"
    for pos, v in enumerate(data):
        if v == FNC1:
            if pos > 0:
                out.append(GS)
        elif use_c:
            if v < 100:
                out.append("%02d" % v)
            elif v == CODE_B:
                use_c = False
            else:
                Fail("decode: symbol %d not expected in set C" % v)
        else:
            if v < 96:
                out.append(chr(v + 32))
            elif v == CODE_C:
                use_c = True
            else:
                Fail("decode: symbol %d not expected in set B" % v)
    return aim + "".join(out)


def Gs1ElementString(gtin, serial):
    # (01) is fixed length; (21) is variable, but last here, so no FNC1 separator after it.
    return FNC1_CHAR + "01" + gtin + "21" + serial


def Gs1Hri(gtin, serial):
    return "(01)%s(21)%s" % (gtin, serial)


# ---------------------------------------------------------------------------------------------
# The printable sheet

MM_PER_MODULE = 0.30
QUIET_MODULES = 10
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 12.0
COL_W = (PAGE_W - 2 * MARGIN) / 2
BAR_H = 13.0
FONT = "DejaVu Sans, Verdana, sans-serif"


class Sheet:
    """Lays labels out on A4 pages, two columns, with section headings."""

    def __init__(self):
        self.pages = []  # each a list of SVG fragments in page coordinates (mm)
        self.barcodes = []  # (element id, expected scanner output)
        self.NewPage()

    def NewPage(self):
        self.pages.append([])
        self.y = MARGIN + 8
        self.col = 0
        self.row_h = 0

    def Text(self, x, y, text, size, anchor="start", weight="normal", fill="#000"):
        self.pages[-1].append(
            '<text x="%.2f" y="%.2f" font-family="%s" font-size="%.2f" font-weight="%s" '
            'text-anchor="%s" fill="%s">%s</text>' % (x, y, FONT, size, weight, anchor, fill,
                                                      escape(text)))

    def Heading(self, title, note):
        self.EndRow()
        if self.y + 40 > PAGE_H - MARGIN:
            self.NewPage()
        self.Text(MARGIN, self.y + 5, title, 5.0, weight="bold")
        self.Text(MARGIN, self.y + 10, note, 2.9, fill="#444")
        self.pages[-1].append('<rect x="%.2f" y="%.2f" width="%.2f" height="0.3" fill="#000"/>' %
                              (MARGIN, self.y + 12, PAGE_W - 2 * MARGIN))
        self.y += 16

    def EndRow(self):
        if self.col:
            self.y += self.row_h
            self.col = 0
            self.row_h = 0

    def Place(self, height, full_width=False):
        """Top-left corner of the next cell of the given height."""
        if full_width:
            self.EndRow()
        if self.y + height > PAGE_H - MARGIN - 6:
            self.NewPage()
        x = MARGIN + self.col * COL_W
        if full_width:
            self.y += height
            return x, self.y - height
        self.row_h = max(self.row_h, height)
        top = self.y
        self.col += 1
        if self.col == 2:
            self.EndRow()
        return x, top

    def Barcode(self, x, y, text, hri, expected):
        widths = Code128Modules(text)
        total = sum(widths) * MM_PER_MODULE
        if total + 2 * QUIET_MODULES * MM_PER_MODULE > COL_W - 2:
            Fail("barcode for %r is %.1f mm wide and does not fit a %.1f mm column" %
                 (hri, total, COL_W))
        left = x + (COL_W - total) / 2
        gid = "bc%d" % len(self.barcodes)
        parts = ['<g id="%s" fill="#000">' % gid]
        pos = 0
        for k, w in enumerate(widths):
            if k % 2 == 0:
                parts.append('<rect x="%.3f" y="%.2f" width="%.3f" height="%.2f"/>' %
                             (left + pos * MM_PER_MODULE, y, w * MM_PER_MODULE, BAR_H))
            pos += w
        parts.append("</g>")
        self.pages[-1].append("".join(parts))
        self.Text(x + COL_W / 2, y + BAR_H + 3.6, hri, 3.2, anchor="middle")
        self.barcodes.append((gid, expected))

    def Label(self, title, subtitle, text, hri, expected, mark=""):
        # DejaVu Sans averages about 0.6 em per character; keep text inside its cell.
        for line, size, room in ((title + "  " + mark, 3.3, COL_W - 6), (subtitle, 2.6, COL_W - 6)):
            if len(line) * size * 0.6 > room:
                Fail("sheet: label text %r is too long for its cell" % line)
        x, y = self.Place(31)
        self.pages[-1].append(
            '<rect x="%.2f" y="%.2f" width="%.2f" height="29" rx="1.5" fill="none" '
            'stroke="#bbb" stroke-width="0.2"/>' % (x + 1, y, COL_W - 2))
        self.Text(x + 3, y + 4.5, title, 3.3, weight="bold")
        self.Text(x + 3, y + 8.3, subtitle, 2.6, fill="#444")
        if mark:
            self.Text(x + COL_W - 3, y + 4.5, mark, 3.0, anchor="end", weight="bold",
                      fill="#b00")
        self.Barcode(x, y + 10.5, text, hri, expected)

    def Svg(self):
        n = len(self.pages)
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<!-- Generated by tools/gen_demo.py: do not edit, re-run the generator. -->',
               '<svg xmlns="http://www.w3.org/2000/svg" width="%gmm" height="%gmm" '
               'viewBox="0 0 %g %g">' % (PAGE_W, PAGE_H * n, PAGE_W, PAGE_H * n)]
        for i in range(n):
            out.append(self.PageGroup(i))
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def PageGroup(self, i):
        n = len(self.pages)
        parts = ['<g id="page%d" transform="translate(0 %g)">' % (i + 1, PAGE_H * i),
                 '<rect x="0" y="0" width="%g" height="%g" fill="#fff" stroke="#ddd" '
                 'stroke-width="0.3"/>' % (PAGE_W, PAGE_H),
                 '<text x="%g" y="%g" font-family="%s" font-size="2.6" fill="#666">'
                 'Showroom Kiosk demo showroom: barcodes for testing (not for production use)'
                 '</text>' % (MARGIN, MARGIN, FONT),
                 '<text x="%g" y="%g" font-family="%s" font-size="2.6" fill="#666" '
                 'text-anchor="end">page %d of %d</text>' % (PAGE_W - MARGIN, PAGE_H - MARGIN / 2,
                                                            FONT, i + 1, n)]
        parts.extend(self.pages[i])
        parts.append("</g>")
        return "\n".join(parts)

    def PageSvg(self, i):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
                'width="%gmm" height="%gmm" viewBox="0 0 %g %g">\n%s\n</svg>\n' %
                (PAGE_W, PAGE_H, PAGE_W, PAGE_H * 1, self.PageGroup(i).replace(
                    'transform="translate(0 %g)"' % (PAGE_H * i), "", 1)))


# As DisplayName(PartnerType) in kiosk/core/domain.cpp.
TYPE_DISPLAY = {"agent": "Agent", "concessionaire": "Concessionaire",
                "document_technology_partner": "Document Technology Partner",
                "solution_provider": "Solution Provider", "volume_partner": "Volume Partner",
                "var": "VAR", "msp": "MSP", "consultant": "Consultant", "oem": "OEM",
                "other": "Other"}


def BuildSheet(doc, device_count=24):
    sheet = Sheet()
    partners = {p["id"]: p for p in doc["partners"]}
    badges = {b["code"]: b for b in doc["badges"]}
    models = {m["gtin"]: m for m in doc["models"]}

    sheet.Heading("Staff badges",
                  "Sign in at the kiosk. Admin PIN: %s. Inactive badges must be refused." %
                  ADMIN_PIN)
    for b in doc["badges"]:
        mark = "" if b["active"] else "INACTIVE"
        sheet.Label(b["name"], b["role"].capitalize() + (" (PIN required)" if b["role"] == "admin"
                                                         else ""),
                    b["code"], b["code"], "]C0" + b["code"], mark)

    sheet.Heading("Partner cards",
                  "Scan after signing in as staff. Blocked cards and suspended partners "
                  "must be refused.")
    for c in doc["cards"]:
        p = partners[c["partner_id"]]
        mark = "BLOCKED" if c["status"] == "blocked" else (
            "SUSPENDED" if p["status"] == "suspended" else "")
        grouped = " ".join(c["number"][k:k + 4] for k in range(0, 16, 4))
        sheet.Label(p["name"], "%s · %s · %s" % (p["tier"].capitalize(), TYPE_DISPLAY[p["type"]],
                                                 p["country"]),
                    c["number"], grouped, "]C0" + c["number"], mark)

    sheet.Heading("Demo units",
                  "Left: GS1-128 (01) GTIN + (21) serial, as on the device. Right: the "
                  "showroom asset tag. Either one identifies the unit.")
    # The first units, plus every unit that is not simply on the floor, so each state can be
    # tried with a scanner.
    on_sheet = [d for i, d in enumerate(doc["devices"])
                if i < device_count or d["state"] != "available"]
    for d in on_sheet:
        m = models[d["gtin"]]
        if d["state"] == "checked_out":
            state = "Out with %s, due %s" % (badges[d["custodian"]]["name"], d["due_date"])
        else:
            state = "%s · %s" % (d["state"].replace("_", " ").capitalize(), d["location"])
        mark = "OVERDUE" if d["due_date"] and \
            datetime.date.fromisoformat(d["due_date"]) < REFERENCE_DATE else ""
        sheet.Label(d["asset_tag"] + " (GS1)",
                    m["name"] + (" · " + d["kit"] if d["kit"] else ""),
                    Gs1ElementString(d["gtin"], d["serial"]), Gs1Hri(d["gtin"], d["serial"]),
                    "]C1" + "01" + d["gtin"] + "21" + d["serial"], mark)
        sheet.Label(d["asset_tag"], state, d["asset_tag"], d["asset_tag"],
                    "]C0" + d["asset_tag"], mark)
    return sheet


def CheckSheetSvg(svg, sheet):
    """Read every barcode back from the SVG geometry and decode it like a scanner would."""
    for gid, expected in sheet.barcodes:
        m = re.search(r'<g id="%s" fill="#000">(.*?)</g>' % gid, svg)
        if not m:
            Fail("sheet: barcode %s missing from the SVG" % gid)
        rects = [(float(x), float(w)) for x, w in
                 re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', m.group(1))]
        widths, prev_end = [], None
        for x, w in rects:
            if prev_end is not None:
                widths.append((x - prev_end) / MM_PER_MODULE)
            widths.append(w / MM_PER_MODULE)
            prev_end = x + w
        modules = [round(w) for w in widths]
        if any(abs(w - r) > 0.05 or r < 1 or r > 4 for w, r in zip(widths, modules)):
            Fail("sheet: barcode %s has bars that are not whole modules" % gid)
        got = Code128Decode(modules)
        if got != expected:
            Fail("sheet: barcode %s decodes to %r, expected %r" % (gid, got, expected))


def CheckDocMentions(doc):
    """Every code docs/demo-showroom.md names must exist, so the guide can't drift from the data."""
    path = os.path.join(REPO_ROOT, "docs", "demo-showroom.md")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    known = {c["number"] for c in doc["cards"]} | {b["code"] for b in doc["badges"]} | \
        {d["asset_tag"] for d in doc["devices"]} | {m["gtin"] for m in doc["models"]} | \
        {r["id"] for r in doc["rewards"]}
    for code in re.findall(r"\b(?:6299\d{12}|BDG-\d{5}|DEMO-\d{5}|00614141\d{6}|R-\d{3})\b", text):
        if code not in known:
            Fail("%s mentions %s, which the demo showroom does not have" % (path, code))


# ---------------------------------------------------------------------------------------------
# Output


def ShowroomJson(doc):
    """One record per line: readable in a diff, and still plain JSON."""
    def Dump(v):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))

    lines = ["{"]
    keys = list(doc)
    for k, key in enumerate(keys):
        comma = "," if k + 1 < len(keys) else ""
        value = doc[key]
        if isinstance(value, list):
            lines.append('  "%s": [' % key)
            for i, rec in enumerate(value):
                lines.append("    " + Dump(rec) + ("," if i + 1 < len(value) else ""))
            lines.append("  ]" + comma)
        else:
            lines.append('  "%s": %s%s' % (key, Dump(value), comma))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    if json.loads(text) != doc:
        Fail("showroom.json does not round-trip")
    return text


def Render(sheet, work_dir, verify_with_zbar):
    """Writes barcodes.pdf (A4 pages) and barcodes.png into work_dir; returns their names."""
    rsvg = shutil.which("rsvg-convert")
    if not rsvg:
        print("note: rsvg-convert not found (apt-get install librsvg2-bin); "
              "barcodes.png and barcodes.pdf not written", file=sys.stderr)
        return []
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795478400")  # 2026-11-24: reproducible PDF dates
    page_files = []
    for i in range(len(sheet.pages)):
        path = os.path.join(work_dir, "page%d.svg" % (i + 1))
        with open(path, "w", encoding="utf-8") as f:
            f.write(sheet.PageSvg(i))
        page_files.append(path)
    subprocess.run([rsvg, "-f", "pdf", "-o", os.path.join(work_dir, "barcodes.pdf")] +
                   page_files, check=True, env=env)
    # 150 dpi: a 0.30 mm module is ~1.8 px, enough for a scanner pointed at a screen too.
    subprocess.run([rsvg, "-d", "150", "-p", "150", "-b", "white", "-o",
                    os.path.join(work_dir, "barcodes.png"),
                    os.path.join(work_dir, "barcodes.svg")], check=True, env=env)
    convert = shutil.which("convert")
    if convert:  # grey instead of RGBA halves the file; no date chunks keeps it reproducible
        png = os.path.join(work_dir, "barcodes.png")
        subprocess.run([convert, png, "-strip", "-colorspace", "Gray", "-depth", "8",
                        "-define", "png:exclude-chunks=date,time",
                        "-define", "png:compression-level=9", png], check=True)
    if verify_with_zbar and shutil.which("zbarimg"):
        ZbarCheck(sheet, page_files, rsvg)
    return ["barcodes.pdf", "barcodes.png"]


def ZbarCheck(sheet, page_files, rsvg):
    """Independent check: a real decoder must find every barcode on the rendered pages."""
    found = []
    for path in page_files:
        png = path[:-4] + ".png"
        subprocess.run([rsvg, "-d", "300", "-p", "300", "-b", "white", "-o", png, path],
                       check=True)
        res = subprocess.run(["zbarimg", "--raw", "-q", "-Sdisable", "-Scode128.enable", png],
                             capture_output=True)
        found += [line for line in res.stdout.decode("latin-1").split("\n") if line]
    want = []
    for _, expected in sheet.barcodes:
        data = expected[3:]
        want.append(data)
    # zbar drops the leading FNC1 of GS1-128 and reports it through its own AIM flag.
    missing = sorted(set(want) - set(found))
    if missing:
        Fail("zbarimg could not read %d barcodes from the rendered sheet, e.g. %r" %
             (len(missing), missing[:3]))
    print("zbarimg read all %d barcodes back from the rendered pages" % len(set(want)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "assets", "demo"),
                    help="output folder (default: assets/demo of this checkout)")
    ap.add_argument("--check", action="store_true",
                    help="verify that the committed showroom.json and barcodes.svg are what this "
                         "generator produces; write nothing")
    ap.add_argument("--no-zbar", action="store_true", help="skip the zbarimg read-back")
    args = ap.parse_args()
    try:
        CheckCode128Table()
        doc = BuildShowroom()
        CheckShowroom(doc)
        CheckDocMentions(doc)
        text = ShowroomJson(doc)
        sheet = BuildSheet(doc)
        svg = sheet.Svg()
        CheckSheetSvg(svg, sheet)
        if args.check:
            for name, content in (("showroom.json", text), ("barcodes.svg", svg)):
                path = os.path.join(args.out, name)
                with open(path, encoding="utf-8") as f:
                    if f.read() != content:
                        Fail("%s differs from what tools/gen_demo.py generates; re-run it" % path)
            print("ok: %s matches the generator" % args.out)
            return 0
        # Everything is made and checked in a scratch folder first, so a failure leaves the
        # committed files as they were.
        with tempfile.TemporaryDirectory() as work:
            for name, content in (("showroom.json", text), ("barcodes.svg", svg)):
                with open(os.path.join(work, name), "w", encoding="utf-8") as f:
                    f.write(content)
            names = ["showroom.json", "barcodes.svg"] + Render(sheet, work, not args.no_zbar)
            os.makedirs(args.out, exist_ok=True)
            for name in names:
                shutil.copyfile(os.path.join(work, name), os.path.join(args.out, name))
    except DemoError as e:
        print("gen_demo: error: %s" % e, file=sys.stderr)
        if not args.check:
            print("gen_demo: nothing was written", file=sys.stderr)
        return 1
    except (OSError, subprocess.CalledProcessError) as e:
        print("gen_demo: error: %s" % e, file=sys.stderr)
        return 1
    print("wrote %s: %d partners, %d cards, %d badges, %d models, %d devices, %d rewards; "
          "sheet: %d pages, %d barcodes" % (
              args.out, len(doc["partners"]), len(doc["cards"]), len(doc["badges"]),
              len(doc["models"]), len(doc["devices"]), len(doc["rewards"]), len(sheet.pages),
              len(sheet.barcodes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
