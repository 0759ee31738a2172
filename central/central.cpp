#include "central/central.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "central/rules.hpp"
#include "kiosk/core/crypto.hpp"
#include "kiosk/core/reference.hpp"

namespace kiosk::central {

using nlohmann::json;

namespace {

constexpr int kMaxEnrolAttempts = 5;

// Reference lists and the member that keys their records (docs/reference-format.md).
const std::vector<std::pair<std::string, std::string>>& RefLists() {
  static const std::vector<std::pair<std::string, std::string>> kLists = {
      {"partners", "id"},  {"cards", "number"},         {"badges", "code"},        {"models", "gtin"},
      {"devices", "asset_tag"}, {"rewards", "id"}, {"balances", "partner_id"}};
  return kLists;
}

std::string KeyField(const std::string& list) {
  for (const auto& [l, k] : RefLists())
    if (l == list) return k;
  return "id";
}

bool ValidKioskId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

Result<JournalKey> KeyFromHex(const std::string& hex) {
  std::vector<unsigned char> bytes;
  if (!crypto::FromHex(hex, bytes) || bytes.size() != 32)
    return MakeError(ErrorKind::Integrity, "central.bad_key", "The stored key of this kiosk is damaged.");
  JournalKey k;
  std::copy(bytes.begin(), bytes.end(), k.bytes);
  return k;
}

HttpAnswer Answer(const Error& e, const json& extra = json::object()) {
  HttpAnswer a;
  a.status = HttpStatusFor(e);
  a.body = sync::ErrorBody(e, extra);
  if (a.status == 503) a.retry_after_s = 2;
  return a;
}

}  // namespace

int HttpStatusFor(const Error& e) {
  const std::string& c = e.code;
  auto starts = [&](const char* p) { return c.rfind(p, 0) == 0; };
  if (starts("auth.")) return 401;
  if (c == "kiosk.not_enrolled" || starts("enrol.")) return 403;
  if (c == "batch.gap" || c == "journal.fork" || c == "journal.broken_chain") return 409;
  if (c == "batch.too_large") return 413;
  if (e.kind == ErrorKind::Storage || e.kind == ErrorKind::Network) return 503;
  if (e.kind == ErrorKind::Usage) return 400;
  if (e.kind == ErrorKind::NotFound) return 404;
  if (e.kind == ErrorKind::Integrity) return 500;
  return 422;
}

Central::Central(CentralStore& store, const Clock& clock) : m_store(store), m_clock(clock) {}

int64_t Central::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(m_clock.Now().time_since_epoch()).count();
}

Status Central::Init() {
  std::lock_guard lock(m_mu);
  auto priv = m_store.GetMeta("signing_key");
  if (!priv.ok()) return priv.error();
  auto pub = m_store.GetMeta("signing_public_key");
  if (!pub.ok()) return pub.error();
  if (*priv && *pub) {
    m_key = sync::SigningKey{**priv, **pub};
    return {};
  }
  m_key = sync::NewSigningKey();
  KIOSK_TRY(m_store.Begin());
  Status s = m_store.SetMeta("signing_key", m_key.private_hex);
  if (s.ok()) s = m_store.SetMeta("signing_public_key", m_key.public_hex);
  if (s.ok()) s = m_store.Commit();
  if (!s.ok()) m_store.Rollback();
  return s;
}

// ---- Enrolment --------------------------------------------------------------------------------

Result<std::string> Central::CreateEnrolment(const std::string& kiosk_id, int valid_hours) {
  if (!ValidKioskId(kiosk_id))
    return MakeError(ErrorKind::Usage, "enrol.kiosk_id",
                     "A kiosk id is 1 to 64 letters, digits, '-', '_' or '.'; '" + kiosk_id + "' is not.");
  std::lock_guard lock(m_mu);
  const std::string code = sync::NewEnrolCode();
  EnrolmentRecord e{kiosk_id, sync::DeriveEnrolSecret(sync::NormalizeEnrolCode(code), kiosk_id),
                    NowMs() + int64_t{valid_hours} * 3'600'000, 0};
  KIOSK_TRY(m_store.Begin());
  Status s = m_store.PutEnrolment(e);
  if (s.ok()) s = m_store.Commit();
  if (!s.ok()) {
    m_store.Rollback();
    return s.error();
  }
  return code;
}

HttpAnswer Central::HandleEnrol(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sealed_key") || !j["sealed_key"].is_object())
    return Answer(MakeError(ErrorKind::Usage, "request.malformed", "The enrolment request is malformed."));
  const std::string kiosk_id = j.value("kiosk_id", "");
  const json& sk = j["sealed_key"];
  sync::SealedKey sealed{sk.value("iv", ""), sk.value("ct", ""), sk.value("tag", "")};

  std::lock_guard lock(m_mu);
  auto enrolment = m_store.GetEnrolment(kiosk_id);
  if (!enrolment.ok()) return Answer(enrolment.error());
  if (!*enrolment)
    return Answer(MakeError(ErrorKind::Refused, "enrol.no_code",
                            "No enrolment code is open for kiosk " + kiosk_id +
                                " at this central. Create one there with `kiosk-central enroll " + kiosk_id +
                                "` (the code is for this kiosk id only)."));
  EnrolmentRecord e = **enrolment;
  if (e.expires_ms < NowMs())
    return Answer(MakeError(ErrorKind::Refused, "enrol.expired",
                            "The enrolment code for " + kiosk_id + " has expired. Create a new one with `kiosk-central "
                            "enroll " + kiosk_id + "`."));
  if (e.attempts >= kMaxEnrolAttempts)
    return Answer(MakeError(ErrorKind::Refused, "enrol.void",
                            "The enrolment code for " + kiosk_id + " was tried wrongly " +
                                std::to_string(kMaxEnrolAttempts) + " times and is void. Create a new one."));
  auto key = sync::OpenJournalKey(e.secret_hex, kiosk_id, sealed);
  if (!key.ok()) {
    ++e.attempts;
    if (m_store.Begin().ok()) {
      if (m_store.PutEnrolment(e).ok() && m_store.Commit().ok()) {
      } else {
        m_store.Rollback();
      }
    }
    return Answer(key.error());
  }
  const std::string key_hex = crypto::Hex(key->bytes);
  auto existing = m_store.GetKiosk(kiosk_id);
  if (!existing.ok()) return Answer(existing.error());
  KioskRecord k;
  if (*existing && (*existing)->key_hex == key_hex) {
    k = **existing;  // re-enrolment with the same key keeps everything acknowledged
  } else if (*existing && (*existing)->acked_through > 0) {
    return Answer(MakeError(ErrorKind::Refused, "enrol.key_mismatch",
                            "Kiosk " + kiosk_id + " is already enrolled with another key and the central holds " +
                                std::to_string((*existing)->acked_through) +
                                " of its events; a different key would make them unverifiable. Is this the right "
                                "kiosk id? If the kiosk was rebuilt, give it a new kiosk id."));
  } else {
    k.kiosk_id = kiosk_id;
    k.acked_through = 0;
    k.head_hash = GenesisHash(kiosk_id);
  }
  k.key_hex = key_hex;
  k.enrolled_at = FormatUtc(m_clock.Now());
  Status s = m_store.Begin();
  if (s.ok()) s = m_store.PutKiosk(k);
  if (s.ok()) s = m_store.DeleteEnrolment(kiosk_id);
  if (s.ok()) s = m_store.Commit();
  {
    std::lock_guard side(m_side_mu);
    m_keys.erase(kiosk_id);
  }
  if (!s.ok()) {
    m_store.Rollback();
    return Answer(s.error());
  }
  json out{{"kiosk_id", kiosk_id},
           {"central_public_key", m_key.public_hex},
           {"confirm", sync::EnrolConfirmation(e.secret_hex, kiosk_id, m_key.public_hex)},
           {"acked_through", k.acked_through},
           {"head_hash", k.head_hash},
           {"anchor", sync::ToJson(MakeAnchor(kiosk_id, k.acked_through, k.head_hash))}};
  return HttpAnswer{200, out.dump(), 0};
}

// ---- Authentication ---------------------------------------------------------------------------

Result<KioskRecord> Central::FindKioskLocked(const sync::SignedHeaders& h) {
  if (h.kiosk_id.empty() || h.nonce.empty() || h.signature.empty())
    return MakeError(ErrorKind::Refused, "auth.missing",
                     "The request is not signed (X-Kiosk-Id, X-Kiosk-Time, X-Kiosk-Nonce and X-Kiosk-Signature are "
                     "required).");
  auto kiosk = m_store.GetKiosk(h.kiosk_id);
  if (!kiosk.ok()) return kiosk.error();
  if (!*kiosk)
    return MakeError(ErrorKind::Refused, "kiosk.not_enrolled",
                     "Kiosk " + h.kiosk_id + " is not enrolled with this central. Create a code with `kiosk-central "
                     "enroll " + h.kiosk_id + "` and run `kiosk enroll --central URL --code CODE` on the kiosk.");
  return **kiosk;
}

Status Central::CheckSignature(const std::string& key_hex, std::string_view method, std::string_view path,
                               const sync::SignedHeaders& h, std::string_view body, int64_t now_ms) {
  auto key = KeyFromHex(key_hex);
  if (!key.ok()) return key.error();
  if (!sync::VerifySignature(*key, method, path, h, body))
    return MakeError(ErrorKind::Refused, "auth.bad_signature",
                     "The request's signature does not match the key kiosk " + h.kiosk_id +
                         " enrolled with (a different key, or the request was altered on the way). Nothing was "
                         "stored.");
  const int64_t skew = h.time_ms - now_ms;
  if (skew > sync::kRequestWindowMs || -skew > sync::kRequestWindowMs)
    return MakeError(ErrorKind::Refused, "auth.clock",
                     "The request's time is " + std::to_string(skew / 60000) +
                         " minutes off the central's clock (5 minutes are allowed). The sync client corrects for "
                         "this by itself; if it persists, check the kiosk's clock.");
  return {};
}

Result<KioskRecord> Central::AuthenticateLocked(std::string_view method, std::string_view path,
                                                const sync::SignedHeaders& h, std::string_view body, int64_t now_ms) {
  auto kiosk = FindKioskLocked(h);
  if (!kiosk.ok()) return kiosk.error();
  KIOSK_TRY(CheckSignature(kiosk->key_hex, method, path, h, body, now_ms));
  return kiosk;
}

Result<std::string> Central::KioskKey(const sync::SignedHeaders& h) {
  if (!h.nonce.empty() && !h.signature.empty()) {
    std::lock_guard side(m_side_mu);
    if (auto it = m_keys.find(h.kiosk_id); it != m_keys.end()) return it->second;
  }
  std::lock_guard lock(m_mu);
  auto kiosk = FindKioskLocked(h);
  if (!kiosk.ok()) return kiosk.error();
  std::lock_guard side(m_side_mu);
  m_keys[h.kiosk_id] = kiosk->key_hex;
  return kiosk->key_hex;
}

// ---- Ingest -----------------------------------------------------------------------------------

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

void Central::AwaitPredecessorLocked(std::unique_lock<std::mutex>& lock, const std::string& kiosk_id,
                                     int64_t from_seq) {
  // A later batch that finds nobody else of its kiosk at work still waits a moment: the earlier
  // one may not have been read off its connection yet. A real gap (the central's database was
  // restored) is answered after that moment.
  const auto start = std::chrono::steady_clock::now();
  const auto grace = start + std::chrono::milliseconds(500);
  const auto deadline = start + std::chrono::seconds(30);
  for (;;) {
    auto k = m_store.GetKiosk(kiosk_id);
    if (!k.ok() || !*k || from_seq <= (*k)->acked_through + 1) return;
    const auto now = std::chrono::steady_clock::now();
    bool others_at_work;
    {
      std::lock_guard side(m_side_mu);
      Flight& f = m_flights[kiosk_id];
      others_at_work = f.active - f.waiting > 1;
      if (now < deadline && (others_at_work || now < grace)) ++f.waiting;
    }
    if (now >= deadline || (!others_at_work && now >= grace)) return;
    m_landed.wait_until(lock, others_at_work ? deadline : grace);
    std::lock_guard side(m_side_mu);
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
  std::unique_lock lock(m_mu, std::defer_lock);
  struct Landing {
    Central& c;
    std::unique_lock<std::mutex>& lock;
    const std::string& id;
    ~Landing() {
      // Under m_mu, so that a batch deciding to wait for this one can't miss the notification.
      if (!lock.owns_lock()) lock.lock();
      {
        std::lock_guard side(c.m_side_mu);
        if (--c.m_flights[id].active == 0) c.m_flights.erase(id);
      }
      c.m_landed.notify_all();
    }
  } landing{*this, lock, h.kiosk_id};

  if (Status s = CheckSignature(*key_hex, "POST", "/v1/batches", h, body, now); !s.ok())
    return Answer(s.error(), json{{"server_time_ms", now}});
  if (!batch.ok()) return Answer(batch.error());
  if (batch->kiosk_id != h.kiosk_id)
    return Answer(MakeError(ErrorKind::Usage, "batch.malformed",
                            "The batch names kiosk " + batch->kiosk_id + " but is signed by " + h.kiosk_id + "."));
  const Prepared prepared = Prepare(*batch, *key_hex);
  const auto t1 = std::chrono::steady_clock::now();

  lock.lock();
  AwaitPredecessorLocked(lock, h.kiosk_id, batch->from_seq);
  const auto t2 = std::chrono::steady_clock::now();
  static const bool trace = std::getenv("KIOSK_CENTRAL_TRACE") != nullptr;
  const ThreadTimes before = trace ? ThreadTimes::Now() : ThreadTimes{};
  auto r = IngestLocked(*batch, "http", &h.nonce, &prepared);
  if (!r.ok()) {
    json extra{{"server_time_ms", now}};
    if (auto k = m_store.GetKiosk(h.kiosk_id); k.ok() && *k) extra["acked_through"] = (*k)->acked_through;
    return Answer(r.error(), extra);
  }
  r->server_time_ms = now;
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
  return IngestLocked(batch, via, nullptr);
}

namespace {

// "2026-11-24T13:45:01.123Z" -> Unix ms (the milliseconds may be missing). Read by hand, not with
// sscanf: it runs once per ingested event.
std::optional<int64_t> ParseUtcMs(std::string_view s) {
  auto num = [&](size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, sec, ms = 0;
  if (!num(0, 4, y) || s.size() < 5 || s[4] != '-' || !num(5, 2, mo) || s.size() < 8 || s[7] != '-' ||
      !num(8, 2, d) || s.size() < 11 || s[10] != 'T' || !num(11, 2, h) || s.size() < 14 || s[13] != ':' ||
      !num(14, 2, mi) || s.size() < 17 || s[16] != ':' || !num(17, 2, sec))
    return std::nullopt;
  if (s.size() >= 21 && s[19] == '.' && !num(20, 3, ms)) ms = 0;
  // Days from the civil date (H. Hinnant's algorithm): timegm without the C library's locking.
  const int yy = y - (mo <= 2);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy = static_cast<unsigned>((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
  return ((days * 24 + h) * 60 + mi) * 60'000 + int64_t{sec} * 1000 + ms;
}

// Unix ms -> "2026-11-24T13:45:01.123Z", as FormatUtc writes it, without gmtime and snprintf:
// every ingested event gets one (est_time).
std::string FormatMs(int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(ms)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return FormatUtc(system_clock::time_point(milliseconds(ms)));
  int64_t in_day = (t - day).count();  // ms since midnight
  char buf[24] = "0000-00-00T00:00:00.000";
  auto put = [&](int at, int64_t v, int width) {
    for (int i = at + width - 1; i >= at; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  };
  put(0, y, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, in_day / 3'600'000, 2);
  put(14, in_day / 60'000 % 60, 2);
  put(17, in_day / 1000 % 60, 2);
  put(20, in_day % 1000, 3);
  buf[23] = 'Z';
  return std::string(buf, 24);
}

}  // namespace

Result<sync::BatchResponse> Central::IngestLocked(const sync::Batch& batch, const std::string& via,
                                                  const std::string* nonce, const Prepared* prepared) {
  const int64_t now = NowMs();
  const std::string now_utc = FormatMs(now);
  auto kiosk_found = m_store.GetKiosk(batch.kiosk_id);
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

  KIOSK_TRY(m_store.Begin());
  struct Guard {
    CentralStore& s;
    bool done = false;
    ~Guard() { if (!done) s.Rollback(); }
  } guard{m_store};

  if (nonce) {
    auto fresh = m_store.RememberNonce(batch.kiosk_id, *nonce, now);
    if (!fresh.ok()) return fresh.error();
    if (!*fresh)
      return MakeError(ErrorKind::Refused, "auth.replayed",
                       "This exact request was already received (its nonce was used): a replay. Nothing was stored.");
  }

  // Clock: over HTTP the batch is made just before sending, so the central's receive time minus
  // the kiosk's monotonic clock gives that boot's offset.
  std::map<std::string, std::optional<int64_t>> boot_offsets;
  if (via == "http" && !batch.boot_id.empty()) {
    const int64_t offset = now - batch.mono_ms;
    boot_offsets[batch.boot_id] = offset;
    KIOSK_TRY(m_store.PutBootOffset(batch.kiosk_id, batch.boot_id, offset));
  }
  auto offset_for = [&](const std::string& boot) -> Result<std::optional<int64_t>> {
    auto it = boot_offsets.find(boot);
    if (it != boot_offsets.end()) return it->second;
    auto o = m_store.GetBootOffset(batch.kiosk_id, boot);
    if (!o.ok()) return o.error();
    boot_offsets[boot] = *o;
    return *o;
  };

  sync::BatchResponse response;
  response.verdicts.reserve(batch.events.size());
  // The request was checked against the key the kiosk had then; it was enrolled again since.
  if (prepared && prepared->key_hex != kiosk.key_hex)
    return MakeError(ErrorKind::Refused, "auth.bad_signature",
                     "Kiosk " + batch.kiosk_id + " was enrolled again with a new key while this request was on its "
                     "way; it was signed with the old one. Nothing was stored.");
  if (prepared && prepared->hmac_ok.size() != batch.events.size()) prepared = nullptr;
  EventHasher hasher(*key);
  RuleContext rules{m_store, batch.kiosk_id, now_utc};
  auto current_version = m_store.GetMeta("reference_version");
  if (!current_version.ok()) return current_version.error();
  rules.next_version = (*current_version ? std::stoll(**current_version) : 0) + 1;
  bool clock_flagged = false;

  size_t malformed_i = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    const bool malformed = malformed_i < batch.malformed.size() && batch.malformed[malformed_i].first == i;
    if (e.seq <= kiosk.acked_through) {
      if (malformed) ++malformed_i;
      auto stored = m_store.GetEvent(batch.kiosk_id, e.seq);
      if (!stored.ok()) return stored.error();
      if (!*stored)
        return MakeError(ErrorKind::Integrity, "central.missing_event",
                         "The central acknowledged seq " + std::to_string(e.seq) + " of " + batch.kiosk_id +
                             " but no longer has it; restore the central's database.");
      if ((*stored)->event.hash != e.hash) {
        m_store.Rollback();
        guard.done = true;
        const std::string msg = "Seq " + std::to_string(e.seq) + " of kiosk " + batch.kiosk_id +
                                " was acknowledged with hash " + (*stored)->event.hash.substr(0, 16) +
                                "…, but this batch carries " + e.hash.substr(0, 16) +
                                "…: the kiosk's journal was rewritten after the central acknowledged it (tampering, or "
                                "a restored backup). Nothing of this batch was stored; an admin must investigate.";
        if (m_store.Begin().ok()) {
          if (!(m_store.AddFlag({batch.kiosk_id, e.seq, "journal.fork", msg, now_utc}).ok() && m_store.Commit().ok()))
            m_store.Rollback();
        }
        return MakeError(ErrorKind::Integrity, "journal.fork", msg);
      }
      response.verdicts.push_back((*stored)->verdict);
      continue;
    }
    // The event is stored as it came, unless quarantine must change its kiosk or id (`altered`).
    Reception s;
    s.received_at = now_utc;
    s.via = via;
    s.verdict.seq = e.seq;
    s.verdict.event_id = e.event_id;
    const Event* stored = &e;
    std::optional<Event> altered;
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
      return m_store.AddFlag({batch.kiosk_id, e.seq, code, s.verdict.message, now_utc});
    };
    bool apply_rules = false;
    bool skewed = false;
    if (malformed) {
      KIOSK_TRY(quarantine("event.malformed", seq_text() + " could not be read (" + batch.malformed[malformed_i].second +
                                                  "); it is kept in quarantine and changed nothing at the central."));
      ++malformed_i;
      Event& q = altered.emplace(e);
      if (q.event_id.empty()) q.event_id = "quarantine/" + batch.kiosk_id + "/" + std::to_string(e.seq);
      q.kiosk_id = batch.kiosk_id;
      stored = &q;
    } else if (e.kiosk_id != batch.kiosk_id) {
      KIOSK_TRY(quarantine("event.wrong_kiosk", seq_text() + " claims to come from kiosk " + e.kiosk_id +
                                                    "; it is kept in quarantine and changed nothing."));
    } else if (prepared ? !prepared->hmac_ok[i] : !crypto::ConstantTimeEqual(hasher.Hash(e), e.hash)) {
      KIOSK_TRY(quarantine("event.tampered",
                           seq_text() + " (" + e.type + ") does not match its signature: it was altered after it was "
                                                        "logged. It is kept in quarantine and changed nothing."));
    } else {
      apply_rules = true;
      // Clock check: where the central knows this boot's offset, it can date the event itself.
      auto offset = offset_for(e.boot_id);
      if (!offset.ok()) return offset.error();
      auto wall = ParseUtcMs(e.wall_time);
      if (*offset && wall) {
        const int64_t est = **offset + e.mono_ms;
        s.est_time = FormatMs(est);
        s.skew_ms = *wall - est;
        skewed = s.skew_ms > sync::kClockFlagMs || -s.skew_ms > sync::kClockFlagMs;
        if (skewed && !clock_flagged) {
          clock_flagged = true;
          KIOSK_TRY(m_store.AddFlag({batch.kiosk_id, e.seq, "clock.skewed",
                                     "Kiosk clock " + std::to_string(s.skew_ms / 60000) + " minutes off", now_utc}));
        }
      }
    }
    // A skewed clock is remarked on unless the verdict has something of its own to say.
    auto remark_clock = [&](sync::Verdict& v) {
      if (!skewed) return;
      v.detail["clock_skew_ms"] = s.skew_ms;
      v.detail["central_time"] = s.est_time;
      if (v.code.empty()) {
        v.code = "clock.skewed";
        v.message = "The kiosk's clock was " + std::to_string(s.skew_ms / 60000) +
                    " minutes off when this was logged; the central dates it " + s.est_time + ".";
      }
    };
    remark_clock(s.verdict);
    // Event ids are unique across all kiosks, and the insert is what finds out: a reused id (of
    // an earlier batch, another kiosk or this very batch) stores nothing, and the event is then
    // kept in quarantine under an id of its own, without its rules. One already in quarantine
    // keeps the reason it has.
    auto inserted = m_store.InsertEvent(*stored, s);
    if (!inserted.ok()) return inserted.error();
    if (!*inserted) {
      if (apply_rules)
        KIOSK_TRY(quarantine("event.duplicate_id", seq_text() + " reuses event id " + e.event_id +
                                                       " of another event; it is kept in quarantine."));
      apply_rules = false;
      if (!altered) altered.emplace(e);
      altered->event_id = stored->event_id + "/dup/" + batch.kiosk_id + "/" + std::to_string(e.seq);
      stored = &*altered;
      inserted = m_store.InsertEvent(*stored, s);
      if (!inserted.ok()) return inserted.error();
      if (!*inserted)
        return MakeError(ErrorKind::Integrity, "central.duplicate_id",
                         seq_text() + " of kiosk " + batch.kiosk_id + " reuses event id " + e.event_id +
                             ", and the central already holds its quarantine id too; restore the central's database.");
    }
    if (apply_rules) {
      // The rules run once the event is stored; nearly every verdict is a plain accept, as stored.
      auto v = ApplyRules(rules, e, prepared ? &prepared->facts[i] : nullptr);
      if (!v.ok()) return v.error();
      if (!sync::IsPlainAccept(*v)) {
        s.verdict = std::move(*v);
        s.verdict.seq = e.seq;
        s.verdict.event_id = e.event_id;
        remark_clock(s.verdict);
        KIOSK_TRY(m_store.UpdateVerdict(batch.kiosk_id, e.seq, s.verdict));
      }
    }
    kiosk.acked_through = e.seq;
    kiosk.head_hash = e.hash;
    response.verdicts.push_back(std::move(s.verdict));
  }
  kiosk.last_seen = now_utc;
  KIOSK_TRY(m_store.PutKiosk(kiosk));
  if (rules.changed) KIOSK_TRY(m_store.SetMeta("reference_version", std::to_string(rules.next_version)));
  if (nonce && (now / 1000) % 60 == 0) KIOSK_TRY(m_store.ForgetNoncesBefore(now - 2 * sync::kRequestWindowMs));
  KIOSK_TRY(m_store.Commit());
  guard.done = true;
  response.acked_through = kiosk.acked_through;
  response.head_hash = kiosk.head_hash;
  response.anchor = MakeAnchor(batch.kiosk_id, kiosk.acked_through, kiosk.head_hash);
  response.server_time_ms = now;
  return response;
}

// ---- Reference data ---------------------------------------------------------------------------

Result<LoadSummary> Central::LoadReference(std::string_view text) {
  auto parsed = ParseReference(text);
  if (!parsed.ok()) return parsed.error();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return MakeError(ErrorKind::Usage, "reference.invalid", "not JSON");
  std::lock_guard lock(m_mu);
  auto current = m_store.GetMeta("reference_version");
  if (!current.ok()) return current.error();
  LoadSummary out;
  out.version = (*current ? std::stoll(**current) : 0) + 1;
  out.full = parsed->full;
  KIOSK_TRY(m_store.Begin());
  struct Guard {
    CentralStore& s;
    bool done = false;
    ~Guard() { if (!done) s.Rollback(); }
  } guard{m_store};
  if (out.full) {
    KIOSK_TRY(m_store.MarkAllRefsDeleted(out.version));
    KIOSK_TRY(m_store.SetMeta("reference_floor", std::to_string(out.version)));
  }
  for (const auto& [list, keyname] : RefLists()) {
    auto it = j.find(list);
    if (it == j.end() || !it->is_array()) continue;
    for (const json& item : *it) {
      RefRecord r{list, item.value(keyname, ""), "", out.version, item.value("deleted", false)};
      if (!r.deleted) r.body = item.dump();
      else if (auto old = m_store.GetRef(list, r.key); old.ok() && *old) r.body = (*old)->body;
      else r.body = "{}";
      KIOSK_TRY(m_store.PutRef(r));
      ++out.records;
    }
  }
  if (j.contains("settings") && j["settings"].is_object())
    KIOSK_TRY(m_store.PutRef({"settings", "settings", j["settings"].dump(), out.version, false}));
  KIOSK_TRY(m_store.SetMeta("reference_version", std::to_string(out.version)));
  KIOSK_TRY(m_store.Commit());
  guard.done = true;
  return out;
}

Result<std::string> Central::ReferenceDocument(const std::string& kiosk_id, int64_t since, int64_t verdicts_after) {
  std::string out;
  KIOSK_TRY(WriteReferenceDocument(kiosk_id, since, verdicts_after, [&](std::string_view part) { out += part; }));
  return out;
}

Status Central::WriteReferenceDocument(const std::string& kiosk_id, int64_t since, int64_t verdicts_after,
                                       const std::function<void(std::string_view)>& write) {
  // Streamed record by record as the store yields them: a 100,000-device snapshot never exists as
  // one string or json tree in the central.
  std::lock_guard lock(m_mu);
  auto current_t = m_store.GetMeta("reference_version");
  if (!current_t.ok()) return current_t.error();
  auto floor_t = m_store.GetMeta("reference_floor");
  if (!floor_t.ok()) return floor_t.error();
  const int64_t current = *current_t ? std::stoll(**current_t) : 0;
  const int64_t floor = *floor_t ? std::stoll(**floor_t) : 0;
  const bool full = since <= 0 || since < floor || since > current;
  auto kiosk = m_store.GetKiosk(kiosk_id);
  if (!kiosk.ok()) return kiosk.error();
  auto settings = m_store.GetRef("settings", "settings");
  if (!settings.ok()) return settings.error();

  json head{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", current}, {"full", full},
            {"generated_at", FormatUtc(m_clock.Now())}};
  if (!full) head["base_version"] = since;
  if (*kiosk) head["covers_kiosk_seq"] = (*kiosk)->acked_through;
  if (*settings && !(*settings)->deleted && (full || (*settings)->version > since))
    head["settings"] = json::parse((*settings)->body, nullptr, false);
  std::string text = head.dump();
  text.pop_back();  // reopen the object: the arrays follow without a tree of their own
  write(text);

  // An array member written element by element; opened on its first element, or empty when
  // `always` (a full snapshot names every list).
  struct Array {
    const std::function<void(std::string_view)>& write;
    std::string name;
    bool open = false;
    void Add(std::string_view element) {
      if (open) write(",");
      else write(",\"" + name + "\":[");
      open = true;
      write(element);
    }
    void Close(bool always) {
      if (open) write("]");
      else if (always) write(",\"" + name + "\":[]");
      open = false;
    }
  };
  {
    Array deals{write, "deal_decisions"};
    KIOSK_TRY(m_store.ForEachDeal(kiosk_id, full ? 0 : since, [&](const DealRecord& d) {
      deals.Add(json{{"seq", d.seq}, {"status", d.status}, {"message", d.message}}.dump());
    }));
    deals.Close(false);
  }
  if (*kiosk && verdicts_after >= 0) {
    Array verdicts{write, "verdicts"};
    KIOSK_TRY(m_store.ForEachEvent(kiosk_id, verdicts_after + 1, [&](const StoredEvent& s) {
      verdicts.Add(sync::ToJson(s.verdict).dump());
    }));
    verdicts.Close(false);
  }
  std::vector<std::string> written;
  std::optional<Array> list;
  KIOSK_TRY(m_store.ForEachRef(full ? 0 : since, [&](const RefRecord& r) {
    if (r.list == "settings") return;
    if (!list || list->name != r.list) {
      if (list) list->Close(true);
      list.emplace(Array{write, r.list});
      written.push_back(r.list);
    }
    if (r.deleted) list->Add(json{{KeyField(r.list), r.key}, {"deleted", true}}.dump());
    else list->Add(r.body);
  }));
  if (list) list->Close(true);
  if (full)
    for (const auto& [name, keyname] : RefLists())
      if (std::find(written.begin(), written.end(), name) == written.end()) write(",\"" + name + "\":[]");
  write("}");
  return {};
}

HttpAnswer Central::HandleReference(const sync::SignedHeaders& h, const std::string& signed_path, int64_t since,
                                    int64_t verdicts_after) {
  {
    std::lock_guard lock(m_mu);
    const int64_t now = NowMs();
    auto kiosk = AuthenticateLocked("GET", signed_path, h, "", now);
    if (!kiosk.ok()) return Answer(kiosk.error(), json{{"server_time_ms", now}});
    Status s = m_store.Begin();
    if (s.ok()) {
      auto fresh = m_store.RememberNonce(h.kiosk_id, h.nonce, now);
      if (!fresh.ok()) s = fresh.error();
      else if (!*fresh)
        s = MakeError(ErrorKind::Refused, "auth.replayed", "This exact request was already received: a replay.");
      if (s.ok()) s = m_store.Commit();
      if (!s.ok()) m_store.Rollback();
    }
    if (!s.ok()) return Answer(s.error());
  }
  // The document goes to an unnamed temporary file that the server sends in pieces: memory stays
  // bounded whatever the size of the reference data.
  std::shared_ptr<FILE> file(std::tmpfile(), [](FILE* f) { if (f) std::fclose(f); });
  if (!file)
    return Answer(MakeError(ErrorKind::Storage, "central.tmpfile",
                            "The central can't create a temporary file for the reference data; retry later."));
  Status s = WriteReferenceDocument(h.kiosk_id, since, verdicts_after, [&](std::string_view part) {
    std::fwrite(part.data(), 1, part.size(), file.get());
  });
  if (!s.ok()) return Answer(s.error());
  if (std::fflush(file.get()) != 0 || std::ferror(file.get()))
    return Answer(MakeError(ErrorKind::Storage, "central.tmpfile",
                            "The central could not write the reference data to a temporary file (disk full?)."));
  HttpAnswer a;
  a.body_file = std::move(file);
  return a;
}

// ---- USB import -------------------------------------------------------------------------------

Result<ImportSummary> Central::ImportFiles(const std::vector<std::filesystem::path>& files,
                                           const std::filesystem::path& receipt_dir) {
  struct Item {
    std::filesystem::path path;
    sync::BatchFile file;
    sync::Batch batch;
  };
  ImportSummary summary;
  std::map<std::string, std::vector<Item>> by_kiosk;
  for (const auto& path : files) {
    ImportResult r;
    r.file = path.filename().string();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      r.ok = false;
      r.problem = "can't read the file";
      summary.files.push_back(r);
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto f = sync::SplitBatchFile(text.str());
    if (!f.ok()) {
      r.ok = false;
      r.problem = f.error().message;
      summary.files.push_back(r);
      continue;
    }
    auto b = sync::ParseBatch(f->body);
    if (!b.ok()) {
      r.ok = false;
      r.problem = b.error().message;
      summary.files.push_back(r);
      continue;
    }
    by_kiosk[b->kiosk_id].push_back(Item{path, std::move(*f), std::move(*b)});
  }
  for (auto& [kiosk_id, items] : by_kiosk) {
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.batch.from_seq < b.batch.from_seq; });
    // Files may overlap (two exports taken before a receipt came back): one verdict per seq.
    std::map<int64_t, json> verdicts_by_seq;
    sync::BatchResponse last;
    bool any = false;
    for (Item& it : items) {
      ImportResult r;
      r.file = it.path.filename().string();
      r.kiosk_id = kiosk_id;
      r.from_seq = it.batch.from_seq;
      r.to_seq = it.batch.to_seq;
      auto fail = [&](std::string why) {
        r.ok = false;
        r.problem = std::move(why);
        summary.files.push_back(r);
      };
      Result<std::optional<KioskRecord>> kiosk = [&] {
        std::lock_guard lock(m_mu);
        return m_store.GetKiosk(kiosk_id);
      }();
      if (!kiosk.ok()) return kiosk.error();
      if (!*kiosk) {
        fail("kiosk " + kiosk_id + " is not enrolled with this central, so its events can't be verified");
        continue;
      }
      auto key = KeyFromHex((*kiosk)->key_hex);
      if (!key.ok()) return key.error();
      if (it.file.headers.kiosk_id != kiosk_id) {
        fail("the file is signed as kiosk " + it.file.headers.kiosk_id + " but holds events of " + kiosk_id);
        continue;
      }
      // Each event first, so that an altered file names the event and what is wrong with it.
      EventHasher hasher(*key);
      std::string bad;
      for (size_t i = 0; i < it.batch.events.size() && bad.empty(); ++i) {
        const Event& e = it.batch.events[i];
        for (const auto& [idx, why] : it.batch.malformed)
          if (idx == i) bad = "seq " + std::to_string(e.seq) + " can't be read: " + why;
        if (bad.empty() && !crypto::ConstantTimeEqual(hasher.Hash(e), e.hash))
          bad = "seq " + std::to_string(e.seq) + " (event " + e.event_id + ", " + e.type +
                ") does not match its signature: its content was altered after the kiosk logged it";
        if (bad.empty() && i > 0 && e.prev_hash != it.batch.events[i - 1].hash)
          bad = "seq " + std::to_string(e.seq) + " (event " + e.event_id +
                ") does not follow the previous event: events were removed, added or reordered";
      }
      if (!bad.empty()) {
        fail(bad + ". Nothing from this file was imported.");
        continue;
      }
      if (!sync::VerifySignature(*key, "FILE", "batch", it.file.headers, it.file.body, "ske-file1")) {
        fail("the file's signature does not match kiosk " + kiosk_id +
             "'s key (the file header or body was altered, or it comes from another kiosk). Nothing was imported.");
        continue;
      }
      const int64_t before = (*kiosk)->acked_through;
      auto resp = Ingest(it.batch, "file");
      if (!resp.ok()) {
        fail(resp.error().message);
        continue;
      }
      r.duplicates = std::max<int64_t>(0, std::min(before, it.batch.to_seq) - it.batch.from_seq + 1);
      r.new_events = static_cast<int64_t>(it.batch.events.size()) - r.duplicates;
      for (const auto& v : resp->verdicts) verdicts_by_seq[v.seq] = sync::ToJson(v);
      last = *resp;
      any = true;
      summary.files.push_back(r);
    }
    if (!any) continue;
    json verdicts = json::array();
    for (auto& [seq, v] : verdicts_by_seq) verdicts.push_back(std::move(v));
    json body{{"format", "showroom-kiosk/receipt-body"},
              {"kiosk_id", kiosk_id},
              {"acked_through", last.acked_through},
              {"head_hash", last.head_hash},
              {"anchor", sync::ToJson(last.anchor)},
              {"verdicts", verdicts},
              {"imported_at", FormatUtc(m_clock.Now())}};
    std::filesystem::path dir = receipt_dir.empty() ? items.front().path.parent_path() : receipt_dir;
    if (dir.empty()) dir = ".";
    std::error_code dir_error;
    std::filesystem::create_directories(dir, dir_error);  // --receipts DIR may name a new folder
    const auto path = dir / ("receipt-" + kiosk_id + "-" + std::to_string(last.acked_through) + ".skr");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << sync::MakeReceipt(m_key, body);
    out.close();
    if (!out)
      return MakeError(ErrorKind::Storage, "import.receipt",
                       "The events were imported, but the receipt could not be written to " + path.string() +
                           ". Import the same files again to write it (nothing is imported twice).");
    summary.receipts.push_back(path);
  }
  return summary;
}

// ---- Reports ------------------------------------------------------------------------------------

Status Central::Report(const std::string& name, const std::function<void(const std::vector<std::string>&)>& row) {
  std::lock_guard lock(m_mu);
  return m_store.Report(name, row);
}

Result<std::vector<KioskRecord>> Central::Kiosks() {
  std::lock_guard lock(m_mu);
  return m_store.ListKiosks();
}

Result<int64_t> Central::CountEvents(const std::string& kiosk_id) {
  std::lock_guard lock(m_mu);
  return m_store.CountEvents(kiosk_id);
}

}  // namespace kiosk::central
