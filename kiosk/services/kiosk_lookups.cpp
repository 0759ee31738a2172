// Scans and typed codes to entities: badges, partner cards, demo units, models, rewards. Exact
// text is tried first, the barcode classifier only on a miss. Every feature file looks up here.
#include "kiosk/core/barcode/check_digit.hpp"
#include "kiosk/core/rules/partners.hpp"
#include "kiosk/core/rules/people.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/reference_store.hpp"

namespace kiosk {

using nlohmann::json;

Result<Badge> Kiosk::Impl::LookupBadge(std::string_view code, const barcode::Classified* given) {
  std::optional<Badge> out;
  storage::ReferenceStore store(*db);
  auto find = [&](const std::string& key) -> kiosk::Status {
    auto b = store.FindBadge(key);
    if (!b.ok()) return b.error();
    out = std::move(*b);
    return {};
  };
  std::string key(code);
  KIOSK_TRY(find(key));
  if (!out) {
    barcode::Classified local;
    const barcode::Classified& c = given ? *given : (local = classifier.Classify(code));
    if (c.kind == barcode::Kind::StaffBadge && !c.value.empty() && c.value != key) {
      key = c.value;
      KIOSK_TRY(find(key));
    }
  }
  if (!out)
    return MakeError(ErrorKind::NotFound, "badge.unknown",
                     "Badge " + key + " is not known to this kiosk. Scan it again, or ask an admin to sync if it is new.",
                     {{"badge", key}});
  return *out;
}

Result<Badge> Kiosk::Impl::RequireBadge(std::string_view code, std::initializer_list<Role> roles, const char* action) {
  auto b = LookupBadge(code);
  if (!b.ok()) return b.error();
  KIOSK_TRY(rules::CheckBadge(*b, roles, action));
  return b;
}

Result<PartnerCtx> Kiosk::Impl::LookupPartner(std::string_view card_or_id, const barcode::Classified* given) {
  PartnerCtx ctx;
  std::string partner_id;
  bool card_found = false;
  storage::ReferenceStore store(*db);
  auto find_card = [&](const std::string& number) -> kiosk::Status {
    auto card = store.FindCard(number);
    if (!card.ok()) return card.error();
    if (*card) {
      partner_id = std::move((*card)->partner_id);
      ctx.card_status = (*card)->status;
      card_found = true;
    }
    return {};
  };
  std::string key(card_or_id);
  KIOSK_TRY(find_card(key));
  barcode::Classified local;
  const barcode::Classified* c = given;
  if (!card_found) {
    if (!c) c = &(local = classifier.Classify(card_or_id));
    if (c->kind == barcode::Kind::PartnerCard && !c->value.empty() && c->value != key) {
      key = c->value;
      KIOSK_TRY(find_card(key));
    }
  }
  if (card_found) ctx.card_number = key;
  else partner_id = key;
  auto partner = store.FindPartner(partner_id);
  if (!partner.ok()) return partner.error();
  if (!*partner) {
    if (c && c->kind == barcode::Kind::PartnerCard && !c->valid)
      return MakeError(ErrorKind::NotFound, "card.invalid", "That is not a valid partner card: " + c->reason + ".",
                       {{"reason", c->reason}});
    return MakeError(ErrorKind::NotFound, "partner.unknown",
                     "No partner card or partner " + key +
                         " is known to this kiosk. Check the card, or ask an admin to sync if it is new.",
                     {{"card", key}});
  }
  ctx.partner = std::move(**partner);
  return ctx;
}

Result<PartnerCtx> Kiosk::Impl::RequirePartner(std::string_view card_or_id, const char* action) {
  auto p = LookupPartner(card_or_id);
  if (!p.ok()) return p.error();
  KIOSK_TRY(rules::CheckCard(p->card_number, p->card_status, p->partner));
  KIOSK_TRY(rules::CheckActive(p->partner, action));
  return p;
}

Result<Device> Kiosk::Impl::LookupDevice(std::string_view code, const barcode::Classified* given) {
  storage::ReferenceStore store(*db);
  auto found = store.FindDevice(std::string(code));
  if (!found.ok()) return found.error();
  if (*found) return std::move(**found);
  barcode::Classified local;
  const barcode::Classified& c = given ? *given : (local = classifier.Classify(code));
  if (c.kind == barcode::Kind::AssetTag && !c.value.empty()) {
    found = store.FindDevice(c.value);
  } else if (auto gtin = c.Gtin(); gtin && c.valid) {
    if (auto serial = c.Serial()) {
      found = store.FindDevice(*gtin, *serial);
    } else {
      return MakeError(ErrorKind::NotFound, "device.no_serial",
                       "That barcode names a product (GTIN " + *gtin +
                           ") but not a unit: scan the barcode that carries the serial number, or the asset tag.",
                       {{"gtin", *gtin}});
    }
  } else if (!c.valid && c.kind != barcode::Kind::Unknown) {
    return MakeError(ErrorKind::NotFound, "barcode.invalid", "That barcode can't be read as a demo unit: " + c.reason + ".",
                     {{"reason", c.reason}}, "unit");
  }
  if (!found.ok()) return found.error();
  if (*found) return std::move(**found);
  return MakeError(ErrorKind::NotFound, "device.unknown",
                   "No demo unit " + std::string(code) +
                       " is known to this kiosk. Scan its asset tag instead, or ask an admin to sync if it is new.",
                   {{"code", std::string(code)}});
}

Result<DemoModel> Kiosk::Impl::LookupModel(std::string_view gtin_text) {
  std::string gtin(gtin_text);
  if (gtin.size() != 14 || !barcode::AllDigits(gtin)) {  // a stored GTIN-14 needs no parsing
    auto c = classifier.Classify(gtin_text);
    if (auto g = c.Gtin(); g && c.valid) gtin = *g;
  }
  auto out = storage::ReferenceStore(*db).FindModel(gtin);
  if (!out.ok()) return out.error();
  if (!*out)
    return MakeError(ErrorKind::NotFound, "model.unknown", "No model with GTIN " + gtin + " is in the demo catalogue.",
                     {{"gtin", gtin}});
  return std::move(**out);
}

Result<Reward> Kiosk::Impl::LookupReward(std::string_view id) {
  auto out = storage::ReferenceStore(*db).FindReward(std::string(id));
  if (!out.ok()) return out.error();
  if (!*out) return MakeError(ErrorKind::NotFound, "reward.unknown", "No reward " + std::string(id) + " in the catalogue.",
                                    {{"reward", std::string(id)}});
  return std::move(**out);
}

Result<Balance> Kiosk::Impl::LookupBalance(const std::string& partner_id) {
  return storage::ReferenceStore(*db).BalanceOf(partner_id);
}

std::vector<Device> Kiosk::Impl::KitMembers(const std::string& kit) {
  return ValueOr(storage::ReferenceStore(*db).KitMembers(kit), {});
}

Result<ScanResolution> Kiosk::Resolve(std::string_view scanned) {
  Impl& m = *m_impl;
  storage::ReadSnapshot snapshot(*m.db);
  auto c = m.classifier.Classify(scanned);
  ScanResolution out;
  out.fields = json::object();
  out.fields["kind"] = std::string(barcode::ToString(c.kind));
  out.fields["valid"] = c.valid;
  if (!c.reason.empty()) out.fields["reason"] = c.reason;
  if (!c.symbology.empty()) out.fields["symbology"] = c.symbology;
  if (!c.value.empty()) out.fields["value"] = c.value;
  for (const auto& [ai, v] : c.ais) out.fields["ai"][ai] = v;

  storage::ReferenceStore store(*m.db);
  if (c.kind == barcode::Kind::PartnerCard || c.kind == barcode::Kind::Unknown) {
    // The card as scanned, then as the classifier reads it (LookupPartner's order); a card whose
    // partner is not in the reference data is no partner card here.
    std::string number(scanned);
    auto holder = store.FindCardHolder(number);
    if (holder.ok() && !*holder && c.kind == barcode::Kind::PartnerCard && !c.value.empty() && c.value != number) {
      number = c.value;
      holder = store.FindCardHolder(number);
    }
    if (holder.ok() && *holder) {
      const storage::CardHolder& h = **holder;
      out.kind = EntityKind::PartnerCard;
      out.key = std::move(number);
      out.label = h.name + " (" + std::string(DisplayName(h.tier)) + ")";
      out.label_args = {{"name", h.name}, {"tier", TierKey(h.tier)}};
      out.fields["card_status"] = std::string(ToString(h.card_status));
      out.fields["partner_status"] = std::string(ToString(h.status));
      return out;
    }
  }
  if (c.kind == barcode::Kind::StaffBadge || c.kind == barcode::Kind::Unknown) {
    if (auto b = m.LookupBadge(scanned, &c); b.ok()) {
      out.kind = EntityKind::Badge;
      out.key = b->code;
      out.label = b->name + " (" + std::string(ToString(b->role)) + ")";
      out.label_args = {{"name", b->name}, {"role", RoleKey(b->role)}};
      return out;
    }
  }
  if (auto d = m.LookupDevice(scanned, &c); d.ok()) {
    out.kind = EntityKind::Device;
    out.key = d->asset_tag;
    // Only the model's name is shown: read alone where the stored GTIN is the usual 14 digits.
    std::optional<std::string> name;
    if (d->gtin.size() == 14 && barcode::AllDigits(d->gtin)) name = ValueOr(store.FindModelName(d->gtin), {});
    if (!name)
      if (auto model = m.LookupModel(d->gtin); model.ok()) name = std::move(model->name);
    out.label = d->asset_tag + " " + (name ? *name : d->gtin);
    return out;
  }
  if (auto g = c.Gtin(); g && c.valid) {
    if (auto model = m.LookupModel(*g); model.ok()) {
      out.kind = EntityKind::Model;
      out.key = model->gtin;
      out.label = model->name;
      return out;
    }
  }
  if (!c.valid && c.kind != barcode::Kind::Unknown)
    return MakeError(ErrorKind::NotFound, "barcode.invalid", "That barcode is not valid: " + c.reason + ".",
                     {{"reason", c.reason}});
  return MakeError(ErrorKind::NotFound, "barcode.unknown",
                   "Unknown barcode \"" + std::string(scanned.substr(0, 64)) +
                       "\": it is not a partner card, staff badge or demo unit known to this kiosk.",
                   {{"code", std::string(scanned.substr(0, 64))}});
}

Result<Badge> Kiosk::FindBadge(std::string_view code) { return m_impl->LookupBadge(code); }

Result<Badge> Kiosk::SignIn(std::string_view badge_code) {
  return m_impl->RequireBadge(badge_code, {Role::Staff, Role::Rep, Role::Admin}, "sign in");
}

}  // namespace kiosk
