// AppController, sessions: the partner's page and its actions (rewards, demo orders, sell-out,
// deals) and the device flows (check-out to a field rep, check-in).
#include <algorithm>

#include "kiosk/app/app_controller.hpp"
#include "kiosk/core/rules/partners.hpp"

namespace kiosk::app {

void AppController::AnnouncePartner(const Partner& p, bool scanned) {
  ReasonArgs args{{"name", p.name}, {"tier", TierKey(p.tier)}};
  std::string text = p.name + " (" + std::string(DisplayName(p.tier)) + ")";
  if (p.status != PartnerStatus::Suspended)
    SetBanner(BannerKind::Success, "banner.partner", std::move(args), std::move(text));
  else if (scanned)
    SetBanner(BannerKind::Warning, "banner.partner_suspended_scan", std::move(args),
              text + ": " + rules::SuspendedNotice(p));
  else
    SetBanner(BannerKind::Warning, "banner.partner_suspended", std::move(args), text + ": this partner is suspended.");
}

std::string AppController::PartnerKey() const {
  const auto& v = m_vm.partner.view;
  return v.card_number.empty() ? v.partner.id : v.card_number;
}

void AppController::ClearSessions() {
  m_vm.checkout.units.clear();
  m_vm.checkout.rep_badge.clear();
  m_vm.checkout.rep_name.clear();
  m_vm.checkin.units.clear();
  m_vm.sellout.units.clear();
  m_vm.labels.units.clear();
  m_vm.stocktake.reported = false;  // a report is for who finished the count
}

// On the worker: what changed for the partner is about to show on the page, so it counts as seen
// from now on (Kiosk::MarkChangesShown). A failure to record it costs a second showing, never the
// page itself.
void AppController::ShowingChanges(Kiosk& k, const PartnerView& v) { (void)k.MarkChangesShown(v.changes); }

// The page keeps what it listed for the partner in front of staff while they stay on it: a reload
// after an action (whose list is then empty: already seen) adds what came since, and keeps the rest.
void AppController::TakePartner(PartnerView v, std::vector<DealView> deals, bool new_visit) {
  const bool other = m_vm.partner.view.partner.id != v.partner.id;
  if (!other && !new_visit && m_vm.partner.loaded) {
    std::vector<OutcomeLine> merged = m_vm.partner.view.changes;
    for (OutcomeLine& l : v.changes) {
      auto same = [&](const OutcomeLine& x) {
        return x.shown_source == l.shown_source && x.ref == l.ref && x.stamp == l.stamp;
      };
      if (std::none_of(merged.begin(), merged.end(), same)) merged.push_back(std::move(l));
    }
    v.changes = std::move(merged);
  }
  m_vm.partner.loaded = true;
  m_vm.partner.view = std::move(v);
  m_vm.partner.deals = std::move(deals);
  if (other) m_vm.sellout.units.clear();
}

void AppController::LoadPartner(const std::string& card, bool navigate, bool announce) {
  Run([card, navigate, announce](Kiosk& k) -> Completion {
    auto p = k.GetPartner(card);
    if (!p.ok()) return Fail(p.error());
    PartnerView v = std::move(p).value();
    auto deals = k.Deals(v.partner.id, kPartnerScreenDeals);
    ShowingChanges(k, v);
    return [v = std::move(v), deals = deals.ok() ? std::move(*deals) : std::vector<DealView>{}, navigate,
            announce](AppController& c) {
      c.TakePartner(v, deals, false);
      if (navigate) c.Go(ScreenId::Partner);
      if (announce) {
        c.AnnouncePartner(v.partner, false);
      }
    };
  });
}

void AppController::LoadRewards() {
  std::string card = PartnerKey();
  Run([card](Kiosk& k) -> Completion {
    auto rewards = k.Rewards(card);
    return [rewards = std::move(rewards)](AppController& c) {
      c.m_vm.rewards.loaded = true;
      c.m_vm.rewards.rewards = rewards;
    };
  });
}

bool AppController::On(const intent::ConfirmCheckout& i) {
  CheckoutRequest req;
  for (const auto& u : m_vm.checkout.units) req.codes.push_back(u.code);
  req.rep_badge = m_vm.checkout.rep_badge;
  req.due_date = i.due_date;
  req.purpose = i.purpose;
  req.signature_svg = i.signature_svg;
  if (req.codes.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_units", {}, "Scan at least one unit first.");
    return true;
  }
  if (req.rep_badge.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_rep", {}, "Scan the field rep's badge first.");
    return true;
  }
  if (req.signature_svg.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_signature", {}, "The field rep must sign to accept the terms.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.Checkout(req); },
            [](AppController& c) {
              c.m_vm.checkout.units.clear();
              c.RefreshHome();
              c.Go(ScreenId::Home);
            });
  return false;
}

bool AppController::On(const intent::ConfirmCheckin& i) {
  CheckinRequest req;
  for (const auto& u : m_vm.checkin.units) req.codes.push_back(u.code);
  req.by_badge = m_vm.op.badge.code;
  req.condition = i.condition.empty() ? "ok" : i.condition;
  if (req.codes.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_units", {}, "Scan at least one unit first.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.Checkin(req); },
            [](AppController& c) {
              c.m_vm.checkin.units.clear();
              c.RefreshHome();
              c.Go(ScreenId::Home);
            });
  return false;
}

bool AppController::On(const intent::Redeem& i) {
  RedeemRequest req{PartnerKey(), i.reward_id, i.qty, m_vm.op.badge.code};
  RunAction([req](Kiosk& k) { return k.Redeem(req); },
            [](AppController& c) {
              c.LoadPartner(c.PartnerKey(), false, false);
              c.LoadRewards();
            });
  return false;
}

bool AppController::On(const intent::OrderDemo& i) {
  DemoOrderRequest req{PartnerKey(), i.model_gtin, i.qty, m_vm.op.badge.code};
  RunAction([req](Kiosk& k) { return k.OrderDemo(req); },
            [](AppController& c) {
              c.LoadPartner(c.PartnerKey(), false, false);
              c.Go(ScreenId::Partner);
            });
  return false;
}

bool AppController::On(const intent::ConfirmSellout&) {
  SelloutRequest req;
  req.partner_card = PartnerKey();
  req.by_badge = m_vm.op.badge.code;
  for (const auto& u : m_vm.sellout.units) req.codes.push_back(u.code);
  if (req.codes.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_sold_units", {}, "Scan at least one sold unit first.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.ReportSellout(req); },
            [](AppController& c) {
              c.m_vm.sellout.units.clear();
              c.LoadPartner(c.PartnerKey(), false, false);
              c.Go(ScreenId::Partner);
            });
  return false;
}

bool AppController::On(const intent::RegisterDeal& i) {
  DealRequest req{PartnerKey(), i.customer, i.product, i.value, i.close_date, m_vm.op.badge.code};
  if (req.customer.empty() || req.product.empty() || req.value <= 0 || req.close_date.empty()) {
    SetBanner(BannerKind::Warning, "banner.deal_missing", {}, "Fill in the customer, the product, the value and the close date.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.RegisterDeal(req); },
            [](AppController& c) {
              c.LoadPartner(c.PartnerKey(), false, false);  // the new deal in the partner's list, pending
              c.Go(ScreenId::Partner);
            });
  return false;
}

// The evidence behind a checkout in a unit's history: staff and admins open it; a field rep
// signed in for a checkout does not browse other reps' signatures.
bool AppController::On(const intent::ShowSignature& i) {
  const bool staff = (m_vm.op.signed_in && m_vm.op.badge.role != Role::Rep) || m_vm.admin.unlocked;
  if (!staff) {
    SetBanner(BannerKind::Warning, "banner.signature_staff_only", {},
              "Only staff and admins open a checkout's signature: scan your staff badge first.");
    return true;
  }
  Run([seq = i.seq](Kiosk& k) -> Completion {
    auto r = k.SignatureOf(seq);
    if (!r.ok()) return Fail(r.error());
    SignatureVm vm;
    vm.open = true;
    vm.record = std::move(r).value();
    vm.rep_name = vm.record.rep;
    if (auto b = k.FindBadge(vm.record.rep); b.ok() && !b->name.empty()) vm.rep_name = b->name;
    if (!vm.record.path.empty()) {
      auto strokes = DrawnSignature(vm.record);
      if (!strokes.ok()) return Fail(strokes.error());
      vm.strokes = std::move(strokes).value();
    }
    return [vm = std::move(vm)](AppController& c) {
      if (c.m_vm.screen == ScreenId::Device) c.m_vm.device.signature = vm;
    };
  });
  return true;
}

bool AppController::On(const intent::CloseSignature&) {
  m_vm.device.signature = SignatureVm{};
  return true;
}

}  // namespace kiosk::app
