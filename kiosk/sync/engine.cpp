// SyncEngine: one exchange with the central. The kiosk's bookkeeping lives in sync_state
// (acked_through, verdicts_through, anchor, central_url, central_public_key, last_sync,
// last_error) and in verdicts, always written in one transaction with what it describes.
// Verdicts: a row for each one that says something (rejected, adjusted, or accepted with a
// remark such as clock.skewed); a plain acceptance is implied for every seq up to
// verdicts_through without a row.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <random>

#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/client.hpp"
#include "storage/sync_store.hpp"
#include "storage/verdicts.hpp"

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
    : m_kiosk(kiosk),
      m_store(kiosk.SyncStorage()),
      m_state(m_store.State()),
      m_http(http),
      m_options(std::move(options)),
      m_batch_events(m_options.initial_batch_events) {
  // The sync connection (SyncService and the CLI open their own Kiosk for it) reads the journal
  // once, front to back: memory-mapping it would only keep up to 64 MB of file pages resident in
  // the kiosk process. The UI's connection keeps its mapping for lookups.
  (void)m_store.ReadWithoutMmap();
}

std::string SyncEngine::State(const std::string& name, const std::string& def) {
  return m_store.StateNamed(name, def);
}

Status SyncEngine::SetState(const std::string& name, const std::string& value) {
  return m_store.SetStateNamed(name, value);
}

std::string SyncEngine::StoredCentralUrl() { return m_state.CentralUrl(); }

std::string SyncEngine::LastSync() { return m_state.LastSync(); }

int64_t SyncEngine::AckedThrough() { return m_state.AckedThrough(); }

int64_t SyncEngine::VerdictsThrough() {
  if (auto through = m_state.VerdictsThrough()) return *through;
  // A kiosk from before this key stored a row for every verdict, from seq 1 on, and writes the
  // key at its first verdicts since (or at enrolment).
  auto max = m_store.HighestVerdictSeq();
  return max.ok() ? *max : 0;
}

void SyncEngine::RecordError(const Error& e) {
  (void)m_state.SetLastError(e.message + " [" + e.code + "]");
  // The reason's key and values too, so the admin screen can say it in the kiosk's language.
  json args = json::object();
  for (const auto& [name, value] : e.args) args[name] = value;
  (void)m_state.SetLastErrorKey(ReasonKey(e));
  (void)m_state.SetLastErrorArgs(args.dump());
  (void)m_state.SetLastErrorAt(FormatUtc(m_kiosk.GetClock().Now()));
}

bool SyncEngine::Enrolled() { return !m_state.CentralPublicKey().empty(); }

Result<JournalKey> SyncEngine::Key() {
  if (!m_key) {
    auto k = LoadKeyFile(m_kiosk.Paths().Key().string());
    if (!k.ok()) return k.error();
    m_key = *k;
  }
  return *m_key;
}

std::string SyncEngine::Url() {
  return TrimSlash(m_options.central_url.empty() ? m_state.CentralUrl() : m_options.central_url);
}

std::string SyncEngine::CaFile() { return m_options.ca_file.empty() ? m_state.CentralCaFile() : m_options.ca_file; }

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
  return m_store.InTransaction([&]() -> Status {
    KIOSK_TRY(m_state.SetCentralUrl(TrimSlash(central_url)));
    // Later rounds (the touchscreen's sync thread, `kiosk sync`) verify the central with the same CA.
    if (!m_options.ca_file.empty()) {
      std::error_code ec;
      const auto ca = std::filesystem::absolute(m_options.ca_file, ec);
      KIOSK_TRY(m_state.SetCentralCaFile(ec ? m_options.ca_file : ca.string()));
    }
    KIOSK_TRY(m_state.SetCentralPublicKey(pub));
    KIOSK_TRY(m_state.SetEnrolledAt(FormatUtc(m_kiosk.GetClock().Now())));
    KIOSK_TRY(m_state.SetAckedThrough(j.value("acked_through", int64_t{0})));
    // From here on the mark is kept, never guessed from the rows (see VerdictsThrough).
    KIOSK_TRY(m_state.SetVerdictsThrough(VerdictsThrough()));
    return m_state.SetLastError("");
  });
}

// ---- Push -------------------------------------------------------------------------------------

Result<std::vector<Event>> SyncEngine::ReadPending(int64_t after_seq, int max_events, size_t max_bytes) {
  size_t bytes = 400;  // the batch's envelope
  bool first = true;   // a batch holds at least one event, however big
  return m_store.ReadBatch(after_seq, max_events, [&](const Event& e) {
        const size_t size = SerializedEventSize(e);
        if (!first && bytes + size > max_bytes) return false;
        first = false;
        bytes += size;
        return true;
      });
}

Status SyncEngine::StoreVerdicts(const std::vector<Verdict>& verdicts, int64_t& rejected, int64_t& adjusted) {
  const std::string now = FormatUtc(m_kiosk.GetClock().Now());
  int64_t through = VerdictsThrough();
  for (size_t i = 0; i < verdicts.size();) {
    // Most of an acknowledgement is a run of plain accepts of consecutive seqs: they are implied
    // (see the top of this file), so nothing is written for them but the removal of an older
    // verdict for the same seqs (from a central since restored from a backup), one range delete.
    size_t end = i + 1;
    const Verdict& v = verdicts[i];
    if (IsPlainAccept(v)) {
      while (end < verdicts.size() && IsPlainAccept(verdicts[end]) && verdicts[end].seq == verdicts[end - 1].seq + 1)
        ++end;
      KIOSK_TRY(m_store.ForgetVerdicts(v.seq, verdicts[end - 1].seq));
    } else {
      if (v.verdict == VerdictKind::Rejected) ++rejected;
      if (v.verdict == VerdictKind::Adjusted) ++adjusted;
      // A verdict seen again (a resend) keeps its `shown` flag.
      KIOSK_TRY(m_store.PutVerdict({v.seq, v.event_id, ToString(v.verdict), v.code, v.message, DetailText(v), now}));
    }
    // verdicts_through only moves over seqs whose verdicts are all known, one after another.
    if (v.seq <= through + 1 && verdicts[end - 1].seq > through) through = verdicts[end - 1].seq;
    i = end;
  }
  // Written with any verdicts, changed or not: once a row exists that does not start a run from
  // seq 1 (a verdict learnt out of order), the rows no longer tell how far the verdicts are known.
  if (!verdicts.empty()) KIOSK_TRY(m_state.SetVerdictsThrough(through));
  return {};
}

Status SyncEngine::CheckAck(const BatchResponse& r) {
  // The anchor must be the central's and name our own hash at that seq: otherwise the central
  // (or someone in between) holds a different history than ours.
  const std::string pub = m_state.CentralPublicKey();
  if (!VerifySigned(pub, AnchorSigningString(r.anchor), r.anchor.signature) || r.anchor.seq != r.acked_through ||
      r.anchor.kiosk_id != m_kiosk.KioskId())
    return MakeError(ErrorKind::Integrity, "anchor.bad_signature",
                     "The central's acknowledgement is not signed by the central this kiosk enrolled with. Nothing "
                     "was marked as delivered; check the central's address (kiosk enroll) and the network.");
  if (r.acked_through > 0) {
    auto local = m_store.JournalHashAt(r.acked_through);
    if (!local.ok()) return local.error();
    if (*local && **local != r.anchor.hash)
      return MakeError(ErrorKind::Integrity, "anchor.mismatch",
                       "The central acknowledged seq " + std::to_string(r.acked_through) +
                           " with a hash that differs from this kiosk's journal: the two histories have diverged. Run "
                           "`kiosk verify` and tell the central's admin.",
                       {{"seq", std::to_string(r.acked_through)}});
  }
  return {};
}

Status SyncEngine::WriteAck(const BatchResponse& r, int64_t& rejected, int64_t& adjusted,
                            std::optional<int64_t> through) {
  KIOSK_TRY(StoreVerdicts(r.verdicts, rejected, adjusted));
  const int64_t new_acked = through.value_or(r.acked_through);
  if (new_acked > AckedThrough()) KIOSK_TRY(m_state.SetAckedThrough(new_acked));
  KIOSK_TRY(m_state.SetAnchor(ToJson(r.anchor).dump()));
  KIOSK_TRY(m_state.SetLastSync(FormatUtc(m_kiosk.GetClock().Now())));
  // An acknowledgement whose anchor names our own hash (CheckAck) proves the journal in step with
  // the central's: a fork recorded meanwhile (a round that was on its way while an admin
  // recovered) is over.
  if (!m_state.JournalFork().empty()) KIOSK_TRY(m_state.SetJournalFork(""));
  return m_state.SetLastError("");
}

Status SyncEngine::StoreAck(const BatchResponse& r, int64_t& rejected, int64_t& adjusted,
                            std::optional<int64_t> through) {
  KIOSK_TRY(CheckAck(r));
  return m_store.InTransaction([&] { return WriteAck(r, rejected, adjusted, through); });
}

Result<SyncReport> SyncEngine::Push(const std::function<void(int64_t, int64_t)>& progress) {
  SyncReport report;
  m_retry_after_ms = 0;
  if (!Enrolled())
    return MakeError(ErrorKind::Refused, "sync.not_enrolled",
                     "This kiosk is not enrolled with a central, so it can't send its journal. Ask the central's admin "
                     "for a code (kiosk-central enroll " + m_kiosk.KioskId() +
                         ") and run: kiosk enroll --central URL --code CODE. Enrolment needs the network once; after "
                         "it, `kiosk export --to DIR` can carry the journal on a USB stick.",
                     {{"kiosk", m_kiosk.KioskId()}});
  if (Url().empty())
    return MakeError(ErrorKind::Usage, "sync.no_url", "No central address: give --central URL.");
  const Clock& clock = m_kiosk.GetClock();
  int64_t acked = AckedThrough();
  auto head = m_store.JournalLastSeq();
  if (!head.ok()) return head.error();
  const int64_t total = std::max<int64_t>(0, *head - acked);
  const int64_t start_acked = acked;
  int clock_retries = 0, race_retries = 0;
  // Several batches in flight: the central checks the later ones (signature, each event's HMAC,
  // each payload) while it stores the earlier one, and stores them in seq order. Meanwhile the
  // kiosk stores the acknowledgements that come back and reads, serialises and signs the next
  // batch. An answer that is not a full acknowledgement drops the batches after it: they are
  // prepared again from what is acknowledged, and the central answers a batch it already holds
  // with what it stored.
  const size_t in_flight = static_cast<size_t>(std::max(1, m_options.batches_in_flight));
  struct Outgoing {
    int64_t from_seq = 0, to_seq = 0;
    size_t events = 0;
    bool behind_another = false;  // sent while an earlier batch was still in flight
    platform::HttpRequest request;
    std::chrono::steady_clock::time_point sent_at;
    std::future<Result<platform::HttpResponse>> response;  // declared last: destroyed (joined) first
  };
  std::deque<Outgoing> flight;  // oldest first; a deque keeps each request where its sender reads it
  int64_t prepared_through = acked;
  bool all_prepared = false;
  auto drop_flight = [&] {
    for (Outgoing& o : flight)
      if (o.response.valid()) o.response.wait();
    flight.clear();
    prepared_through = acked;
    all_prepared = false;
  };
  struct DropOnExit {
    decltype(drop_flight)& drop;
    ~DropOnExit() { drop(); }
  } drop_on_exit{drop_flight};
  double prepare_ms = 0;
  auto fill = [&]() -> Status {
    while (!all_prepared && flight.size() < in_flight) {
      const auto p0 = std::chrono::steady_clock::now();
      auto events = ReadPending(prepared_through, m_batch_events, kMaxBatchBytes);
      if (!events.ok()) return events.error();
      if (events->empty()) {
        all_prepared = true;
        break;
      }
      Batch b = MakeBatch(m_kiosk.KioskId(), std::move(*events), clock);
      auto req = SignedRequest("POST", "/v1/batches", SerializeBatch(b));
      if (!req.ok()) return req.error();
      Outgoing& o = flight.emplace_back();
      o.from_seq = b.from_seq;
      o.to_seq = b.to_seq;
      o.events = b.events.size();
      o.behind_another = flight.size() > 1;
      o.request = std::move(*req);
      o.sent_at = std::chrono::steady_clock::now();
      o.response = std::async(std::launch::async, [this, &request = o.request] { return m_http.Send(request); });
      prepared_through = o.to_seq;
      prepare_ms = std::chrono::duration<double, std::milli>(o.sent_at - p0).count();
    }
    return {};
  };
  for (;;) {
    KIOSK_TRY(fill());
    if (flight.empty()) break;
    Outgoing& front = flight.front();
    auto res = front.response.get();
    const auto took = std::chrono::steady_clock::now() - front.sent_at;
    const int64_t from_seq = front.from_seq, to_seq = front.to_seq;
    const size_t events = front.events;
    const bool behind_another = front.behind_another;
    flight.pop_front();
    if (!res.ok()) {
      // A timeout on a big batch may be the batch's size: try smaller next time.
      if (res.error().code == "net.timeout") m_batch_events = std::max(1, m_batch_events / 2);
      return res.error();
    }
    if (res->status == 200) {
      auto r = ParseBatchResponse(res->body);
      if (!r.ok()) return r.error();
      // The answer holds verdicts for this batch's events only. Where the central holds more (a
      // resend after a lost answer, in smaller batches), the rest is resent too, to fetch their
      // verdicts: acknowledged here is this batch, not the central's whole high-water mark.
      const int64_t through = std::min(r->acked_through, to_seq);
      if (through != to_seq) drop_flight();  // the batches behind assume all of this one is stored
      // The next batch goes out before this acknowledgement is stored, so that the central has it
      // in hand when it finishes the one it is storing.
      else KIOSK_TRY(fill());
      const auto t1 = std::chrono::steady_clock::now();
      KIOSK_TRY(StoreAck(*r, report.rejected, report.adjusted, through));
      if (std::getenv("KIOSK_SYNC_TRACE"))
        std::fprintf(stderr, "batch %zu events: http %.1f ms, last prepared in %.1f ms, store ack %.1f ms\n", events,
                     std::chrono::duration<double, std::milli>(took).count(), prepare_ms,
                     std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
      ++report.batches;
      if (through <= acked && through < to_seq)
        return MakeError(ErrorKind::Network, "sync.no_progress",
                         "The central accepted the batch but acknowledged nothing new; will retry.");
      acked = std::max(acked, through);
      if (flight.empty() && prepared_through < acked) prepared_through = acked;
      // Grow while answers come back quickly and the batch was limited by count, not bytes.
      if (took < std::chrono::milliseconds(1500) && static_cast<int>(events) >= m_batch_events)
        m_batch_events = std::min(m_options.max_batch_events, m_batch_events * 2);
      if (progress) progress(acked - start_acked, total);
      continue;
    }
    // Any refusal: the batches behind it are dropped, and the next round starts from `acked`.
    drop_flight();
    json extra;
    Error e = ErrorFrom(*res, &extra);
    if (e.code == "batch.gap" && extra.contains("acked_through") && extra["acked_through"].is_number_integer()) {
      const int64_t central = extra["acked_through"].get<int64_t>();
      // Sent behind a batch that has since been acknowledged, it reached the central's check before
      // that batch was stored: send it again.
      if (behind_another && from_seq == acked + 1 && race_retries++ < 3) continue;
      // The central has less than we thought (its database was restored): resend from there.
      if (central >= acked) return e;  // not a gap we can close
      acked = central;
      prepared_through = acked;
      KIOSK_TRY(m_state.SetAckedThrough(acked));
      // Its verdicts from there on come again, and may differ.
      if (VerdictsThrough() > acked) KIOSK_TRY(m_state.SetVerdictsThrough(acked));
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
    if (e.code == "journal.fork") {
      // The central holds other events at seqs it acknowledged: this journal was restored from an
      // older backup (or copied). Kept until `kiosk recover`, so that actions stop meanwhile.
      const int64_t central = extra.contains("acked_through") && extra["acked_through"].is_number_integer()
                                  ? extra["acked_through"].get<int64_t>()
                                  : 0;
      KIOSK_TRY(m_kiosk.NoteJournalFork(central, "sync"));
      return MakeError(ErrorKind::Integrity, "journal.fork",
                       e.message + " This kiosk stops logging actions until an admin runs Recover (Admin screen, or "
                                   "`kiosk recover`; README: Recovering).",
                       {{"central", std::to_string(central)}});
    }
    return e;
  }
  report.pushed = acked - start_acked;
  report.acked_through = acked;
  auto now_head = m_store.JournalLastSeq();
  report.pending = now_head.ok() ? std::max<int64_t>(0, *now_head - acked) : 0;
  return report;
}

// ---- Pull -------------------------------------------------------------------------------------

namespace {

// A pull that died with its process (power cut, kill) leaves its download behind: up to ~20 MB
// of the data folder for each. Removed once the process that named it is gone; a live one (the
// touchscreen's sync thread while an admin runs `kiosk sync`) keeps its file.
void RemoveDownloadsOfDeadProcesses(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kPrefix = "reference.", kSuffix = ".download";
    if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) || !name.ends_with(kSuffix))
      continue;
    const std::string digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or another user's to ask about
    std::error_code gone;
    std::filesystem::remove(entry.path(), gone);
  }
}

}  // namespace

Result<SyncReport> SyncEngine::Pull() {
  SyncReport report;
  RemoveDownloadsOfDeadProcesses(m_kiosk.Paths().dir);
  const int64_t version = m_state.ReferenceVersion();
  const std::string path = "/v1/reference?since=" + std::to_string(version) +
                           "&verdicts_after=" + std::to_string(VerdictsThrough());
  auto req = SignedRequest("GET", path, "");
  if (!req.ok()) return req.error();
  // The last document's ETag: when nothing changed the central answers 304 with no body.
  if (const std::string etag = m_state.ReferenceEtag(); !etag.empty()) req->headers.emplace_back("If-None-Match", etag);
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
  if (res->status == 304) {
    // Unchanged since the document of that ETag was handled: the kiosk's data is current now.
    report.pulled = true;
    report.reference_version = version;
    KIOSK_TRY(m_state.SetLastFreshAt(NowMs(m_kiosk.GetClock())));
    KIOSK_TRY(m_state.SetLastSync(FormatUtc(m_kiosk.GetClock().Now())));
    return report;
  }
  if (res->status != 200) return ErrorFrom(*res);
  report.pulled = true;
  const std::string etag = res->Header("etag");
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
    KIOSK_TRY(m_state.SetLastSync(FormatUtc(m_kiosk.GetClock().Now())));
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
    KIOSK_TRY(m_store.InTransaction([&] { return StoreVerdicts(verdicts, report.rejected, report.adjusted); }));
  }
  const bool full = j.value("full", false);
  const int64_t new_version = j.value("version", int64_t{0});
  report.reference_version = new_version;
  auto has_list = [&](const char* name) { return j.contains(name) && j[name].is_array() && !j[name].empty(); };
  const bool changes = full || new_version != version || has_list("deal_decisions") || has_list("order_states") ||
                       has_list("custody_conflicts") ||
                       j.contains("open_orders") || has_list("partners") ||
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
    KIOSK_TRY(m_store.InTransaction([&]() -> Status {
      KIOSK_TRY(m_state.SetLastFreshAt(NowMs(m_kiosk.GetClock())));
      if (j.contains("covers_kiosk_seq") && j["covers_kiosk_seq"].is_number_integer()) {
        KIOSK_TRY(m_state.SetCoversKioskSeq(j["covers_kiosk_seq"].get<int64_t>()));
        // Beyond our head: the journal is behind the central's (kiosk/core/recovery.hpp).
        KIOSK_TRY(m_kiosk.NoteCentralHead(j["covers_kiosk_seq"].get<int64_t>(), "reference"));
      }
      return {};
    }));
  }
  // Only once the document is handled: a 304 for it then means the same.
  KIOSK_TRY(m_state.SetReferenceEtag(etag));
  KIOSK_TRY(m_state.SetLastSync(FormatUtc(m_kiosk.GetClock().Now())));
  return report;
}

// ---- Recovery ---------------------------------------------------------------------------------

Result<Kiosk::RecoveryReport> SyncEngine::Recover() {
  if (!Enrolled())
    return MakeError(ErrorKind::Refused, "recover.not_enrolled",
                     "This kiosk is not enrolled with a central, so it can't check the central's copy of its "
                     "journal. Enrol it first (kiosk enroll --central URL --code CODE).",
                     {{"kiosk", m_kiosk.KioskId()}});
  if (Url().empty()) return MakeError(ErrorKind::Usage, "sync.no_url", "No central address: give --central URL.");
  // Everything up to the acknowledged seq is what the central holds too (it acknowledged it with
  // these hashes); the central's events are asked for from there on.
  const int64_t after = AckedThrough();
  std::vector<Event> events;
  std::optional<Anchor> anchor;
  int clock_retries = 0;
  for (int64_t next = after;;) {
    const std::string path = "/v1/journal?after=" + std::to_string(next) + "&limit=" + std::to_string(kJournalPage);
    auto res = Signed("GET", path, "");
    if (!res.ok()) return res.error();
    if (res->status != 200) {
      json extra;
      Error e = ErrorFrom(*res, &extra);
      if (e.code == "auth.clock" && extra.contains("server_time_ms") && clock_retries++ < 2) {
        m_time_offset_ms = extra["server_time_ms"].get<int64_t>() - NowMs(m_kiosk.GetClock());
        continue;
      }
      return e;
    }
    json j = json::parse(res->body, nullptr, false);
    if (!j.is_object() || !j.contains("events") || !j["events"].is_array() || !j.contains("anchor"))
      return MakeError(ErrorKind::Network, "recover.response", "The central's answer with the journal is not JSON.");
    auto a = AnchorFromJson(j["anchor"]);
    if (!a.ok()) return a.error();
    // Each page names the central's head at that moment; the last page's is the one checked.
    anchor = *a;
    size_t got = 0;
    for (const json& ej : j["events"]) {
      auto e = EventFromJson(ej);
      if (!e.ok()) return MakeError(ErrorKind::Integrity, "recover.tampered",
                                    "The central's copy of this kiosk's journal does not verify (" + e.error().message +
                                        "): it was not taken back, and nothing was changed.",
                                    {{"what", e.error().message}});
      events.push_back(std::move(*e));
      ++got;
    }
    next += static_cast<int64_t>(got);
    if (!j.value("more", false) || got == 0) break;
  }
  auto report = m_kiosk.Recover(after, events, *anchor);
  if (!report.ok()) return report.error();
  (void)m_state.SetLastError("");
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
  if (retry_after_ms > 0) {
    // The central said when to come back: that, not the growing backoff (which left a storm's
    // kiosks waiting minutes while the central sat idle, bench_fleet). It said so to many kiosks at
    // once: each adds up to half of it again, so that they do not come back in lockstep.
    const int64_t floor = std::min<int64_t>(retry_after_ms, max_delay.count());
    std::uniform_int_distribution<int64_t> extra(0, floor / 2);
    return std::chrono::milliseconds(std::min<int64_t>(floor + extra(rng), max_delay.count()));
  }
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace kiosk::sync
