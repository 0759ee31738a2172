#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawSellout(const app::SelloutVm& vm, const app::PartnerVm& partner, SelloutUi&, IntentSink& sink) {
  PartnerHeader(partner);
  Heading(T("sellout.title"));
  Muted(T("sellout.scan_units"));
  UnitList(vm.units, app::ScreenId::Sellout, sink);
  ImGui::Separator();
  if (TouchButton(Tf("sellout.confirm", {std::to_string(vm.units.size())}), ImVec2(-1, 0), !vm.units.empty(),
                  Tone::Primary, "confirm"))
    sink.Emit(app::intent::ConfirmSellout{});
}

}  // namespace kiosk::ui
