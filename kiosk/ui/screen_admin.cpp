#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

void DrawAdmin(const app::AppVm& vm, AdminUi&, IntentSink& sink) {
  const app::AdminVm& a = vm.admin;
  const StatusView& s = a.status;
  Heading(T("admin.title"));
  Muted(Tf("admin.kiosk", {s.kiosk_id, std::to_string(s.journal_events), std::to_string(s.reference_version)}));

  // Sync: the hook for issue 5. The bar shows acknowledged / total events.
  Label(T("admin.sync"));
  float acked = s.last_seq > 0 ? static_cast<float>(s.last_seq - s.pending_events) / static_cast<float>(s.last_seq) : 1.0f;
  ProgressBar(acked, Tf("admin.sync_progress", {std::to_string(s.last_seq - s.pending_events), std::to_string(s.last_seq)}));
  if (s.last_sync.empty()) Muted(T("admin.never_synced"));
  else Muted(Tf("admin.last_sync", {s.last_sync.substr(0, 16)}));
  if (!s.last_sync_error.empty()) Muted(s.last_sync_error);
  Muted(a.sync_hook_note);
  float w = ColumnWidth(3);
  if (TouchButton(T("admin.sync_now"), ImVec2(w, 0), true, Tone::Primary, "sync")) sink.Emit(app::intent::SyncNow{});
  ImGui::SameLine();
  if (TouchButton(T("admin.export"), ImVec2(w, 0), true, Tone::Normal, "export")) sink.Emit(app::intent::ExportJournal{});
  ImGui::SameLine();
  if (TouchButton(T("admin.refresh"), ImVec2(w, 0), true, Tone::Quiet, "refresh")) sink.Emit(app::intent::Refresh{});
  ImGui::Separator();

  Label(Tf("admin.pending", {std::to_string(s.pending_events)}));
  for (const auto& e : a.recent)
    Muted("#" + std::to_string(e.seq) + "  " + e.wall_time.substr(0, 16) + "  " + e.type + "  " + e.actor);
  Muted(T("admin.rejected_none"));
  ImGui::Separator();

  Label(T("admin.scanners"));
  Muted(a.scanner_health);
  Muted(Tf("admin.database", {s.database_health}));
  ImGui::Separator();

  Label(T("admin.settings"));
  Muted(Tf("admin.idle_timeout", {std::to_string(vm.idle_timeout_s)}));
  float bw = Em(5.0f);
  const int steps[] = {-30, 30};
  for (int st : steps) {
    std::string label = (st > 0 ? "+" : "") + std::to_string(st) + " s";
    if (TouchButton(label, ImVec2(bw, 0), true, Tone::Quiet, st > 0 ? "idle+" : "idle-"))
      sink.Emit(app::intent::SetIdleTimeout{vm.idle_timeout_s + st});
    ImGui::SameLine();
  }
  ImGui::NewLine();
  static constexpr struct { const char* code; const char* name; } kLangs[] = {
      {"en", "English"}, {"de", "Deutsch"}, {"fi", "Suomi"}, {"pl", "Polski"}, {"ru", "Русский"}};
  float lw = ColumnWidth(5);
  int i = 0;
  for (const auto& l : kLangs) {
    if (i++) ImGui::SameLine();
    std::string id = std::string("lang:") + l.code;
    if (TouchButton(l.name, ImVec2(lw, 0), true, vm.language == l.code ? Tone::Primary : Tone::Quiet, id.c_str()))
      sink.Emit(app::intent::SetLanguage{l.code});
  }
}

}  // namespace kiosk::ui
