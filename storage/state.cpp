#include "storage/state.hpp"

#include <cstdlib>
#include <utility>

#include "storage/db.hpp"

namespace kiosk::storage {
namespace {

constexpr std::pair<SyncKey, std::string_view> kSyncNames[] = {
    {SyncKey::KioskId, "kiosk_id"},
    {SyncKey::CentralUrl, "central_url"},
    {SyncKey::CentralPublicKey, "central_public_key"},
    {SyncKey::CentralCaFile, "central_ca_file"},
    {SyncKey::EnrolledAt, "enrolled_at"},
    {SyncKey::AckedThrough, "acked_through"},
    {SyncKey::VerdictsThrough, "verdicts_through"},
    {SyncKey::Anchor, "anchor"},
    {SyncKey::LastSync, "last_sync"},
    {SyncKey::LastError, "last_error"},
    {SyncKey::LastErrorKey, "last_error_key"},
    {SyncKey::LastErrorArgs, "last_error_args"},
    {SyncKey::LastErrorAt, "last_error_at"},
    {SyncKey::LastExport, "last_export"},
    {SyncKey::ReferenceVersion, "reference_version"},
    {SyncKey::ReferenceEtag, "reference_etag"},
    {SyncKey::LastFreshAt, "last_fresh_at"},
    {SyncKey::CoversKioskSeq, "covers_kiosk_seq"},
    {SyncKey::PrunedThrough, "pruned_through"},
    {SyncKey::PrunedHeadHash, "pruned_head_hash"},
    {SyncKey::ChannelOrdersCover, "channel_orders_cover"},
    {SyncKey::RewardAllocationsCover, "reward_allocations_cover"},
    {SyncKey::JournalFork, "journal_fork"},
};
constexpr std::pair<LocalKey, std::string_view> kLocalNames[] = {
    {LocalKey::UiLanguage, "ui.language"},
    {LocalKey::UiIdleTimeout, "ui.idle_timeout_s"},
    {LocalKey::PinFailures, "pin_failures"},
    {LocalKey::PinLockedUntil, "pin_locked_until"},
};

std::string Read(Db& db, const char* sql, std::string_view key, const std::string& def) {
  auto v = db.ScalarText(sql, std::string(key));
  return v.ok() && *v ? **v : def;
}

}  // namespace

std::string_view KeyName(SyncKey key) {
  for (const auto& [k, name] : kSyncNames)
    if (k == key) return name;
  return "";
}
std::string_view KeyName(LocalKey key) {
  for (const auto& [k, name] : kLocalNames)
    if (k == key) return name;
  return "";
}
std::optional<SyncKey> ParseSyncKey(std::string_view name) {
  for (const auto& [k, n] : kSyncNames)
    if (n == name) return k;
  return std::nullopt;
}

Result<std::optional<std::string>> StateStore::Find(SyncKey key) const {
  return m_db.ScalarText("SELECT value FROM sync_state WHERE key = ?", std::string(KeyName(key)));
}
std::string StateStore::Get(SyncKey key, const std::string& def) const {
  return Read(m_db, "SELECT value FROM sync_state WHERE key = ?", KeyName(key), def);
}
int64_t StateStore::GetInt(SyncKey key, int64_t def) const {
  const std::string v = Get(key);
  return v.empty() ? def : std::strtoll(v.c_str(), nullptr, 10);
}
Status StateStore::Set(SyncKey key, const std::string& value) {
  return m_db.Run(
      "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      std::string(KeyName(key)), value);
}
std::string StateStore::Get(LocalKey key, const std::string& def) const {
  return Read(m_db, "SELECT value FROM local_state WHERE key = ?", KeyName(key), def);
}
Status StateStore::Set(LocalKey key, const std::string& value) {
  return m_db.Run(
      "INSERT INTO local_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      std::string(KeyName(key)), value);
}

}  // namespace kiosk::storage
