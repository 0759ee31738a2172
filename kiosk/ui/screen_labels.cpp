#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

// The admin's label sheet: units, partner cards and badges scanned (or typed) into a list, a sheet
// and a symbology chosen, and the sheet written to the USB stick's folder as a PDF or ZPL file.
void DrawLabels(const app::LabelsVm& vm, LabelsUi& ui, IntentSink& sink) {
  if (!ui.started) {  // a new visit: the folder starts from the view-model
    ui.started = true;
    ui.dir = vm.dir;
  }
  Heading(T("labels.title"));
  if (!vm.available) {
    Label(T("labels.unavailable"));
    return;
  }
  Muted(T("labels.scan_hint"));
  float enter_w = Em(7.0f);
  TextField("label_code", T("home.type_code"), ui.code, FieldKind::Text,
            ImGui::GetContentRegionAvail().x - enter_w - Em(0.5f));
  ImGui::SameLine();
  if (TouchButton(T("labels.add"), ImVec2(enter_w, 0), !ui.code.empty(), Tone::Normal, "label-add")) {
    sink.Emit(app::intent::Scan{ui.code});
    ui.code.clear();
    Unfocus();
  }
  UnitList(vm.units, app::ScreenId::Labels, sink);
  ImGui::Separator();

  Muted(T("labels.sheet"));
  float w3 = ColumnWidth(3);
  int i = 0;
  for (const auto& s : app::intent::kLabelSheets) {
    if (i++) ImGui::SameLine();
    std::string id = std::string("sheet:") + s.id;
    if (TouchButton(T(s.key), ImVec2(w3, 0), true, ui.sheet == s.id ? Tone::Primary : Tone::Quiet, id.c_str()))
      ui.sheet = s.id;
  }
  Muted(T("labels.symbology"));
  float w2 = ColumnWidth(2);
  if (TouchButton(T("labels.datamatrix"), ImVec2(w2, 0), true, ui.symbology == "datamatrix" ? Tone::Primary : Tone::Quiet,
                  "symbology:datamatrix"))
    ui.symbology = "datamatrix";
  ImGui::SameLine();
  if (TouchButton(T("labels.gs1_128"), ImVec2(w2, 0), true, ui.symbology == "gs1-128" ? Tone::Primary : Tone::Quiet,
                  "symbology:gs1-128"))
    ui.symbology = "gs1-128";
  ImGui::Separator();

  // A path: Latin letters, digits and "/.-" whatever the screen's language.
  const float clear_w = Em(5.0f);
  TextField("label_dir", T("labels.dir"), ui.dir, FieldKind::Url, w3 * 2 - clear_w - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SameLine();
  // Another folder than the USB stick's: one tap empties the field for typing.
  if (TouchButton(T("labels.clear_dir"), ImVec2(clear_w, 0), !ui.dir.empty(), Tone::Quiet, "clear-dir")) ui.dir.clear();
  ImGui::SameLine();
  const bool ready = !vm.units.empty() && !vm.printing && ui.dir.find_first_not_of(' ') != std::string::npos;
  // With nothing in the list (as after a print) the button says what it does, not "Print 0 labels".
  const std::string print_label = vm.printing        ? T("labels.printing")
                                  : vm.units.empty() ? T("labels.title")
                                                     : Tf("labels.print", {std::to_string(vm.units.size())});
  if (TouchButton(print_label,
                  ImVec2(w3, 0), ready, Tone::Primary, "print-labels")) {
    sink.Emit(app::intent::PrintLabels{ui.sheet, ui.symbology, ui.dir});
    Unfocus();
  }
  if (vm.units.empty()) Muted(T("labels.missing_units"));
}

}  // namespace kiosk::ui
