// What a scanned or typed code prints as on a label: a demo unit's GS1 data, a partner card's
// number, a staff badge's code. `kiosk labels` and the touchscreen's label action both ask here,
// so a label says the same whoever prints it. No SQL: the lookups are the services' own.
#include "kiosk/services/kiosk_impl.hpp"

namespace kiosk {

Result<LabelContent> Kiosk::LabelFor(std::string_view code) {
  auto r = Resolve(code);
  if (!r.ok()) return r.error();
  switch (r->kind) {
    case EntityKind::Device: {
      auto d = GetDevice(r->key);
      if (!d.ok()) return d.error();
      return LabelContent{d->device.asset_tag + " · " + (d->model.name.empty() ? d->device.gtin : d->model.name),
                          "(01)" + d->device.gtin + "(21)" + d->device.serial, true};
    }
    case EntityKind::PartnerCard: {
      auto p = GetPartner(r->key);
      if (!p.ok()) return p.error();
      // A blocked card is reported lost or withdrawn: a new label for it would put it back in use.
      if (p->card_status == CardStatus::Blocked)
        return MakeError(ErrorKind::Refused, "labels.card_blocked",
                         "Card " + p->card_number + " of " + p->partner.name +
                             " is blocked (reported lost or withdrawn): no label is printed for it.",
                         {{"card", p->card_number}, {"partner", p->partner.name}});
      return LabelContent{p->partner.name, p->card_number, false};
    }
    case EntityKind::Badge: {
      auto b = FindBadge(r->key);
      if (!b.ok()) return b.error();
      // The name alone: the code is printed under the symbol, and a role would be in one language.
      return LabelContent{b->name, b->code, false};
    }
    case EntityKind::Model:
    case EntityKind::Unknown: break;
  }
  const std::string text(code);
  return MakeError(ErrorKind::Usage, "labels.what",
                   "\"" + text + "\" is not a demo unit, partner card or staff badge of this kiosk: labels are for those.",
                   {{"code", text}});
}

}  // namespace kiosk
