#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawRewards(const app::RewardsVm& vm, const app::PartnerVm& partner, RewardsUi& ui, IntentSink& sink) {
  PartnerHeader(partner);
  if (!vm.loaded) {
    Muted(T("common.loading"));
    return;
  }
  if (!ui.selected.empty()) {
    for (const auto& r : vm.rewards) {
      if (r.reward.id != ui.selected) continue;
      Label(Tf("rewards.confirm_question", {r.reward.name, Points(r.reward.points)}));
      float w = ColumnWidth(2);
      if (TouchButton(T("action.cancel"), ImVec2(w, 0), true, Tone::Quiet, "cancel")) ui.selected.clear();
      ImGui::SameLine();
      if (TouchButton(T("rewards.confirm"), ImVec2(w, 0), true, Tone::Primary, "confirm")) {
        sink.Emit(app::intent::Redeem{r.reward.id, 1});
        ui.selected.clear();
      }
      ImGui::Separator();
    }
  }
  // A grid of cards: the name is the button; what stops a reward is written under it.
  int columns = ImGui::GetContentRegionAvail().x > Em(60) ? 3 : 2;
  float w = ColumnWidth(columns);
  int i = 0;
  for (const auto& r : vm.rewards) {
    if (!r.reward.active) continue;
    if (i % columns) ImGui::SameLine();
    ImGui::BeginGroup();
    bool ok = r.why_not.empty();
    std::string id = "reward:" + r.reward.id;
    if (CardButton(r.reward.name, w, ok, id.c_str()))
      ui.selected = r.reward.id;
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);
    Muted(Tf("rewards.cost", {Points(r.reward.points)}));
    // Shared stock (issue 17): what is left here of the central's allocation to this showroom.
    if (r.units_left >= 0) Muted(Tf("rewards.left_here", {std::to_string(r.units_left)}));
    if (!ok) {
      // The core's reason, said in the screen's language from its code and values.
      const std::string why = Ctx().i18n.Say(ReasonKey(r.why_not_reason), r.why_not_reason.args, r.why_not);
      ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(240, 150, 130, 255));
      ImGui::TextWrapped("%s", why.c_str());
      ImGui::PopStyleColor();
      RecordText(why);
    }
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    ++i;
  }
}

}  // namespace kiosk::ui
