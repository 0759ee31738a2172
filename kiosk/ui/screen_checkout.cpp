#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawCheckout(const app::CheckoutVm& vm, CheckoutUi& ui, IntentSink& sink) {
  if (ui.due_date.empty() && !vm.today.empty()) ui.due_date = AddDays(vm.today, vm.default_loan_days);
  Heading(T("checkout.title"));
  if (vm.rep_badge.empty()) Label(T("checkout.scan_rep"));
  else Label(Tf("checkout.rep", {vm.rep_name, vm.rep_badge}));
  Muted(T("checkout.scan_units"));
  UnitList(vm.units, app::ScreenId::Checkout, sink);
  ImGui::Separator();

  Muted(T("checkout.due"));
  DatePicker("due", ui.due_date, vm.today.empty() ? "" : AddDays(vm.today, 1));
  TextField("purpose", T("checkout.purpose"), ui.purpose, FieldKind::Text, 0);
  const char* presets[] = {"checkout.purpose_demo", "checkout.purpose_fair", "checkout.purpose_training"};
  float pw = ColumnWidth(3);
  for (int i = 0; i < 3; ++i) {
    if (i) ImGui::SameLine();
    if (TouchButton(T(presets[i]), ImVec2(pw, 0), true, Tone::Quiet)) ui.purpose = T(presets[i]);
  }
  ImGui::Separator();
  Label(Tf("checkout.terms", {ui.due_date}));
  Muted(T("checkout.sign_here"));
  ui.signature.Draw("signature", ImVec2(ImGui::GetContentRegionAvail().x, Em(6.0f)));
  float w = ColumnWidth(2);
  if (TouchButton(T("checkout.clear_signature"), ImVec2(w, 0), !ui.signature.Empty(), Tone::Quiet, "clear-signature"))
    ui.signature.strokes.clear();
  ImGui::SameLine();
  bool ready = !vm.units.empty() && !vm.rep_badge.empty() && !ui.signature.Empty();
  if (TouchButton(T("checkout.confirm"), ImVec2(w, 0), ready, Tone::Primary, "confirm"))
    sink.Emit(app::intent::ConfirmCheckout{ui.due_date, ui.purpose, ui.signature.Svg()});
  if (!ready) {
    if (vm.rep_badge.empty()) Muted(T("checkout.missing_rep"));
    if (vm.units.empty()) Muted(T("checkout.missing_units"));
    if (ui.signature.Empty()) Muted(T("checkout.missing_signature"));
  }
}

}  // namespace kiosk::ui
