#include "kiosk/core/rules/people.hpp"

namespace kiosk::rules {

std::string ActionKey(std::string_view action) {
  std::string key = "do.";
  for (char ch : action) key += ch == ' ' || ch == '-' ? '_' : ch;
  return key;
}

Status CheckBadge(const Badge& badge, std::initializer_list<Role> roles, std::string_view action) {
  if (!badge.active)
    return MakeError(ErrorKind::Refused, "badge.inactive",
                     "Badge " + badge.code + " (" + badge.name + ") is no longer active. Ask an admin.",
                     {{"badge", badge.code}, {"name", badge.name}});
  for (Role r : roles)
    if (badge.role == r) return {};
  std::string allowed;
  for (Role r : roles) allowed += (allowed.empty() ? "" : " or ") + std::string(ToString(r));
  return MakeError(ErrorKind::Refused, "badge.wrong_role",
                   "Only " + allowed + " badges can " + std::string(action) + "; " + badge.code + " belongs to " +
                       badge.name + " (" + std::string(ToString(badge.role)) + ").",
                   {{"action", ActionKey(action)}, {"badge", badge.code}, {"name", badge.name}, {"role", RoleKey(badge.role)}});
}

}  // namespace kiosk::rules
