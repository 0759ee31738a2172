#pragma once
// The screens: each a function of its view-model that emits intents, with its own widget state
// (the *Ui structs) owned by the app loop and reset when the screen is entered anew. No I/O, no
// blocking call, no static widget state. One file per screen: screen_<name>.cpp.
#include <string>

#include "kiosk/app/intents.hpp"
#include "kiosk/app/view_models.hpp"
#include "kiosk/ui/widgets.hpp"

namespace kiosk::ui {

using app::IntentSink;

struct HomeUi { std::string code; };
struct PartnerUi {};
struct DeviceUi {};
struct CheckoutUi {
  std::string due_date;  // YYYY-MM-DD; empty until the view-model knows today
  std::string purpose;
  SignaturePad signature;
};
struct CheckinUi {
  bool damaged = false;
  std::string note;  // what is wrong, when damaged
};
struct RewardsUi { std::string selected; };  // reward id waiting for confirmation
struct DemoOrderUi {
  std::string gtin;
  int qty = 1;
};
struct SelloutUi {};
struct DealUi {
  std::string customer, product, value, close_date;
};
struct AdminLoginUi {
  std::string pin;
  bool pad_closed = false;  // the person closed the PIN pad
};
struct AdminUi {
  std::string export_dir;  // the USB folder field; filled from the view-model on each visit
  std::string central_url;  // the enrolment form: the central's address (the config's, if any)...
  std::string enrol_code;   // ...and the one-time code `kiosk-central enroll KIOSK_ID` printed
  int64_t serial = -1;
};

struct LabelsUi {
  bool started = false;
  std::string code;                      // typed on the keyboard, added as a scan
  std::string sheet = "a4-3x7";
  std::string symbology = "datamatrix";
  std::string dir;                       // where the sheet goes; from the view-model on each visit
};

struct StocktakeUi {
  bool chosen = false;   // a scope was tapped
  std::string area;      // the area whose bays show ("" = everything)
  std::string scope;     // what Start counts
  std::string code;      // typed on the keyboard, sent as a scan
};

// All widget state, reset per screen when AppVm::screen_serial changes.
struct ScreensUi {
  int64_t serial = -1;
  HomeUi home;
  PartnerUi partner;
  DeviceUi device;
  CheckoutUi checkout;
  CheckinUi checkin;
  RewardsUi rewards;
  DemoOrderUi demo_order;
  SelloutUi sellout;
  DealUi deal;
  AdminLoginUi admin_login;
  AdminUi admin;
  LabelsUi labels;
  StocktakeUi stocktake;
};

void DrawHome(const app::AppVm& vm, HomeUi& ui, IntentSink& sink);
void DrawPartner(const app::PartnerVm& vm, PartnerUi& ui, IntentSink& sink);
void DrawDevice(const app::DeviceVm& vm, const app::OperatorVm& op, DeviceUi& ui, IntentSink& sink);
void DrawCheckout(const app::CheckoutVm& vm, CheckoutUi& ui, IntentSink& sink);
void DrawCheckin(const app::CheckinVm& vm, CheckinUi& ui, IntentSink& sink);
void DrawRewards(const app::RewardsVm& vm, const app::PartnerVm& partner, RewardsUi& ui, IntentSink& sink);
void DrawDemoOrder(const app::DemoOrderVm& vm, const app::PartnerVm& partner, DemoOrderUi& ui, IntentSink& sink);
void DrawSellout(const app::SelloutVm& vm, const app::PartnerVm& partner, SelloutUi& ui, IntentSink& sink);
void DrawDeal(const app::DealVm& vm, const app::PartnerVm& partner, DealUi& ui, IntentSink& sink);
void DrawAdminLogin(const app::AdminVm& vm, AdminLoginUi& ui, IntentSink& sink);
void DrawAdmin(const app::AppVm& vm, AdminUi& ui, IntentSink& sink);
void DrawLabels(const app::LabelsVm& vm, LabelsUi& ui, IntentSink& sink);
void DrawStocktake(const app::StocktakeVm& vm, StocktakeUi& ui, IntentSink& sink);

// Shared bits of several screens.
std::string Points(int64_t points);  // "24,500" / "24.500" / "24 500" by language
std::string TierName(Tier tier);
ImU32 TierColour(Tier tier);
std::string StateName(DeviceState state);
void UnitList(const std::vector<app::SessionUnit>& units, app::ScreenId session, IntentSink& sink);
void PartnerHeader(const app::PartnerVm& vm);  // name, tier and points, on every partner flow
// Lays out `count` equal buttons per row across the available width.
float ColumnWidth(int columns);

}  // namespace kiosk::ui
