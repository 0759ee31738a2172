#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawDevice(const app::DeviceVm& vm, const app::OperatorVm& op, DeviceUi&, IntentSink& sink) {
  if (!vm.loaded) {
    Muted(T("common.loading"));
    return;
  }
  const DeviceView& v = vm.view;
  Heading(v.device.asset_tag + "  " + v.model.name);
  ImU32 colour = v.overdue ? IM_COL32(180, 35, 35, 255)
                 : v.device.state == DeviceState::Available ? IM_COL32(30, 120, 60, 255)
                                                            : IM_COL32(170, 110, 0, 255);
  Badge(StateName(v.device.state) + (v.overdue ? " · " + std::string(T("device.overdue")) : ""), colour);
  Muted(Tf("device.ids", {v.device.gtin, v.device.serial, v.device.location}));
  if (!v.device.custodian.empty())
    Label(Tf("device.custodian", {v.custodian_name.empty() ? v.device.custodian : v.custodian_name, v.device.due_date}));
  if (!v.device.purpose.empty()) Muted(Tf("device.purpose", {v.device.purpose}));
  if (v.kit_members.size() > 1) {
    std::string members;
    for (const auto& m : v.kit_members) members += (members.empty() ? "" : ", ") + m;
    Muted(Tf("device.kit", {v.device.kit, members}));
  }
  float w = ColumnWidth(2);
  bool out = v.device.state == DeviceState::CheckedOut;
  if (TouchButton(T("action.checkout"), ImVec2(w, 0), v.device.state == DeviceState::Available && op.signed_in,
                  Tone::Primary, "nav:checkout")) {
    sink.Emit(app::intent::Navigate{app::ScreenId::Checkout});
    sink.Emit(app::intent::Scan{v.device.asset_tag});  // the unit on screen starts the session
  }
  ImGui::SameLine();
  if (TouchButton(T("action.checkin"), ImVec2(w, 0), out && op.signed_in, Tone::Primary, "nav:checkin")) {
    sink.Emit(app::intent::Navigate{app::ScreenId::Checkin});
    sink.Emit(app::intent::Scan{v.device.asset_tag});
  }
  ImGui::Separator();
  Label(T("device.history"));
  if (v.history.empty()) Muted(T("device.no_history"));
  for (const auto& h : v.history)
    Muted(h.wall_time.substr(0, 16) + "  " + h.summary + (h.actor.empty() ? "" : "  (" + h.actor + ")"));
}

}  // namespace kiosk::ui
