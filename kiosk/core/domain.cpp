#include "kiosk/core/domain.hpp"

#include <array>
#include <utility>

namespace kiosk {
namespace {

template <typename E, size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Tier, 4> kTierNames{{{Tier::Registered, "registered"}, {Tier::Silver, "silver"},
                                     {Tier::Gold, "gold"}, {Tier::Platinum, "platinum"}}};
constexpr Names<Tier, 4> kTierDisplay{{{Tier::Registered, "Registered"}, {Tier::Silver, "Silver"},
                                       {Tier::Gold, "Gold"}, {Tier::Platinum, "Platinum"}}};
constexpr Names<PartnerType, 10> kTypeNames{{
    {PartnerType::Agent, "agent"},
    {PartnerType::Concessionaire, "concessionaire"},
    {PartnerType::DocumentTechnologyPartner, "document_technology_partner"},
    {PartnerType::SolutionProvider, "solution_provider"},
    {PartnerType::VolumePartner, "volume_partner"},
    {PartnerType::Var, "var"},
    {PartnerType::Msp, "msp"},
    {PartnerType::Consultant, "consultant"},
    {PartnerType::Oem, "oem"},
    {PartnerType::Other, "other"},
}};
constexpr Names<PartnerType, 10> kTypeDisplay{{
    {PartnerType::Agent, "Agent"},
    {PartnerType::Concessionaire, "Concessionaire"},
    {PartnerType::DocumentTechnologyPartner, "Document Technology Partner"},
    {PartnerType::SolutionProvider, "Solution Provider"},
    {PartnerType::VolumePartner, "Volume Partner"},
    {PartnerType::Var, "VAR"},
    {PartnerType::Msp, "MSP"},
    {PartnerType::Consultant, "Consultant"},
    {PartnerType::Oem, "OEM"},
    {PartnerType::Other, "Other"},
}};
constexpr Names<Authorization, 2> kAuthNames{
    {{Authorization::Authorized, "authorized"}, {Authorization::Exclusive, "exclusive"}}};
constexpr Names<PartnerStatus, 2> kStatusNames{
    {{PartnerStatus::Active, "active"}, {PartnerStatus::Suspended, "suspended"}}};
constexpr Names<CardStatus, 2> kCardNames{
    {{CardStatus::Active, "active"}, {CardStatus::Blocked, "blocked"}}};
constexpr Names<Role, 3> kRoleNames{{{Role::Staff, "staff"}, {Role::Rep, "rep"}, {Role::Admin, "admin"}}};
constexpr Names<DeviceState, 5> kStateNames{{{DeviceState::Available, "available"},
                                             {DeviceState::CheckedOut, "checked_out"},
                                             {DeviceState::InTransit, "in_transit"},
                                             {DeviceState::Repair, "repair"},
                                             {DeviceState::Retired, "retired"}}};
constexpr Names<DeviceState, 5> kStateDisplay{{{DeviceState::Available, "Available"},
                                               {DeviceState::CheckedOut, "Checked out"},
                                               {DeviceState::InTransit, "In transit"},
                                               {DeviceState::Repair, "Under repair"},
                                               {DeviceState::Retired, "Retired"}}};

template <typename E, size_t N>
std::string_view Find(const Names<E, N>& names, E v) {
  for (const auto& [e, s] : names)
    if (e == v) return s;
  return "?";
}
template <typename E, size_t N>
std::optional<E> Parse(const Names<E, N>& names, std::string_view s) {
  for (const auto& [e, n] : names)
    if (n == s) return e;
  return std::nullopt;
}

}  // namespace

std::string_view ToString(Tier v) { return Find(kTierNames, v); }
std::string_view ToString(PartnerType v) { return Find(kTypeNames, v); }
std::string_view ToString(Authorization v) { return Find(kAuthNames, v); }
std::string_view ToString(PartnerStatus v) { return Find(kStatusNames, v); }
std::string_view ToString(CardStatus v) { return Find(kCardNames, v); }
std::string_view ToString(Role v) { return Find(kRoleNames, v); }
std::string_view ToString(DeviceState v) { return Find(kStateNames, v); }
std::optional<Tier> ParseTier(std::string_view s) { return Parse(kTierNames, s); }
std::optional<PartnerType> ParsePartnerType(std::string_view s) { return Parse(kTypeNames, s); }
std::optional<Authorization> ParseAuthorization(std::string_view s) { return Parse(kAuthNames, s); }
std::optional<PartnerStatus> ParsePartnerStatus(std::string_view s) { return Parse(kStatusNames, s); }
std::optional<CardStatus> ParseCardStatus(std::string_view s) { return Parse(kCardNames, s); }
std::optional<Role> ParseRole(std::string_view s) { return Parse(kRoleNames, s); }
std::optional<DeviceState> ParseDeviceState(std::string_view s) { return Parse(kStateNames, s); }
std::string_view DisplayName(Tier v) { return Find(kTierDisplay, v); }
std::string_view DisplayName(PartnerType v) { return Find(kTypeDisplay, v); }
std::string_view DisplayName(DeviceState v) { return Find(kStateDisplay, v); }

std::string Trimmed(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
}

std::string GroupThousands(int64_t n, std::string_view separator) {
  // The magnitude as unsigned: -n overflows for the most negative int64.
  const uint64_t magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  const std::string digits = std::to_string(magnitude);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += separator;
    out += digits[i];
  }
  return out;
}

std::optional<Tier> NextTier(Tier v) {
  switch (v) {
    case Tier::Registered: return Tier::Silver;
    case Tier::Silver: return Tier::Gold;
    case Tier::Gold: return Tier::Platinum;
    case Tier::Platinum: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace kiosk
