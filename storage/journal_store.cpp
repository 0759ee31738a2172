#include "storage/journal_store.hpp"

#include <chrono>

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
    auto pruned_seq = m_db.ScalarText("SELECT value FROM sync_state WHERE key = 'pruned_through'");
    auto pruned_hash = m_db.ScalarText("SELECT value FROM sync_state WHERE key = 'pruned_head_hash'");
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

Result<JournalStore::VerifyResult> JournalStore::Verify() {
  VerifyResult result;
  int64_t expected_seq = 1;
  std::string expected_prev = GenesisHash(m_kiosk_id);
  auto pruned_seq = m_db.ScalarText("SELECT value FROM sync_state WHERE key = 'pruned_through'");
  auto pruned_hash = m_db.ScalarText("SELECT value FROM sync_state WHERE key = 'pruned_head_hash'");
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
  return result;
}

}  // namespace kiosk::storage
