// The kiosk's journal as the central holds it, given back to the kiosk: GET /v1/journal. A kiosk
// whose data folder was restored from an older backup (or copied from another machine) has a
// journal that ends, or forks, before the central's; `kiosk recover` takes the central's events
// back through this route and checks them against its own key and the anchor signed here.
#include "central/central.hpp"

#include <limits>

#include "central/central_parts.hpp"
#include "kiosk/core/atomic_file.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

namespace {
constexpr int64_t kMaxJournalPage = 2000;  // events per answer; the kiosk asks again for more
}

Result<std::string> Central::JournalDocument(const std::string& kiosk_id, int64_t after, int64_t limit) {
  if (after < 0) after = 0;
  if (limit <= 0) limit = std::numeric_limits<int64_t>::max() - after;
  std::lock_guard lock(m_mu);
  auto kiosk = m_store.GetKiosk(kiosk_id);
  if (!kiosk.ok()) return kiosk.error();
  if (!*kiosk)
    return MakeError(ErrorKind::NotFound, "kiosk.not_enrolled", "Kiosk " + kiosk_id + " is not enrolled with this central.");
  const KioskRecord& k = **kiosk;
  json events = json::array();
  const int64_t to = std::min(k.acked_through, after + limit);
  if (to > after) {
    auto stored = m_store.GetEvents(kiosk_id, after + 1, to);
    if (!stored.ok()) return stored.error();
    for (const StoredEvent& s : *stored) events.push_back(ToJson(s.event));
  }
  // The anchor names the central's head, whichever page this is: the kiosk checks the last page
  // against it, and every page chains on from the one before.
  json doc{{"kiosk_id", kiosk_id},
           {"acked_through", k.acked_through},
           {"after", after},
           {"events", std::move(events)},
           {"more", to < k.acked_through},
           {"anchor", sync::ToJson(MakeAnchor(kiosk_id, k.acked_through, k.head_hash))}};
  return doc.dump();
}

HttpAnswer Central::HandleJournal(const sync::SignedHeaders& h, const std::string& signed_path, int64_t after,
                                  int64_t limit) {
  {
    std::lock_guard lock(m_mu);
    const int64_t now = NowMs();
    auto kiosk = AuthenticateLocked("GET", signed_path, h, "", now);
    if (!kiosk.ok()) return Answer(kiosk.error(), json{{"server_time_ms", now}});
    auto fresh = m_store.RememberReadNonce(h.kiosk_id, h.nonce, now, 0);
    if (!fresh.ok()) return Answer(fresh.error());
    if (!*fresh)
      return Answer(MakeError(ErrorKind::Refused, "auth.replayed", "This exact request was already received: a replay."));
  }
  auto doc = JournalDocument(h.kiosk_id, after, std::clamp<int64_t>(limit <= 0 ? kMaxJournalPage : limit, 1, kMaxJournalPage));
  if (!doc.ok()) return Answer(doc.error());
  HttpAnswer a;
  a.body = std::move(*doc);
  return a;
}

Result<std::filesystem::path> Central::ExportJournal(const std::string& kiosk_id, const std::filesystem::path& out_dir,
                                                    int64_t after) {
  auto doc = JournalDocument(kiosk_id, after, 0);
  if (!doc.ok()) return doc.error();
  json j = json::parse(*doc);
  j["format"] = "showroom-kiosk/journal 1";
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec)
    return MakeError(ErrorKind::Storage, "export.dir", "Can't create the folder " + out_dir.string() + ": " + ec.message());
  const std::filesystem::path file =
      out_dir / ("journal-" + kiosk_id + "-" + std::to_string(j["acked_through"].get<int64_t>()) + ".json");
  KIOSK_TRY(WriteFileAtomically(file, j.dump() + "\n", {.mode = 0644, .error_code = "export.write_failed"}));
  return file;
}

}  // namespace kiosk::central
