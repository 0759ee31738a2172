// AppController, navigation: which screen may open when, what each loads on the way, sign-out.
#include "kiosk/app/app_controller.hpp"

namespace kiosk::app {

namespace {
bool NeedsPartner(ScreenId s) {
  return s == ScreenId::Rewards || s == ScreenId::DemoOrder || s == ScreenId::Sellout || s == ScreenId::Deal;
}
}  // namespace

bool AppController::On(const intent::Navigate& i) {
  if (i.to != ScreenId::Home && i.to != ScreenId::AdminLogin && !m_vm.op.signed_in) {
    SetBanner(BannerKind::Warning, "banner.sign_in_first", {}, "Sign in first: scan your staff badge.");
    return true;
  }
  if (NeedsPartner(i.to) && !m_vm.partner.loaded) {
    SetBanner(BannerKind::Warning, "banner.partner_first", {}, "Scan the partner's card first.");
    return true;
  }
  switch (i.to) {
    case ScreenId::Home: RefreshHome(); break;
    case ScreenId::Checkout:
      m_vm.checkout.units.clear();
      m_vm.checkout.rep_badge.clear();
      m_vm.checkout.rep_name.clear();
      if (m_vm.op.badge.role == Role::Rep) {
        m_vm.checkout.rep_badge = m_vm.op.badge.code;
        m_vm.checkout.rep_name = m_vm.op.badge.name;
      }
      break;
    case ScreenId::Checkin: m_vm.checkin.units.clear(); break;
    case ScreenId::Sellout: m_vm.sellout.units.clear(); break;
    case ScreenId::Rewards:
      m_vm.rewards.loaded = false;
      LoadRewards();
      break;
    case ScreenId::DemoOrder:
      m_vm.demo_order.loaded = false;
      Run([](Kiosk& k) -> Completion {
        auto models = k.Models();
        return [models = std::move(models)](AppController& c) {
          c.m_vm.demo_order.models.clear();
          for (const auto& m : models)
            if (m.active) c.m_vm.demo_order.models.push_back(m);
          c.m_vm.demo_order.loaded = true;
        };
      });
      break;
    case ScreenId::AdminLogin:
      m_vm.admin.unlocked = false;
      m_vm.admin.badge = m_vm.op.signed_in && m_vm.op.badge.role == Role::Admin ? m_vm.op.badge.code : "";
      break;
    case ScreenId::Admin:
      if (!m_vm.admin.unlocked) return On(intent::Navigate{ScreenId::AdminLogin});
      LoadAdmin();
      break;
    case ScreenId::Labels:
      // An admin's action: from the unlocked admin screen only.
      if (!m_vm.admin.unlocked) return On(intent::Navigate{ScreenId::AdminLogin});
      m_vm.labels.units.clear();
      if (m_vm.labels.dir.empty()) m_vm.labels.dir = m_vm.admin.export_dir;
      break;
    case ScreenId::Stocktake:
      // Any signed-in staff, rep or admin; an open session (even one from before a restart) shows.
      m_vm.stocktake.reported = false;
      LoadStocktake();
      break;
    default: break;
  }
  Go(i.to);
  return true;
}

bool AppController::On(const intent::Back&) {
  if (NeedsPartner(m_vm.screen) && m_vm.partner.loaded) {
    LoadPartner(PartnerKey(), false, false);
    Go(ScreenId::Partner);
    return true;
  }
  if (m_vm.screen == ScreenId::Labels && m_vm.admin.unlocked) {
    LoadAdmin();
    Go(ScreenId::Admin);
    return true;
  }
  if (m_vm.screen == ScreenId::Admin) m_vm.admin.unlocked = false;
  RefreshHome();
  Go(ScreenId::Home);
  return true;
}

bool AppController::On(const intent::SignOut&) {
  m_vm.op = OperatorVm{};
  m_vm.partner = PartnerVm{};
  m_vm.device = DeviceVm{};
  m_vm.admin.unlocked = false;
  m_vm.admin.badge.clear();
  ClearSessions();
  RefreshHome();
  Go(ScreenId::Home);
  return true;
}

void AppController::RefreshHome() {
  const Clock* clock = m_options.clock;
  Run([clock](Kiosk& k) -> Completion {
    StatusView status = k.Status(Kiosk::StatusDetail::kSyncState);
    std::vector<DeviceView> overdue = k.Overdue();
    Settings settings = k.CurrentSettings();
    std::string today = FormatDate(clock->Now());
    return [status = std::move(status), overdue = std::move(overdue), settings, today](AppController& c) {
      c.m_vm.home.loaded = true;
      c.m_vm.home.status = status;
      c.m_vm.home.overdue = overdue;
      c.m_vm.checkout.default_loan_days = settings.default_loan_days;
      c.m_vm.checkout.today = today;
      c.m_vm.deal.today = today;
      if (c.m_language_from_settings) {
        c.m_language_from_settings = false;
        if (!settings.language_local && !c.m_options.language.empty()) c.m_vm.language = c.m_options.language;
        else if (!settings.language.empty()) c.m_vm.language = settings.language;
        c.m_vm.idle_timeout_s = !settings.idle_timeout_local && c.m_options.idle_timeout_s > 0 ? c.m_options.idle_timeout_s
                                                                                             : settings.idle_timeout_s;
      }
    };
  });
}

bool AppController::On(const intent::Refresh&) {
  if (m_vm.screen == ScreenId::Admin) LoadAdmin();
  else RefreshHome();
  return false;
}

}  // namespace kiosk::app
