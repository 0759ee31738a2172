#pragma once
// The journal's event payloads, one struct per event type: the kiosk's services write them
// (ToJson), kiosk-central's rules and the kiosk's own device history read them (FromJson). A
// member renamed or retyped on one side is then a compile error on the other, not a silent drift.
// Pure code, no state: any thread.
//
// The JSON is what the kiosk has always journaled, byte for byte: nlohmann's compact dump, so the
// members in sorted order, numbers as integers. tests/core/events_test.cpp pins one payload per
// type; the journal's hashes and the central's stored events depend on it.
//
// Reading (FromJson) is one reader per type with two engines:
//  - first lean_json::Cursor over the exact shape the kiosk writes (sorted members, no
//    whitespace, strings without \u escapes, integers of at most 18 digits): no tree, no
//    allocations beyond the struct's own strings; this is the central's hot path;
//  - anything else (another order, whitespace, an escape, an unknown member, a malformed text)
//    goes to nlohmann's parser and is read from the tree, which accepts it or names the problem.
// Both fill the same struct from the same member table, so they cannot disagree on a value;
// events_test and fuzz/fuzz_lean_json.cpp check that they do not.
//
// What a reader asks of a payload: it is a JSON object; every member it knows has the type the
// kiosk writes (a string, a whole number that fits 63 bits, a bool, a list of objects), and no
// string holds a NUL, a list of tags holds strings); the members marked "required" are there. The others ("optional") may be
// missing and read as empty: batches written by hand, by tests and by older kiosks leave them out,
// and the central has always read them so. Members it does not know are ignored. Anything else is
// an Error with code "event.payload" and an English message naming the member
// ("The device.checked_out payload's devices[0].asset_tag is missing."); variant "not_object" when
// the text is not a JSON object at all.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiosk/core/result.hpp"

namespace kiosk::events {

// The members every payload struct has: its type name, the writer, the reader, and the reader's
// two engines on their own (for tests and the fuzz target: the lean one answers nullopt for
// anything it does not vouch for; the tree one reads everything the slow way).
#define KIOSK_EVENT_PAYLOAD(T, type_name)                            \
  static constexpr std::string_view kType = type_name;               \
  nlohmann::json ToJson() const;                                     \
  std::string Dump() const; /* ToJson().dump(): the journal's text */ \
  static Result<T> FromJson(std::string_view payload);               \
  static std::optional<T> ReadLean(std::string_view payload);        \
  static Result<T> ReadTree(std::string_view payload);               \
  bool operator==(const T&) const = default

// ---- Demo equipment -------------------------------------------------------------------------

// A unit as a checkout lists it.
struct DeviceRef {
  std::string asset_tag;  // required
  std::string gtin;       // optional
  std::string serial;     // optional
  bool operator==(const DeviceRef&) const = default;
};

struct DeviceCheckedOut {
  std::string rep;                                // required: badge code of the rep who has the units
  std::string due_date;                           // required: YYYY-MM-DD
  std::string purpose;                            // optional
  std::vector<DeviceRef> devices;                 // required
  // The rep's signature as evidence (kiosk/core/signature.hpp): the strokes as a compact SVG
  // path, and its SHA-256. Older kiosks journaled only the hash. A checkout without a drawing (the
  // CLI without --signature) says so in signature_none instead, e.g. "not given at the command line".
  std::optional<std::string> signature;
  std::optional<std::string> signature_none;
  std::optional<std::string> signature_sha256;
  KIOSK_EVENT_PAYLOAD(DeviceCheckedOut, "device.checked_out");
};

// A unit as a checkin lists it: who had it and when it was due.
struct ReturnedDevice {
  std::string asset_tag;  // required
  std::string gtin;       // optional
  std::string serial;     // optional
  std::string from;       // optional: badge code of the custodian
  std::string was_due;    // optional: YYYY-MM-DD
  bool operator==(const ReturnedDevice&) const = default;
};

struct DeviceCheckedIn {
  std::string by;                       // required: badge code
  std::string condition;                // required: "ok", "damaged: ..." (what the person wrote)
  std::string state_after;              // required: "available" or "repair" (domain.hpp DeviceState)
  std::vector<ReturnedDevice> devices;  // required
  KIOSK_EVENT_PAYLOAD(DeviceCheckedIn, "device.checked_in");
};

// A unit as a stocktake found it.
struct AuditedDevice {
  std::string asset_tag;       // required
  std::string gtin;            // optional
  std::string serial;          // optional
  std::string recorded_state;  // optional: the kiosk's state for it when it was seen
  bool operator==(const AuditedDevice&) const = default;
};

struct DeviceAudited {
  std::string by;                      // required: badge code
  std::vector<AuditedDevice> devices;  // required
  KIOSK_EVENT_PAYLOAD(DeviceAudited, "device.audited");
};

// A unit a stocktake reports beyond its tag: where the record puts it (misplaced) or what the
// record says it is (unexpected). Members unset are not written, to keep the event compact.
struct StocktakeUnit {
  std::string asset_tag;                 // required
  std::optional<std::string> custodian;  // badge code, for an unexpected unit a rep holds
  std::optional<std::string> location;   // the recorded location (misplaced units)
  std::optional<std::string> state;      // the recorded state (unexpected units)
  bool operator==(const StocktakeUnit&) const = default;
};

// A stocktake session's result (kiosk/core/rules/devices.hpp ClassifyStocktake): one event when
// it is finished, with the unit lists as asset tags. Its scans are not journaled one by one:
// they are work in progress, kept in the kiosk's database until the session ends.
struct StocktakeFinished {
  std::string by;                        // required: badge code of who finished it
  std::string scope;                     // required: "" (everything), "Showroom A", "Showroom A, bay 2"
  std::string started_at;                // optional: UTC, when the session was opened
  int64_t expected = 0;                  // required: units expected in the scope
  std::vector<std::string> found;        // required: asset tags
  std::vector<std::string> missing;      // required
  std::vector<StocktakeUnit> misplaced;  // required
  std::vector<StocktakeUnit> unexpected; // required
  KIOSK_EVENT_PAYLOAD(StocktakeFinished, "stocktake.finished");
};

// ---- Partner actions ------------------------------------------------------------------------

struct DemoOrdered {
  std::string partner_id;  // required
  std::string card;        // optional: the card number scanned
  std::string gtin;        // required: the model ordered
  std::string model;       // optional: its name
  int64_t qty = 0;         // required: units
  std::string tier;        // optional: the partner's tier when ordered
  KIOSK_EVENT_PAYLOAD(DemoOrdered, "demo.ordered");
};

struct LoyaltyRedeemed {
  std::string partner_id;        // required
  std::string card;              // optional
  std::string reward_id;         // required
  std::string reward;            // optional: its name
  int64_t qty = 0;               // optional
  int64_t points_each = 0;       // optional
  int64_t points = 0;            // required: the whole redemption's cost in points
  int64_t available_before = 0;  // optional: points the kiosk counted before it
  KIOSK_EVENT_PAYLOAD(LoyaltyRedeemed, "loyalty.redeemed");
};

struct SoldUnit {
  std::string gtin;    // required
  std::string serial;  // required
  bool operator==(const SoldUnit&) const = default;
};

struct SelloutReported {
  std::string partner_id;       // optional (the central counts a sell-out without one too)
  std::string card;             // optional
  // A `units` that is missing or is not a list reads as no units, as the central always has
  // (tests/central/central_test.cpp pins it); a unit that is not an object is an error.
  std::vector<SoldUnit> units;
  KIOSK_EVENT_PAYLOAD(SelloutReported, "sellout.reported");
};

struct DealRegistered {
  std::string partner_id;       // required
  std::string card;             // optional
  std::string customer;         // required
  std::string product;          // required
  int64_t value_eur_cents = 0;  // required
  std::string close_date;       // optional: YYYY-MM-DD
  KIOSK_EVENT_PAYLOAD(DealRegistered, "deal.registered");
};

// ---- Admin, reference data, retention, enrolment -------------------------------------------

struct AdminPinFailed {
  std::string badge;     // required: the admin badge the PIN was typed for
  int64_t failures = 0;  // required: wrong PINs in a row, this one included
  KIOSK_EVENT_PAYLOAD(AdminPinFailed, "admin.pin_failed");
};

// The wrong PIN that locked the admin screen (same members as AdminPinFailed).
struct AdminLockedOut {
  std::string badge;     // required
  int64_t failures = 0;  // required
  KIOSK_EVENT_PAYLOAD(AdminLockedOut, "admin.locked_out");
};

struct ReferenceLoaded {
  int64_t version = 0;   // required: the reference version now held
  bool full = false;     // required: a full snapshot (true) or a delta
  int64_t partners = 0;  // required: rows in the document, by list
  int64_t devices = 0;   // required
  int64_t rewards = 0;   // required
  KIOSK_EVENT_PAYLOAD(ReferenceLoaded, "reference.loaded");
};

struct JournalPruned {
  int64_t through_seq = 0;  // required: the last seq removed
  std::string head_hash;    // required: that event's hash, which the chain continues from
  int64_t events = 0;       // required: how many were removed
  int64_t keep_days = 0;    // required: the retention asked for
  KIOSK_EVENT_PAYLOAD(JournalPruned, "journal.pruned");
};

struct KioskInitialized {
  std::string kiosk_id;  // required
  std::string software;  // required: "kiosk <version>"
  KIOSK_EVENT_PAYLOAD(KioskInitialized, "kiosk.initialized");
};

#undef KIOSK_EVENT_PAYLOAD

// Every type above, for tests and documentation.
inline constexpr std::string_view kAllTypes[] = {
    DeviceCheckedOut::kType, DeviceCheckedIn::kType, DeviceAudited::kType, DemoOrdered::kType,
    LoyaltyRedeemed::kType,  SelloutReported::kType, DealRegistered::kType, AdminPinFailed::kType,
    AdminLockedOut::kType,   ReferenceLoaded::kType, JournalPruned::kType,  KioskInitialized::kType,
    StocktakeFinished::kType,
};

// Whether a payload is a JSON object, without building a tree: lean_json::ReadPlain first, then
// nlohmann's SAX parser for anything it does not vouch for. What the central asks of an event
// whose type has no rule (and of a type it does not know).
bool IsObject(std::string_view payload);

}  // namespace kiosk::events
