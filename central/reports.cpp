// Reports and listings, read straight from the store.
#include "central/central.hpp"

#include <system_error>

#include "central/central_parts.hpp"
#include "kiosk/core/atomic_file.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

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

Result<SignatureRecord> Central::SignatureOf(const std::string& kiosk_id, int64_t seq) {
  std::lock_guard lock(m_mu);
  auto got = m_store.GetEvent(kiosk_id, seq);
  if (!got.ok()) return got.error();
  if (!*got)
    return MakeError(ErrorKind::NotFound, "signature.no_event",
                     "The central holds no event " + std::to_string(seq) + " of kiosk " + kiosk_id +
                         " (`kiosk-central report custody` lists checkouts).",
                     {{"seq", std::to_string(seq)}, {"kiosk", kiosk_id}});
  return SignatureRecordOf((*got)->event);
}

Status Central::CustodyWithSignatures(const std::filesystem::path& dir, SignatureFormat format,
                                      const std::function<void(const std::vector<std::string>&)>& row) {
  // The custody report's columns (store_reports.cpp): asset_tag, state, custodian, kiosk_id, seq,
  // since, signature.
  constexpr size_t kKiosk = 3, kSeq = 4, kSignature = 6;
  std::vector<std::vector<std::string>> rows;
  if (auto s = Report("custody", [&](const std::vector<std::string>& r) { rows.push_back(r); }); !s.ok()) return s;
  if (rows.empty() || rows[0].size() <= kSignature || rows[0][kSignature] != "signature")
    return MakeError(ErrorKind::Integrity, "report.columns", "The custody report has no signature column.");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    return MakeError(ErrorKind::Usage, "signature.dir",
                     "Cannot make the folder " + dir.string() + " for the signatures" +
                         (ec ? ": " + ec.message() : std::string(": a file has that name")) + ".");
  row(rows[0]);
  for (size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string>& r = rows[i];
    if (r[kSignature] == "drawn") {
      auto record = SignatureOf(r[kKiosk], std::stoll(r[kSeq]));
      if (!record.ok()) return record.error();
      auto doc = SignatureDocument(*record, format);
      if (!doc.ok()) return doc.error();
      const std::string name = SignatureFileName(*record, format);
      if (auto w = WriteFileAtomically(dir / name, *doc); !w.ok()) return w.error();
      r[kSignature] = name;
    }
    row(r);
  }
  return {};
}

}  // namespace kiosk::central
