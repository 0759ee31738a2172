#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawCheckin(const app::CheckinVm& vm, CheckinUi& ui, IntentSink& sink) {
  Heading(T("checkin.title"));
  Muted(T("checkin.scan_units"));
  UnitList(vm.units, app::ScreenId::Checkin, sink);
  ImGui::Separator();
  Muted(T("checkin.condition"));
  float w = ColumnWidth(2);
  if (TouchButton(T("checkin.ok"), ImVec2(w, 0), true, ui.damaged ? Tone::Quiet : Tone::Primary, "condition:ok"))
    ui.damaged = false;
  ImGui::SameLine();
  if (TouchButton(T("checkin.damaged"), ImVec2(w, 0), true, ui.damaged ? Tone::Danger : Tone::Quiet, "condition:damaged"))
    ui.damaged = true;
  if (ui.damaged) TextField("damage", T("checkin.what_is_wrong"), ui.note, FieldKind::Text, 0);
  bool ready = !vm.units.empty() && (!ui.damaged || !ui.note.empty());
  if (TouchButton(T("checkin.confirm"), ImVec2(-1, 0), ready, Tone::Primary, "confirm")) {
    std::string condition = ui.damaged ? "damaged: " + ui.note : "ok";
    sink.Emit(app::intent::ConfirmCheckin{condition});
  }
  if (vm.units.empty()) Muted(T("checkout.missing_units"));
  else if (ui.damaged && ui.note.empty()) Muted(T("checkin.missing_note"));
}

}  // namespace kiosk::ui
