#pragma once
// The kiosk's own bookkeeping by name: sync_state (what sync learned and sent, the reference
// version, the freshness mark) and local_state (this kiosk's admin settings and PIN lockout).
// Every key string lives in state.cpp; callers name keys by enum. Same thread as the Db.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;

enum class SyncKey {
  KioskId,
  CentralUrl,
  CentralPublicKey,
  CentralCaFile,
  EnrolledAt,
  AckedThrough,     // contiguous durable high-water mark the central confirmed
  VerdictsThrough,  // every verdict up to this seq is known
  Anchor,           // the central's signed anchor of acked_through
  LastSync,         // UTC of the last successful exchange
  LastError,        // English, "" after a successful round
  LastErrorKey,
  LastErrorArgs,    // JSON object of the reason's values
  LastErrorAt,
  LastExport,       // "UTC seq A..B" of the last USB export
  ReferenceVersion,
  ReferenceEtag,    // the central's ETag of the last reference document pulled
  LastFreshAt,      // Unix ms of the last sync or reference load
  CoversKioskSeq,   // the reference data accounts for this kiosk's events up to this seq
  PrunedThrough,
  PrunedHeadHash,
  ChannelOrdersCover,  // the channel's open-order count (channel_orders) includes our events to here
  RewardAllocationsCover,  // the allocations' `used` (reward_allocations) includes our events to here
  JournalFork,      // JSON (kiosk/core/recovery.hpp) while the journal is behind the central's; "" after recovery
};
enum class LocalKey { UiLanguage, UiIdleTimeout, PinFailures, PinLockedUntil };

std::string_view KeyName(SyncKey key);
std::string_view KeyName(LocalKey key);
// For tools and tests that name a key as text: only the names above.
std::optional<SyncKey> ParseSyncKey(std::string_view name);

class StateStore {
 public:
  explicit StateStore(Db& db) : m_db(db) {}
  // nullopt when unset; a storage error as an error (Get reads those as unset).
  Result<std::optional<std::string>> Find(SyncKey key) const;
  std::string Get(SyncKey key, const std::string& def = "") const;
  int64_t GetInt(SyncKey key, int64_t def = 0) const;  // def when unset
  Status Set(SyncKey key, const std::string& value);
  std::string Get(LocalKey key, const std::string& def = "") const;
  Status Set(LocalKey key, const std::string& value);

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
