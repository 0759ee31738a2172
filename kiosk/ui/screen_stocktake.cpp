#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {
namespace {

// A tick box drawn, not a glyph: the font atlas holds letters, not check marks.
void TickBox(bool ticked) {
  const float side = Em(1.1f);
  ImVec2 p = ImGui::GetCursorScreenPos();
  p.y += (ImGui::GetTextLineHeight() - side) * 0.5f;
  ImGui::Dummy(ImVec2(side, ImGui::GetTextLineHeight()));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImU32 green = IM_COL32(46, 160, 67, 255), grey = IM_COL32(150, 150, 150, 255);
  if (ticked) {
    dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), green, Em(0.2f));
    const float w = Em(0.15f);
    dl->AddLine(ImVec2(p.x + side * 0.2f, p.y + side * 0.55f), ImVec2(p.x + side * 0.42f, p.y + side * 0.78f),
                IM_COL32_WHITE, w);
    dl->AddLine(ImVec2(p.x + side * 0.42f, p.y + side * 0.78f), ImVec2(p.x + side * 0.82f, p.y + side * 0.25f),
                IM_COL32_WHITE, w);
  } else {
    dl->AddRect(p, ImVec2(p.x + side, p.y + side), grey, Em(0.2f), 0, Em(0.1f));
  }
  ImGui::SameLine();
}

std::string ScopeName(const std::string& scope) { return scope.empty() ? T("stocktake.scope_all") : scope; }

// Where the record puts a unit that the count did not find where it should: its place, or who has it.
std::string Whereabouts(const StocktakeUnitView& u) {
  if (u.state == DeviceState::Available) return Tf("stocktake.belongs", {u.location});
  const std::string who = u.custodian_name.empty() ? u.custodian : u.custodian_name;
  return who.empty() ? Tf("stocktake.recorded_as", {StateName(u.state)})
                     : Tf("stocktake.recorded_with", {StateName(u.state), who});
}

void UnitLine(const StocktakeUnitView& u, const std::string& note) {
  Label(u.asset_tag + "  " + u.model);
  if (!note.empty()) {
    ImGui::Indent(Em(1.0f));
    Muted(note);
    ImGui::Unindent(Em(1.0f));
  }
}

void Section(const char* key, const std::vector<StocktakeUnitView>& units, bool where) {
  ImGui::PushFont(Ctx().fonts.big);
  const std::string title = Tf(key, {std::to_string(units.size())});
  ImGui::TextUnformatted(title.c_str());
  RecordText(title);
  ImGui::PopFont();
  if (units.empty()) Muted(T("stocktake.nothing"));
  for (const auto& u : units) UnitLine(u, where ? Whereabouts(u) : Tf("stocktake.should_be", {u.location}));
}

void ChooseScope(const app::StocktakeVm& vm, StocktakeUi& ui, IntentSink& sink) {
  Muted(T("stocktake.choose"));
  if (vm.scopes.empty()) {
    Label(T("stocktake.no_units"));
    return;
  }
  // The areas ("Showroom A") first, then the bays of the area chosen.
  std::vector<std::string> areas{""};
  for (const auto& s : vm.scopes)
    if (s.find(',') == std::string::npos) areas.push_back(s);
  const float w = ColumnWidth(4);
  int col = 0;
  for (const auto& a : areas) {
    if (col++ % 4) ImGui::SameLine();
    const bool chosen = ui.chosen && ui.area == a;
    const std::string id = "area:" + a;
    if (TouchButton(a.empty() ? T("stocktake.everything") : a, ImVec2(w, 0), !vm.working,
                    chosen && ui.scope == a ? Tone::Primary : chosen ? Tone::Normal : Tone::Quiet, id.c_str())) {
      ui.chosen = true;
      ui.area = a;
      ui.scope = a;
    }
  }
  if (ui.chosen && !ui.area.empty()) {
    ImGui::Separator();
    col = 0;
    for (const auto& s : vm.scopes) {
      if (s.size() <= ui.area.size() || s.compare(0, ui.area.size() + 1, ui.area + ",") != 0) continue;
      if (col++ % 4) ImGui::SameLine();
      const std::string id = "bay:" + s;
      // "Showroom A, bay 2" on a button under "Showroom A": the bay's own part is enough.
      std::string bay = s.substr(ui.area.size() + 1);
      if (!bay.empty() && bay[0] == ' ') bay.erase(0, 1);
      if (TouchButton(bay, ImVec2(w, 0), !vm.working, ui.scope == s ? Tone::Primary : Tone::Quiet, id.c_str()))
        ui.scope = s;
    }
  }
  ImGui::Separator();
  if (TouchButton(ui.chosen ? Tf("stocktake.start", {ScopeName(ui.scope)}) : T("stocktake.choose"),
                  ImVec2(ImGui::GetContentRegionAvail().x, 0), ui.chosen && !vm.working, Tone::Primary,
                  "stocktake-start"))
    sink.Emit(app::intent::StartStocktake{ui.scope});
}

void Counting(const app::StocktakeVm& vm, StocktakeUi& ui, IntentSink& sink) {
  // What the person holding the scanner looks at first: the count and the ticks. Finish and
  // Cancel stay above the list; typing a code (no scanner) is at the end.
  const StocktakeView& s = vm.session;
  Heading(Tf("stocktake.heading", {ScopeName(s.scope)}));
  ImGui::SameLine(ImGui::GetContentRegionAvail().x * 0.62f);
  ImGui::PushFont(Ctx().fonts.big);
  const std::string counter = Tf("stocktake.counter", {std::to_string(s.ticked), std::to_string(s.expected)});
  ImGui::TextUnformatted(counter.c_str());
  RecordText(counter);
  ImGui::PopFont();
  ProgressBar(s.expected ? static_cast<float>(s.ticked) / static_cast<float>(s.expected) : 1.0f, "");
  const float w = ColumnWidth(2);
  if (TouchButton(T("stocktake.finish"), ImVec2(w, 0), !vm.working, Tone::Primary, "stocktake-finish"))
    sink.Emit(app::intent::FinishStocktake{});
  ImGui::SameLine();
  if (TouchButton(T("stocktake.cancel"), ImVec2(w, 0), !vm.working, Tone::Danger, "stocktake-cancel"))
    sink.Emit(app::intent::CancelStocktake{});
  if (s.ticked == 0 && s.extra.empty()) Muted(T("stocktake.scan_hint"));
  ImGui::Separator();
  Label(Tf("stocktake.expected", {std::to_string(s.expected)}));
  for (const auto& u : s.expected_units) {
    TickBox(u.scanned);
    Label(u.asset_tag + "  " + u.model + "  (" + u.location + ")");
  }
  if (!s.extra.empty()) {
    ImGui::Separator();
    Label(Tf("stocktake.extra", {std::to_string(s.extra.size())}));
    for (const auto& u : s.extra) UnitLine(u, Whereabouts(u));
  }
  ImGui::Separator();
  const float enter_w = Em(7.0f);
  TextField("stocktake_code", T("home.type_code"), ui.code, FieldKind::Text,
            ImGui::GetContentRegionAvail().x - enter_w - Em(0.5f));
  ImGui::SameLine();
  if (TouchButton(T("action.enter"), ImVec2(enter_w, 0), !ui.code.empty(), Tone::Normal, "stocktake-enter")) {
    sink.Emit(app::intent::Scan{ui.code});
    ui.code.clear();
    Unfocus();
  }
}

void Report(const app::StocktakeVm& vm, IntentSink& sink) {
  const StocktakeReportView& r = vm.report;
  Heading(Tf("stocktake.report", {ScopeName(r.scope)}));
  const std::string counter = Tf("stocktake.counter", {std::to_string(r.found.size()), std::to_string(r.expected)});
  Label(counter);
  if (TouchButton(T("stocktake.done"), ImVec2(ImGui::GetContentRegionAvail().x, 0), true, Tone::Primary,
                  "stocktake-done"))
    sink.Emit(app::intent::Navigate{app::ScreenId::Home});
  Section("stocktake.missing", r.missing, false);
  Section("stocktake.misplaced", r.misplaced, true);
  Section("stocktake.unexpected", r.unexpected, true);
  Section("stocktake.found", r.found, false);
}

}  // namespace

// A stocktake: choose what to count (everything, an area, one bay), tick the expected units off as
// they are scanned ("N of M"), then the report of what is missing, misplaced or unexpected.
void DrawStocktake(const app::StocktakeVm& vm, StocktakeUi& ui, IntentSink& sink) {
  if (vm.reported) return Report(vm, sink);
  if (!vm.loaded) return Muted(T("common.loading"));
  if (vm.open) return Counting(vm, ui, sink);
  ChooseScope(vm, ui, sink);
}

}  // namespace kiosk::ui
