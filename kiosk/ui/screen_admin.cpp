#include "kiosk/ui/screens.hpp"

#include <iterator>

#include "kiosk/core/languages.hpp"

namespace kiosk::ui {

namespace {
// An event type as staff read it ("demo.ordered" -> "demo order"), from the catalogue's
// "event.<type>"; a type the catalogue does not know (a newer central's) is shown as it is.
std::string EventName(const std::string& type) {
  const std::string key = "event." + type;
  return Ctx().i18n.Has(key) ? T(key.c_str()) : type;
}
}  // namespace

void DrawAdmin(const app::AppVm& vm, AdminUi& ui, IntentSink& sink) {
  const app::AdminVm& a = vm.admin;
  const StatusView& s = a.status;
  if (ui.serial != vm.screen_serial) {  // a new visit: the fields start from the view-model
    ui.serial = vm.screen_serial;
    ui.export_dir = a.export_dir;
    ui.central_url = a.sync.central_url;
    ui.enrol_code.clear();
  }
  Heading(T("admin.title"));
  Muted(Tf("admin.kiosk", {s.kiosk_id, std::to_string(s.journal_events), std::to_string(s.reference_version)}));

  // The site's barcode rules did not load: scans are read with the built-in rules meanwhile,
  // which may not know the site's own codes. Amber, at the top: `kiosk doctor` says the same.
  if (!s.barcode_rules_error.empty())
    Notice(Tf("admin.rules_refused", {s.barcode_rules_error}), IM_COL32(150, 90, 10, 255));

  // Restored from an older backup: actions are refused until the admin recovers (README: Recovering).
  if (s.journal_fork) {
    Label(T("admin.fork_title"));
    Muted(Tf("admin.fork", {std::to_string(s.journal_fork->central_seq), std::to_string(s.journal_fork->local_seq),
                            s.journal_fork->detected_at.substr(0, 16)}));
    if (TouchButton(a.recovering ? T("admin.recovering") : T("admin.recover"), ImVec2(ColumnWidth(3), 0),
                    !a.recovering, Tone::Primary, "recover"))
      sink.Emit(app::intent::Recover{});
    ImGui::Separator();
  }

  // Sync with the central: the SyncService's progress, or the enrolment form.
  Label(T("admin.sync"));
  const app::SyncVm& sv = a.sync;
  float w = ColumnWidth(3);
  if (sv.checked && !sv.enrolled) {
    // The code is issued at the central for this kiosk's id, so the screen names it.
    const std::string& kiosk_id = s.kiosk_id.empty() ? vm.home.status.kiosk_id : s.kiosk_id;
    Label(T("admin.not_enrolled"));
    Muted(Tf("admin.enrol_hint", {kiosk_id}));
    TextField("central_url", T("admin.central_url"), ui.central_url, FieldKind::Url, w * 2);
    TextField("enrol_code", T("admin.enrol_code"), ui.enrol_code, FieldKind::Code, w * 2);
    ImGui::SameLine();
    const bool filled = ui.central_url.find_first_not_of(' ') != std::string::npos &&
                        ui.enrol_code.find_first_not_of(' ') != std::string::npos;
    if (TouchButton(sv.enrolling ? T("admin.enrolling") : T("admin.enrol"), ImVec2(w, 0), filled && !sv.enrolling,
                    Tone::Primary, "enrol")) {
      sink.Emit(app::intent::Enrol{ui.central_url, ui.enrol_code});
      Unfocus();
    }
  } else {
    if (!sv.central_url.empty()) Muted(Tf("admin.central", {sv.central_url}));
    if (sv.phase == "pushing" && sv.total > 0) {
      float f = static_cast<float>(sv.sent) / static_cast<float>(sv.total);
      ProgressBar(f, Tf("admin.sync_sending", {std::to_string(sv.sent), std::to_string(sv.total)}));
    } else {
      float acked =
          s.last_seq > 0 ? static_cast<float>(s.last_seq - s.pending_events) / static_cast<float>(s.last_seq) : 1.0f;
      ProgressBar(acked,
                  Tf("admin.sync_progress", {std::to_string(s.last_seq - s.pending_events), std::to_string(s.last_seq)}));
    }
    if (!sv.phase.empty()) Muted(Tf("admin.sync_phase", {T(("admin.phase." + sv.phase).c_str())}));
    const std::string& last = !sv.last_sync.empty() ? sv.last_sync : s.last_sync;
    if (last.empty()) Muted(T("admin.never_synced"));
    else Muted(Tf("admin.last_sync", {last.substr(0, 16)}));
    const std::string& err = sv.running ? sv.last_error : s.last_sync_error;
    if (!err.empty())
      Muted(Tf("admin.sync_error", {Ctx().i18n.Say(sv.running ? sv.last_error_key : s.last_sync_error_key,
                                                   sv.running ? sv.last_error_args : s.last_sync_error_args, err)}));
    if (TouchButton(T("admin.sync_now"), ImVec2(w, 0), sv.enrolled, Tone::Primary, "sync"))
      sink.Emit(app::intent::SyncNow{});
    ImGui::SameLine();
  }
  if (TouchButton(T("admin.refresh"), ImVec2(w, 0), true, Tone::Quiet, "refresh")) sink.Emit(app::intent::Refresh{});
  ImGui::Separator();

  // Export to a USB stick: the unacknowledged journal, for `kiosk-central import`.
  Label(T("admin.export_title"));
  TextField("export_dir", T("admin.export_dir"), ui.export_dir, FieldKind::Text, ColumnWidth(3) * 2);
  ImGui::SameLine();
  if (TouchButton(a.exporting ? T("admin.exporting") : T("admin.export"), ImVec2(w, 0), !a.exporting, Tone::Normal,
                  "export"))
    sink.Emit(app::intent::ExportJournal{ui.export_dir});
  // Labels for new demo units, partner cards and badges: the label screen.
  Muted(T("admin.labels_hint"));
  if (TouchButton(T("admin.labels"), ImVec2(w, 0), true, Tone::Normal, "nav:labels"))
    sink.Emit(app::intent::Navigate{app::ScreenId::Labels});
  ImGui::Separator();

  Label(Tf("admin.pending", {std::to_string(s.pending_events)}));
  for (const auto& e : a.recent)
    Muted("#" + std::to_string(e.seq) + "  " + e.wall_time.substr(0, 16) + "  " + EventName(e.type) + "  " + e.actor);
  ImGui::Separator();

  // The central's verdicts on events this kiosk sent (as `kiosk verdicts`).
  if (!a.verdicts_loaded) {
    Muted(T("admin.rejected_loading"));
  } else if (a.verdicts.empty()) {
    Muted(T("admin.rejected_none"));
  } else {
    Label(Tf("admin.rejected", {std::to_string(a.verdicts.size())}));
    for (const auto& v : a.verdicts) {
      Muted("#" + std::to_string(v.seq) + "  " + (v.type.empty() ? std::string("?") : EventName(v.type)) + "  " +
            T(("admin.verdict." + v.verdict).c_str()) + " [" + v.code + "]");
      Muted("    " + v.message);
    }
  }
  ImGui::Separator();

  Label(T("admin.scanners"));
  if (a.scanner_lines.empty()) Muted(a.scanner_health);
  for (const auto& [key, args] : a.scanner_lines) Muted(Ctx().i18n.Say(key, args, a.scanner_health));
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
  float lw = ColumnWidth(static_cast<int>(std::size(kLanguages)));
  int i = 0;
  for (const Language& l : kLanguages) {
    if (i++) ImGui::SameLine();
    std::string id = std::string("lang:") + l.code;
    if (TouchButton(l.native_name, ImVec2(lw, 0), true, vm.language == l.code ? Tone::Primary : Tone::Quiet, id.c_str()))
      sink.Emit(app::intent::SetLanguage{l.code, true});
  }
}

}  // namespace kiosk::ui
