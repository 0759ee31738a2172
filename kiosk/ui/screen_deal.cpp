#include <cstdlib>

#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawDeal(const app::DealVm& vm, const app::PartnerVm& partner, DealUi& ui, IntentSink& sink) {
  PartnerHeader(partner);
  Heading(T("deal.title"));
  Muted(T("deal.hint"));
  if (ui.close_date.empty() && !vm.today.empty()) ui.close_date = AddDays(vm.today, 30);
  TextField("customer", T("deal.customer"), ui.customer, FieldKind::Text, 0);
  TextField("product", T("deal.product"), ui.product, FieldKind::Text, 0);
  TextField("value", T("deal.value"), ui.value, FieldKind::Decimal, Em(12));
  Muted(T("deal.close_date"));
  DatePicker("close", ui.close_date, vm.today);
  double value = ui.value.empty() ? 0 : std::strtod(ui.value.c_str(), nullptr);
  bool ready = !ui.customer.empty() && !ui.product.empty() && value > 0 && !ui.close_date.empty();
  if (TouchButton(T("deal.confirm"), ImVec2(-1, 0), ready, Tone::Primary, "confirm")) {
    sink.Emit(app::intent::RegisterDeal{ui.customer, ui.product, value, ui.close_date});
    Unfocus();
  }
  if (!ready) Muted(T("deal.missing"));
}

}  // namespace kiosk::ui
