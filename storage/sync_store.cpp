#include "storage/sync_store.hpp"

#include <cstdlib>

#include "storage/db.hpp"
#include "storage/journal_store.hpp"
#include "storage/state.hpp"
#include "storage/verdicts.hpp"

namespace kiosk::storage {
namespace {

std::string Text(Db& db, SyncKey key) { return StateStore(db).Get(key); }
int64_t Number(Db& db, SyncKey key) { return StateStore(db).GetInt(key, 0); }
Status Put(Db& db, SyncKey key, const std::string& value) { return StateStore(db).Set(key, value); }
Status Put(Db& db, SyncKey key, int64_t value) { return StateStore(db).Set(key, std::to_string(value)); }

}  // namespace

Result<std::optional<std::string>> SyncState::FindKioskId() const { return StateStore(m_db).Find(SyncKey::KioskId); }
Status SyncState::SetKioskId(const std::string& id) { return Put(m_db, SyncKey::KioskId, id); }

std::string SyncState::CentralUrl() const { return Text(m_db, SyncKey::CentralUrl); }
Status SyncState::SetCentralUrl(const std::string& url) { return Put(m_db, SyncKey::CentralUrl, url); }
std::string SyncState::CentralPublicKey() const { return Text(m_db, SyncKey::CentralPublicKey); }
Status SyncState::SetCentralPublicKey(const std::string& hex) { return Put(m_db, SyncKey::CentralPublicKey, hex); }
std::string SyncState::CentralCaFile() const { return Text(m_db, SyncKey::CentralCaFile); }
Status SyncState::SetCentralCaFile(const std::string& path) { return Put(m_db, SyncKey::CentralCaFile, path); }
Status SyncState::SetEnrolledAt(const std::string& utc) { return Put(m_db, SyncKey::EnrolledAt, utc); }

int64_t SyncState::AckedThrough() const { return Number(m_db, SyncKey::AckedThrough); }
Status SyncState::SetAckedThrough(int64_t seq) { return Put(m_db, SyncKey::AckedThrough, seq); }
std::optional<int64_t> SyncState::VerdictsThrough() const {
  const std::string v = Text(m_db, SyncKey::VerdictsThrough);
  if (v.empty()) return std::nullopt;
  return std::strtoll(v.c_str(), nullptr, 10);
}
Status SyncState::SetVerdictsThrough(int64_t seq) { return Put(m_db, SyncKey::VerdictsThrough, seq); }
std::string SyncState::Anchor() const { return Text(m_db, SyncKey::Anchor); }
Status SyncState::SetAnchor(const std::string& json) { return Put(m_db, SyncKey::Anchor, json); }
std::string SyncState::LastSync() const { return Text(m_db, SyncKey::LastSync); }
Status SyncState::SetLastSync(const std::string& utc) { return Put(m_db, SyncKey::LastSync, utc); }
std::string SyncState::LastError() const { return Text(m_db, SyncKey::LastError); }
std::string SyncState::LastErrorKey() const { return Text(m_db, SyncKey::LastErrorKey); }
std::string SyncState::LastErrorArgs() const { return StateStore(m_db).Get(SyncKey::LastErrorArgs, "{}"); }
Status SyncState::SetLastError(const std::string& message) { return Put(m_db, SyncKey::LastError, message); }
Status SyncState::SetLastErrorKey(const std::string& key) { return Put(m_db, SyncKey::LastErrorKey, key); }
Status SyncState::SetLastErrorArgs(const std::string& json) { return Put(m_db, SyncKey::LastErrorArgs, json); }
Status SyncState::SetLastErrorAt(const std::string& utc) { return Put(m_db, SyncKey::LastErrorAt, utc); }
Status SyncState::SetLastExport(const std::string& line) { return Put(m_db, SyncKey::LastExport, line); }

int64_t SyncState::ReferenceVersion() const { return Number(m_db, SyncKey::ReferenceVersion); }
Status SyncState::SetReferenceVersion(int64_t version) { return Put(m_db, SyncKey::ReferenceVersion, version); }
std::string SyncState::ReferenceEtag() const { return Text(m_db, SyncKey::ReferenceEtag); }
Status SyncState::SetReferenceEtag(const std::string& etag) { return Put(m_db, SyncKey::ReferenceEtag, etag); }
std::optional<int64_t> SyncState::LastFreshAt() const {
  const std::string v = Text(m_db, SyncKey::LastFreshAt);
  if (v.empty()) return std::nullopt;
  return std::strtoll(v.c_str(), nullptr, 10);
}
Status SyncState::SetLastFreshAt(int64_t unix_ms) { return Put(m_db, SyncKey::LastFreshAt, unix_ms); }
int64_t SyncState::CoversKioskSeq() const { return Number(m_db, SyncKey::CoversKioskSeq); }
Status SyncState::SetCoversKioskSeq(int64_t seq) { return Put(m_db, SyncKey::CoversKioskSeq, seq); }
int64_t SyncState::ChannelOrdersCover() const { return Number(m_db, SyncKey::ChannelOrdersCover); }
Status SyncState::SetChannelOrdersCover(int64_t seq) { return Put(m_db, SyncKey::ChannelOrdersCover, seq); }
int64_t SyncState::RewardAllocationsCover() const { return Number(m_db, SyncKey::RewardAllocationsCover); }
Status SyncState::SetRewardAllocationsCover(int64_t seq) { return Put(m_db, SyncKey::RewardAllocationsCover, seq); }

int64_t SyncState::PrunedThrough() const { return Number(m_db, SyncKey::PrunedThrough); }
Status SyncState::SetPrunedThrough(int64_t seq) { return Put(m_db, SyncKey::PrunedThrough, seq); }
std::string SyncState::PrunedHeadHash() const { return Text(m_db, SyncKey::PrunedHeadHash); }
std::string SyncState::JournalFork() const { return Text(m_db, SyncKey::JournalFork); }
Status SyncState::SetJournalFork(const std::string& json) { return Put(m_db, SyncKey::JournalFork, json); }
Status SyncState::SetPrunedHeadHash(const std::string& hash) { return Put(m_db, SyncKey::PrunedHeadHash, hash); }

SyncStore::SyncStore(Db& db) : m_db(db), m_state(db) {}

Status SyncStore::ReadWithoutMmap() { return m_db.SetMmapSize(0); }

Status SyncStore::InTransaction(const std::function<Status()>& body) {
  Transaction tx(m_db);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(body());
  return tx.Commit();
}

Result<int64_t> SyncStore::JournalLastSeq() { return JournalTable(m_db).LastSeq(); }
Result<std::optional<std::string>> SyncStore::JournalHashAt(int64_t seq) { return JournalTable(m_db).HashAt(seq); }
Result<std::vector<Event>> SyncStore::ReadBatch(int64_t after_seq, int64_t max_events,
                                                const std::function<bool(const Event&)>& take) {
  return JournalTable(m_db).ReadBatch(after_seq, max_events, take);
}

Result<int64_t> SyncStore::HighestVerdictSeq() { return VerdictStore(m_db).HighestSeq(); }
Status SyncStore::ForgetVerdicts(int64_t from_seq, int64_t to_seq) { return VerdictStore(m_db).Forget(from_seq, to_seq); }
Status SyncStore::PutVerdict(const VerdictRow& v) { return VerdictStore(m_db).Put(v); }

std::string SyncStore::StateNamed(const std::string& name, const std::string& def) {
  auto key = ParseSyncKey(name);
  return key ? StateStore(m_db).Get(*key, def) : def;
}
Status SyncStore::SetStateNamed(const std::string& name, const std::string& value) {
  auto key = ParseSyncKey(name);
  if (!key)
    return MakeError(ErrorKind::Usage, "state.unknown_key", "No sync state is called \"" + name + "\".",
                     {{"name", name}});
  return StateStore(m_db).Set(*key, value);
}

}  // namespace kiosk::storage
