#include <cstdio>

#include "kiosk/core/domain.hpp"
#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

std::string Points(int64_t points) {
  // The grouping is kiosk/core's (GroupThousands); only the separator is this language's.
  const std::string& lang = Ctx().i18n.Language();
  return GroupThousands(points, lang == "en" ? "," : lang == "de" ? "." : " ");
}

std::string TierName(Tier tier) {
  switch (tier) {
    case Tier::Registered: return T("tier.registered");
    case Tier::Silver: return T("tier.silver");
    case Tier::Gold: return T("tier.gold");
    case Tier::Platinum: return T("tier.platinum");
  }
  return "?";
}

ImU32 TierColour(Tier tier) {
  switch (tier) {
    case Tier::Registered: return IM_COL32(90, 96, 108, 255);
    case Tier::Silver: return IM_COL32(120, 128, 140, 255);
    case Tier::Gold: return IM_COL32(170, 130, 20, 255);
    case Tier::Platinum: return IM_COL32(70, 110, 150, 255);
  }
  return IM_COL32(90, 96, 108, 255);
}

std::string StateName(DeviceState state) {
  switch (state) {
    case DeviceState::Available: return T("state.available");
    case DeviceState::CheckedOut: return T("state.checked_out");
    case DeviceState::InTransit: return T("state.in_transit");
    case DeviceState::Repair: return T("state.repair");
    case DeviceState::Retired: return T("state.retired");
  }
  return "?";
}

float ColumnWidth(int columns) {
  float spacing = ImGui::GetStyle().ItemSpacing.x;
  return (ImGui::GetContentRegionAvail().x - spacing * (columns - 1)) / columns;
}

void UnitList(const std::vector<app::SessionUnit>& units, app::ScreenId session, IntentSink& sink) {
  if (units.empty()) {
    Muted(T("session.no_units"));
    return;
  }
  for (size_t i = 0; i < units.size(); ++i) {
    const auto& u = units[i];
    ImGui::PushID(static_cast<int>(i));
    float remove_w = Em(6.5f);
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ImGui::GetContentRegionAvail().x - remove_w - Em(0.5f));
    Label(std::to_string(i + 1) + ". " + u.label);
    if (!u.note.empty()) Muted(Ctx().i18n.Say(u.note_key, u.note_args, u.note));
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    ImGui::SameLine(ImGui::GetContentRegionMax().x - remove_w);
    std::string id = "remove:" + u.code;
    if (TouchButton(T("action.remove"), ImVec2(remove_w, 0), true, Tone::Quiet, id.c_str()))
      sink.Emit(app::intent::RemoveUnit{session, static_cast<int>(i)});
    ImGui::PopID();
  }
}

void PartnerHeader(const app::PartnerVm& vm) {
  if (!vm.loaded) return;
  const auto& p = vm.view.partner;
  Heading(p.name);
  Badge(TierName(p.tier), TierColour(p.tier));
  ImGui::SameLine();
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + Em(0.2f));
  Label(Tf("partner.points_line", {Points(vm.view.available_points)}));
}

}  // namespace kiosk::ui
