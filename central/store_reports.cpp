// The CSV reports' queries, once for both stores (sqlite_store.cpp, pg_store.cpp): SQL belongs
// with the store adapters (tests/layering/check_layers.sh).
#include <map>

#include "central/store.hpp"

namespace kiosk::central {

Result<ReportSpec> FindReport(const std::string& name, const std::string& bytewise) {
  // {C}: where the collation goes. Custody rows with no state are PostgreSQL's lock placeholders
  // (pg_store.cpp, LoadFacts), never a unit's custody.
  static const std::map<std::string, ReportSpec> kReports = {
      {"sellout",
       {{"kiosk_id", "seq", "partner_id", "gtin", "serial", "wall_time", "received_at"},
        "SELECT s.kiosk_id, s.seq, s.partner_id, s.gtin, s.serial, e.wall_time, e.received_at FROM sellouts s "
        "JOIN events e ON e.kiosk_id = s.kiosk_id AND e.seq = s.seq ORDER BY s.kiosk_id{C}, s.seq, s.gtin{C}, "
        "s.serial{C}"}},
      {"redemptions",
       {{"kiosk_id", "seq", "partner_id", "reward_id", "requested_points", "honoured_points", "verdict", "wall_time"},
        "SELECT r.kiosk_id, r.seq, r.partner_id, r.reward_id, r.requested, r.honoured, e.verdict, e.wall_time FROM "
        "redemptions r JOIN events e ON e.kiosk_id = r.kiosk_id AND e.seq = r.seq ORDER BY r.kiosk_id{C}, r.seq"}},
      // signature: "drawn" when the checkout carries the rep's strokes (`kiosk-central signature
      // --kiosk K --seq N` shows them), "none" when the kiosk journaled that none was given, ""
      // otherwise (a check-in, or an older kiosk's checkout that kept only the hash).
      {"custody",
       {{"asset_tag", "state", "custodian", "kiosk_id", "seq", "since", "signature"},
        "SELECT c.asset_tag, c.state, c.custodian, c.kiosk_id, c.seq, c.since, CASE WHEN e.type = "
        "'device.checked_out' AND e.payload LIKE '%\"signature\":\"%' THEN 'drawn' WHEN e.type = "
        "'device.checked_out' AND e.payload LIKE '%\"signature_none\":%' THEN 'none' ELSE '' END FROM custody c "
        "LEFT JOIN events e ON e.kiosk_id = c.kiosk_id AND e.seq = c.seq WHERE c.state <> '' ORDER BY "
        "c.asset_tag{C}"}},
      {"rejects",
       {{"kiosk_id", "seq", "event_id", "type", "verdict", "code", "message", "wall_time", "received_at"},
        "SELECT kiosk_id, seq, event_id, type, verdict, code, message, wall_time, received_at FROM events WHERE "
        "verdict <> 'accepted' OR code <> '' ORDER BY kiosk_id{C}, seq"}},
      {"flags",
       {{"kiosk_id", "seq", "kind", "message", "created_at"},
        "SELECT kiosk_id, seq, kind, message, created_at FROM flags ORDER BY id"}},
  };
  auto it = kReports.find(name);
  if (it == kReports.end())
    return MakeError(ErrorKind::Usage, "report.unknown",
                     "Unknown report '" + name + "': choose sellout, redemptions, custody, rejects or flags.");
  ReportSpec spec = it->second;
  for (size_t at; (at = spec.sql.find("{C}")) != std::string::npos;) spec.sql.replace(at, 3, bytewise);
  return spec;
}

}  // namespace kiosk::central
