#include "kiosk/core/rules/devices.hpp"

#include <cctype>

#include "kiosk/core/clock.hpp"

namespace kiosk::rules {

std::string StateInSentence(DeviceState state) {
  std::string s(DisplayName(state));
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

bool IsOut(DeviceState state) { return state == DeviceState::CheckedOut || state == DeviceState::InTransit; }

Status CheckCheckoutUnit(const Device& g, std::string_view custodian_name) {
  if (g.state == DeviceState::Available) return {};
  const std::string name(custodian_name);
  if (g.state == DeviceState::CheckedOut)
    return MakeError(ErrorKind::Refused, "device.already_out",
                     g.asset_tag + " is already checked out" + (name.empty() ? "" : " to " + name) + ", due " +
                         g.due_date + ". Check it in before it can go out again.",
                     {{"tag", g.asset_tag}, {"custodian", name}, {"due", g.due_date}}, name.empty() ? "" : "to");
  return MakeError(ErrorKind::Refused, "device.not_available",
                   g.asset_tag + " is " + StateInSentence(g.state) + " and can't be checked out.",
                   {{"tag", g.asset_tag}, {"state", StateKey(g.state)}});
}

Status CheckCheckinUnit(const Device& d) {
  if (IsOut(d.state)) return {};
  return MakeError(ErrorKind::Refused, "device.not_out",
                   d.asset_tag + " is " + StateInSentence(d.state) + ", not checked out: nothing to check in.",
                   {{"tag", d.asset_tag}, {"state", StateKey(d.state)}});
}

Result<std::string> CheckDueDate(std::string_view due_text, std::chrono::sys_days today, int loan_days) {
  std::string due = Trimmed(due_text);
  if (due.empty()) return FormatDate(today + std::chrono::days(loan_days));
  std::chrono::sys_days parsed;
  if (!ParseDate(due, parsed))
    return MakeError(ErrorKind::Usage, "checkout.due_date", "The due date '" + due + "' is not a date (YYYY-MM-DD).",
                     {{"date", due}});
  if (parsed < today)
    return MakeError(ErrorKind::Usage, "checkout.due_past", "The due date " + due + " is in the past.", {{"date", due}});
  if (parsed > today + std::chrono::days(180))
    return MakeError(ErrorKind::Usage, "checkout.due_far",
                     "The due date " + due + " is more than 180 days away; demo loans are shorter.", {{"date", due}});
  return due;
}

}  // namespace kiosk::rules
