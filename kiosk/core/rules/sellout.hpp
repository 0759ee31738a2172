#pragma once
// The partner program's rules, sell-out: a sold unit is reported once, by its GS1 code (GTIN and
// serial), and a demo unit is not for resale. A suspended partner's sale is recorded without
// points (a warning at the kiosk; the central credits nothing).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/barcode/classify.hpp"
#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::rules {

struct SoldUnit {
  std::string gtin, serial;
};

// barcode.invalid, sellout.no_serial: what the scanned code must be to name a sold unit.
Result<SoldUnit> SoldUnitFromScan(const barcode::Classified& scan, std::string_view raw);

// sellout.demo_unit, sellout.duplicate: `demo_tag` is the demo unit with this GTIN and serial, if
// any; `reported_seq` the journal seq that already reported it, if any.
Status CheckSoldUnit(const SoldUnit& unit, const std::optional<std::string>& demo_tag,
                     std::optional<int64_t> reported_seq);

// Adds sellout.partner_suspended for a suspended partner's report: recorded, without points.
void AddSelloutWarnings(const Partner& partner, std::vector<Warning>& warnings);

}  // namespace kiosk::rules
