// The journal read back and verified, and the central's verdicts on it.
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/verdicts.hpp"

namespace kiosk {

Result<std::vector<VerdictView>> Kiosk::Verdicts(bool with_remarks) {
  auto rows = storage::VerdictStore(*m_impl->db).List(with_remarks);
  if (!rows.ok()) return rows.error();
  std::vector<VerdictView> out;
  out.reserve(rows->size());
  for (auto& r : *rows)
    out.push_back(VerdictView{r.seq, std::move(r.verdict), std::move(r.code), std::move(r.message),
                              std::move(r.received_at), std::move(r.type), std::move(r.wall_time)});
  return out;
}

Result<std::vector<Event>> Kiosk::Journal(int64_t since_seq, int64_t limit) {
  return m_impl->journal->Read(since_seq, limit);
}

Result<SignatureRecord> Kiosk::SignatureOf(int64_t seq) {
  auto events = m_impl->journal->Read(seq, 1);  // from seq on, one event
  if (!events.ok()) return events.error();
  if (events->empty() || events->front().seq != seq)
    return MakeError(ErrorKind::NotFound, "signature.no_event",
                     "The journal holds no event " + std::to_string(seq) +
                         " (never logged, or removed by retention after it was synced; the central keeps it: "
                         "kiosk-central signature).",
                     {{"seq", std::to_string(seq)}});
  return SignatureRecordOf(events->front());
}

Result<VerifyReport> Kiosk::Verify() { return m_impl->journal->Verify(); }

}  // namespace kiosk
