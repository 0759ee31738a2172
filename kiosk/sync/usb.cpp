// The USB-stick path: `kiosk export` writes the unacknowledged journal as signed batch files and
// a manifest; `kiosk import-receipt` applies the central's signed receipt; `kiosk import-reference`
// applies the central's signed reference file, so that a kiosk synced only by stick gets what a
// pull brings (reference data, deal decisions, verdicts) and its data is fresh again.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "kiosk/core/atomic_file.hpp"
#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/client.hpp"
#include "storage/sync_store.hpp"

namespace kiosk::sync {

using nlohmann::json;

namespace {

// Written to NAME.tmp, flushed to the stick, renamed, and the folder flushed: a pulled stick or a
// power cut leaves either the whole file or none (atomic_file.hpp).
Status WriteFileDurably(const std::filesystem::path& path, const std::string& data) {
  return WriteFileAtomically(path, data,
                             {.error_code = "export.write",
                              .hint = "Is the stick full, read-only or pulled out? Nothing on the kiosk changed."});
}

std::string Seq10(int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%010lld", static_cast<long long>(seq));
  return buf;
}

}  // namespace

Result<SyncEngine::ExportReport> SyncEngine::ExportTo(const std::filesystem::path& dir) {
  // The central takes batch files only from a kiosk it enrolled (it checks them with the key it
  // received then): files from any other kiosk would look exported and then be refused there.
  if (!Enrolled())
    return MakeError(ErrorKind::Refused, "export.not_enrolled",
                     "This kiosk is not enrolled with a central, so the central would refuse its files. Nothing was "
                     "written. Enrol it first: ask the central's admin for a code (kiosk-central enroll " +
                         m_kiosk.KioskId() +
                         "), then enter the central's address and the code on the admin screen (or run `kiosk enroll "
                         "--central URL --code CODE`). Enrolment needs the network once; after it the stick carries "
                         "the journal and the central's data both ways.",
                     {{"kiosk", m_kiosk.KioskId()}});
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir, ec))
    return MakeError(ErrorKind::Storage, "export.dir",
                     "Can't use " + dir.string() + " as the export folder (" + ec.message() +
                         "). Is the USB stick mounted and writable?",
                     {{"dir", dir.string()}, {"detail", ec.message()}});
  auto key = Key();
  if (!key.ok()) return key.error();
  const Clock& clock = m_kiosk.GetClock();
  const std::string kiosk_id = m_kiosk.KioskId();
  ExportReport report;
  int64_t after = AckedThrough();
  json files = json::array();
  std::string first_prev, last_hash;
  for (;;) {
    auto events = ReadPending(after, 5000, kMaxBatchBytes);
    if (!events.ok()) return events.error();
    if (events->empty()) break;
    Batch b = MakeBatch(kiosk_id, std::move(*events), clock);
    const std::string body = SerializeBatch(b);
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
    const std::string text = MakeBatchFile(*key, kiosk_id, now_ms, body);
    const std::string name = "batch-" + kiosk_id + "-" + Seq10(b.from_seq) + "-" + Seq10(b.to_seq) + ".skb";
    KIOSK_TRY(WriteFileDurably(dir / name, text));
    if (first_prev.empty()) first_prev = b.prev_hash;
    last_hash = b.events.back().hash;
    files.push_back(json{{"name", name},
                         {"from_seq", b.from_seq},
                         {"to_seq", b.to_seq},
                         {"events", b.events.size()},
                         {"first_prev_hash", b.prev_hash},
                         {"last_hash", b.events.back().hash},
                         {"sha256", crypto::Sha256Hex(text)}});
    report.files.push_back(dir / name);
    if (report.from_seq == 0) report.from_seq = b.from_seq;
    report.to_seq = b.to_seq;
    report.events += static_cast<int64_t>(b.events.size());
    after = b.to_seq;
  }
  json manifest{{"format", "showroom-kiosk/export-manifest"},
                {"format_version", 1},
                {"kiosk_id", kiosk_id},
                {"created_at", FormatUtc(clock.Now())},
                {"acked_through", AckedThrough()},
                {"events", report.events},
                {"from_seq", report.from_seq},
                {"to_seq", report.to_seq},
                {"first_prev_hash", first_prev},
                {"head_hash", last_hash},
                {"files", files}};
  // The manifest is signed like the files, so that a stick can be checked before the import.
  json signed_manifest = manifest;
  signed_manifest["signature"] = crypto::HmacSha256Hex(key->bytes, "ske-manifest1\n" + manifest.dump());
  report.manifest = dir / ("manifest-" + kiosk_id + ".json");
  KIOSK_TRY(WriteFileDurably(report.manifest, signed_manifest.dump(2) + "\n"));
  (void)m_state.SetLastExport(FormatUtc(clock.Now()) + " seq " + std::to_string(report.from_seq) + ".." +
                               std::to_string(report.to_seq) + " to " + dir.string());
  return report;
}

Result<SyncEngine::ReceiptReport> SyncEngine::ApplyReceipt(const std::filesystem::path& file) {
  const std::string pub = m_state.CentralPublicKey();
  if (pub.empty())
    return MakeError(ErrorKind::Refused, "sync.not_enrolled",
                     "This kiosk is not enrolled with a central, so it can't check the receipt's signature. Enrol it "
                     "first (kiosk enroll --central URL --code CODE).",
                     {{"kiosk", m_kiosk.KioskId()}}, "receipt");
  std::ifstream in(file, std::ios::binary);
  if (!in) return MakeError(ErrorKind::NotFound, "receipt.missing", "Can't read the receipt file " + file.string(),
                               {{"file", file.string()}});
  std::stringstream text;
  text << in.rdbuf();
  auto body = OpenReceipt(text.str(), pub);
  if (!body.ok()) return body.error();
  const json& j = *body;
  if (j.value("kiosk_id", "") != m_kiosk.KioskId())
    return MakeError(ErrorKind::Refused, "receipt.other_kiosk",
                     "This receipt is for kiosk " + j.value("kiosk_id", "?") + ", not for this kiosk (" +
                         m_kiosk.KioskId() + "). Nothing was applied.",
                     {{"other", j.value("kiosk_id", "?")}, {"kiosk", m_kiosk.KioskId()}});
  auto read = ReadReceiptBody(j);
  if (!read.ok()) return read.error();
  BatchResponse& r = *read;
  ReceiptReport report;
  report.acked_before = AckedThrough();
  auto head = m_store.JournalLastSeq();
  if (!head.ok()) return head.error();
  if (r.acked_through > *head)
    return MakeError(ErrorKind::Integrity, "receipt.ahead",
                     "The receipt acknowledges seq " + std::to_string(r.acked_through) + " but this kiosk's journal "
                     "ends at " + std::to_string(*head) + ". Nothing was applied.",
                     {{"seq", std::to_string(r.acked_through)}, {"head", std::to_string(*head)}});
  KIOSK_TRY(StoreAck(r, report.rejected, report.adjusted));
  report.acked_through = AckedThrough();
  report.verdicts = static_cast<int64_t>(r.verdicts.size());
  return report;
}

namespace {

// The reference file for `kiosk_id` in `dir` with the highest version in its name, if any.
std::optional<std::filesystem::path> NewestReferenceFile(const std::filesystem::path& dir, const std::string& kiosk_id) {
  const std::string prefix = "reference-" + kiosk_id + "-", suffix = ".skref";
  std::optional<std::filesystem::path> best;
  int64_t best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix)) continue;
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (const int64_t v = std::stoll(digits); v > best_version) {
      best_version = v;
      best = entry.path();
    }
  }
  return best;
}

}  // namespace

Result<SyncEngine::ReferenceImportReport> SyncEngine::ImportReference(const std::filesystem::path& file_or_dir) {
  const std::string kiosk_id = m_kiosk.KioskId();
  const std::string pub = m_state.CentralPublicKey();
  if (pub.empty())
    return MakeError(ErrorKind::Refused, "sync.not_enrolled",
                     "This kiosk is not enrolled with a central, so it can't check the reference file's signature. "
                     "Enrol it first (kiosk enroll --central URL --code CODE, or on the admin screen).",
                     {{"kiosk", kiosk_id}}, "reference");
  ReferenceImportReport report;
  report.file = file_or_dir;
  std::error_code ec;
  if (std::filesystem::is_directory(file_or_dir, ec)) {
    auto found = NewestReferenceFile(file_or_dir, kiosk_id);
    if (!found)
      return MakeError(ErrorKind::NotFound, "reference_file.none",
                       "There is no reference file for this kiosk (reference-" + kiosk_id + "-VERSION.skref) in " +
                           file_or_dir.string() + ". At the central: kiosk-central export-reference --for " + kiosk_id +
                           " --out DIR",
                       {{"dir", file_or_dir.string()}, {"kiosk", kiosk_id}});
    report.file = *found;
  }
  std::ifstream in(report.file, std::ios::binary);
  if (!in)
    return MakeError(ErrorKind::NotFound, "reference_file.missing", "Can't read the reference file " + report.file.string(),
                     {{"file", report.file.string()}});
  // The head: three lines. The first is checked before reading on, so that another kind of file
  // is not read whole in search of a newline.
  std::string head_text;
  for (int i = 0; i < 3; ++i) {
    std::string line;
    if (!std::getline(in, line)) break;
    head_text += line;
    if (in.eof()) break;  // no newline after it
    head_text += '\n';
    if (i == 0 && line != kReferenceFileMagic) break;
  }
  auto opened = OpenReferenceFileHead(head_text, pub);
  if (!opened.ok()) return opened.error();
  const json& head = *opened;
  if (head.value("kiosk_id", "") != kiosk_id)
    return MakeError(ErrorKind::Refused, "reference_file.other_kiosk",
                     "This reference file is for kiosk " + head.value("kiosk_id", "?") + ", not for this kiosk (" +
                         kiosk_id + "). Nothing was applied.",
                     {{"other", head.value("kiosk_id", "?")}, {"kiosk", kiosk_id}});
  report.version = head["version"].get<int64_t>();
  report.version_before = m_state.ReferenceVersion();
  report.full = head.value("full", true);
  report.created_at = head.value("created_at", "");
  if (report.version < report.version_before)
    return MakeError(ErrorKind::Refused, "reference_file.older",
                     "This reference file holds version " + std::to_string(report.version) +
                         ", older than the version " + std::to_string(report.version_before) +
                         " this kiosk already has. Nothing was applied; bring a newer one (kiosk-central "
                         "export-reference --for " + kiosk_id + ").",
                     {{"version", std::to_string(report.version)}, {"current", std::to_string(report.version_before)},
                      {"kiosk", kiosk_id}});
  const std::optional<int64_t> created_ms = ParseUtcMs(report.created_at);
  if (!created_ms)
    return MakeError(ErrorKind::Usage, "reference_file.malformed",
                     "This is not a reference file the kiosk can read: the head has no created_at. Nothing was applied.",
                     {{"detail", "the head has no created_at"}});
  // The acknowledgement it carries, checked as a receipt's is: the central's anchor, naming our
  // own journal's hash at that seq.
  auto ack = ReadReceiptBody(head);
  if (!ack.ok()) return ack.error();
  BatchResponse& r = *ack;
  auto journal_head = m_store.JournalLastSeq();
  if (!journal_head.ok()) return journal_head.error();
  if (r.acked_through > *journal_head) {
    // Restored from an older backup: kept, so that actions stop until an admin recovers. The file
    // itself is signed (checked above) and names our kiosk; its anchor is checked at recovery.
    KIOSK_TRY(m_kiosk.NoteCentralHead(r.acked_through, "stick"));
    return MakeError(ErrorKind::Integrity, "reference_file.ahead",
                     "The reference file says the central holds this kiosk's journal through seq " +
                         std::to_string(r.acked_through) + ", but the journal ends at " +
                         std::to_string(*journal_head) +
                         ": the data folder was restored from an older backup. Nothing was applied; actions stop "
                         "until an admin runs Recover (Admin screen, or `kiosk recover`; README: Recovering).",
                     {{"seq", std::to_string(r.acked_through)}, {"head", std::to_string(*journal_head)}});
  }
  if (Status ack = CheckAck(r); !ack.ok()) {
    // The central holds another event at that seq: the journal forked after a restore.
    if (ack.error().code == "anchor.mismatch") KIOSK_TRY(m_kiosk.NoteJournalFork(r.acked_through, "stick"));
    return ack.error();
  }

  // The body goes to the data folder (named as a pull's download, so a copy left by a dead process
  // is cleared the same way), hashed as it is copied, and is parsed from that copy: what is
  // applied is what was checked, even if the stick is pulled or changed meanwhile.
  const std::filesystem::path copy = m_kiosk.Paths().dir / ("reference." + std::to_string(::getpid()) + ".download");
  struct RemoveAfter {
    std::filesystem::path file;
    ~RemoveAfter() {
      std::error_code gone;
      std::filesystem::remove(file, gone);
    }
  } remove_after{copy};
  {
    std::ofstream out(copy, std::ios::binary | std::ios::trunc);
    crypto::Sha256Stream sha;
    uint64_t bytes = 0;
    std::vector<char> buf(64 * 1024);
    while (out && in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const std::streamsize n = in.gcount();
      if (n <= 0) break;
      sha.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
      out.write(buf.data(), n);
      bytes += static_cast<uint64_t>(n);
    }
    out.flush();
    if (!out || in.bad())
      return MakeError(ErrorKind::Storage, "reference_file.copy",
                       "Can't copy the reference data into the data folder (" + copy.string() +
                           "): is the disk full, or was the stick pulled out? Nothing was applied.",
                       {{"path", copy.string()}});
    KIOSK_TRY(CheckReferenceFileBody(head, sha.FinalHex(), bytes));
  }

  // The verdicts as an acknowledgement carries them: one for every seq the kiosk does not know yet
  // up to verdicts_through, a plain acceptance where the head lists none (store them as
  // StoreVerdicts does), and the listed ones before that again (a resend keeps its `shown` flag).
  const int64_t verdicts_through =
      std::min(r.acked_through, head.contains("verdicts_through") && head["verdicts_through"].is_number_integer()
                                    ? head["verdicts_through"].get<int64_t>()
                                    : int64_t{0});
  const int64_t known = VerdictsThrough();
  std::vector<Verdict> verdicts;
  size_t listed = 0;
  for (; listed < r.verdicts.size() && r.verdicts[listed].seq <= known; ++listed) verdicts.push_back(r.verdicts[listed]);
  for (int64_t seq = known + 1; seq <= verdicts_through; ++seq) {
    while (listed < r.verdicts.size() && r.verdicts[listed].seq < seq) ++listed;
    if (listed < r.verdicts.size() && r.verdicts[listed].seq == seq) {
      verdicts.push_back(r.verdicts[listed++]);
    } else {
      Verdict plain;
      plain.seq = seq;
      verdicts.push_back(std::move(plain));
    }
  }
  for (; listed < r.verdicts.size(); ++listed)
    if (r.verdicts[listed].seq > verdicts_through) verdicts.push_back(r.verdicts[listed]);
  r.verdicts = std::move(verdicts);
  for (const Verdict& v : r.verdicts)
    if (!IsPlainAccept(v)) ++report.verdicts;

  // One transaction: the data (and its reference.loaded event), the verdicts, the acknowledgement
  // and the freshness, or none of them.
  const std::optional<int64_t> fresh_before = m_state.LastFreshAt();
  auto loaded = m_kiosk.LoadReferenceFile(copy, [&]() -> Status {
    KIOSK_TRY(WriteAck(r, report.rejected, report.adjusted, std::nullopt));
    // Fresh as of when the central wrote the file, not when the stick arrived: a week-old file
    // does not lift the stale guard. Never earlier than what the kiosk already had.
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_kiosk.GetClock().Now().time_since_epoch()).count();
    int64_t fresh = std::min(now_ms, *created_ms);
    if (fresh_before && *fresh_before > fresh) fresh = *fresh_before;
    return m_state.SetLastFreshAt(fresh);
  });
  if (!loaded.ok()) return loaded.error();
  report.acked_through = AckedThrough();
  return report;
}

// ---- Recovery from a stick ------------------------------------------------------------------------

Result<Kiosk::RecoveryReport> SyncEngine::RecoverFromFile(const std::filesystem::path& file_or_dir) {
  if (!Enrolled())
    return MakeError(ErrorKind::Refused, "recover.not_enrolled",
                     "This kiosk is not enrolled with a central, so it can't check the central's copy of its "
                     "journal. Enrol it first (kiosk enroll --central URL --code CODE).",
                     {{"kiosk", m_kiosk.KioskId()}});
  const std::string kiosk_id = m_kiosk.KioskId();
  std::filesystem::path file = file_or_dir;
  std::error_code ec;
  if (std::filesystem::is_directory(file_or_dir, ec)) {
    // journal-<kiosk>-<acked>.json: the highest acked for this kiosk.
    const std::string prefix = "journal-" + kiosk_id + "-";
    int64_t best = -1;
    for (const auto& entry : std::filesystem::directory_iterator(file_or_dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(prefix) || !name.ends_with(".json")) continue;
      const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - 5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
      const int64_t n = std::strtoll(digits.c_str(), nullptr, 10);
      if (n > best) {
        best = n;
        file = entry.path();
      }
    }
    if (best < 0)
      return MakeError(ErrorKind::NotFound, "recover.no_file",
                       "No journal file for " + kiosk_id + " in " + file_or_dir.string() +
                           ". At the central: kiosk-central export-journal --for " + kiosk_id + " --out DIR.",
                       {{"kiosk", kiosk_id}, {"dir", file_or_dir.string()}});
  }
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return MakeError(ErrorKind::NotFound, "recover.no_file", "Can't read " + file.string() + ".",
                     {{"kiosk", kiosk_id}, {"dir", file.string()}});
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object() || j.value("format", "") != "showroom-kiosk/journal 1" || !j.contains("events") ||
      !j["events"].is_array() || !j.contains("anchor") || !j.contains("after") || !j["after"].is_number_integer())
    return MakeError(ErrorKind::Usage, "recover.file",
                     file.string() + " is not a journal file of kiosk-central export-journal. Nothing was changed.",
                     {{"file", file.string()}});
  if (j.value("kiosk_id", "") != kiosk_id)
    return MakeError(ErrorKind::Refused, "recover.other_kiosk",
                     file.string() + " holds the journal of " + j.value("kiosk_id", "") + ", not of " + kiosk_id +
                         ". Nothing was changed.",
                     {{"file", file.string()}, {"kiosk", kiosk_id}});
  auto anchor = AnchorFromJson(j["anchor"]);
  if (!anchor.ok()) return anchor.error();
  std::vector<Event> events;
  for (const json& ej : j["events"]) {
    auto e = EventFromJson(ej);
    if (!e.ok())
      return MakeError(ErrorKind::Integrity, "recover.tampered",
                       "The central's copy of this kiosk's journal does not verify (" + e.error().message +
                           "): it was not taken back, and nothing was changed.",
                       {{"what", e.error().message}});
    events.push_back(std::move(*e));
  }
  return m_kiosk.Recover(j["after"].get<int64_t>(), events, *anchor);
}

}  // namespace kiosk::sync
