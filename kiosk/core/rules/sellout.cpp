#include "kiosk/core/rules/sellout.hpp"

namespace kiosk::rules {

Result<SoldUnit> SoldUnitFromScan(const barcode::Classified& c, std::string_view code) {
  auto gtin = c.Gtin();
  auto serial = c.Serial();
  if (!c.valid && c.kind != barcode::Kind::Unknown)
    return MakeError(ErrorKind::Usage, "barcode.invalid", "That barcode is not valid: " + c.reason + ".",
                     {{"reason", c.reason}});
  if (!gtin || !serial)
    return MakeError(ErrorKind::Usage, "sellout.no_serial",
                     "A sell-out needs the unit's GS1 barcode with GTIN (01) and serial number (21); \"" +
                         std::string(code.substr(0, 40)) + "\" is not one.",
                     {{"code", std::string(code.substr(0, 40))}});
  return SoldUnit{std::string(*gtin), std::string(*serial)};
}

Status CheckSoldUnit(const SoldUnit& u, const std::optional<std::string>& demo_tag,
                     std::optional<int64_t> reported_seq) {
  if (demo_tag)
    return MakeError(ErrorKind::Refused, "sellout.demo_unit",
                     "Serial " + u.serial + " is demo unit " + *demo_tag + ", which is not for resale.",
                     {{"serial", u.serial}, {"tag", *demo_tag}});
  if (reported_seq)
    return MakeError(ErrorKind::Refused, "sellout.duplicate",
                     "Serial " + u.serial + " (GTIN " + u.gtin + ") was already reported as sold (journal seq " +
                         std::to_string(*reported_seq) + ").",
                     {{"serial", u.serial}, {"gtin", u.gtin}, {"seq", std::to_string(*reported_seq)}});
  return {};
}

void AddSelloutWarnings(const Partner& p, std::vector<Warning>& warnings) {
  if (p.status != PartnerStatus::Suspended) return;
  warnings.push_back({"sellout.partner_suspended",
                      p.name + " is suspended: the sale is recorded, but no points are credited until it is reinstated.",
                      {{"partner", p.name}}});
}

}  // namespace kiosk::rules
