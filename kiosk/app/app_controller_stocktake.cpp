// AppController, stocktakes: start a count of a scope, tick units as the scanner reads them,
// finish into the report (one journaled stocktake.finished) or cancel. The session and its scans
// are the services' (Kiosk::StartStocktake...), kept in the kiosk's database, so the screen only
// mirrors them: after a restart or a power cut it opens on the same session.
#include "kiosk/app/app_controller.hpp"

namespace kiosk::app {

void AppController::LoadStocktake() {
  m_vm.stocktake.loaded = false;
  Run([](Kiosk& k) -> Completion {
    auto scopes = k.StocktakeScopes();
    auto session = k.CurrentStocktake();
    if (!session.ok() && session.error().code != "stocktake.none") return Fail(session.error());
    std::vector<std::string> list = scopes.ok() ? std::move(*scopes) : std::vector<std::string>{};
    std::optional<StocktakeView> open;
    if (session.ok()) open = std::move(*session);
    return [list = std::move(list), open = std::move(open)](AppController& c) {
      StocktakeVm& s = c.m_vm.stocktake;
      s.loaded = true;
      s.scopes = list;
      s.open = open.has_value();
      s.session = open.value_or(StocktakeView{});
    };
  });
}

bool AppController::On(const intent::StartStocktake& i) {
  if (!m_vm.op.signed_in || m_vm.stocktake.working) return false;
  m_vm.stocktake.working = true;
  m_vm.stocktake.reported = false;
  const std::string badge = m_vm.op.badge.code;
  Run([badge, scope = i.scope](Kiosk& k) -> Completion {
    auto v = k.StartStocktake(badge, scope);
    if (!v.ok())
      return [e = v.error()](AppController& c) {
        c.m_vm.stocktake.working = false;
        c.ShowError(e);
        c.LoadStocktake();  // another session may be open (started at the counter's CLI)
      };
    return [v = std::move(*v)](AppController& c) {
      StocktakeVm& s = c.m_vm.stocktake;
      s.working = false;
      s.open = true;
      s.session = v;
      const std::string count = std::to_string(v.expected);
      if (v.scope.empty())
        c.SetBanner(BannerKind::Success, "banner.stocktake_started_all", {{"count", count}},
                    "Stocktake of everything started: " + count + (v.expected == 1 ? " unit" : " units") + " expected.");
      else
        c.SetBanner(BannerKind::Success, "banner.stocktake_started", {{"scope", v.scope}, {"count", count}},
                    "Stocktake of " + v.scope + " started: " + count + (v.expected == 1 ? " unit" : " units") +
                        " expected.");
    };
  });
  return true;
}

AppController::Completion AppController::StocktakeScan(Kiosk& k, const std::string& text) {
  auto r = k.StocktakeScan(text);
  if (!r.ok()) return Fail(r.error());
  return [r = std::move(*r)](AppController& c) {
    c.m_vm.stocktake.session = r.session;
    const StocktakeUnitView& u = r.unit;
    if (r.repeated) {
      c.SetBanner(BannerKind::Info, "banner.stocktake_again", {{"tag", u.asset_tag}}, u.asset_tag + " is ticked already.");
    } else if (u.status == "found") {
      const std::string ticked = std::to_string(r.session.ticked), expected = std::to_string(r.session.expected);
      c.SetBanner(BannerKind::Success, "banner.stocktake_found",
                  {{"tag", u.asset_tag}, {"ticked", ticked}, {"expected", expected}},
                  u.asset_tag + " ticked: " + ticked + " of " + expected + ".");
    } else if (u.status == "misplaced") {
      c.SetBanner(BannerKind::Warning, "banner.stocktake_misplaced", {{"tag", u.asset_tag}, {"location", u.location}},
                  u.asset_tag + " belongs at " + u.location + ": not expected here.");
    } else {
      const std::string who = u.custodian_name.empty() ? u.custodian : u.custodian_name;
      const std::string state(ToString(u.state));
      std::string english = u.asset_tag + " is recorded as " + state + (who.empty() ? "" : " (" + who + ")") +
                            ": not expected here.";
      c.SetBanner(BannerKind::Warning, who.empty() ? "banner.stocktake_unexpected" : "banner.stocktake_unexpected_with",
                  {{"tag", u.asset_tag}, {"state", StateKey(u.state)}, {"name", who}}, english);
    }
  };
}

bool AppController::On(const intent::FinishStocktake&) {
  if (!m_vm.op.signed_in || !m_vm.stocktake.open || m_vm.stocktake.working) return false;
  m_vm.stocktake.working = true;
  const std::string badge = m_vm.op.badge.code;
  Run([badge](Kiosk& k) -> Completion {
    auto r = k.FinishStocktake(badge);
    if (!r.ok())
      return [e = r.error()](AppController& c) {
        c.m_vm.stocktake.working = false;
        c.ShowError(e);
      };
    return [r = std::move(*r)](AppController& c) {
      StocktakeVm& s = c.m_vm.stocktake;
      s.working = false;
      s.open = false;
      s.session = StocktakeView{};
      s.reported = true;
      s.report = r;
      c.ShowReceipt(r.receipt);
    };
  });
  return true;
}

bool AppController::On(const intent::CancelStocktake&) {
  if (!m_vm.op.signed_in || !m_vm.stocktake.open || m_vm.stocktake.working) return false;
  m_vm.stocktake.working = true;
  Run([](Kiosk& k) -> Completion {
    auto r = k.CancelStocktake();
    if (!r.ok())
      return [e = r.error()](AppController& c) {
        c.m_vm.stocktake.working = false;
        c.ShowError(e);
      };
    return [](AppController& c) {
      StocktakeVm& s = c.m_vm.stocktake;
      s.working = false;
      s.open = false;
      s.session = StocktakeView{};
      c.SetBanner(BannerKind::Info, "banner.stocktake_cancelled", {}, "Stocktake cancelled: nothing was recorded.");
    };
  });
  return true;
}

}  // namespace kiosk::app
