#include "kiosk/ui/screens.hpp"

#include <iterator>

#include "kiosk/core/languages.hpp"

namespace kiosk::ui {
namespace {

void ManualEntry(HomeUi& ui, IntentSink& sink) {
  float enter_w = Em(7.0f);
  TextField("code", T("home.type_code"), ui.code, FieldKind::Text, ImGui::GetContentRegionAvail().x - enter_w - Em(0.5f));
  ImGui::SameLine();
  if (TouchButton(T("action.enter"), ImVec2(enter_w, 0), !ui.code.empty(), Tone::Primary, "enter-code")) {
    sink.Emit(app::intent::Scan{ui.code});
    ui.code.clear();
    Unfocus();
  }
}

void SyncState(const StatusView& s) {
  if (s.last_sync.empty()) Muted(Tf("home.sync_never", {std::to_string(s.pending_events)}));
  else Muted(Tf("home.sync_last", {s.last_sync.substr(0, 16), std::to_string(s.pending_events)}));
  if (s.stale) Label(T("home.stale"));
  if (s.journal_fork) Label(T("home.forked"));
}

}  // namespace

void DrawHome(const app::AppVm& vm, HomeUi& ui, IntentSink& sink) {
  if (!vm.op.signed_in) {
    Heading(T("home.scan_badge"));
    Muted(T("home.scan_badge_hint"));
  } else {
    Heading(Tf("home.hello", {vm.op.badge.name}));
    Muted(T("home.scan_anything"));
    float w = ColumnWidth(3);
    if (TouchButton(T("action.checkout"), ImVec2(w, 0), true, Tone::Primary, "nav:checkout"))
      sink.Emit(app::intent::Navigate{app::ScreenId::Checkout});
    ImGui::SameLine();
    if (TouchButton(T("action.checkin"), ImVec2(w, 0), true, Tone::Primary, "nav:checkin"))
      sink.Emit(app::intent::Navigate{app::ScreenId::Checkin});
    ImGui::SameLine();
    if (TouchButton(T("action.stocktake"), ImVec2(w, 0), true, Tone::Primary, "nav:stocktake"))
      sink.Emit(app::intent::Navigate{app::ScreenId::Stocktake});
  }
  ImGui::Spacing();
  ManualEntry(ui, sink);
  ImGui::Separator();

  ImGui::PushFont(Ctx().fonts.big);
  ImGui::TextUnformatted(T("home.overdue"));
  RecordText(T("home.overdue"));
  ImGui::PopFont();
  if (!vm.home.loaded) {
    Muted(T("common.loading"));
  } else if (vm.home.overdue.empty()) {
    Muted(T("home.no_overdue"));
  } else {
    for (const auto& d : vm.home.overdue) {
      std::string who = d.custodian_name.empty() ? d.device.custodian : d.custodian_name;
      Label(Tf("home.overdue_line", {d.device.asset_tag, d.model.name, who, d.device.due_date}));
    }
  }
  ImGui::Separator();
  if (vm.home.loaded) SyncState(vm.home.status);

  ImGui::Spacing();
  float lw = ColumnWidth(static_cast<int>(std::size(kLanguages)) + 1);  // and the admin button
  for (const Language& l : kLanguages) {
    std::string id = std::string("lang:") + l.code;
    if (TouchButton(l.native_name, ImVec2(lw, 0), true, vm.language == l.code ? Tone::Primary : Tone::Quiet, id.c_str()))
      sink.Emit(app::intent::SetLanguage{l.code});
    ImGui::SameLine();
  }
  if (TouchButton(T("action.admin"), ImVec2(lw, 0), true, Tone::Quiet, "nav:admin"))
    sink.Emit(app::intent::Navigate{app::ScreenId::AdminLogin});
}

}  // namespace kiosk::ui
