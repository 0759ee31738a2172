#include "storage/journal_store.hpp"

#include <chrono>
#include <cstdlib>

#include "kiosk/core/anchor.hpp"
#include "storage/state.hpp"

namespace kiosk::storage {
namespace {

const std::string kSelectColumns = std::string("SELECT ") + kJournalEventColumns + " FROM journal ";

Event RowToEvent(Statement& r) {
  Event e;
  FillEvent(r, e);
  return e;
}

}  // namespace

// Assigning into strings that keep their capacity saves eleven allocations per row when a whole
// journal is walked (verify, export).
void FillEvent(Statement& r, Event& e) {
  e.seq = r.Int(0);
  e.event_id.assign(r.TextView(1));
  e.kiosk_id.assign(r.TextView(2));
  e.type.assign(r.TextView(3));
  e.payload.assign(r.TextView(4));
  e.actor.assign(r.TextView(5));
  e.wall_time.assign(r.TextView(6));
  e.mono_ms = r.Int(7);
  e.boot_id.assign(r.TextView(8));
  e.prev_hash.assign(r.TextView(9));
  e.hash.assign(r.TextView(10));
}

JournalStore::JournalStore(Db& db, std::string kiosk_id, const JournalKey& key, const Clock& clock)
    : m_db(db), m_kiosk_id(std::move(kiosk_id)), m_hasher(key), m_clock(clock) {}

Result<JournalHead> JournalStore::Head() {
  // Read every time, never cached: the UI's and the sync thread's connections both append, and
  // inside Append's BEGIN IMMEDIATE this read is the one that counts (a rowid lookup, ~2 us).
  JournalHead head{0, GenesisHash(m_kiosk_id)};
  auto s = m_db.Each("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", [&](Statement& r) {
    head.seq = r.Int(0);
    head.hash = r.Text(1);
  });
  if (!s.ok()) return s.error();
  if (head.seq == 0) {
    // Everything before a retention prune is summarised by the pruned head.
    auto pruned_seq = StateStore(m_db).Find(SyncKey::PrunedThrough);
    auto pruned_hash = StateStore(m_db).Find(SyncKey::PrunedHeadHash);
    if (pruned_seq.ok() && *pruned_seq && pruned_hash.ok() && *pruned_hash) {
      head.seq = std::stoll(**pruned_seq);
      head.hash = **pruned_hash;
    }
  }
  return head;
}

Result<Event> JournalStore::Append(std::string type, std::string payload_json, std::string actor) {
  auto head = Head();
  if (!head.ok()) return head.error();
  Event e;
  e.seq = head->seq + 1;
  const auto now = m_clock.Now();
  e.event_id = NewUuidV7(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  e.kiosk_id = m_kiosk_id;
  e.type = std::move(type);
  e.payload = std::move(payload_json);
  e.actor = std::move(actor);
  e.wall_time = FormatUtc(now);
  e.mono_ms = m_clock.MonotonicMs();
  e.boot_id = m_clock.BootId();
  e.prev_hash = head->hash;
  e.hash = m_hasher.Hash(e);
  KIOSK_TRY(m_db.Run("INSERT INTO journal (seq, event_id, kiosk_id, type, payload, actor, wall_time, mono_ms, boot_id, "
                     "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     e.seq, e.event_id, e.kiosk_id, e.type, e.payload, e.actor, e.wall_time, e.mono_ms, e.boot_id,
                     e.prev_hash, e.hash));
  return e;
}

void JournalStore::Committed(const Event&) {}
void JournalStore::RolledBack() {}

Result<std::vector<Event>> JournalStore::Read(int64_t from_seq, int64_t limit) {
  std::vector<Event> out;
  auto s = m_db.Each(kSelectColumns + "WHERE seq >= ? ORDER BY seq LIMIT ?",
                     [&](Statement& r) { out.push_back(RowToEvent(r)); }, from_seq, limit);
  if (!s.ok()) return s.error();
  return out;
}

Status JournalStore::ReplaceTail(int64_t from_seq, const std::vector<Event>& events, int64_t acked_through) {
  auto last = m_db.ScalarInt("SELECT max(seq) FROM journal");
  if (!last.ok()) return last.error();
  StateStore state(m_db);
  KIOSK_TRY(state.Set(SyncKey::AckedThrough, std::to_string(std::max(last->value_or(0), acked_through))));
  KIOSK_TRY(m_db.Run("DELETE FROM journal WHERE seq >= ?", from_seq));
  for (const Event& e : events)
    KIOSK_TRY(m_db.Run("INSERT INTO journal (seq, event_id, kiosk_id, type, payload, actor, wall_time, mono_ms, "
                       "boot_id, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       e.seq, e.event_id, e.kiosk_id, e.type, e.payload, e.actor, e.wall_time, e.mono_ms, e.boot_id,
                       e.prev_hash, e.hash));
  return state.Set(SyncKey::AckedThrough, std::to_string(acked_through));
}

Status JournalStore::ForEach(int64_t from_seq, const std::function<bool(const Event&)>& fn) {
  auto st = m_db.Prepare(kSelectColumns + "WHERE seq >= ? ORDER BY seq");
  if (!st.ok()) return st.error();
  Query q(**st);
  q->Bind(1, from_seq);
  Event e;
  for (;;) {
    auto row = q->Step();
    if (!row.ok()) return row.error();
    if (!*row) return {};
    FillEvent(*q, e);
    if (!fn(e)) return {};
  }
}

Result<int64_t> JournalStore::Count() {
  auto n = m_db.ScalarInt("SELECT count(*) FROM journal");
  if (!n.ok()) return n.error();
  return n->value_or(0);
}

Result<VerifyReport> JournalStore::Verify() {
  VerifyReport result;
  int64_t expected_seq = 1;
  std::string expected_prev = GenesisHash(m_kiosk_id);
  auto pruned_seq = StateStore(m_db).Find(SyncKey::PrunedThrough);
  auto pruned_hash = StateStore(m_db).Find(SyncKey::PrunedHeadHash);
  if (pruned_seq.ok() && *pruned_seq && pruned_hash.ok() && *pruned_hash) {
    expected_seq = std::stoll(**pruned_seq) + 1;
    expected_prev = **pruned_hash;
  }
  auto s = ForEach(0, [&](const Event& e) {
    if (e.kiosk_id != m_kiosk_id) {
      result.ok = false;
      result.first_bad_seq = e.seq;
      result.problem = "seq " + std::to_string(e.seq) + ": belongs to kiosk " + e.kiosk_id + ", not " + m_kiosk_id;
      return false;
    }
    auto v = m_hasher.Verify(e, expected_seq, expected_prev);
    if (!v.ok()) {
      result.ok = false;
      result.first_bad_seq = std::min(e.seq, expected_seq);
      result.problem = v.error().message;
      return false;
    }
    ++result.events;
    ++expected_seq;
    expected_prev = e.hash;
    return true;
  });
  if (!s.ok()) return s.error();
  if (!result.ok) return result;
  // expected_seq - 1 is now the last seq whose chain verified (the pruned head for an empty rest).
  return CheckAnchor(result, expected_seq - 1);
}

Result<VerifyReport> JournalStore::CheckAnchor(VerifyReport result, int64_t head_seq) {
  auto anchor_text = StateStore(m_db).Find(SyncKey::Anchor);
  if (!anchor_text.ok()) return anchor_text.error();
  auto acked = StateStore(m_db).Find(SyncKey::AckedThrough);
  if (!acked.ok()) return acked.error();
  const int64_t acked_through = *acked ? std::strtoll((*acked)->c_str(), nullptr, 10) : 0;
  auto fail = [&](int64_t seq, std::string problem) {
    result.ok = false;
    result.first_bad_seq = seq;
    result.problem = std::move(problem);
    return result;
  };
  auto missing = [&](int64_t through, const std::string& who) {
    result.missing_from = head_seq + 1;
    result.missing_to = through;
    const std::string range = result.missing_from == through
                                  ? "event " + std::to_string(through) + " is"
                                  : "events " + std::to_string(result.missing_from) + " to " + std::to_string(through) +
                                        " are";
    return fail(head_seq + 1, "the journal ends at seq " + std::to_string(head_seq) + ", but " + who + " seq " +
                                  std::to_string(through) + ": " + range +
                                  " missing from this database (removed, or the data folder was restored from an "
                                  "older backup). The central holds them; see README: Recovering");
  };
  if (!*anchor_text) {
    // No anchor yet (never synced): the acknowledgement mark is all there is to hold the journal to.
    if (acked_through > head_seq) return missing(acked_through, "the central acknowledged up to");
    return result;
  }
  auto anchor = AnchorFromJsonText(**anchor_text);
  if (!anchor.ok()) return fail(head_seq, anchor.error().message + " (sync state 'anchor')");
  result.anchor_seq = anchor->seq;
  auto pub = StateStore(m_db).Find(SyncKey::CentralPublicKey);
  if (!pub.ok()) return pub.error();
  if (!AnchorSignedFor(*anchor, pub->value_or(""), m_kiosk_id))
    return fail(anchor->seq, "the central's anchor for seq " + std::to_string(anchor->seq) +
                                 " kept in sync state is not signed by the central this kiosk enrolled with (or "
                                 "names another kiosk): the sync state was altered");
  if (anchor->seq > head_seq)
    return missing(anchor->seq, "the central signed for");
  if (acked_through > head_seq) return missing(acked_through, "the central acknowledged up to");
  if (anchor->seq == 0) return result;
  // The hash at the anchor's seq: its row, or the pruned head when retention removed exactly it.
  auto at = m_db.ScalarText("SELECT hash FROM journal WHERE seq = ?", anchor->seq);
  if (!at.ok()) return at.error();
  std::optional<std::string> hash = *at;
  if (!hash) {
    auto pruned_seq = StateStore(m_db).Find(SyncKey::PrunedThrough);
    auto pruned_hash = StateStore(m_db).Find(SyncKey::PrunedHeadHash);
    if (pruned_seq.ok() && *pruned_seq && pruned_hash.ok() && *pruned_hash &&
        std::strtoll((*pruned_seq)->c_str(), nullptr, 10) == anchor->seq)
      hash = **pruned_hash;
  }
  if (!hash)
    return fail(anchor->seq, "the event at the central's anchor (seq " + std::to_string(anchor->seq) +
                                 ") was removed: nothing left to check the central's signature against");
  if (*hash != anchor->hash)
    return fail(anchor->seq, "seq " + std::to_string(anchor->seq) +
                                 " differs from the event the central signed for (its hash is " + hash->substr(0, 12) +
                                 "..., the central's " + anchor->hash.substr(0, 12) +
                                 "...): this journal's history is not the one the central holds");
  return result;
}

// ---- JournalTable -------------------------------------------------------------------------

Result<int64_t> JournalTable::LastSeq() {
  auto n = m_db.ScalarInt("SELECT max(seq) FROM journal");
  if (!n.ok()) return n.error();
  return n->value_or(0);
}

Result<std::optional<std::string>> JournalTable::HashAt(int64_t seq) {
  return m_db.ScalarText("SELECT hash FROM journal WHERE seq = ?", seq);
}

Result<std::optional<std::string>> JournalTable::WallTimeAfter(int64_t seq) {
  return m_db.ScalarText("SELECT wall_time FROM journal WHERE seq > ? ORDER BY seq LIMIT 1", seq);
}

Result<std::optional<int64_t>> JournalTable::FirstSeqSince(const std::string& wall_time) {
  return m_db.ScalarInt("SELECT min(seq) FROM journal WHERE wall_time >= ?", wall_time);
}

Result<std::vector<Event>> JournalTable::ReadBatch(int64_t after_seq, int64_t max_events,
                                                   const std::function<bool(const Event&)>& take) {
  std::vector<Event> out;
  auto st = m_db.Prepare(kSelectColumns + "WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!st.ok()) return st.error();
  Query q(**st);
  q->Bind(1, after_seq).Bind(2, max_events);
  for (;;) {
    auto row = q->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    Event e;
    FillEvent(*q, e);
    if (!take(e)) break;
    out.push_back(std::move(e));
  }
  return out;
}

Status JournalTable::PruneThrough(int64_t seq) {
  KIOSK_TRY(m_db.Run("DELETE FROM device_events WHERE seq <= ?", seq));
  return m_db.Run("DELETE FROM journal WHERE seq <= ?", seq);
}

}  // namespace kiosk::storage
