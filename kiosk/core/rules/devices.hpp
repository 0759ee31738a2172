#pragma once
// The partner program's rules, devices and kits: what may go out, what may come back, and when it
// is due. The caller resolves kits (a kit moves as one) and looks custodians up.
#include <chrono>
#include <string>
#include <string_view>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::rules {

// "under repair": a state for the middle of a sentence.
std::string StateInSentence(DeviceState state);

// A unit is out while a rep has it or while it is on its way back (in transit): both may be
// checked in, at the counter and on the touchscreen alike.
bool IsOut(DeviceState state);

// device.already_out (variant "to" when the custodian's name is known) or device.not_available:
// each unit of the kit must be in the showroom to go out.
Status CheckCheckoutUnit(const Device& unit, std::string_view custodian_name);

// device.not_out: a scanned unit that is not out has nothing to check in.
Status CheckCheckinUnit(const Device& unit);

// The due date of a checkout: empty is today + loan_days; else a date from today to 180 days on.
// Returns the date as YYYY-MM-DD. checkout.due_date, checkout.due_past, checkout.due_far.
Result<std::string> CheckDueDate(std::string_view due, std::chrono::sys_days today, int loan_days);

}  // namespace kiosk::rules
