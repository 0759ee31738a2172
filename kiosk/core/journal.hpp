#pragma once
// The journal: the kiosk's append-only, HMAC-chained record of everything that happened.
// Event, its canonical bytes and chain verification are pure code shared by the kiosk and
// kiosk-central; storage/journal_store does the SQLite side.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "kiosk/core/result.hpp"

namespace kiosk {

struct Event {
  int64_t seq = 0;          // per kiosk, gapless from 1
  std::string event_id;     // UUIDv7, lowercase 8-4-4-4-12
  std::string kiosk_id;
  std::string type;         // "device.checked_out", ...
  std::string payload;      // compact JSON text with sorted keys, exactly as hashed
  std::string actor;        // badge code of the person who did it ("" for system events)
  std::string wall_time;    // device clock, UTC, "2026-11-24T13:45:01.123Z"
  int64_t mono_ms = 0;      // CLOCK_MONOTONIC in ms at the time of the event
  std::string boot_id;      // /proc/sys/kernel/random/boot_id
  std::string prev_hash;    // 64 hex digits: hash of seq-1, or the genesis hash for seq 1
  std::string hash;         // 64 hex digits: HMAC-SHA256(kiosk key, CanonicalBytes(*this))
};

// The bytes the HMAC covers: every field but `hash`, each as a netstring "<len>:<bytes>,",
// prefixed with the format tag "ske1". Unambiguous whatever the fields contain.
std::string CanonicalBytes(const Event& e);

// What seq 1 chains to: hex(SHA-256("showroom-kiosk/genesis/v1|" + kiosk_id)).
std::string GenesisHash(std::string_view kiosk_id);

// The journal key: 32 random bytes.
struct JournalKey {
  unsigned char bytes[32] = {};
};

std::string ComputeEventHash(const JournalKey& key, const Event& e);  // 64 hex

// Checks one event against its predecessor's hash (or the genesis) and its own HMAC.
// Returns an Integrity error whose message names the seq and what is wrong.
Status VerifyLink(const JournalKey& key, const Event& e, int64_t expected_seq,
                  std::string_view expected_prev_hash);

// JSON form used by `kiosk journal --json`, sync batches and USB export. `payload` stays a string
// so that the bytes the HMAC covers travel unchanged.
nlohmann::json ToJson(const Event& e);
Result<Event> EventFromJson(const nlohmann::json& j);

}  // namespace kiosk
