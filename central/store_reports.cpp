// The CSV reports' queries, once for both stores (sqlite_store.cpp, pg_store.cpp): SQL belongs
// with the store adapters (tests/layering/check_layers.sh).
#include <map>

#include "central/store.hpp"

namespace kiosk::central {

namespace {

// Each unit named in a stocktake.finished event the central accepted, with the list it is in
// (found, missing, misplaced, unexpected): {ST_EACH} and {ST_TAG} are the dialect's JSON reading.
// The lists of tags hold strings, the others objects with an asset_tag (kiosk/core/events.hpp);
// a member that is not a list reads as none.
constexpr const char* kStocktakeUnitsSqlite =
    "json_each(se.payload) j, json_each(CASE WHEN j.type = 'array' THEN j.value ELSE '[]' END) x";
constexpr const char* kStocktakeTagSqlite =
    "CASE WHEN x.type = 'text' THEN x.value ELSE json_extract(x.value, '$.asset_tag') END";
constexpr const char* kStocktakeUnitsPg =
    "jsonb_each(se.payload::jsonb) AS j(key, value), jsonb_array_elements(CASE WHEN jsonb_typeof(j.value) = 'array' "
    "THEN j.value ELSE '[]'::jsonb END) AS x(value)";
constexpr const char* kStocktakeTagPg = "COALESCE(x.value ->> 'asset_tag', x.value #>> '{}')";

// A member of a device record (the refs list "devices", body as the reference data has it), "" when
// it has none.
std::string DeviceMember(SqlDialect dialect, const char* member) {
  return dialect == SqlDialect::SQLite ? std::string("COALESCE(json_extract(r.body, '$.") + member + "'), '')"
                                       : std::string("COALESCE(r.body::jsonb ->> '") + member + "', '')";
}

void Replace(std::string& sql, const std::string& what, const std::string& with) {
  for (size_t at; (at = sql.find(what)) != std::string::npos;) sql.replace(at, what.size(), with);
}

}  // namespace

Result<ReportSpec> FindReport(const std::string& name, const std::string& bytewise, SqlDialect dialect) {
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
      //
      // last_stocktake, stocktake: the day (UTC) of the latest accepted stocktake.finished event
      // of any kiosk that names the unit, and what it found it to be: found, missing, misplaced
      // or unexpected.
      //
      // due_date: when the unit is due back, as the central's device record has it. source: where
      // the row comes from: "kiosk" (a checkout or check-in a kiosk journaled), "reference" (a unit
      // the vendor's reference data has out, checked out or in transit, that no kiosk has reported
      // on since: the central knows who holds it only from there), "stocktake" (a unit only a
      // stocktake named: a unit missing from its shelf is what the report is for).
      {"custody",
       {{"asset_tag", "state", "custodian", "kiosk_id", "seq", "since", "signature", "last_stocktake", "stocktake",
         "due_date", "source"},
        "WITH se AS MATERIALIZED (SELECT kiosk_id, seq, wall_time, payload FROM events WHERE type = "
        "'stocktake.finished' AND verdict <> 'rejected'), "
        "st AS (SELECT {ST_TAG} AS tag, j.key AS result, se.wall_time, se.kiosk_id, se.seq FROM se, {ST_EACH} "
        "WHERE j.key IN ('found', 'missing', 'misplaced', 'unexpected')), "
        "latest AS (SELECT tag, result, substr(wall_time, 1, 10) AS day, row_number() OVER (PARTITION BY tag ORDER BY "
        "wall_time DESC, kiosk_id DESC, seq DESC) AS rn FROM st), "
        "dev AS (SELECT r.key AS tag, {DEV_STATE} AS state, {DEV_CUSTODIAN} AS custodian, {DEV_DUE} AS due FROM refs r "
        "WHERE r.list = 'devices' AND NOT r.deleted), "
        "held AS (SELECT asset_tag FROM custody WHERE state <> '') "
        "SELECT * FROM (SELECT c.asset_tag, c.state, c.custodian, c.kiosk_id, CAST(c.seq AS TEXT), c.since, "
        "CASE WHEN e.type = 'device.checked_out' AND e.payload LIKE '%\"signature\":\"%' THEN 'drawn' WHEN e.type = "
        "'device.checked_out' AND e.payload LIKE '%\"signature_none\":%' THEN 'none' ELSE '' END, "
        "COALESCE(l.day, ''), COALESCE(l.result, ''), CASE WHEN c.state = 'checked_out' THEN COALESCE(d.due, '') "
        "ELSE '' END, 'kiosk' FROM custody c "
        "LEFT JOIN events e ON e.kiosk_id = c.kiosk_id AND e.seq = c.seq "
        "LEFT JOIN latest l ON l.tag = c.asset_tag AND l.rn = 1 LEFT JOIN dev d ON d.tag = c.asset_tag "
        "WHERE c.state <> '' "
        "UNION ALL SELECT d.tag, d.state, d.custodian, '', '', '', '', COALESCE(l.day, ''), COALESCE(l.result, ''), "
        "d.due, 'reference' FROM dev d LEFT JOIN latest l ON l.tag = d.tag AND l.rn = 1 WHERE d.state IN "
        "('checked_out', 'in_transit') AND d.tag NOT IN (SELECT asset_tag FROM held) "
        "UNION ALL SELECT l.tag, '', '', '', '', '', '', l.day, l.result, '', 'stocktake' FROM latest l WHERE l.rn = 1 "
        "AND l.tag NOT IN (SELECT asset_tag FROM held) AND NOT EXISTS (SELECT 1 FROM dev d WHERE d.tag = l.tag AND "
        "d.state IN ('checked_out', 'in_transit'))) u ORDER BY u.asset_tag{C}"}},
      {"rejects",
       {{"kiosk_id", "seq", "event_id", "type", "verdict", "code", "message", "wall_time", "received_at"},
        "SELECT kiosk_id, seq, event_id, type, verdict, code, message, wall_time, received_at FROM events WHERE "
        "verdict <> 'accepted' OR code <> '' ORDER BY kiosk_id{C}, seq"}},
      {"flags",
       {{"kiosk_id", "seq", "kind", "message", "created_at"},
        "SELECT kiosk_id, seq, kind, message, created_at FROM flags ORDER BY id"}},
      // Points credited for sell-outs (issue 17): one row per model of a report, as the ledger
      // holds it; model is the model's name when credited.
      {"points",
       {{"kiosk_id", "seq", "partner_id", "gtin", "model", "units", "points", "credited_at"},
        "SELECT kiosk_id, seq, partner_id, gtin, model, units, points, credited_at FROM points_credits ORDER BY "
        "kiosk_id{C}, seq, gtin{C}"}},
  };
  auto it = kReports.find(name);
  if (it == kReports.end())
    return MakeError(ErrorKind::Usage, "report.unknown",
                     "Unknown report '" + name + "': choose sellout, redemptions, custody, rejects, flags or points.");
  ReportSpec spec = it->second;
  Replace(spec.sql, "{ST_EACH}", dialect == SqlDialect::SQLite ? kStocktakeUnitsSqlite : kStocktakeUnitsPg);
  Replace(spec.sql, "{ST_TAG}", dialect == SqlDialect::SQLite ? kStocktakeTagSqlite : kStocktakeTagPg);
  Replace(spec.sql, "{DEV_STATE}", DeviceMember(dialect, "state"));
  Replace(spec.sql, "{DEV_CUSTODIAN}", DeviceMember(dialect, "custodian"));
  Replace(spec.sql, "{DEV_DUE}", DeviceMember(dialect, "due_date"));
  Replace(spec.sql, "{C}", bytewise);
  return spec;
}

}  // namespace kiosk::central
