// Applying reference data: a validated document is applied in one transaction, together with a
// `reference.loaded` journal event, or not at all.
#include "kiosk/core/anchor.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "kiosk/core/reference.hpp"

namespace kiosk {

using nlohmann::json;

namespace {

kiosk::Status UpsertPartner(storage::Db& db, const Partner& p) {
  const json nt = RequirementsToJson(p.next_tier);
  return db.Run(
      "INSERT INTO partners (id, name, country, region, tier, type, authorization, status, certified_sales, "
      "certified_technical, next_tier) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "country = excluded.country, region = excluded.region, tier = excluded.tier, type = excluded.type, "
      "authorization = excluded.authorization, status = excluded.status, certified_sales = excluded.certified_sales, "
      "certified_technical = excluded.certified_technical, next_tier = excluded.next_tier",
      p.id, p.name, p.country, p.region, std::string(ToString(p.tier)), std::string(ToString(p.type)),
      std::string(ToString(p.authorization)), std::string(ToString(p.status)), p.certified_sales,
      p.certified_technical, nt.dump());
}

Result<LoadReport> ApplyReference(Kiosk::Impl& m, const ReferenceDoc& doc);

}  // namespace

Result<LoadReport> Kiosk::LoadReference(std::string_view json_text) {
  KIOSK_TRY(m_impl->RequireWritable());
  auto parsed = ParseReference(json_text);
  if (!parsed.ok()) return parsed.error();
  return ApplyReference(*m_impl, *parsed);
}

Result<LoadReport> Kiosk::LoadReferenceFile(const std::filesystem::path& file) {
  KIOSK_TRY(m_impl->RequireWritable());
  auto parsed = ParseReferenceFile(file);
  if (!parsed.ok()) return parsed.error();
  return ApplyReference(*m_impl, *parsed);
}

namespace {

Result<LoadReport> ApplyReference(Kiosk::Impl& m, const ReferenceDoc& doc) {
  const int64_t current = std::strtoll(m.StateValue(SyncKey::ReferenceVersion, "0").c_str(), nullptr, 10);
  if (!doc.full && doc.base_version != current)
    return MakeError(ErrorKind::Refused, "reference.version_gap",
                     "This delta applies on top of reference version " + std::to_string(doc.base_version) +
                         ", but the kiosk has version " + std::to_string(current) + ". Nothing was applied; sync again "
                         "to get the missing versions (or load a full snapshot).");

  LoadReport report;
  report.version = doc.version;
  report.full = doc.full;
  storage::Db& db = *m.db;
  json payload{{"version", doc.version}, {"full", doc.full}, {"partners", doc.partners.size()},
               {"devices", doc.devices.size()}, {"rewards", doc.rewards.size()}};
  auto e = m.Act("reference.loaded", payload, "", [&](int64_t) -> kiosk::Status {
    if (doc.full) {
      // Devices keep this kiosk's own custody changes only through the central: a full snapshot
      // is taken as the central's truth, which includes every event it acknowledged.
      KIOSK_TRY(db.ExecScript("DELETE FROM cards; DELETE FROM balances; DELETE FROM partners; DELETE FROM badges; "
                              "DELETE FROM models; DELETE FROM devices; DELETE FROM rewards; DELETE FROM settings;"));
    }
    for (const auto& [list, key] : doc.deleted) {
      static const std::map<std::string, std::string> kDelete = {
          {"partners", "DELETE FROM partners WHERE id = ?"},     {"cards", "DELETE FROM cards WHERE number = ?"},
          {"badges", "DELETE FROM badges WHERE code = ?"},       {"models", "DELETE FROM models WHERE gtin = ?"},
          {"devices", "DELETE FROM devices WHERE asset_tag = ?"}, {"rewards", "DELETE FROM rewards WHERE id = ?"},
          {"balances", "DELETE FROM balances WHERE partner_id = ?"}};
      KIOSK_TRY(db.Run(kDelete.at(list), key));
    }
    if (doc.settings) {
      const json settings = SettingsToJson(*doc.settings);  // items() must not outlive its json
      for (const auto& [k, v] : settings.items())
        KIOSK_TRY(db.Run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                         "excluded.value",
                         k, v.is_string() ? v.get<std::string>() : v.dump()));
    }
    for (const Partner& p : doc.partners) KIOSK_TRY(UpsertPartner(db, p));
    for (size_t i = 0; i < doc.cards.size(); ++i) {
      const PartnerCard& c = doc.cards[i];
      auto exists = db.ScalarInt("SELECT 1 FROM partners WHERE id = ?", c.partner_id);
      if (!exists.ok()) return exists.error();
      if (!*exists)
        return MakeError(ErrorKind::Usage, "reference.invalid",
                         "/cards/" + std::to_string(i) + "/partner_id: no partner '" + c.partner_id + "'");
      KIOSK_TRY(db.Run("INSERT INTO cards (number, partner_id, status) VALUES (?,?,?) ON CONFLICT(number) DO UPDATE SET "
                       "partner_id = excluded.partner_id, status = excluded.status",
                       c.number, c.partner_id, std::string(ToString(c.status))));
    }
    for (const Badge& b : doc.badges)
      KIOSK_TRY(db.Run("INSERT INTO badges (code, name, role, pin_hash, active) VALUES (?,?,?,?,?) ON CONFLICT(code) DO "
                       "UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash, active = "
                       "excluded.active",
                       b.code, b.name, std::string(ToString(b.role)), b.pin_hash, b.active ? 1 : 0));
    for (const DemoModel& md : doc.models)
      KIOSK_TRY(db.Run("INSERT INTO models (gtin, name, category, quota_registered, quota_silver, quota_gold, "
                       "quota_platinum, active) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(gtin) DO UPDATE SET name = "
                       "excluded.name, category = excluded.category, quota_registered = excluded.quota_registered, "
                       "quota_silver = excluded.quota_silver, quota_gold = excluded.quota_gold, quota_platinum = "
                       "excluded.quota_platinum, active = excluded.active",
                       md.gtin, md.name, md.category, md.quota[0], md.quota[1], md.quota[2], md.quota[3],
                       md.active ? 1 : 0));
    for (size_t i = 0; i < doc.devices.size(); ++i) {
      const Device& d = doc.devices[i];
      if (!doc.full) {
        auto model = db.ScalarInt("SELECT 1 FROM models WHERE gtin = ?", d.gtin);
        if (!model.ok()) return model.error();
        if (!*model)
          return MakeError(ErrorKind::Usage, "reference.invalid",
                           "/devices/" + std::to_string(i) + "/gtin: no model with GTIN '" + d.gtin + "'");
      }
      KIOSK_TRY(db.Run("INSERT INTO devices (asset_tag, gtin, serial, kit, state, custodian, due_date, purpose, location) "
                       "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(asset_tag) DO UPDATE SET gtin = excluded.gtin, serial = "
                       "excluded.serial, kit = excluded.kit, state = excluded.state, custodian = excluded.custodian, "
                       "due_date = excluded.due_date, purpose = excluded.purpose, location = excluded.location",
                       d.asset_tag, d.gtin, d.serial, d.kit, std::string(ToString(d.state)), d.custodian, d.due_date,
                       d.purpose, d.location));
    }
    for (const Reward& r : doc.rewards)
      KIOSK_TRY(db.Run("INSERT INTO rewards (id, name, category, points, stock, active) VALUES (?,?,?,?,?,?) ON "
                       "CONFLICT(id) DO UPDATE SET name = excluded.name, category = excluded.category, points = "
                       "excluded.points, stock = excluded.stock, active = excluded.active",
                       r.id, r.name, r.category, r.points, r.stock, r.active ? 1 : 0));
    for (size_t i = 0; i < doc.balances.size(); ++i) {
      const Balance& b = doc.balances[i];
      auto exists = db.ScalarInt("SELECT 1 FROM partners WHERE id = ?", b.partner_id);
      if (!exists.ok()) return exists.error();
      if (!*exists)
        return MakeError(ErrorKind::Usage, "reference.invalid",
                         "/balances/" + std::to_string(i) + "/partner_id: no partner '" + b.partner_id + "'");
      KIOSK_TRY(db.Run("INSERT INTO balances (partner_id, available, pending) VALUES (?,?,?) ON CONFLICT(partner_id) DO "
                       "UPDATE SET available = excluded.available, pending = excluded.pending",
                       b.partner_id, b.available, b.pending));
    }
    const std::string now = FormatUtc(m.clock->Now());
    for (const json& d : doc.deal_decisions) {
      if (!d.is_object() || !d.contains("seq") || !d["seq"].is_number_integer()) continue;
      KIOSK_TRY(db.Run("UPDATE deals SET status = ?, decided_at = ? WHERE seq = ?", d.value("status", "pending"), now,
                       d["seq"].get<int64_t>()));
    }
    KIOSK_TRY(m.SetState(SyncKey::ReferenceVersion, std::to_string(doc.version)));
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(m.clock->Now().time_since_epoch()).count();
    KIOSK_TRY(m.SetState(SyncKey::LastFreshAt, std::to_string(now_ms)));
    if (doc.covers_kiosk_seq) KIOSK_TRY(m.SetState(SyncKey::CoversKioskSeq, std::to_string(*doc.covers_kiosk_seq)));
    return {};
  });
  if (!e.ok()) return e.error();
  report.partners = static_cast<int>(doc.partners.size());
  report.cards = static_cast<int>(doc.cards.size());
  report.badges = static_cast<int>(doc.badges.size());
  report.models = static_cast<int>(doc.models.size());
  report.devices = static_cast<int>(doc.devices.size());
  report.rewards = static_cast<int>(doc.rewards.size());
  report.balances = static_cast<int>(doc.balances.size());
  return report;
}

}  // namespace

}  // namespace kiosk

namespace kiosk {

Result<int64_t> Kiosk::PruneAcknowledged(int keep_days) {
  Impl& m = *m_impl;
  if (keep_days <= 0) return int64_t{0};
  KIOSK_TRY(m.RequireWritable());
  const int64_t acked = std::strtoll(m.StateValue(SyncKey::AckedThrough, "0").c_str(), nullptr, 10);
  const int64_t already = std::strtoll(m.StateValue(SyncKey::PrunedThrough, "0").c_str(), nullptr, 10);
  const std::string cutoff = FormatUtc(m.clock->Now() - std::chrono::days(keep_days));
  // A prefix: stop before the first event that is recent enough to keep.
  auto first_kept = m.db->ScalarInt("SELECT min(seq) FROM journal WHERE wall_time >= ?", cutoff);
  if (!first_kept.ok()) return first_kept.error();
  int64_t through = acked;
  if (*first_kept) through = std::min(through, **first_kept - 1);
  // Verification needs the event the central's anchor signs for (its row and HMAC), so the prefix
  // stops just before it, however old it is.
  if (auto anchor = AnchorFromJsonText(m.StateValue(SyncKey::Anchor, "")); anchor.ok())
    through = std::min(through, anchor->seq - 1);
  if (through <= already) return int64_t{0};
  auto head = m.db->ScalarText("SELECT hash FROM journal WHERE seq = ?", through);
  if (!head.ok()) return head.error();
  if (!*head) return int64_t{0};
  const int64_t removed = through - already;
  json payload{{"through_seq", through}, {"head_hash", **head}, {"events", removed}, {"keep_days", keep_days}};
  auto e = m.Act("journal.pruned", payload, "", [&](int64_t) -> kiosk::Status {
    KIOSK_TRY(m.db->Run("DELETE FROM device_events WHERE seq <= ?", through));
    KIOSK_TRY(m.db->Run("DELETE FROM journal WHERE seq <= ?", through));
    KIOSK_TRY(m.SetState(SyncKey::PrunedThrough, std::to_string(through)));
    return m.SetState(SyncKey::PrunedHeadHash, **head);
  });
  if (!e.ok()) return e.error();
  return removed;
}

}  // namespace kiosk
