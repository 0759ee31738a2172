#include "kiosk/core/rules/partners.hpp"

#include <algorithm>

#include "kiosk/core/rules/people.hpp"

namespace kiosk::rules {

bool RefusedWhenSuspended(std::string_view action) {
  return std::find(kRefusedWhenSuspended.begin(), kRefusedWhenSuspended.end(), action) != kRefusedWhenSuspended.end();
}

Status CheckCard(std::string_view card_number, CardStatus status, const Partner& partner) {
  if (status != CardStatus::Blocked) return {};
  const std::string card(card_number);
  return MakeError(ErrorKind::Refused, "card.blocked",
                   "Card " + card + " is blocked by the vendor. Keep the card and ask the partner to contact their "
                                    "channel manager.",
                   {{"card", card}, {"partner", partner.name}});
}

Status CheckActive(const Partner& partner, std::string_view action) {
  if (partner.status != PartnerStatus::Suspended || !RefusedWhenSuspended(action)) return {};
  return MakeError(ErrorKind::Refused, "partner.suspended",
                   partner.name + " is suspended from the partner program, so it can't " + std::string(action) +
                       ". Its channel manager can reinstate it.",
                   {{"partner", partner.name}, {"action", ActionKey(action)}});
}

std::string SuspendedNotice(const Partner& partner) {
  (void)partner;
  // One noun per entry of kRefusedWhenSuspended, in its order.
  static constexpr std::array<std::string_view, kRefusedWhenSuspended.size()> kNouns = {"orders", "redemptions",
                                                                                       "deals"};
  std::string list;
  for (size_t i = 0; i < kNouns.size(); ++i)
    list += (i == 0 ? "" : i + 1 == kNouns.size() ? " and " : ", ") + std::string(kNouns[i]);
  return "this partner is suspended; " + list + " are refused.";
}

}  // namespace kiosk::rules
