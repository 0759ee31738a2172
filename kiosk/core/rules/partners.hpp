#pragma once
// The partner program's rules, partners and cards: a blocked card is refused for everything (one
// wording, at the counter and on the touchscreen alike); a suspended partner is refused the
// actions listed in kRefusedWhenSuspended, and its sell-outs are recorded without points.
#include <array>
#include <string>
#include <string_view>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::rules {

// What a suspended partner can't do at a kiosk, as the actions are named in reasons. The
// central refuses the same (central/rules.cpp): demo orders and deals by verdict.
inline constexpr std::array<std::string_view, 3> kRefusedWhenSuspended = {"order demo units", "redeem rewards",
                                                                          "register deals"};
bool RefusedWhenSuspended(std::string_view action);

// card.blocked: the one refusal of a blocked card, whatever was asked of it.
Status CheckCard(std::string_view card_number, CardStatus status, const Partner& partner);

// partner.suspended, when `action` is one a suspended partner is refused.
Status CheckActive(const Partner& partner, std::string_view action);

// What the touchscreen says under a suspended partner's name ("orders, redemptions and deals are
// refused"): built from kRefusedWhenSuspended so that it cannot forget one.
std::string SuspendedNotice(const Partner& partner);

}  // namespace kiosk::rules
