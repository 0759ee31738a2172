#include <cmath>

#include "kiosk/ui/screens.hpp"

namespace kiosk::ui {
namespace {

std::string Amount(double v, const std::string& unit) {
  std::string n = Points(static_cast<int64_t>(std::llround(v)));
  return unit.empty() ? n : n + " " + (unit == "EUR" ? "€" : unit);
}

std::string RequirementName(const Requirement& r) {
  if (r.key == "revenue_eur") return T("req.revenue");
  if (r.key == "certified_sales") return T("req.certified_sales");
  if (r.key == "certified_technical") return T("req.certified_technical");
  if (r.key == "demo_investment_eur") return T("req.demo_investment");
  return r.label;  // a requirement this build does not know: the central's own words
}

std::string TypeName(PartnerType t) {
  switch (t) {
    case PartnerType::Agent: return T("type.agent");
    case PartnerType::Concessionaire: return T("type.concessionaire");
    case PartnerType::DocumentTechnologyPartner: return T("type.dtp");
    case PartnerType::SolutionProvider: return T("type.solution_provider");
    case PartnerType::VolumePartner: return T("type.volume_partner");
    default: return std::string(DisplayName(t));
  }
}

// "3 hours", "2 days 4 hours" in the screen's language: how long a deal has waited.
std::string DealAge(int64_t minutes) {
  if (minutes < 1) return T("deal.age.under_minute");
  if (minutes < 60) return Tf("deal.age.minutes", {std::to_string(minutes)});
  if (minutes < 24 * 60) return Tf("deal.age.hours", {std::to_string(minutes / 60)});
  return Tf("deal.age.days", {std::to_string(minutes / (24 * 60)), std::to_string(minutes % (24 * 60) / 60)});
}

// The partner's latest deals here and what the vendor made of them (kiosk/core/rules/deals.hpp).
void DrawDeals(const std::vector<DealView>& deals) {
  if (deals.empty()) return;
  ImGui::Separator();
  Label(T("partner.deals"));
  for (const DealView& d : deals) {
    ImGui::PushID(static_cast<int>(d.seq));
    if (d.status == "approved") Badge(T("deal.state.approved"), IM_COL32(30, 120, 60, 255));
    else if (d.status == "rejected") Badge(T("deal.state.rejected"), IM_COL32(170, 40, 40, 255));
    else Badge(T("deal.state.pending"), IM_COL32(176, 112, 16, 255));
    ImGui::SameLine();
    Label(d.customer + " · " + d.product + " · " + Amount(d.value_eur, "EUR"));
    const std::string decided = d.decided_at.substr(0, 10);
    if (d.status == "approved")
      Muted(d.reason.empty() ? Tf("deal.approved_on", {decided}) : Tf("deal.approved_note", {decided, d.reason}));
    else if (d.status == "rejected")
      Muted(Tf("deal.rejected_on", {decided, d.reason.empty() ? d.message : d.reason}));
    else if (d.overdue)
      Muted(Tf("deal.pending_overdue", {DealAge(d.age_minutes), d.due_date}));
    else if (!d.due_date.empty())
      Muted(Tf("deal.pending_due", {DealAge(d.age_minutes), d.due_date}));
    ImGui::PopID();
  }
}

// What changed since the partner's last visit (issue 17 item 5): the central's outcomes, newest
// kPartnerPageChanges of them; a line staff must act on (points to settle, a partner to tell) on
// amber, the rest on blue. The words are the core's, by key, in the screen's language.
void DrawChanges(const std::vector<OutcomeLine>& changes) {
  if (changes.empty()) return;
  Label(Tf("partner.changes", {std::to_string(changes.size())}));
  const size_t first = changes.size() > static_cast<size_t>(kPartnerPageChanges)
                           ? changes.size() - static_cast<size_t>(kPartnerPageChanges)
                           : 0;
  for (size_t i = changes.size(); i-- > first;) {  // newest first
    const OutcomeLine& l = changes[i];
    Notice(Ctx().i18n.Say(l.key, l.args, l.text), l.act ? IM_COL32(150, 90, 10, 255) : IM_COL32(35, 70, 120, 255));
  }
  if (first > 0) Muted(Tf("partner.changes_more", {std::to_string(first)}));
}

}  // namespace

void DrawPartner(const app::PartnerVm& vm, PartnerUi&, IntentSink& sink) {
  if (!vm.loaded) {
    Muted(T("common.loading"));
    return;
  }
  const PartnerView& v = vm.view;
  const Partner& p = v.partner;
  Heading(p.name);
  Badge(TierName(p.tier), TierColour(p.tier));
  ImGui::SameLine();
  Badge(TypeName(p.type), IM_COL32(60, 66, 80, 255));
  ImGui::SameLine();
  Badge(p.authorization == Authorization::Exclusive ? T("partner.exclusive") : T("partner.authorized"),
        IM_COL32(60, 66, 80, 255));
  ImGui::SameLine();
  if (p.status == PartnerStatus::Suspended) Badge(T("partner.suspended"), IM_COL32(170, 40, 40, 255));
  else Badge(T("partner.active"), IM_COL32(30, 120, 60, 255));
  if (!v.card_number.empty()) Muted(Tf("partner.card", {v.card_number, p.country}));
  DrawChanges(v.changes);

  // Points: what can be spent now is what matters at the counter; then what sell-outs at this
  // kiosk brought (credited by the central), what is still to come (pending: the central's own
  // figure and this kiosk's estimate for reports not yet credited), and what redemptions here hold.
  const float col = ColumnWidth(4);
  const auto column = [&](int i, const std::string& label, int64_t points) {
    if (i > 0) ImGui::SameLine(static_cast<float>(i) * col + Em(static_cast<float>(i)));
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + col);  // a long label wraps in its column
    Muted(label);
    ImGui::PopTextWrapPos();
    Heading(Points(points));
    ImGui::EndGroup();
  };
  column(0, T("partner.available"), v.available_points);
  column(1, T("partner.credited"), v.credited_points);
  column(2, T("partner.pending"), v.pending_points);
  column(3, T("partner.held"), v.held_points);
  if (!v.credits.empty()) {
    Muted(T("partner.credits"));
    for (const CreditLine& c : v.credits)
      Muted(Tf("partner.credit_line",
               {Points(c.points), std::to_string(c.units), c.model, c.credited_at.substr(0, 10)}));
  }

  float w = ColumnWidth(4);
  if (TouchButton(T("action.redeem"), ImVec2(w, 0), true, Tone::Primary, "nav:rewards"))
    sink.Emit(app::intent::Navigate{app::ScreenId::Rewards});
  ImGui::SameLine();
  if (TouchButton(T("action.order_demo"), ImVec2(w, 0), true, Tone::Primary, "nav:demo_order"))
    sink.Emit(app::intent::Navigate{app::ScreenId::DemoOrder});
  ImGui::SameLine();
  if (TouchButton(T("action.sellout"), ImVec2(w, 0), true, Tone::Primary, "nav:sellout"))
    sink.Emit(app::intent::Navigate{app::ScreenId::Sellout});
  ImGui::SameLine();
  if (TouchButton(T("action.deal"), ImVec2(w, 0), true, Tone::Primary, "nav:deal"))
    sink.Emit(app::intent::Navigate{app::ScreenId::Deal});
  DrawDeals(vm.deals);

  // Demo orders first: after an order the page comes back here, and staff look for its state.
  if (v.open_demo_orders > 0) Muted(Tf("partner.open_orders", {std::to_string(v.open_demo_orders)}));
  // This kiosk's latest demo orders and the central's last word on each (issue 17): "open" until
  // the central's state comes back with a sync or a stick file.
  if (!v.orders.empty()) {
    Muted(T("partner.orders"));
    for (const DemoOrderLine& o : v.orders) {
      const std::string when = (o.state_at.empty() ? o.created : o.state_at).substr(0, 10);
      Muted(Tf("partner.order_line",
               {std::to_string(o.qty), o.model, T(("order.state." + o.state).c_str()), when}));
    }
  }
  ImGui::Separator();
  auto next = NextTier(p.tier);
  if (!next || p.next_tier.empty()) {
    Label(T("partner.top_tier"));
  } else {
    Label(Tf("partner.next_tier", {TierName(*next)}));
    for (const auto& r : p.next_tier) {
      float f = r.need > 0 ? static_cast<float>(r.have / r.need) : 1.0f;
      std::string bar = RequirementName(r) + ": " + Amount(r.have, r.unit) + " / " + Amount(r.need, r.unit);
      ProgressBar(f, bar);
      if (r.have < r.need) Muted(Tf("partner.missing", {Amount(r.need - r.have, r.unit), RequirementName(r)}));
    }
  }
  Muted(Tf("partner.staff", {std::to_string(p.certified_sales), std::to_string(p.certified_technical)}));
}

}  // namespace kiosk::ui
