#include <algorithm>

#include "kiosk/core/events.hpp"
#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {

namespace {

// The evidence of one checkout, over the whole screen until closed: the strokes drawn with the
// draw list, fitted into the panel as the PNG export fits them (FitSignature), under who signed
// when; or why there is no drawing.
void DrawSignaturePanel(const app::SignatureVm& vm, IntentSink& sink) {
  const SignatureRecord& r = vm.record;
  Heading(Tf("signature.title", {std::to_string(r.seq)}));
  std::string units;
  for (const auto& t : r.asset_tags) units += (units.empty() ? "" : ", ") + t;
  // "2026-12-05T10:15:00.000Z" -> "2026-12-05 10:15"
  std::string when = r.wall_time.substr(0, 16);
  if (when.size() > 10) when[10] = ' ';
  Label(Tf("signature.caption", {units, vm.rep_name, when, r.kiosk_id, std::to_string(r.asset_tags.size())}));
  if (!vm.strokes.Empty()) {
    const ImVec2 size(ImGui::GetContentRegionAvail().x, Em(9.0f));
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), IM_COL32(255, 255, 255, 255), Em(0.25f));
    const SignatureFit fit = FitSignature(vm.strokes, static_cast<int>(size.x), static_cast<int>(size.y),
                                          static_cast<int>(Em(1.0f)));
    auto at = [&](const SignaturePoint& q) {
      return ImVec2(p.x + static_cast<float>(q.x * fit.scale + fit.offset_x),
                    p.y + static_cast<float>(q.y * fit.scale + fit.offset_y));
    };
    const float pen = std::max(Em(0.12f), static_cast<float>(Em(0.06f) * fit.scale));
    for (const auto& stroke : vm.strokes.strokes) {
      for (size_t i = 1; i < stroke.size(); ++i) dl->AddLine(at(stroke[i - 1]), at(stroke[i]), IM_COL32(20, 20, 30, 255), pen);
      if (stroke.size() == 1) dl->AddCircleFilled(at(stroke[0]), pen, IM_COL32(20, 20, 30, 255));
    }
    ImGui::Dummy(size);
  } else {
    // No drawing: say so, and the reason recorded (in the screen's language where it is the CLI's
    // default; a reason someone typed is shown as typed).
    ImGui::Separator();
    Label(T(r.hash_only ? "signature.hash_only" : "signature.none"));
    if (!r.hash_only) {
      if (r.none_reason == kSignatureNotGivenAtCli)
        Muted(T("signature.none_cli"));
      else if (!r.none_reason.empty())
        Muted(Tf("signature.none_reason", {r.none_reason}));
    }
    ImGui::Separator();
  }
  if (TouchButton(T("signature.close"), ImVec2(ColumnWidth(2), 0), true, Tone::Primary, "signature:close"))
    sink.Emit(app::intent::CloseSignature{});
}

}  // namespace

void DrawDevice(const app::DeviceVm& vm, const app::OperatorVm& op, DeviceUi&, IntentSink& sink) {
  if (vm.signature.open) {
    DrawSignaturePanel(vm.signature, sink);
    return;
  }
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
  // The central's custody conflict over the unit (issue 17 item 5), said for this kiosk's side.
  for (const CustodyConflictView& c : v.conflicts)
    Notice(Ctx().i18n.Say(c.key, c.args, c.text), IM_COL32(170, 40, 40, 255));
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
  // Staff and admins open the signature of a checkout in the history: the evidence when a unit is missing.
  const bool staff = op.signed_in && op.badge.role != Role::Rep;
  const float sig_w = Em(7.5f);
  for (const auto& h : v.history) {
    const bool checkout = h.type == events::DeviceCheckedOut::kType;
    if (checkout) ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ImGui::GetContentRegionAvail().x - sig_w - Em(0.5f));
    const std::string summary = h.summary_key.empty() ? h.summary : Ctx().i18n.Say(h.summary_key, h.summary_args, h.summary);
    Muted(h.wall_time.substr(0, 16) + "  " + summary + (h.actor.empty() ? "" : "  (" + h.actor + ")"));
    if (!checkout) continue;
    ImGui::PopTextWrapPos();
    ImGui::SameLine(ImGui::GetContentRegionMax().x - sig_w);
    const std::string id = "signature:" + std::to_string(h.seq);
    if (TouchButton(T("device.signature"), ImVec2(sig_w, 0), staff, Tone::Quiet, id.c_str()))
      sink.Emit(app::intent::ShowSignature{h.seq});
  }
}

}  // namespace kiosk::ui
