#pragma once
// Intents: what a screen asks for. Small structs in one variant; the AppController carries them
// out through the same Kiosk services the CLI uses. Screens emit them into an IntentSink.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "kiosk/app/view_models.hpp"

namespace kiosk::app::intent {

struct Navigate { ScreenId to; };
struct Back {};                 // to the partner screen inside a partner flow, else home
struct SignOut {};
// "en", "de", "fi", "pl", "ru". `persist`: the admin's choice, kept for the next start too; the
// home screen's switch is for the person at the kiosk and lasts until the settings load again.
struct SetLanguage { std::string language; bool persist = false; };
struct Scan { std::string text; };             // a barcode, or a code typed on the keyboard
struct DismissBanner {};
struct RemoveUnit { ScreenId session; int index = 0; };
struct ConfirmCheckout { std::string due_date; std::string purpose; std::string signature_svg; };
struct ConfirmCheckin { std::string condition; };
struct Redeem { std::string reward_id; int qty = 1; };
struct OrderDemo { std::string model_gtin; int qty = 1; };
struct ConfirmSellout {};
struct RegisterDeal { std::string customer, product; double value = 0; std::string close_date; };
struct AdminBadge { std::string badge; };
struct AdminPin { std::string pin; };
struct SyncNow {};
// After a restore from an older backup (StatusView::journal_fork): what `kiosk recover` does.
struct Recover {};
// The admin's enrolment, typed on the on-screen keyboard: what `kiosk enroll --central --code` takes.
struct Enrol { std::string central_url; std::string code; };
struct ExportJournal { std::string dir; };  // "" = the admin view-model's export_dir
struct Refresh {};
// The signature of the checkout logged at `seq`, opened from the device screen's history (staff
// and admins only); CloseSignature closes it again.
struct ShowSignature { int64_t seq = 0; };
struct CloseSignature {};
struct SetIdleTimeout { int seconds = 90; };  // the admin's choice, kept for the next start too
// The label sheets an admin can choose: the id `kiosk labels --sheet` and the labels module take,
// the catalogue key of its name, and that name in English (the text without a catalogue). The
// screen's buttons and the printed banner both name a sheet from here.
struct LabelSheetChoice {
  const char* id;
  const char* key;
  const char* english;
};
inline constexpr LabelSheetChoice kLabelSheets[] = {{"a4-3x7", "labels.sheet_3x7", "A4, 3 x 7"},
                                                    {"a4-2x7", "labels.sheet_2x7", "A4, 2 x 7"},
                                                    {"zpl", "labels.sheet_zpl", "Thermal (ZPL)"}};

// The label sheet of the units, cards and badges in LabelsVm::units, written into `dir`.
struct PrintLabels {
  std::string sheet = "a4-3x7";          // "a4-3x7", "a4-2x7" or "zpl"
  std::string symbology = "datamatrix";  // or "gs1-128"
  std::string dir;                       // "" = LabelsVm::dir
};

// The stocktake screen (AppController, app_controller_stocktake.cpp): scope "" counts everything.
struct StartStocktake { std::string scope; };
struct FinishStocktake {};
struct CancelStocktake {};

}  // namespace kiosk::app::intent

namespace kiosk::app {

using Intent = std::variant<intent::Navigate, intent::Back, intent::SignOut, intent::SetLanguage, intent::Scan,
                            intent::DismissBanner, intent::RemoveUnit, intent::ConfirmCheckout,
                            intent::ConfirmCheckin, intent::Redeem, intent::OrderDemo, intent::ConfirmSellout,
                            intent::RegisterDeal, intent::AdminBadge, intent::AdminPin, intent::SyncNow, intent::Recover,
                            intent::Enrol, intent::ExportJournal, intent::Refresh, intent::SetIdleTimeout,
                            intent::PrintLabels, intent::StartStocktake, intent::FinishStocktake,
                            intent::CancelStocktake, intent::ShowSignature, intent::CloseSignature>;

// Where screens put their intents during a frame; the app loop hands them to the controller after
// the frame, so a screen never changes the state it is drawing from.
class IntentSink {
 public:
  void Emit(Intent i) { m_intents.push_back(std::move(i)); }
  std::vector<Intent> Take() { return std::exchange(m_intents, {}); }
  bool Empty() const { return m_intents.empty(); }

 private:
  std::vector<Intent> m_intents;
};

}  // namespace kiosk::app
