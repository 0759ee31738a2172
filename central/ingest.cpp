// Ingest: a kiosk's batch checked (signature, HMACs, chain, clock), stored exactly once with the
// rules' verdicts, in a fixed number of store calls whatever its size.
#include "central/central.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "central/rules.hpp"
#include "central/central_parts.hpp"
#include "kiosk/core/recovery.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

sync::Anchor Central::MakeAnchor(const std::string& kiosk_id, int64_t seq, const std::string& hash) {
  sync::Anchor a{kiosk_id, seq, hash, FormatUtc(m_clock.Now()), ""};
  a.signature = sync::Sign(m_key, sync::AnchorSigningString(a));
  return a;
}

Central::Prepared Central::Prepare(const sync::Batch& batch, const std::string& key_hex) {
  Prepared p;
  p.key_hex = key_hex;
  auto key = KeyFromHex(key_hex);
  if (!key.ok()) return p;
  EventHasher hasher(*key);
  p.hmac_ok.reserve(batch.events.size());
  p.facts.reserve(batch.events.size());
  for (const Event& e : batch.events) {
    p.hmac_ok.push_back(crypto::ConstantTimeEqual(hasher.Hash(e), e.hash));
    p.facts.push_back(ReadPayload(e));
  }
  return p;
}

namespace {

// How long a batch waits for its kiosk's earlier batches (AwaitPredecessorLocked, and
// TakeIngestStore with ingest connections). While another batch of its kiosk is at work: until
// that one lands, at most 30 s. With nobody else of its kiosk at work it still waits a moment:
// the earlier one may not have been read off its connection yet. A real gap (the central's
// database was restored) is answered after that moment.
struct PredecessorWait {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point grace = start + std::chrono::milliseconds(500);
  const Clock::time_point deadline = start + std::chrono::seconds(30);
  bool Over(Clock::time_point now, bool others_at_work) const {
    return now >= deadline || (!others_at_work && now >= grace);
  }
  Clock::time_point Until(bool others_at_work) const { return others_at_work ? deadline : grace; }
};

}  // namespace

void Central::AwaitPredecessorLocked(std::unique_lock<std::mutex>& lock, const std::string& kiosk_id,
                                     int64_t from_seq) {
  const PredecessorWait wait;
  for (;;) {
    auto k = m_store.GetKiosk(kiosk_id);
    if (!k.ok() || !*k || from_seq <= (*k)->acked_through + 1) return;
    const auto now = std::chrono::steady_clock::now();
    bool others_at_work;
    {
      std::lock_guard side(m_side_mu);
      Flight& f = m_flights[kiosk_id];
      others_at_work = f.active - f.waiting > 1;
      if (!wait.Over(now, others_at_work)) ++f.waiting;
    }
    if (wait.Over(now, others_at_work)) return;
    m_landed.wait_until(lock, wait.Until(others_at_work));
    std::lock_guard side(m_side_mu);
    --m_flights[kiosk_id].waiting;
  }
}

void Central::AddIngestStores(std::vector<std::unique_ptr<CentralStore>> stores) {
  std::lock_guard side(m_side_mu);
  for (auto& s : stores) {
    m_free_ingest.push_back(s.get());
    m_ingest_stores.push_back(std::move(s));
  }
}

void Central::GiveIngestStore(CentralStore* store) {
  {
    std::lock_guard side(m_side_mu);
    m_free_ingest.push_back(store);
  }
  m_ingest_free.notify_one();
}

CentralStore* Central::TakeIngestStore(const std::string& kiosk_id, int64_t from_seq) {
  // AwaitPredecessorLocked's waits, but a connection is held only to look, never while waiting:
  // batches waiting for their predecessors must not take every connection from those.
  const PredecessorWait wait;
  bool give_up = false;
  for (;;) {
    CentralStore* store = nullptr;
    uint64_t seen = 0;
    bool follows = false;
    {
      std::unique_lock side(m_side_mu);
      m_ingest_free.wait(side, [&] { return !m_free_ingest.empty(); });
      store = m_free_ingest.back();
      m_free_ingest.pop_back();
      seen = m_landings;
      // Its predecessor stored by this process just now: no round trip to the store to see that
      // (acked_through never goes back; another process may only have stored more).
      auto f = m_flights.find(kiosk_id);
      follows = f != m_flights.end() && from_seq <= f->second.stored_through + 1;
    }
    if (give_up || follows) return store;
    auto k = store->GetKiosk(kiosk_id);
    if (!k.ok() || !*k || from_seq <= (*k)->acked_through + 1) return store;
    GiveIngestStore(store);
    std::unique_lock side(m_side_mu);
    const auto now = std::chrono::steady_clock::now();
    Flight& f = m_flights[kiosk_id];
    const bool others_at_work = f.active - f.waiting > 1;
    if (wait.Over(now, others_at_work)) {
      give_up = true;  // the transaction answers the gap
      continue;
    }
    if (m_landings != seen) continue;  // a batch landed while this one looked: look again
    ++f.waiting;
    m_lane_landed.wait_until(side, wait.Until(others_at_work));
    --m_flights[kiosk_id].waiting;
  }
}

namespace {

// For KIOSK_CENTRAL_TRACE: this thread's CPU time, and its time spent runnable but waiting for a
// core (the scheduler's run delay), in ms. Where the ingest's wall time goes when it is not CPU.
struct ThreadTimes {
  double cpu_ms = 0, runnable_ms = 0;
  static ThreadTimes Now() {
    ThreadTimes t;
    timespec cpu{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    t.cpu_ms = static_cast<double>(cpu.tv_sec) * 1e3 + static_cast<double>(cpu.tv_nsec) / 1e6;
    std::ifstream f("/proc/thread-self/schedstat");  // on_cpu_ns run_delay_ns slices
    long long on_cpu = 0, delay = 0;
    if (f >> on_cpu >> delay) t.runnable_ms = static_cast<double>(delay) / 1e6;
    return t;
  }
};

}  // namespace

HttpAnswer Central::HandleBatch(const sync::SignedHeaders& h, const std::string& body) {
  if (body.size() > sync::kMaxRequestBytes)
    return Answer(MakeError(ErrorKind::Usage, "batch.too_large", "The batch is larger than 2 MiB; send smaller ones."));
  // A kiosk sends its next batches before this one's answer is back (three in flight). Everything
  // that needs no store (parsing, the request's signature, each event's HMAC, reading each
  // payload for the rules) runs outside the lock, overlapping the transaction of the batch
  // before; the transactions themselves run one at a time, in seq order.
  const auto t0 = std::chrono::steady_clock::now();
  auto batch = sync::ParseBatch(body);
  const int64_t now = NowMs();
  auto key_hex = KioskKey(h);
  if (!key_hex.ok()) return Answer(key_hex.error(), json{{"server_time_ms", now}});
  {
    std::lock_guard side(m_side_mu);
    ++m_flights[h.kiosk_id].active;
  }
  // With ingest connections (PostgreSQL) the transaction runs on one of them, beside other
  // batches' transactions, without m_mu; else under m_mu on the one store.
  const bool pooled = !m_ingest_stores.empty();
  std::unique_lock lock(m_mu, std::defer_lock);
  struct Landing {
    Central& c;
    std::unique_lock<std::mutex>& lock;
    const std::string& id;
    bool pooled;
    ~Landing() {
      if (pooled) {
        // Counted under m_side_mu, which TakeIngestStore's waits hold when they look.
        {
          std::lock_guard side(c.m_side_mu);
          if (--c.m_flights[id].active == 0) c.m_flights.erase(id);
          ++c.m_landings;
        }
        c.m_lane_landed.notify_all();
        return;
      }
      // Under m_mu, so that a batch deciding to wait for this one can't miss the notification.
      if (!lock.owns_lock()) lock.lock();
      {
        std::lock_guard side(c.m_side_mu);
        if (--c.m_flights[id].active == 0) c.m_flights.erase(id);
      }
      c.m_landed.notify_all();
    }
  } landing{*this, lock, h.kiosk_id, pooled};
  // The ingest connection this batch holds, given back before the landing above is announced.
  struct Held {
    Central& c;
    CentralStore* store = nullptr;
    ~Held() {
      if (store) c.GiveIngestStore(store);
    }
  } held{*this};

  if (Status s = CheckSignature(*key_hex, "POST", "/v1/batches", h, body, now); !s.ok())
    return Answer(s.error(), json{{"server_time_ms", now}});
  if (!batch.ok()) return Answer(batch.error());
  if (batch->kiosk_id != h.kiosk_id)
    return Answer(MakeError(ErrorKind::Usage, "batch.malformed",
                            "The batch names kiosk " + batch->kiosk_id + " but is signed by " + h.kiosk_id + "."));
  const Prepared prepared = Prepare(*batch, *key_hex);
  const auto t1 = std::chrono::steady_clock::now();

  CentralStore* store = &m_store;
  if (pooled) {
    store = held.store = TakeIngestStore(h.kiosk_id, batch->from_seq);
  } else {
    lock.lock();
    AwaitPredecessorLocked(lock, h.kiosk_id, batch->from_seq);
  }
  const auto t2 = std::chrono::steady_clock::now();
  static const bool trace = std::getenv("KIOSK_CENTRAL_TRACE") != nullptr;
  const ThreadTimes before = trace ? ThreadTimes::Now() : ThreadTimes{};
  auto r = IngestLocked(*store, *batch, "http", &h.nonce, &prepared);
  if (!r.ok()) {
    json extra{{"server_time_ms", now}};
    if (auto k = store->GetKiosk(h.kiosk_id); k.ok() && *k) extra["acked_through"] = (*k)->acked_through;
    return Answer(r.error(), extra);
  }
  r->server_time_ms = now;
  if (pooled) {
    // The kiosk's next batch may go as soon as this one is committed, not only once its answer
    // is made and it has left (Landing).
    {
      std::lock_guard side(m_side_mu);
      int64_t& through = m_flights[h.kiosk_id].stored_through;
      through = std::max(through, r->acked_through);
      ++m_landings;
    }
    m_lane_landed.notify_all();
  }
  const auto t3 = std::chrono::steady_clock::now();
  const ThreadTimes after = trace ? ThreadTimes::Now() : ThreadTimes{};
  HttpAnswer answer{200, sync::SerializeBatchResponse(*r), 0};
  if (trace) {
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::fprintf(stderr,
                 "central batch %zu events from seq %lld: read ahead %.1f ms, waited %.1f ms, ingest %.1f ms (cpu %.1f "
                 "ms, runnable %.1f ms), answer %.1f ms\n",
                 batch->events.size(), static_cast<long long>(batch->from_seq), ms(t1 - t0), ms(t2 - t1),
                 ms(t3 - t2), after.cpu_ms - before.cpu_ms, after.runnable_ms - before.runnable_ms,
                 ms(std::chrono::steady_clock::now() - t3));
  }
  return answer;
}

Result<sync::BatchResponse> Central::Ingest(const sync::Batch& batch, const std::string& via) {
  std::lock_guard lock(m_mu);
  return IngestLocked(m_store, batch, via, nullptr);
}

void Central::PauseBeforeRetry(int attempt) {
  // Two processes that collided would collide again if they retried in step.
  thread_local std::minstd_rand rng(static_cast<unsigned>(std::random_device{}()));
  const int ms = std::min(200, 2 << std::min(attempt, 6));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms / 2 + static_cast<int>(rng() % static_cast<unsigned>(ms))));
}

namespace {

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

bool EventHasNul(const Event& e) {
  return HasNul(e.event_id) || HasNul(e.kiosk_id) || HasNul(e.type) || HasNul(e.payload) || HasNul(e.actor) ||
         HasNul(e.wall_time) || HasNul(e.boot_id) || HasNul(e.prev_hash) || HasNul(e.hash);
}

// NUL written as the six characters \u0000, so that the text can be stored (PostgreSQL's text
// can't hold NUL) and still shows where the NUL was.
std::string EscapeNul(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    if (c == '\0') out += "\\u0000";
    else out += c;
  }
  return out;
}

// A kiosk may have logged, or a client may send, text with a NUL character (JSON's \u0000). The
// stores can't keep it (PostgreSQL refuses it in text: that was a 503 on every resend, forever),
// and no rule needs it. Such an event is quarantined like one that could not be read: stored with
// its NULs escaped, rejected, changing nothing, and the kiosk's queue goes on. NUL in the batch's
// own fields is refused with 400 (no kiosk of ours writes one). nullopt: no NUL anywhere, the
// batch goes in as it is.
Result<std::optional<sync::Batch>> QuarantineNuls(const sync::Batch& batch) {
  auto refuse = [](const char* field) {
    return MakeError(ErrorKind::Usage, "batch.malformed",
                     std::string("The batch's ") + field +
                         " contains a NUL character (\\u0000), which the central does not accept; nothing was stored. "
                         "Send the batch without it.");
  };
  if (HasNul(batch.kiosk_id)) return refuse("kiosk_id");
  if (HasNul(batch.boot_id)) return refuse("boot_id");
  if (HasNul(batch.prev_hash)) return refuse("prev_hash");
  if (HasNul(batch.sent_at)) return refuse("sent_at");
  size_t first = batch.events.size();
  for (size_t i = 0; i < batch.events.size() && first == batch.events.size(); ++i)
    if (EventHasNul(batch.events[i])) first = i;
  if (first == batch.events.size()) return std::optional<sync::Batch>();
  sync::Batch out = batch;
  std::vector<std::pair<size_t, std::string>> malformed;
  size_t m = 0;
  for (size_t i = 0; i < out.events.size(); ++i) {
    for (; m < batch.malformed.size() && batch.malformed[m].first < i; ++m) malformed.push_back(batch.malformed[m]);
    const bool already = m < batch.malformed.size() && batch.malformed[m].first == i;
    Event& e = out.events[i];
    if (!EventHasNul(e)) continue;
    std::string fields;
    for (auto [name, field] : {std::pair<const char*, std::string*>{"event_id", &e.event_id},
                               {"kiosk_id", &e.kiosk_id}, {"type", &e.type}, {"payload", &e.payload},
                               {"actor", &e.actor}, {"wall_time", &e.wall_time}, {"boot_id", &e.boot_id},
                               {"prev_hash", &e.prev_hash}, {"hash", &e.hash}}) {
      if (!HasNul(*field)) continue;
      fields += fields.empty() ? name : std::string(", ") + name;
      *field = EscapeNul(*field);
    }
    if (!already)
      malformed.emplace_back(i, "its " + fields +
                                    " contains a NUL character (\\u0000), which the central can't store; the NUL is "
                                    "kept as the text \\u0000");
  }
  for (; m < batch.malformed.size(); ++m) malformed.push_back(batch.malformed[m]);
  out.malformed = std::move(malformed);
  return std::optional<sync::Batch>(std::move(out));
}

}  // namespace

Result<std::optional<int64_t>> Central::DuplicateOfAcknowledged(CentralStore& store, const KioskRecord& kiosk,
                                                                 const Event& e) {
  // A kiosk recovered from an older backup logs its own divergent events again, each with a
  // "replaces" link (kiosk/core/recovery.hpp). The replaced event never reached the central (it
  // would have been refused as journal.fork), so the new one counts. Should the central hold the
  // replaced event all the same (a kiosk that re-logs an acknowledged event), it counts once.
  auto replaces = ReadReplaces(e.payload);
  if (!replaces || replaces->seq <= 0 || replaces->seq > kiosk.acked_through) return std::optional<int64_t>();
  auto held = store.GetEvent(kiosk.kiosk_id, replaces->seq);
  if (!held.ok()) return held.error();
  if (*held && (*held)->event.hash == replaces->hash) return std::optional<int64_t>(replaces->seq);
  return std::optional<int64_t>();
}

Result<sync::BatchResponse> Central::IngestLocked(CentralStore& store, const sync::Batch& batch,
                                                  const std::string& via, const std::string* nonce,
                                                  const Prepared* prepared) {
  auto cleaned = QuarantineNuls(batch);
  if (!cleaned.ok()) return cleaned.error();
  const sync::Batch& b = *cleaned ? **cleaned : batch;
  return RetryConflicts([&] { return IngestOnce(store, b, via, nonce, prepared); });
}

// The batch in one transaction and a fixed number of store calls: lock the kiosk's row, the events
// already stored (a resend) and the boots' clock offsets in one read each, every new event in one
// insert (a reused event id comes back as not inserted, and its quarantine copy goes in a second),
// the rows the rules will read in one LoadFacts, the rules in memory, and all their writes in one
// SaveBatch. The answer is made only after the commit.
Result<sync::BatchResponse> Central::IngestOnce(CentralStore& store, const sync::Batch& batch,
                                                const std::string& via, const std::string* nonce,
                                                const Prepared* prepared) {
  const int64_t now = NowMs();
  const std::string now_utc = FormatUtcMs(now);
  StoreTransaction tx(store);
  KIOSK_TRY(tx.Begin());
  // Over HTTP the request's nonce is remembered with the lock (one round trip on PostgreSQL); it
  // is kept only if the batch is stored, as before.
  bool fresh_nonce = true;
  auto kiosk_found = nonce ? store.LockKioskAndRememberNonce(batch.kiosk_id, *nonce, now, fresh_nonce)
                           : store.LockKiosk(batch.kiosk_id);
  if (!kiosk_found.ok()) return kiosk_found.error();
  if (!*kiosk_found)
    return MakeError(ErrorKind::Refused, "kiosk.not_enrolled",
                     "Kiosk " + batch.kiosk_id + " is not enrolled with this central; its events can't be verified.");
  KioskRecord kiosk = **kiosk_found;
  auto key = KeyFromHex(kiosk.key_hex);
  if (!key.ok()) return key.error();
  if (batch.from_seq > kiosk.acked_through + 1)
    return MakeError(ErrorKind::Refused, "batch.gap",
                     "The central holds kiosk " + batch.kiosk_id + "'s events through seq " +
                         std::to_string(kiosk.acked_through) + "; this batch starts at " +
                         std::to_string(batch.from_seq) + ". Send from seq " + std::to_string(kiosk.acked_through + 1) +
                         " first.");

  if (nonce) {
    if (!fresh_nonce)
      return MakeError(ErrorKind::Refused, "auth.replayed",
                       "This exact request was already received (its nonce was used): a replay. Nothing was stored.");
  }
  // The request was checked against the key the kiosk had then; it was enrolled again since.
  if (prepared && prepared->key_hex != kiosk.key_hex)
    return MakeError(ErrorKind::Refused, "auth.bad_signature",
                     "Kiosk " + batch.kiosk_id + " was enrolled again with a new key while this request was on its "
                     "way; it was signed with the old one. Nothing was stored.");
  if (prepared && prepared->hmac_ok.size() != batch.events.size()) prepared = nullptr;

  BatchSave save;
  BatchFacts facts(store);
  save.facts = &facts;

  // Clock: over HTTP the batch is made just before sending, so the central's receive time minus
  // the kiosk's monotonic clock gives that boot's offset. The other boots' offsets in one read.
  std::map<std::string, std::optional<int64_t>> boot_offsets;
  if (via == "http" && !batch.boot_id.empty()) {
    const int64_t offset = now - batch.mono_ms;
    boot_offsets[batch.boot_id] = offset;
    save.boots.emplace_back(batch.boot_id, offset);
  }
  {
    std::set<std::string> unknown;
    for (const Event& e : batch.events)
      if (e.seq > kiosk.acked_through && !boot_offsets.count(e.boot_id)) unknown.insert(e.boot_id);
    if (!unknown.empty()) {
      auto known = store.GetBootOffsets(batch.kiosk_id, unknown);
      if (!known.ok()) return known.error();
      for (const std::string& b : unknown) {
        auto it = known->find(b);
        boot_offsets[b] = it == known->end() ? std::nullopt : std::optional<int64_t>(it->second);
      }
    }
  }

  // A resend: what the central stored of these seqs, in one read.
  std::map<int64_t, StoredEvent> already;
  if (!batch.events.empty() && batch.events.front().seq <= kiosk.acked_through) {
    auto stored = store.GetEvents(batch.kiosk_id, batch.events.front().seq,
                                    std::min(batch.events.back().seq, kiosk.acked_through));
    if (!stored.ok()) return stored.error();
    for (StoredEvent& s : *stored) already.emplace(s.event.seq, std::move(s));
  }

  // Each new event as it will be stored, unless quarantine must change its kiosk or id (`altered`).
  struct Pending {
    size_t index = 0;
    Reception reception;
    std::optional<Event> altered;
    bool apply_rules = false;
    bool skewed = false;
    const Event& Stored(const Event& e) const { return altered ? *altered : e; }
  };
  std::vector<Pending> pending;
  pending.reserve(batch.events.size());
  std::vector<std::optional<sync::Verdict>> verdicts(batch.events.size());
  EventHasher hasher(*key);
  bool clock_flagged = false;

  size_t malformed_i = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    const bool malformed = malformed_i < batch.malformed.size() && batch.malformed[malformed_i].first == i;
    if (e.seq <= kiosk.acked_through) {
      if (malformed) ++malformed_i;
      auto stored = already.find(e.seq);
      if (stored == already.end())
        return MakeError(ErrorKind::Integrity, "central.missing_event",
                         "The central acknowledged seq " + std::to_string(e.seq) + " of " + batch.kiosk_id +
                             " but no longer has it; restore the central's database.");
      if (stored->second.event.hash != e.hash) {
        tx.Rollback();
        const std::string msg = "Seq " + std::to_string(e.seq) + " of kiosk " + batch.kiosk_id +
                                " was acknowledged with hash " + stored->second.event.hash.substr(0, 16) +
                                "…, but this batch carries " + e.hash.substr(0, 16) +
                                "…: the kiosk's journal was rewritten after the central acknowledged it (tampering, or "
                                "a restored backup). Nothing of this batch was stored; an admin must investigate.";
        StoreTransaction flag_tx(store);
        if (flag_tx.Begin().ok() && store.AddFlag({batch.kiosk_id, e.seq, "journal.fork", msg, now_utc}).ok())
          (void)flag_tx.Commit();
        return MakeError(ErrorKind::Integrity, "journal.fork", msg);
      }
      verdicts[i] = stored->second.verdict;
      continue;
    }
    Pending& p = pending.emplace_back();
    p.index = i;
    Reception& s = p.reception;
    s.received_at = now_utc;
    s.via = via;
    s.verdict.seq = e.seq;
    s.verdict.event_id = e.event_id;
    auto seq_text = [&] { return "Seq " + std::to_string(e.seq); };
    if (e.prev_hash != kiosk.head_hash && !malformed)
      return MakeError(ErrorKind::Integrity, "journal.broken_chain",
                       seq_text() + " of kiosk " + batch.kiosk_id +
                           " does not follow the previous event (its prev_hash does not match): events were inserted, "
                           "deleted or reordered in the kiosk's journal. Nothing of this batch from seq " +
                           std::to_string(e.seq) + " on was stored; run `kiosk verify` on the kiosk.");
    auto quarantine = [&](const char* code, std::string message) {
      s.verdict.verdict = sync::VerdictKind::Rejected;
      s.verdict.code = code;
      s.verdict.message = std::move(message);
      (void)facts.AddFlag({batch.kiosk_id, e.seq, code, s.verdict.message, now_utc});
    };
    if (malformed) {
      quarantine("event.malformed", seq_text() + " could not be read (" + batch.malformed[malformed_i].second +
                                        "); it is kept in quarantine and changed nothing at the central.");
      ++malformed_i;
      Event& q = p.altered.emplace(e);
      if (q.event_id.empty()) q.event_id = "quarantine/" + batch.kiosk_id + "/" + std::to_string(e.seq);
      q.kiosk_id = batch.kiosk_id;
    } else if (e.kiosk_id != batch.kiosk_id) {
      quarantine("event.wrong_kiosk",
                 seq_text() + " claims to come from kiosk " + e.kiosk_id + "; it is kept in quarantine and changed nothing.");
    } else if (prepared ? !prepared->hmac_ok[i] : !crypto::ConstantTimeEqual(hasher.Hash(e), e.hash)) {
      quarantine("event.tampered", seq_text() + " (" + e.type +
                                       ") does not match its signature: it was altered after it was logged. It is kept in "
                                       "quarantine and changed nothing.");
    } else if (auto dup = DuplicateOfAcknowledged(store, kiosk, e); !dup.ok()) {
      return dup.error();
    } else if (*dup) {
      quarantine("event.duplicate",
                 seq_text() + " (" + e.type + ") is logged again in place of seq " + std::to_string(**dup) +
                     ", which the central already holds with that very hash: the action counts once, here it "
                     "changed nothing.");
    } else {
      p.apply_rules = true;
      // Clock check: where the central knows this boot's offset, it can date the event itself.
      const std::optional<int64_t>& offset = boot_offsets[e.boot_id];
      auto wall = ParseUtcMs(e.wall_time);
      if (offset && wall) {
        const int64_t est = *offset + e.mono_ms;
        s.est_time = FormatUtcMs(est);
        s.skew_ms = *wall - est;
        p.skewed = s.skew_ms > sync::kClockFlagMs || -s.skew_ms > sync::kClockFlagMs;
        if (p.skewed && !clock_flagged) {
          clock_flagged = true;
          (void)facts.AddFlag({batch.kiosk_id, e.seq, "clock.skewed",
                               "Kiosk clock " + std::to_string(s.skew_ms / 60000) + " minutes off", now_utc});
        }
      }
    }
    RemarkClock(p.skewed, s, s.verdict);
    kiosk.acked_through = e.seq;
    kiosk.head_hash = e.hash;
  }

  // Event ids are unique across all kiosks, and the insert is what finds out: a reused id (of an
  // earlier batch, another kiosk or this very batch) stores nothing, and the event is then kept
  // in quarantine under an id of its own, without its rules. One already in quarantine keeps the
  // reason it has.
  if (!pending.empty()) {
    std::vector<EventInsert> rows;
    rows.reserve(pending.size());
    for (const Pending& p : pending) rows.push_back({&p.Stored(batch.events[p.index]), &p.reception});
    auto inserted = store.InsertEvents(rows);
    if (!inserted.ok()) return inserted.error();
    std::vector<EventInsert> again;
    std::vector<Pending*> again_of;
    for (size_t n = 0; n < pending.size(); ++n) {
      if ((*inserted)[n]) continue;
      Pending& p = pending[n];
      const Event& e = batch.events[p.index];
      if (p.apply_rules) {
        p.reception.verdict.verdict = sync::VerdictKind::Rejected;
        p.reception.verdict.code = "event.duplicate_id";
        p.reception.verdict.message = "Seq " + std::to_string(e.seq) + " reuses event id " + e.event_id +
                                      " of another event; it is kept in quarantine.";
        RemarkClock(p.skewed, p.reception, p.reception.verdict);
        (void)facts.AddFlag({batch.kiosk_id, e.seq, "event.duplicate_id", p.reception.verdict.message, now_utc});
      }
      p.apply_rules = false;
      const std::string id = p.Stored(e).event_id;
      if (!p.altered) p.altered.emplace(e);
      p.altered->event_id = id + "/dup/" + batch.kiosk_id + "/" + std::to_string(e.seq);
      again.push_back({&*p.altered, &p.reception});
      again_of.push_back(&p);
    }
    if (!again.empty()) {
      auto second = store.InsertEvents(again);
      if (!second.ok()) return second.error();
      for (size_t n = 0; n < again.size(); ++n)
        if (!(*second)[n]) {
          const Event& e = batch.events[again_of[n]->index];
          return MakeError(ErrorKind::Integrity, "central.duplicate_id",
                           "Seq " + std::to_string(e.seq) + " of kiosk " + batch.kiosk_id + " reuses event id " +
                               e.event_id +
                               ", and the central already holds its quarantine id too; restore the central's database.");
        }
    }
  }

  // The rules: every row they will read in one load, then each event in seq order in memory. The
  // events are stored already; nearly every verdict is a plain accept, as stored.
  // Each payload is read once: by Prepare before the lock (HTTP), else here for both the key
  // collection and the rules (a stick import, bench-ingest).
  std::vector<PayloadFacts> read_here;
  if (!prepared) {
    read_here.resize(batch.events.size());
    for (const Pending& p : pending)
      if (p.apply_rules) read_here[p.index] = ReadPayload(batch.events[p.index]);
  }
  const auto facts_of = [&](size_t index) { return prepared ? &prepared->facts[index] : &read_here[index]; };
  RuleKeys keys;
  keys.kiosk_id = batch.kiosk_id;
  for (const Pending& p : pending)
    if (p.apply_rules) CollectRuleKeys(batch.events[p.index], facts_of(p.index), keys);
  if (!keys.partners.empty() || !keys.asset_tags.empty() || !keys.units.empty() || !keys.deals.empty() ||
      !keys.rewards.empty())
    KIOSK_TRY(store.LoadFacts(keys, facts));
  // The version is handed out at the end (SetVersion), in commit order.
  RuleContext rules{facts, batch.kiosk_id, now_utc, 0};
  if (!keys.deals.empty()) {  // the vendor's deal policy, read only by a batch that registers deals
    auto policy = store.GetMeta(kDealPolicyMeta);
    if (!policy.ok()) return policy.error();
    if (*policy) rules.deal_policy = kiosk::rules::DealPolicyFromJson(**policy);
  }
  for (Pending& p : pending) {
    const Event& e = batch.events[p.index];
    if (p.apply_rules) {
      auto v = ApplyRules(rules, e, facts_of(p.index));
      if (!v.ok()) return v.error();
      if (!sync::IsPlainAccept(*v)) {
        p.reception.verdict = std::move(*v);
        p.reception.verdict.seq = e.seq;
        p.reception.verdict.event_id = e.event_id;
        RemarkClock(p.skewed, p.reception, p.reception.verdict);
        save.verdicts.push_back(p.reception.verdict);
      }
    }
    verdicts[p.index] = std::move(p.reception.verdict);
  }
  if (facts.NeedsVersion()) {
    auto version = store.TakeReferenceVersion();
    if (!version.ok()) return version.error();
    facts.SetVersion(*version);
    // Kiosks' quota estimates (the channel's open orders, reference.cpp) are due again.
    if (!facts.orders.empty()) KIOSK_TRY(store.SetMeta("orders_version", std::to_string(*version)));
    // Kiosks' allocations (what is left of the shared reward stock, reference.cpp) are due again.
    if (!facts.stock_written.empty()) KIOSK_TRY(store.SetMeta("stock_version", std::to_string(*version)));
  }
  kiosk.last_seen = now_utc;
  save.kiosk = kiosk;
  if (nonce && (now / 1000) % 60 == 0) save.forget_nonces_before_ms = now - 2 * sync::kRequestWindowMs;
  KIOSK_TRY(store.SaveBatch(save));
  KIOSK_TRY(tx.Commit());

  sync::BatchResponse response;
  response.verdicts.reserve(batch.events.size());
  for (auto& v : verdicts) response.verdicts.push_back(std::move(*v));
  response.acked_through = kiosk.acked_through;
  response.head_hash = kiosk.head_hash;
  response.anchor = MakeAnchor(batch.kiosk_id, kiosk.acked_through, kiosk.head_hash);
  response.server_time_ms = now;
  return response;
}

// A skewed clock is remarked on unless the verdict has something of its own to say.
void Central::RemarkClock(bool skewed, const Reception& s, sync::Verdict& v) {
  if (!skewed) return;
  v.detail["clock_skew_ms"] = s.skew_ms;
  v.detail["central_time"] = s.est_time;
  if (v.code.empty()) {
    v.code = "clock.skewed";
    v.message = "The kiosk's clock was " + std::to_string(s.skew_ms / 60000) +
                " minutes off when this was logged; the central dates it " + s.est_time + ".";
  }
}

}  // namespace kiosk::central
