#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawDemoOrder(const app::DemoOrderVm& vm, const app::PartnerVm& partner, DemoOrderUi& ui, IntentSink& sink) {
  PartnerHeader(partner);
  if (!vm.loaded) {
    Muted(T("common.loading"));
    return;
  }
  Tier tier = partner.view.partner.tier;
  Muted(Tf("order.pick_model", {TierName(tier)}));
  const DemoModel* chosen = nullptr;
  float w = ColumnWidth(2);
  int i = 0;
  for (const auto& m : vm.models) {
    if (i++ % 2) ImGui::SameLine();
    int quota = m.quota[static_cast<int>(tier)];
    std::string label = m.name + "  (" + Tf("order.quota", {std::to_string(quota)}) + ")";
    std::string id = "model:" + m.gtin;
    bool selected = ui.gtin == m.gtin;
    if (selected) chosen = &m;
    // A model with no quota for the tier stays tappable: the core's refusal says why, in words.
    if (TouchButton(label, ImVec2(w, 0), true, selected ? Tone::Primary : Tone::Normal, id.c_str())) {
      ui.gtin = m.gtin;
      ui.qty = 1;
    }
  }
  ImGui::Separator();
  if (!chosen) {
    Muted(T("order.none_chosen"));
    return;
  }
  Label(chosen->name + "  " + chosen->gtin);
  float bw = Em(4.0f);
  if (TouchButton("-", ImVec2(bw, 0), ui.qty > 1, Tone::Quiet, "qty-")) --ui.qty;
  ImGui::SameLine();
  ImGui::PushFont(Ctx().fonts.big);
  std::string q = Tf("order.qty", {std::to_string(ui.qty)});
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + (ButtonHeight() - ImGui::GetFontSize()) * 0.5f);
  ImGui::TextUnformatted(q.c_str());
  RecordText(q);
  ImGui::PopFont();
  ImGui::SameLine();
  if (TouchButton("+", ImVec2(bw, 0), ui.qty < 9, Tone::Quiet, "qty+")) ++ui.qty;
  if (TouchButton(T("order.confirm"), ImVec2(-1, 0), true, Tone::Primary, "confirm"))
    sink.Emit(app::intent::OrderDemo{ui.gtin, ui.qty});
}

}  // namespace kiosk::ui
