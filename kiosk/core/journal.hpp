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

// Hashes many events with one key (append and verify paths): reuses the HMAC context.
class EventHasher {
 public:
  explicit EventHasher(const JournalKey& key);
  ~EventHasher();
  EventHasher(const EventHasher&) = delete;
  EventHasher& operator=(const EventHasher&) = delete;
  std::string Hash(const Event& e);
  // Checks one event against its expected seq and predecessor hash (or the genesis) and its own
  // HMAC. The Integrity error's message names the seq and what is wrong.
  Status Verify(const Event& e, int64_t expected_seq, std::string_view expected_prev_hash);

 private:
  struct State;
  State* m_state;
  std::string m_buffer;
};

// The key file: 64 hex digits and a newline, mode 0600, created by `kiosk init`.
Status CreateKeyFile(const std::string& path, JournalKey& out);
Status WriteKeyFile(const std::string& path, const JournalKey& key);  // for enrolment re-keying
// Refuses a missing, malformed or group/world-accessible key file with a message that says how
// to fix it.
Result<JournalKey> LoadKeyFile(const std::string& path);

// A new UUIDv7 (RFC 9562): 48-bit Unix ms, then random bits; monotonic within this process.
std::string NewUuidV7(int64_t unix_ms);

// One-shot form of EventHasher::Verify.
Status VerifyLink(const JournalKey& key, const Event& e, int64_t expected_seq,
                  std::string_view expected_prev_hash);

// What a walk of the whole chain found (storage's JournalStore::Verify, `kiosk verify`), checked
// against the central's signed anchor when the kiosk keeps one. ok is false where the chain breaks
// or the anchor proves events that the journal lacks.
struct VerifyReport {
  int64_t events = 0;         // events whose link verified
  bool ok = true;
  int64_t first_bad_seq = 0;
  std::string problem;        // English, "" when ok
  int64_t anchor_seq = 0;     // the central's signed anchor the journal was checked against (0: none)
  int64_t missing_from = 0;   // seqs the anchor proves existed that the journal lacks (0, 0: none)
  int64_t missing_to = 0;
};

// JSON form used by `kiosk journal --json`, sync batches and USB export. `payload` stays a string
// so that the bytes the HMAC covers travel unchanged.
nlohmann::json ToJson(const Event& e);
Result<Event> EventFromJson(const nlohmann::json& j);

}  // namespace kiosk
