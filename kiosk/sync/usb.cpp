// The USB-stick path: `kiosk export` writes the unacknowledged journal as signed batch files and
// a manifest; `kiosk import-receipt` applies the central's signed receipt.
#include <fcntl.h>
#include <unistd.h>

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

}  // namespace kiosk::sync
