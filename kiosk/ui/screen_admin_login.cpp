#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawAdminLogin(const app::AdminVm& vm, AdminLoginUi& ui, IntentSink& sink) {
  Heading(T("admin.login_title"));
  if (vm.badge.empty()) Label(T("admin.scan_badge"));
  else Label(Tf("admin.badge", {vm.badge}));
  // The PIN pad is the numpad: open it at once, there is nothing else to type here.
  if (Ctx().focus_id.empty() && !vm.badge.empty() && ui.pin.empty() && !ui.pad_closed) {
    Ctx().focus_id = "pin";
    Ctx().focus_kind = FieldKind::Pin;
  }
  bool had_focus = Ctx().focus_id == "pin";
  bool focused = TextField("pin", T("admin.pin"), ui.pin, FieldKind::Pin, Em(12));
  if (had_focus && !focused) ui.pad_closed = true;  // closed by hand: stays closed until tapped
  if (focused) ui.pad_closed = false;
  if (TouchButton(T("admin.unlock"), ImVec2(Em(12), 0), !vm.badge.empty() && !ui.pin.empty(), Tone::Primary, "unlock")) {
    sink.Emit(app::intent::AdminPin{ui.pin});
    ui.pin.clear();
  }
  if (vm.wrong_pins > 0) Muted(Tf("admin.wrong_pins", {std::to_string(vm.wrong_pins)}));
  Muted(T("admin.lockout_hint"));
}

}  // namespace kiosk::ui
