// The USB stick at the central: batch files verified event by event, ingested as over HTTP,
// receipts written; and the way back, a signed reference file for a kiosk synced only by stick.
#include "central/central.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include "central/central_parts.hpp"
#include "kiosk/core/atomic_file.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

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
    // Whole or not at all (atomic_file.hpp): a kiosk never reads half a receipt.
    if (!WriteFileAtomically(path, sync::MakeReceipt(m_key, body)).ok())
      return MakeError(ErrorKind::Storage, "import.receipt",
                       "The events were imported, but the receipt could not be written to " + path.string() +
                           ". Import the same files again to write it (nothing is imported twice).");
    summary.receipts.push_back(path);
  }
  return summary;
}

Result<ReferenceExport> Central::ExportReference(const std::string& kiosk_id, const std::filesystem::path& out_dir,
                                                int64_t since) {
  {
    std::lock_guard lock(m_mu);
    auto kiosk = m_store.GetKiosk(kiosk_id);
    if (!kiosk.ok()) return kiosk.error();
    if (!*kiosk)
      return MakeError(ErrorKind::NotFound, "export_reference.unknown_kiosk",
                       "No kiosk " + kiosk_id + " is enrolled with this central (`kiosk-central kiosks` lists them; "
                           "`kiosk status` on the kiosk shows its id). Nothing was written.",
                       {{"kiosk", kiosk_id}});
    auto version = m_store.GetMeta("reference_version");
    if (!version.ok()) return version.error();
    if (!*version || std::stoll(**version) <= 0)
      return MakeError(ErrorKind::Refused, "export_reference.nothing_published",
                       "This central has not published reference data yet: publish it first (kiosk-central "
                       "load-reference FILE). Nothing was written.");
  }
  // The document exactly as a pull would bring it, but for the verdicts, which go into the signed
  // head. Held in memory: a one-shot command, and a 100,000-device snapshot is ~20 MB.
  std::string body;
  ReferenceDocInfo info;
  KIOSK_TRY(WriteReferenceDocument(kiosk_id, since, -1, [&](std::string_view part) { body.append(part); }, &info));
  ReferenceExport out;
  out.version = info.version;
  out.full = info.full;
  out.bytes = body.size();
  // The acknowledgement, read after the document: it is at least as new as the document's
  // covers_kiosk_seq. Only verdicts that say something are listed; the kiosk takes every other seq
  // up to acked_through as a plain acceptance, as it does after a network acknowledgement.
  json verdicts = json::array();
  json head;
  {
    std::lock_guard lock(m_mu);
    auto kiosk = m_store.GetKiosk(kiosk_id);
    if (!kiosk.ok()) return kiosk.error();
    if (!*kiosk)
      return MakeError(ErrorKind::NotFound, "export_reference.unknown_kiosk",
                       "Kiosk " + kiosk_id + " was removed from this central meanwhile. Nothing was written.",
                       {{"kiosk", kiosk_id}});
    const KioskRecord& k = **kiosk;
    out.acked_through = k.acked_through;
    KIOSK_TRY(m_store.ForEachEvent(kiosk_id, 1, [&](const StoredEvent& s) {
      if (s.event.seq > k.acked_through || sync::IsPlainAccept(s.verdict)) return;
      if (s.verdict.verdict == sync::VerdictKind::Rejected) ++out.rejected;
      if (s.verdict.verdict == sync::VerdictKind::Adjusted) ++out.adjusted;
      verdicts.push_back(sync::ToJson(s.verdict));
    }));
    out.verdicts = static_cast<int64_t>(verdicts.size());
    head = json{{"format", "showroom-kiosk/reference-file-head"},
                {"kiosk_id", kiosk_id},
                {"created_at", FormatUtc(m_clock.Now())},
                {"version", info.version},
                {"full", info.full},
                {"acked_through", k.acked_through},
                {"head_hash", k.head_hash},
                {"anchor", sync::ToJson(MakeAnchor(kiosk_id, k.acked_through, k.head_hash))},
                {"verdicts_through", k.acked_through},
                {"verdicts", std::move(verdicts)}};
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec || !std::filesystem::is_directory(out_dir, ec))
    return MakeError(ErrorKind::Storage, "export_reference.dir",
                     "Can't use " + out_dir.string() + " as the folder for the reference file (" + ec.message() +
                         "). Is the USB stick mounted and writable?",
                     {{"dir", out_dir.string()}, {"detail", ec.message()}});
  out.file = out_dir / ("reference-" + kiosk_id + "-" + std::to_string(info.version) + ".skref");
  const std::string text = sync::MakeReferenceFileHead(m_key, std::move(head), crypto::Sha256Hex(body), body.size()) + body;
  // Whole or not at all (atomic_file.hpp): a kiosk never reads half a snapshot.
  KIOSK_TRY(WriteFileAtomically(out.file, text,
                                {.error_code = "export_reference.write",
                                 .hint = "Is the stick full, read-only or pulled out? Nothing at the central changed."}));
  return out;
}

}  // namespace kiosk::central
