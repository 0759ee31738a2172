// SyncEngine: one exchange with the central. The kiosk's bookkeeping lives in sync_state
// (acked_through, anchor, central_url, central_public_key, last_sync, last_error) and in
// verdicts, always written in one transaction with what it describes.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <random>

#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/client.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"

namespace kiosk::sync {

using nlohmann::json;

namespace {

int64_t NowMs(const Clock& c) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(c.Now().time_since_epoch()).count();
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}


}  // namespace

const char* ToString(SyncPhase p) {
  switch (p) {
    case SyncPhase::Idle: return "idle";
    case SyncPhase::Enrolling: return "enrolling";
    case SyncPhase::Pushing: return "pushing";
    case SyncPhase::Pulling: return "pulling";
    case SyncPhase::Waiting: return "waiting";
    case SyncPhase::NotEnrolled: return "not_enrolled";
    case SyncPhase::Stopped: return "stopped";
  }
  return "idle";
}

SyncEngine::SyncEngine(Kiosk& kiosk, platform::HttpClient& http, EngineOptions options)
    : m_kiosk(kiosk), m_http(http), m_options(std::move(options)), m_batch_events(m_options.initial_batch_events) {
  // The sync connection (SyncService and the CLI open their own Kiosk for it) reads the journal
  // once, front to back: memory-mapping it would only keep up to 64 MB of file pages resident in
  // the kiosk process. The UI's connection keeps its mapping for lookups.
  (void)m_kiosk.Database().ExecScript("PRAGMA mmap_size=0;");
}

std::string SyncEngine::State(const std::string& key, const std::string& def) {
  auto v = m_kiosk.Database().ScalarText("SELECT value FROM sync_state WHERE key = ?", key);
  return v.ok() && *v ? **v : def;
}

Status SyncEngine::SetState(const std::string& key, const std::string& value) {
  return m_kiosk.Database().Run(
      "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key,
      value);
}

int64_t SyncEngine::AckedThrough() { return std::strtoll(State("acked_through", "0").c_str(), nullptr, 10); }

void SyncEngine::RecordError(const Error& e) {
  (void)SetState("last_error", e.message + " [" + e.code + "]");
  // The reason's key and values too, so the admin screen can say it in the kiosk's language.
  json args = json::object();
  for (const auto& [name, value] : e.args) args[name] = value;
  (void)SetState("last_error_key", ReasonKey(e));
  (void)SetState("last_error_args", args.dump());
  (void)SetState("last_error_at", FormatUtc(m_kiosk.GetClock().Now()));
}

bool SyncEngine::Enrolled() { return !State("central_public_key").empty(); }

Result<JournalKey> SyncEngine::Key() {
  if (!m_key) {
    auto k = LoadKeyFile(m_kiosk.Paths().Key().string());
    if (!k.ok()) return k.error();
    m_key = *k;
  }
  return *m_key;
}

std::string SyncEngine::Url() {
  return TrimSlash(m_options.central_url.empty() ? State("central_url") : m_options.central_url);
}

std::string SyncEngine::CaFile() { return m_options.ca_file.empty() ? State("central_ca_file") : m_options.ca_file; }

Error SyncEngine::ErrorFrom(const platform::HttpResponse& r, json* extra) {
  json j = json::parse(r.body, nullptr, false);
  std::string code = "central.http_" + std::to_string(r.status);
  std::string message = "The central answered HTTP " + std::to_string(r.status) + ".";
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    code = j["error"].value("code", code);
    message = "The central refused: " + j["error"].value("message", message);
    if (extra) *extra = j["error"];
  }
  ErrorKind kind = ErrorKind::Refused;
  if (r.status >= 500 || r.status == 429 || r.status == 408) kind = ErrorKind::Network;
  else if (code == "journal.fork" || code == "journal.broken_chain") kind = ErrorKind::Integrity;
  if (r.status >= 500 || r.status == 429) {
    const std::string ra = r.Header("retry-after");
    m_retry_after_ms = ra.empty() ? 0 : std::strtoll(ra.c_str(), nullptr, 10) * 1000;
  }
  return MakeError(kind, code, message);
}

Result<platform::HttpRequest> SyncEngine::SignedRequest(const std::string& method, const std::string& path,
                                                        std::string body) {
  auto key = Key();
  if (!key.ok()) return key.error();
  platform::HttpRequest req;
  req.method = method;
  req.url = Url() + path;
  req.ca_file = CaFile();
  req.timeout_ms = m_options.request_timeout_ms;
  const Clock& clock = m_kiosk.GetClock();
  SignedHeaders h = SignRequest(*key, method, path, m_kiosk.KioskId(), NowMs(clock) + m_time_offset_ms, body);
  req.body = std::move(body);
  req.headers = {{kHeaderKioskId, h.kiosk_id},
                 {kHeaderTime, std::to_string(h.time_ms)},
                 {kHeaderNonce, h.nonce},
                 {kHeaderSignature, h.signature}};
  return req;
}

Result<platform::HttpResponse> SyncEngine::Signed(const std::string& method, const std::string& path,
                                                  const std::string& body) {
  auto req = SignedRequest(method, path, body);
  if (!req.ok()) return req.error();
  return m_http.Send(*req);
}

// ---- Enrolment --------------------------------------------------------------------------------

Status SyncEngine::Enrol(const std::string& central_url, const std::string& code) {
  const std::string normalized = NormalizeEnrolCode(code);
  if (normalized.empty())
    return MakeError(ErrorKind::Usage, "enrol.code_format",
                     "That is not an enrolment code: it has 20 letters and digits, like ABCDE-FGHJK-MNPQR-STVWX. "
                     "Copy it again from `kiosk-central enroll " + m_kiosk.KioskId() + "`.",
                     {{"kiosk", m_kiosk.KioskId()}});
  if (central_url.rfind("http://", 0) != 0 && central_url.rfind("https://", 0) != 0)
    return MakeError(ErrorKind::Usage, "enrol.url",
                     "The central's address must start with http:// or https://, e.g. https://central.example:8443");
  auto key = Key();
  if (!key.ok()) return key.error();
  const std::string kiosk_id = m_kiosk.KioskId();
  const std::string secret = DeriveEnrolSecret(normalized, kiosk_id);
  const SealedKey sealed = SealJournalKey(secret, kiosk_id, *key);
  json body{{"kiosk_id", kiosk_id}, {"sealed_key", {{"iv", sealed.iv}, {"ct", sealed.ct}, {"tag", sealed.tag}}}};
  platform::HttpRequest req;
  req.method = "POST";
  req.url = TrimSlash(central_url) + "/v1/enroll";
  req.ca_file = m_options.ca_file;
  req.body = body.dump();
  req.timeout_ms = m_options.request_timeout_ms;
  auto res = m_http.Send(req);
  if (!res.ok()) return res.error();
  if (res->status != 200) return ErrorFrom(*res);
  json j = json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorKind::Network, "enrol.response", "The central's answer to the enrolment is not JSON.");
  const std::string pub = j.value("central_public_key", "");
  if (!crypto::ConstantTimeEqual(j.value("confirm", ""), EnrolConfirmation(secret, kiosk_id, pub)) || pub.size() != 64)
    return MakeError(ErrorKind::Integrity, "enrol.unconfirmed",
                     "The answer did not prove knowledge of the enrolment code: it does not come from the central "
                     "that issued the code (wrong address, or someone in between). Nothing was changed.");
  storage::Db& db = m_kiosk.Database();
  storage::Transaction tx(db);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(SetState("central_url", TrimSlash(central_url)));
  // Later rounds (the touchscreen's sync thread, `kiosk sync`) verify the central with the same CA.
  if (!m_options.ca_file.empty()) {
    std::error_code ec;
    const auto ca = std::filesystem::absolute(m_options.ca_file, ec);
    KIOSK_TRY(SetState("central_ca_file", ec ? m_options.ca_file : ca.string()));
  }
  KIOSK_TRY(SetState("central_public_key", pub));
  KIOSK_TRY(SetState("enrolled_at", FormatUtc(m_kiosk.GetClock().Now())));
  KIOSK_TRY(SetState("acked_through", std::to_string(j.value("acked_through", int64_t{0}))));
  KIOSK_TRY(SetState("last_error", ""));
  KIOSK_TRY(tx.Commit());
  return {};
}

// ---- Push -------------------------------------------------------------------------------------

Result<std::vector<Event>> SyncEngine::ReadPending(int64_t after_seq, int max_events, size_t max_bytes) {
  std::vector<Event> out;
  size_t bytes = 400;
  storage::Db& db = m_kiosk.Database();
  auto st = db.Prepare(std::string("SELECT ") + storage::kJournalEventColumns +
                       " FROM journal WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!st.ok()) return st.error();
  storage::Query q(**st);
  q->Bind(1, after_seq).Bind(2, int64_t{max_events});
  for (;;) {
    auto row = q->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    Event e;
    storage::FillEvent(*q, e);
    const size_t size = SerializedEventSize(e);
    if (!out.empty() && bytes + size > max_bytes) break;
    bytes += size;
    out.push_back(std::move(e));
  }
  return out;
}

Status SyncEngine::StoreVerdicts(const std::vector<Verdict>& verdicts, int64_t& rejected, int64_t& adjusted) {
  storage::Db& db = m_kiosk.Database();
  const std::string now = FormatUtc(m_kiosk.GetClock().Now());
  auto plain = [](const Verdict& v) {
    return v.verdict == VerdictKind::Accepted && v.code.empty() && v.message.empty() && v.detail.empty();
  };
  auto store_one = [&](const Verdict& v) -> Status {
    if (v.verdict == VerdictKind::Rejected) ++rejected;
    if (v.verdict == VerdictKind::Adjusted) ++adjusted;
    // A verdict seen again (a resend) keeps its `shown` flag.
    return db.Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, detail, received_at) VALUES "
                  "(?,?,?,?,?,?,?) ON CONFLICT(seq) DO UPDATE SET verdict = excluded.verdict, code = excluded.code, "
                  "message = excluded.message, detail = excluded.detail",
                  v.seq, v.event_id, ToString(v.verdict), v.code, v.message,
                  v.detail.empty() ? std::string("{}") : v.detail.dump(), now);
  };
  for (size_t i = 0; i < verdicts.size();) {
    // Most of an acknowledgement is a run of plain accepts of consecutive seqs: one statement
    // stores the run, taking the event ids from the journal (the anchor already tied the
    // central's history to ours). Anything else, or a run the journal no longer holds whole
    // (pruned), is stored row by row.
    size_t end = i + 1;
    if (plain(verdicts[i]))
      while (end < verdicts.size() && plain(verdicts[end]) && verdicts[end].seq == verdicts[end - 1].seq + 1) ++end;
    if (end - i >= 8) {
      KIOSK_TRY(db.Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, detail, received_at) "
                       "SELECT seq, event_id, 'accepted', '', '', '{}', ? FROM journal WHERE seq BETWEEN ? AND ? "
                       "ON CONFLICT(seq) DO UPDATE SET verdict = excluded.verdict, code = '', message = '', "
                       "detail = '{}'",
                       now, verdicts[i].seq, verdicts[end - 1].seq));
      if (db.Changes() != static_cast<int64_t>(end - i))
        for (size_t k = i; k < end; ++k) KIOSK_TRY(store_one(verdicts[k]));
    } else {
      for (size_t k = i; k < end; ++k) KIOSK_TRY(store_one(verdicts[k]));
    }
    i = end;
  }
  return {};
}

Status SyncEngine::StoreAck(const BatchResponse& r, int64_t& rejected, int64_t& adjusted) {
  // The anchor must be the central's and name our own hash at that seq: otherwise the central
  // (or someone in between) holds a different history than ours.
  const std::string pub = State("central_public_key");
  if (!VerifySigned(pub, AnchorSigningString(r.anchor), r.anchor.signature) || r.anchor.seq != r.acked_through ||
      r.anchor.kiosk_id != m_kiosk.KioskId())
    return MakeError(ErrorKind::Integrity, "anchor.bad_signature",
                     "The central's acknowledgement is not signed by the central this kiosk enrolled with. Nothing "
                     "was marked as delivered; check the central's address (kiosk enroll) and the network.");
  storage::Db& db = m_kiosk.Database();
  if (r.acked_through > 0) {
    auto local = db.ScalarText("SELECT hash FROM journal WHERE seq = ?", r.acked_through);
    if (!local.ok()) return local.error();
    if (*local && **local != r.anchor.hash)
      return MakeError(ErrorKind::Integrity, "anchor.mismatch",
                       "The central acknowledged seq " + std::to_string(r.acked_through) +
                           " with a hash that differs from this kiosk's journal: the two histories have diverged. Run "
                           "`kiosk verify` and tell the central's admin.",
                       {{"seq", std::to_string(r.acked_through)}});
  }
  storage::Transaction tx(db);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(StoreVerdicts(r.verdicts, rejected, adjusted));
  if (r.acked_through > AckedThrough()) KIOSK_TRY(SetState("acked_through", std::to_string(r.acked_through)));
  KIOSK_TRY(SetState("anchor", ToJson(r.anchor).dump()));
  KIOSK_TRY(SetState("last_sync", FormatUtc(m_kiosk.GetClock().Now())));
  KIOSK_TRY(SetState("last_error", ""));
  return tx.Commit();
}

Result<SyncReport> SyncEngine::Push(const std::function<void(int64_t, int64_t)>& progress) {
  SyncReport report;
  m_retry_after_ms = 0;
  if (!Enrolled())
    return MakeError(ErrorKind::Refused, "sync.not_enrolled",
                     "This kiosk is not enrolled with a central, so it can't send its journal. Ask the central's admin "
                     "for a code (kiosk-central enroll " + m_kiosk.KioskId() +
                         ") and run: kiosk enroll --central URL --code CODE. Meanwhile `kiosk export --to DIR` writes "
                         "the journal to a USB stick.",
                     {{"kiosk", m_kiosk.KioskId()}});
  if (Url().empty())
    return MakeError(ErrorKind::Usage, "sync.no_url", "No central address: give --central URL.");
  const Clock& clock = m_kiosk.GetClock();
  int64_t acked = AckedThrough();
  auto head = m_kiosk.Database().ScalarInt("SELECT max(seq) FROM journal");
  if (!head.ok()) return head.error();
  const int64_t total = std::max<int64_t>(0, head->value_or(0) - acked);
  const int64_t start_acked = acked;
  int clock_retries = 0;
  // One request in flight at a time (the central needs batch N before N+1), but the kiosk's own
  // work overlaps the central's: the next batch is read, serialised and signed while the central
  // ingests this one, and this one's acknowledgement is stored while it ingests the next.
  struct Outgoing {
    int64_t from_seq = 0, to_seq = 0;
    size_t events = 0;
    platform::HttpRequest request;
  };
  auto prepare = [&](int64_t after) -> Result<std::optional<Outgoing>> {
    auto events = ReadPending(after, m_batch_events, kMaxBatchBytes);
    if (!events.ok()) return events.error();
    if (events->empty()) return std::optional<Outgoing>();
    Batch b = MakeBatch(m_kiosk.KioskId(), std::move(*events), clock);
    Outgoing out{b.from_seq, b.to_seq, b.events.size(), {}};
    auto req = SignedRequest("POST", "/v1/batches", SerializeBatch(b));
    if (!req.ok()) return req.error();
    out.request = std::move(*req);
    return std::optional<Outgoing>(std::move(out));
  };
  auto send = [&](const Outgoing& o) {
    return std::async(std::launch::async, [this, &o] { return m_http.Send(o.request); });
  };
  std::optional<Outgoing> current;
  std::future<Result<platform::HttpResponse>> in_flight;
  std::chrono::steady_clock::time_point sent_at;
  for (;;) {
    if (!current) {
      auto first = prepare(acked);
      if (!first.ok()) return first.error();
      if (!*first) break;
      current = std::move(*first);
      sent_at = std::chrono::steady_clock::now();
      in_flight = send(*current);
    }
    // While the central works on `current`: the next batch, assuming `current` is acknowledged.
    const auto p0 = std::chrono::steady_clock::now();
    auto next = prepare(current->to_seq);
    const auto prepared_in = std::chrono::steady_clock::now() - p0;
    auto res = in_flight.get();
    const auto took = std::chrono::steady_clock::now() - sent_at;
    if (!next.ok()) return next.error();
    if (!res.ok()) {
      // A timeout on a big batch may be the batch's size: try smaller next time.
      if (res.error().code == "net.timeout") m_batch_events = std::max(1, m_batch_events / 2);
      return res.error();
    }
    if (res->status == 200) {
      auto r = ParseBatchResponse(res->body);
      if (!r.ok()) return r.error();
      Outgoing done = std::move(*current);
      current.reset();
      if (r->acked_through == done.to_seq && *next) {
        current = std::move(**next);
        sent_at = std::chrono::steady_clock::now();
        in_flight = send(*current);
      }
      const auto t1 = std::chrono::steady_clock::now();
      KIOSK_TRY(StoreAck(*r, report.rejected, report.adjusted));
      if (std::getenv("KIOSK_SYNC_TRACE"))
        std::fprintf(stderr, "batch %zu events: http %.1f ms, next prepared in %.1f ms, store ack %.1f ms\n",
                     done.events, std::chrono::duration<double, std::milli>(took).count(),
                     std::chrono::duration<double, std::milli>(prepared_in).count(),
                     std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
      ++report.batches;
      if (r->acked_through <= acked && r->acked_through < done.to_seq)
        return MakeError(ErrorKind::Network, "sync.no_progress",
                         "The central accepted the batch but acknowledged nothing new; will retry.");
      acked = std::max(acked, r->acked_through);
      // Grow while answers come back quickly and the batch was limited by count, not bytes.
      if (took < std::chrono::milliseconds(1500) && static_cast<int>(done.events) >= m_batch_events)
        m_batch_events = std::min(m_options.max_batch_events, m_batch_events * 2);
      if (progress) progress(acked - start_acked, total);
      continue;
    }
    // Any refusal: the prepared next batch is dropped, and the next round starts from `acked`.
    current.reset();
    json extra;
    Error e = ErrorFrom(*res, &extra);
    if (e.code == "batch.gap" && extra.contains("acked_through") && extra["acked_through"].is_number_integer()) {
      // The central has less than we thought (its database was restored): resend from there.
      const int64_t central = extra["acked_through"].get<int64_t>();
      if (central >= acked) return e;  // not a gap we can close
      acked = central;
      KIOSK_TRY(SetState("acked_through", std::to_string(acked)));
      continue;
    }
    if (e.code == "auth.clock" && extra.contains("server_time_ms") && clock_retries++ < 2) {
      // Sign with the central's time from now on; the events keep the device's own times.
      m_time_offset_ms = extra["server_time_ms"].get<int64_t>() - NowMs(clock);
      continue;
    }
    if ((res->status == 413 || e.code == "batch.too_large") && m_batch_events > 1) {
      m_batch_events = std::max(1, m_batch_events / 2);
      continue;
    }
    if (res->status >= 500) m_batch_events = std::max(16, m_batch_events / 2);
    return e;
  }
  report.pushed = acked - start_acked;
  report.acked_through = acked;
  auto now_head = m_kiosk.Database().ScalarInt("SELECT max(seq) FROM journal");
  report.pending = now_head.ok() ? std::max<int64_t>(0, now_head->value_or(0) - acked) : 0;
  return report;
}

// ---- Pull -------------------------------------------------------------------------------------

Result<SyncReport> SyncEngine::Pull() {
  SyncReport report;
  const int64_t version = std::strtoll(State("reference_version", "0").c_str(), nullptr, 10);
  auto max_verdict = m_kiosk.Database().ScalarInt("SELECT max(seq) FROM verdicts");
  if (!max_verdict.ok()) return max_verdict.error();
  const std::string path = "/v1/reference?since=" + std::to_string(version) +
                           "&verdicts_after=" + std::to_string(max_verdict->value_or(0));
  auto req = SignedRequest("GET", path, "");
  if (!req.ok()) return req.error();
  // The answer goes to a file in the data folder: a 100,000-device snapshot is ~20 MB of text
  // that need never be in memory (the kiosk parses it from the file).
  // Named per process: the touchscreen's sync thread and an admin's `kiosk sync` may pull at once.
  const std::filesystem::path download =
      m_kiosk.Paths().dir / ("reference." + std::to_string(::getpid()) + ".download");
  req->body_file = download.string();
  struct RemoveAfter {
    std::filesystem::path file;
    ~RemoveAfter() {
      std::error_code ec;
      std::filesystem::remove(file, ec);
    }
  } remove_after{download};
  auto res = m_http.Send(*req);
  if (!res.ok()) return res.error();
  if (res->status != 200) return ErrorFrom(*res);
  report.pulled = true;
  std::error_code ec;
  const bool in_file = res->body.empty() && std::filesystem::exists(download, ec);
  const uintmax_t size = in_file ? std::filesystem::file_size(download, ec) : res->body.size();
  if (size > kMaxBatchBytes) {
    // A big snapshot goes straight to the kiosk: parsing it here too would hold a second copy of
    // it in memory (nlohmann's tree is ~8x the text). Missed verdicts also come with every ack.
    auto loaded = in_file ? m_kiosk.LoadReferenceFile(download) : m_kiosk.LoadReference(res->body);
    if (!loaded.ok()) return loaded.error();
    report.reference_applied = true;
    report.reference_version = loaded->version;
    KIOSK_TRY(SetState("last_sync", FormatUtc(m_kiosk.GetClock().Now())));
    return report;
  }
  if (in_file) {
    std::ifstream in(download, std::ios::binary);
    res->body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  json j = json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorKind::Network, "reference.response", "The central's reference data is not JSON.");
  if (j.contains("verdicts") && j["verdicts"].is_array()) {
    std::vector<Verdict> verdicts;
    for (const json& v : j["verdicts"])
      if (auto parsed = VerdictFromJson(v); parsed.ok()) verdicts.push_back(*parsed);
    storage::Transaction tx(m_kiosk.Database());
    KIOSK_TRY(tx.Begin());
    KIOSK_TRY(StoreVerdicts(verdicts, report.rejected, report.adjusted));
    KIOSK_TRY(tx.Commit());
  }
  const bool full = j.value("full", false);
  const int64_t new_version = j.value("version", int64_t{0});
  report.reference_version = new_version;
  auto has_list = [&](const char* name) { return j.contains(name) && j[name].is_array() && !j[name].empty(); };
  const bool changes = full || new_version != version || has_list("deal_decisions") || has_list("partners") ||
                       has_list("devices") || has_list("balances");
  if (new_version == 0) {
    // The central has not published reference data yet: nothing to apply, nothing is fresh.
  } else if (changes) {
    j.erase("verdicts");
    auto loaded = m_kiosk.LoadReference(j.dump());
    if (!loaded.ok()) return loaded.error();
    report.reference_applied = true;
  } else {
    // Nothing new: the kiosk's data is still current as of now (stale-data guard).
    storage::Transaction tx(m_kiosk.Database());
    KIOSK_TRY(tx.Begin());
    KIOSK_TRY(SetState("last_fresh_at", std::to_string(NowMs(m_kiosk.GetClock()))));
    if (j.contains("covers_kiosk_seq") && j["covers_kiosk_seq"].is_number_integer())
      KIOSK_TRY(SetState("covers_kiosk_seq", std::to_string(j["covers_kiosk_seq"].get<int64_t>())));
    KIOSK_TRY(tx.Commit());
  }
  KIOSK_TRY(SetState("last_sync", FormatUtc(m_kiosk.GetClock().Now())));
  return report;
}

Result<SyncReport> SyncEngine::RunOnce(const std::function<void(int64_t, int64_t)>& progress) {
  auto pushed = Push(progress);
  if (!pushed.ok()) {
    RecordError(pushed.error());
    return pushed.error();
  }
  SyncReport report = *pushed;
  if (!m_options.pull || report.pending > 0) return report;  // pull only once the central has all of ours
  auto pulled = Pull();
  if (!pulled.ok()) {
    RecordError(pulled.error());
    return pulled.error();
  }
  report.pulled = true;
  report.reference_applied = pulled->reference_applied;
  report.reference_version = pulled->reference_version;
  report.rejected += pulled->rejected;
  report.adjusted += pulled->adjusted;
  if (pulled->reference_applied) {
    // Applying the data logged a reference.loaded event: deliver it too, so both sides end level.
    auto again = Push();
    if (!again.ok()) {
      RecordError(again.error());
      return again.error();
    }
    report.pushed += again->pushed;
    report.batches += again->batches;
    report.acked_through = again->acked_through;
    report.pending = again->pending;
  }
  return report;
}

// ---- Backoff ------------------------------------------------------------------------------------

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds min_delay,
                                       std::chrono::milliseconds max_delay, int64_t retry_after_ms) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int shift = std::min(attempt, 30);
  int64_t cap = min_delay.count();
  for (int i = 0; i < shift && cap < max_delay.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, max_delay.count());
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap, 0));
  int64_t d = dist(rng);
  d = std::max(d, std::min<int64_t>(retry_after_ms, max_delay.count()));
  return std::chrono::milliseconds(d);
}

}  // namespace kiosk::sync
