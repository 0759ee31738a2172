#pragma once
// The partner program's rules, people: which badge may do which action. Pure functions over facts
// the caller looked up; the kiosk's services call them before every action, and the app
// controller asks the services instead of restating them.
#include <initializer_list>
#include <string>
#include <string_view>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::rules {

// "order demo units" -> "do.order_demo_units": the translation key of an action named in a reason.
std::string ActionKey(std::string_view action);

// An inactive badge, or one whose role is not among `roles`, is refused for `action` ("check out
// demo units"): badge.inactive, badge.wrong_role.
Status CheckBadge(const Badge& badge, std::initializer_list<Role> roles, std::string_view action);

}  // namespace kiosk::rules
