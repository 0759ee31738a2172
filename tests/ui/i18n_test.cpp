#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <imgui.h>

#include "kiosk/core/languages.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/theme.hpp"
#include "kiosk/ui/widgets.hpp"

namespace fs = std::filesystem;
using namespace kiosk::ui;

namespace {

const fs::path kAssets = KIOSK_TEST_ASSETS;

I18n::Catalogue Words(const std::string& lang) {
  auto w = I18n::LoadFile(kAssets / "i18n" / (lang + ".json"));
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().message));
  return *w;
}

std::vector<unsigned> CodePoints(const std::string& s) {
  std::vector<unsigned> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned cp = 0;
    size_t n = 1;
    if (c < 0x80) cp = c;
    else if ((c >> 5) == 6) { cp = c & 0x1F; n = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0F; n = 3; }
    else { cp = c & 0x07; n = 4; }
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

// Keys the UI sources ask for: T("key") and Tf("key", ...), plus the keys kept in tables.
std::set<std::string> KeysUsedInSources() {
  std::set<std::string> keys;
  std::regex call(R"re(\bTf?\("([a-z_]+\.[a-z_.]+)")re");
  std::regex table(R"re("((?:screen|checkout)\.[a-z_]+)")re");
  for (const auto& e : fs::directory_iterator(kAssets.parent_path() / "kiosk" / "ui")) {
    if (e.path().extension() != ".cpp") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    for (auto& re : {call, table})
      for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) keys.insert((*it)[1]);
  }
  return keys;
}

std::string Source(const fs::path& relative) {
  std::ifstream in(kAssets.parent_path() / relative);
  REQUIRE_MESSAGE(in.good(), "cannot read " << relative.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The Kiosk facade's files that were once kiosk.cpp, and the controller's, which is one class in
// several files (docs/architecture.md, file map): read together, as one source each.
std::string KioskServicesSource() {
  std::string all;
  for (const char* f : {"kiosk.cpp", "kiosk_lookups.cpp", "kiosk_partners.cpp", "kiosk_devices.cpp",
                        "kiosk_settings.cpp", "kiosk_status.cpp", "kiosk_journal.cpp", "kiosk_stocktake.cpp"})
    all += Source(fs::path("kiosk/services") / f);
  return all;
}
std::string AppControllerSource() {
  std::string all;
  for (const char* f : {"app_controller.cpp", "app_controller_navigation.cpp", "app_controller_scan.cpp",
                        "app_controller_sessions.cpp", "app_controller_admin.cpp", "app_controller_stocktake.cpp"})
    all += Source(fs::path("kiosk/app") / f);
  return all;
}

std::set<std::string> Matches(const std::string& text, const std::regex& re, const std::string& prefix) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert(prefix + (*it)[1].str());
  return out;
}

// Keys of everything the core and the controller can put in a banner: the reason of every
// MakeError in the services the touchscreen calls (and the storage errors under them), each
// wording ("variant") of a reason, every receipt, every action named in a reason, and the
// controller's own banners. Read from the sources, so a new reason without words fails here.
std::set<std::string> CoreMessageKeys() {
  std::set<std::string> keys;
  const std::regex reason(R"re(MakeError\(\s*ErrorKind::\w+,\s*"([a-z_]+\.[a-z_.]+)")re");
  // The sync and USB errors reach the admin screen (last sync error, export banner) too.
  const char* sync_sources[] = {"kiosk/sync/engine.cpp", "kiosk/sync/usb.cpp", "kiosk/sync/protocol.cpp",
                                "kiosk/sync/protocol_batch.cpp", "kiosk/sync/protocol_enrol.cpp",
                                "kiosk/sync/protocol_files.cpp", "platform/http_client_curl.cpp"};
  for (const auto& k : Matches(KioskServicesSource() + AppControllerSource(), reason, "reason.")) keys.insert(k);
  for (const char* f : {"kiosk/services/kiosk_actions.cpp", "storage/db.cpp", "storage/stocktake_store.cpp",
                        "kiosk/core/rules/people.cpp", "kiosk/core/rules/partners.cpp",
                        "kiosk/core/rules/devices.cpp", "kiosk/core/rules/orders.cpp", "kiosk/core/rules/loyalty.cpp",
                        "kiosk/core/rules/sellout.cpp", "kiosk/core/rules/deals.cpp", "kiosk/services/kiosk_labels.cpp",
                        "kiosk/labels/labels.cpp", "kiosk/core/signature.cpp"})
    for (const auto& k : Matches(Source(f), reason, "reason.")) keys.insert(k);
  std::string sync;
  for (const char* f : sync_sources) sync += Source(f);
  for (const auto& k : Matches(sync, reason, "reason.")) keys.insert(k);
  // The network failures whose code is picked before the MakeError: `code = "net.timeout"`.
  for (const auto& k : Matches(Source("platform/http_client_curl.cpp"), std::regex(R"re(code = "(net\.[a-z_]+)")re"), "reason."))
    keys.insert(k);
  // A variant is the last argument of a MakeError: `..., {{...}}, "to");` or `cond ? "a" : "b");`
  std::string actions = Source("kiosk/services/kiosk_actions.cpp") + KioskServicesSource() +
                        Source("storage/stocktake_store.cpp");
  for (const char* f : {"people", "partners", "devices", "orders", "loyalty", "sellout", "deals"})
    actions += Source(std::string("kiosk/core/rules/") + f + ".cpp");
  const std::string with_variants = actions + sync;
  std::regex call(R"re(MakeError\(\s*ErrorKind::\w+,\s*"([a-z_.]+)"([^;]*)\);)re");
  std::regex variant(R"re([,?:]\s*"([a-z]+)"\s*(?=[:)]|$))re");
  for (std::sregex_iterator it(with_variants.begin(), with_variants.end(), call), end; it != end; ++it) {
    std::string rest = (*it)[2].str();
    size_t args = rest.rfind("}}");
    if (args == std::string::npos) continue;
    std::string tail = rest.substr(args);
    for (const auto& v : Matches(tail, variant, "")) keys.insert("reason." + (*it)[1].str() + "." + v);
  }
  // A receipt's soft-limit warnings: `warnings.push_back({"code", ...` or `{cond ? "a" : "b", ...`.
  std::regex warning(R"re(warnings\.push_back\(\{\s*(?:[^";]*\?\s*)?"([a-z_]+\.[a-z_]+)"(?:\s*:\s*"([a-z_]+\.[a-z_]+)")?)re");
  for (std::sregex_iterator it(actions.begin(), actions.end(), warning), end; it != end; ++it)
    for (int g : {1, 2})
      if ((*it)[g].matched) keys.insert("warning." + (*it)[g].str());
  for (const auto& k : Matches(actions, std::regex(R"re(m\.Act\("([a-z_]+\.[a-z_]+)")re"), "receipt.")) keys.insert(k);
  // An action that journals a typed payload (`events::DemoOrdered payload{...}; m.Act(payload, ...)`)
  // answers with the receipt of that struct's type name (kiosk/core/events.hpp).
  const std::string events_hpp = Source("kiosk/core/events.hpp");
  for (const auto& name : Matches(actions, std::regex(R"re(events::(\w+) payload\b)re"), ""))
    for (const auto& k : Matches(events_hpp, std::regex("KIOSK_EVENT_PAYLOAD\\(" + name + R"re(, "([a-z_]+\.[a-z_]+)"\))re"),
                                 "receipt."))
      keys.insert(k);
  keys.insert("receipt.device.checked_in.repair");
  keys.insert("receipt.stocktake.finished.all");
  std::regex action(R"re((?:RequireBadge|RequirePartner|StaleGuard)\([^;]*?"([a-z -]+)"\))re");
  for (const auto& a : Matches(actions, action, "")) {
    std::string key = "do.";
    for (char c : a) key += c == ' ' || c == '-' ? '_' : c;
    keys.insert(key);
  }
  for (const auto& k : Matches(AppControllerSource(), std::regex(R"re("(banner\.[a-z_]+)")re"), ""))
    keys.insert(k);
  // The notes under a session's units; a custodian's name makes "note.due" "note.due_with".
  for (const auto& k : Matches(AppControllerSource(), std::regex(R"re("(note\.[a-z_]+)")re"), "")) {
    keys.insert(k);
    if (k == "note.due" || k == "note.overdue") keys.insert(k + "_with");
  }
  return keys;
}

std::set<std::string> Named(const std::string& pattern) {
  auto p = Placeholders(pattern);
  return {p.begin(), p.end()};
}

}  // namespace

TEST_CASE("every reason, receipt and banner the core can produce has words in all five languages") {
  auto keys = CoreMessageKeys();
  // The sources really were read: the reasons of the flows, their wordings and the banners.
  for (const char* k : {"reason.device.already_out", "reason.device.already_out.to", "reason.admin.wrong_pin.last",
                        "reason.points.insufficient", "reason.disk.full", "receipt.loyalty.redeemed",
                        "do.redeem_rewards", "banner.signed_in", "reason.settings.language",
                        "warning.redeem.soft_limit", "warning.audit.recorded_as_with", "warning.sellout.partner_suspended",
                        "reason.net.refused", "reason.net.timeout", "reason.net.tls_untrusted.ca", "reason.export.dir",
                        "reason.net.download_file.full", "reason.sync.not_enrolled.receipt", "reason.response.malformed",
                        "note.kit_members", "note.overdue_with", "reason.stocktake.not_a_unit.badge",
                        "reason.stocktake.already_open.all", "receipt.stocktake.finished", "do.take_stock"})
    CHECK_MESSAGE(keys.count(k) == 1, "the source scan no longer finds " << k);
  REQUIRE(keys.size() > 120);
  for (const char* lang : kiosk::kLanguageCodes) {
    auto words = Words(lang);
    for (const auto& k : keys) CHECK_MESSAGE(words.count(k) == 1, std::string(lang) << ".json lacks \"" << k << "\"");
  }
}

TEST_CASE("named placeholders: no language asks for a value English does not have") {
  auto en = Words("en");
  for (const char* lang : kiosk::kLanguageCodes) {
    auto words = Words(lang);
    for (const auto& [k, v] : words) {
      if (!en.count(k)) continue;
      auto mine = Named(v), theirs = Named(en[k]);
      for (const auto& p : mine)
        CHECK_MESSAGE(theirs.count(p) == 1, std::string(lang) << ".json \"" << k << "\" uses {" << p << "}, English does not");
    }
  }
}

TEST_CASE("a core refusal is said in the kiosk's language, with its values and translated names") {
  auto de = I18n::Load(kAssets / "i18n", "de");
  auto ru = I18n::Load(kAssets / "i18n", "ru");
  REQUIRE(de.ok());
  REQUIRE(ru.ok());
  kiosk::Error e = kiosk::MakeError(kiosk::ErrorKind::Refused, "device.already_out", "DEMO-00008 is already checked out",
                                    {{"tag", "DEMO-00008"}, {"custodian", "Tomasz"}, {"due", "2026-11-20"}}, "to");
  CHECK(kiosk::ReasonKey(e) == "reason.device.already_out.to");
  std::string text = de->Say(kiosk::ReasonKey(e), e.args, e.message);
  CHECK(text == "DEMO-00008 ist bereits an Tomasz ausgegeben, Rückgabe bis 2026-11-20. Erst zurücknehmen, dann erneut "
                "ausgeben.");
  // A value that is itself a key (a tier, a state, a role) is said in the language too.
  CHECK(ru->Say("banner.partner", {{"name", "ПринтСервис"}, {"tier", "tier.gold"}}, "x") == "ПринтСервис (Золото)");
  CHECK(de->Say("banner.not_checked_out", {{"tag", "DEMO-1"}, {"state", "state.available"}}, "x") ==
        "DEMO-1 ist nicht ausgegeben (Verfügbar): nichts zurückzunehmen.");
  // No words for the key, or a value the words need is missing: the English message, noted.
  CHECK(de->Say("reason.no.such", {}, "English text") == "English text");
  CHECK(de->Missing().count("reason.no.such") == 1);
  CHECK(de->Say("reason.device.already_out.to", {{"tag", "X"}}, "English text") == "English text");
  CHECK(de->Say("", {}, "plain") == "plain");
  // English puts a state inside a sentence in lower case; German keeps its capital.
  auto en = I18n::Load(kAssets / "i18n", "en");
  REQUIRE(en.ok());
  CHECK(en->Say("reason.device.not_available", {{"tag", "DEMO-00040"}, {"state", "state.repair"}}, "x") ==
        "DEMO-00040 is under repair and can't be checked out.");
  CHECK(de->Say("reason.device.not_available", {{"tag", "DEMO-00040"}, {"state", "state.repair"}}, "x") ==
        "DEMO-00040 ist im Zustand „In Reparatur“ und kann nicht ausgegeben werden.");
}

TEST_CASE("a receipt's soft-limit warnings are said in the kiosk's language, after the receipt") {
  auto de = I18n::Load(kAssets / "i18n", "de");
  auto en = I18n::Load(kAssets / "i18n", "en");
  REQUIRE(de.ok());
  REQUIRE(en.ok());
  std::vector<kiosk::Warning> warnings{
      {"sellout.partner_suspended", "OOO is suspended: the sale is recorded, but no points are credited until it is reinstated.",
       {{"partner", "OOO"}}},
      {"audit.recorded_as_with", "DEMO-7 was found in the showroom but is recorded as checked out (Jan).",
       {{"tag", "DEMO-7"}, {"state", "state.checked_out"}, {"custodian", "Jan"}}}};
  // The controller's English {warnings} is replaced by the translated ones (a suspended partner's
  // sell-out: recorded, without points).
  kiosk::ReasonArgs args{{"count", "1"}, {"partner", "OOO"}, {"warnings", " English warning"}};
  std::string text = de->Say("receipt.sellout.reported.suspended", args, warnings, "fallback");
  CHECK(text.find("OOO ist gesperrt: Der Verkauf ist erfasst") != std::string::npos);
  CHECK(text.find("DEMO-7 wurde im Showroom gefunden, ist aber als „Ausgegeben“ erfasst (Jan).") != std::string::npos);
  CHECK(text.find("English") == std::string::npos);
  CHECK(text.find("is suspended") == std::string::npos);
  // English says the same sentences the core wrote.
  std::string english = en->Say("receipt.sellout.reported.suspended", args, warnings, "fallback");
  CHECK(english.find(" " + warnings[0].message + " " + warnings[1].message) != std::string::npos);
  // A warning without words in the language is said in its English.
  std::vector<kiosk::Warning> unknown{{"no.such", "Plain English.", {}}};
  CHECK(de->Say("receipt.sellout.reported.suspended", args, unknown, "x").find(" Plain English.") != std::string::npos);
  CHECK(de->Missing().count("warning.no.such") == 1);
}

TEST_CASE("a sync or USB export failure is said in the kiosk's language, with its values") {
  auto pl = I18n::Load(kAssets / "i18n", "pl");
  auto de = I18n::Load(kAssets / "i18n", "de");
  REQUIRE(pl.ok());
  REQUIRE(de.ok());
  // The admin screen's "last error" line: the reason's key and values from the sync engine.
  kiosk::Error net = kiosk::MakeError(kiosk::ErrorKind::Network, "net.refused",
                                      "Can't reach the central at http://c:1/v1/batch: Connection refused.",
                                      {{"url", "http://c:1/v1/batch"}, {"detail", "Connection refused"}});
  CHECK(pl->Say(kiosk::ReasonKey(net), net.args, net.message) ==
        "Nie można połączyć się z centralą pod http://c:1/v1/batch: Connection refused.");
  // The export banner names the reason by its key, filled from the reason's own values.
  kiosk::Error dir = kiosk::MakeError(kiosk::ErrorKind::Storage, "export.dir", "Can't use /media/usb ...",
                                      {{"dir", "/media/usb"}, {"detail", "Permission denied"}});
  kiosk::ReasonArgs args = dir.args;
  args.emplace_back("reason", kiosk::ReasonKey(dir));
  CHECK(de->Say("banner.export_failed", args, "Export failed: x") ==
        "Export fehlgeschlagen: /media/usb kann nicht als Exportordner verwendet werden (Permission denied). Ist der "
        "USB-Stick eingebunden und beschreibbar?");
  // A nested reason whose values are missing falls back to the English as a whole.
  CHECK(de->Say("banner.export_failed", {{"reason", "reason.export.dir"}}, "Export failed: x") == "Export failed: x");
}

TEST_CASE("an enrolment failure is said in the kiosk's language — a central's code without words falls back to English") {
  auto de = I18n::Load(kAssets / "i18n", "de");
  auto ru = I18n::Load(kAssets / "i18n", "ru");
  REQUIRE(de.ok());
  REQUIRE(ru.ok());
  // The central's refusal carries no values; the controller adds the kiosk id it speaks of.
  kiosk::ReasonArgs expired{{"kiosk", "KIOSK-7"}, {"reason", "reason.enrol.expired"}};
  CHECK(de->Say("banner.enrol_failed", expired, "Enrolment failed: x") ==
        "Registrierung fehlgeschlagen: Der Registrierungscode für KIOSK-7 ist abgelaufen. Mit `kiosk-central enroll "
        "KIOSK-7` einen neuen erstellen.");
  kiosk::ReasonArgs refused{{"url", "http://c:1/v1/enroll"}, {"detail", "Connection refused"}, {"kiosk", "KIOSK-7"},
                            {"reason", "reason.net.refused"}};
  CHECK(ru->Say("banner.enrol_failed_network", refused, "x") ==
        "Регистрация не удалась: Не удаётся связаться с сервером http://c:1/v1/enroll: Connection refused. Проверьте "
        "адрес центрального сервера и сеть киоска, затем снова нажмите «Зарегистрировать».");
  // The central could not read the request (kiosk and central of different releases).
  kiosk::ReasonArgs malformed{{"kiosk", "KIOSK-7"}, {"reason", "reason.request.malformed"}};
  CHECK(ru->Say("banner.enrol_failed", malformed, "x") ==
        "Регистрация не удалась: Сервер не смог прочитать запрос на регистрацию. Проверьте, что киоск и сервер одной "
        "версии, и зарегистрируйте киоск снова.");
  CHECK(ru->Missing().count("reason.request.malformed") == 0);
  // A code no language has words for (a web server that is not a central answered 404): the whole
  // banner in English, never the bare key.
  kiosk::ReasonArgs unknown{{"kiosk", "KIOSK-7"}, {"reason", "reason.central.http_404"}};
  CHECK(de->Say("banner.enrol_failed_network", unknown, "Enrolment failed: The central answered HTTP 404.") ==
        "Enrolment failed: The central answered HTTP 404.");
  CHECK(de->Missing().count("reason.central.http_404") == 1);
}

TEST_CASE("a session unit's note is said in the kiosk's language") {
  auto fi = I18n::Load(kAssets / "i18n", "fi");
  REQUIRE(fi.ok());
  CHECK(fi->Say("note.overdue_with", {{"date", "2026-11-20"}, {"name", "Jan Kowalski"}}, "x") ==
        "Jan Kowalski, myöhässä 2026-11-20 alkaen");
  CHECK(fi->Say("note.kit_members", {{"kit", "KIT-0001"}, {"units", "3"}}, "x") ==
        "sarja KIT-0001: 3 laitetta kuuluu yhteen");
}

TEST_CASE("every language has every key English has, and no other") {
  auto en = Words("en");
  REQUIRE(en.size() > 100);
  for (const char* lang : kiosk::kLanguageCodes) {
    auto words = Words(lang);
    for (const auto& [k, v] : en) CHECK_MESSAGE(words.count(k) == 1, lang << ".json lacks \"" << k << "\"");
    for (const auto& [k, v] : words) {
      CHECK_MESSAGE(en.count(k) == 1, lang << ".json has a key English lacks: \"" << k << "\"");
      CHECK_MESSAGE(!v.empty(), lang << ".json: \"" << k << "\" is empty");
    }
  }
}

TEST_CASE("every key the screens use is translated") {
  auto used = KeysUsedInSources();
  REQUIRE(used.size() > 100);
  auto en = Words("en");
  for (const auto& k : used) CHECK_MESSAGE(en.count(k) == 1, "en.json lacks \"" << k << "\", used in kiosk/ui");
}

TEST_CASE("placeholders match across languages") {
  auto en = Words("en");
  for (const char* lang : kiosk::kLanguageCodes) {
    auto words = Words(lang);
    for (const auto& [k, v] : en) {
      for (char n = '0'; n <= '4'; ++n) {
        std::string ph = std::string("{") + n + "}";
        bool in_en = v.find(ph) != std::string::npos;
        bool in_lang = words[k].find(ph) != std::string::npos;
        CHECK_MESSAGE(in_en == in_lang, lang << ".json \"" << k << "\": placeholder " << ph << " differs from English");
      }
    }
  }
}

TEST_CASE("a missing key falls back to English and is reported") {
  auto t = I18n::Load(kAssets / "i18n", "de");
  REQUIRE(t.ok());
  CHECK(std::string(t->Get("action.back")) == "Zurück");
  CHECK(std::string(t->Get("no.such_key")) == "no.such_key");
  CHECK(t->Missing().count("no.such_key") == 1);
  CHECK(!I18n::Load(kAssets / "i18n", "xx").ok());
}

TEST_CASE("Format fills numbered placeholders") {
  CHECK(Format("{0} of {1}", {"3", "5"}) == "3 of 5");
  CHECK(Format("{1}-{0}", {"a", "b"}) == "b-a");
  CHECK(Format("{2} missing", {"a"}) == " missing");
}

TEST_CASE("every glyph of every language, keyboard and symbol is in the font atlas") {
  ImGui::CreateContext();
  auto fonts = LoadFonts(22.0f);
  REQUIRE_MESSAGE(fonts.ok(), (fonts.ok() ? "" : fonts.error().message));
  std::vector<std::pair<std::string, std::string>> texts;  // where, text
  for (const char* lang : kiosk::kLanguageCodes) {
    for (const auto& [k, v] : Words(lang)) texts.emplace_back(std::string(lang) + ":" + k, v);
    for (bool shift : {false, true})
      for (bool latin : {false, true})
        for (FieldKind kind : {FieldKind::Text, FieldKind::Url, FieldKind::Code})
          for (const auto& row : KeyboardRowsFor(kind, lang, shift, latin))
            texts.emplace_back(std::string(lang) + " keyboard", row);
  }
  texts.emplace_back("symbols", kExtraGlyphs());
  texts.emplace_back("language names", "English Deutsch Suomi Polski Русский АБВ ABC");
  int checked = 0;
  for (const auto& [where, text] : texts) {
    for (unsigned cp : CodePoints(text)) {
      for (ImFont* f : {fonts->body, fonts->big}) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "U+%04X", cp);
        CHECK_MESSAGE(f->FindGlyphNoFallback(static_cast<ImWchar>(cp)) != nullptr,
                      where << ": " << hex << " is not in the font atlas");
        ++checked;
      }
    }
  }
  CHECK(checked > 1000);
  ImGui::DestroyContext();
}

TEST_CASE("keyboard layouts: the language's own letters, shifted to capitals") {
  auto join = [](const std::vector<std::string>& rows) {
    std::string s;
    for (auto& r : rows) s += r;
    return s;
  };
  CHECK(join(KeyboardRows("de", false, false)).find("ü") != std::string::npos);
  CHECK(join(KeyboardRows("de", true, false)).find("Ü") != std::string::npos);
  CHECK(join(KeyboardRows("fi", false, false)).find("å") != std::string::npos);
  CHECK(join(KeyboardRows("pl", true, false)).find("Ł") != std::string::npos);
  CHECK(join(KeyboardRows("ru", false, false)).find("ж") != std::string::npos);
  CHECK(join(KeyboardRows("ru", true, false)).find("Ж") != std::string::npos);
  CHECK(join(KeyboardRows("ru", false, true)).find("q") != std::string::npos);
  CHECK(KeyboardRows("de", false, false)[1].rfind("qwertz", 0) == 0);
}

TEST_CASE("an address and an enrolment code can be typed on the on-screen keyboard in every language") {
  auto join = [](const std::vector<std::string>& rows) {
    std::string s;
    for (auto& r : rows) s += r;
    return s;
  };
  for (const char* lang : kiosk::kLanguageCodes) {
    const std::string url = join(KeyboardRowsFor(FieldKind::Url, lang, false, false));
    for (char ch : std::string("https://central.example-1.com:8443/"))
      CHECK_MESSAGE(url.find(ch) != std::string::npos, lang << ": no '" << ch << "' key for an address");
    const std::string code = join(KeyboardRowsFor(FieldKind::Code, lang, false, false));
    for (char ch : std::string("0123456789ABCDEFGHJKMNPQRSTVWXYZ-"))
      CHECK_MESSAGE(code.find(ch) != std::string::npos, lang << ": no '" << ch << "' key for an enrolment code");
  }
  CHECK(KeyboardRowsFor(FieldKind::Pin, "en", false, false).empty());  // the numpad
}

TEST_CASE("font size: touch targets of at least 48 px at 1024x600") {
  float em = FontSizeFor(1024, 600);
  CHECK(em * 2.4f >= 48.0f);
  CHECK(FontSizeFor(800, 480) >= 15.0f);
  CHECK(FontSizeFor(1920, 1080) > em);
}

TEST_CASE("plural rules: English, German and Finnish one/other, Polish and Russian one/few/many") {
  struct Row {
    long long n;
    PluralCategory en, pl, ru;
  };
  using P = PluralCategory;
  const Row rows[] = {{0, P::Other, P::Many, P::Many},   {1, P::One, P::One, P::One},      {2, P::Other, P::Few, P::Few},
                      {4, P::Other, P::Few, P::Few},     {5, P::Other, P::Many, P::Many},  {11, P::Other, P::Many, P::Many},
                      {12, P::Other, P::Many, P::Many},  {14, P::Other, P::Many, P::Many}, {21, P::Other, P::Many, P::One},
                      {22, P::Other, P::Few, P::Few},    {25, P::Other, P::Many, P::Many}, {101, P::Other, P::Many, P::One},
                      {111, P::Other, P::Many, P::Many}, {112, P::Other, P::Many, P::Many}, {122, P::Other, P::Few, P::Few}};
  for (const Row& r : rows) {
    CAPTURE(r.n);
    CHECK(PluralFor("en", r.n) == r.en);
    CHECK(PluralFor("de", r.n) == r.en);
    CHECK(PluralFor("fi", r.n) == r.en);
    CHECK(PluralFor("pl", r.n) == r.pl);
    CHECK(PluralFor("ru", r.n) == r.ru);
  }
}

TEST_CASE("a count picks its word by the language rule, and a name with its own period gets no second one") {
  CHECK(Format("{0} {0|one=unit|other=units}", {"1"}) == "1 unit");
  CHECK(Format("{0} {0|one=unit|other=units}", {"2"}) == "2 units");
  CHECK(Format("{0} {0|one=unit|other=units}", {"0"}) == "0 units");
  const char* pl = "{0} {0|one=zdarzenie|few=zdarzenia|many=zdarzeń}";
  CHECK(Format(pl, {"1"}, "pl") == "1 zdarzenie");
  CHECK(Format(pl, {"3"}, "pl") == "3 zdarzenia");
  CHECK(Format(pl, {"5"}, "pl") == "5 zdarzeń");
  CHECK(Format(pl, {"22"}, "pl") == "22 zdarzenia");
  const char* ru = "{0} {0|one=балл|few=балла|many=баллов}";
  CHECK(Format(ru, {"21"}, "ru") == "21 балл");
  CHECK(Format(ru, {"12 000"}, "ru") == "12 000 баллов");
  CHECK(Format(ru, {"8 202"}, "ru") == "8 202 балла");
  // Points come with group separators; a German "1.001" is a count too.
  CHECK(Format("{0} {0|one=Punkt|other=Punkte}", {"1.001"}, "de") == "1.001 Punkte");
  auto named = FormatNamed("{n} {n|one=batch|other=batches}", {{"n", "1"}}, [](const std::string& v) { return v; });
  REQUIRE(named);
  CHECK(*named == "1 batch");
  // A value that is not a count cannot pick a word: the translation is refused, not guessed.
  CHECK_FALSE(FormatNamed("{n|one=a|other=b}", {{"n", "many"}}, [](const std::string& v) { return v; }));
  // "Sp. z o.o." at the end of a sentence: one period, not two; other punctuation stays.
  auto s = FormatNamed("Card of {partner}.", {{"partner", "Biuro Serwis Sp. z o.o."}}, [](const std::string& v) { return v; });
  REQUIRE(s);
  CHECK(*s == "Card of Biuro Serwis Sp. z o.o.");
  CHECK(Format("{0}.", {"S.A."}) == "S.A.");
  CHECK(Format("{0}..{1}", {"1", "9"}) == "1..9");  // a range between two values keeps its dots
  CHECK(Format("{0}. Next", {"Acme"}) == "Acme. Next");
}

TEST_CASE("every count in every language has the words its plural rule needs") {
  for (const char* lang : kiosk::kLanguageCodes) {
    const auto need = PluralCategories(lang);
    for (const auto& [key, text] : Words(lang)) {
      for (size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
        const size_t close = text.find('}', open);
        REQUIRE(close != std::string::npos);
        const std::string inner = text.substr(open + 1, close - open - 1);
        const size_t bar = inner.find('|');
        if (bar == std::string::npos || inner.find('=') == std::string::npos) continue;
        std::set<std::string> have;
        std::stringstream forms(inner.substr(bar + 1));
        for (std::string f; std::getline(forms, f, '|');) have.insert(f.substr(0, f.find('=')));
        for (const auto& c : need)
          CHECK_MESSAGE(have.count(c) == 1, lang << ".json \"" << key << "\" lacks the \"" << c << "\" form in {" << inner << "}");
      }
    }
  }
}

TEST_CASE("no catalogue puts a count before a fixed plural (\"1 units\") or a \"(s)\"") {
  const std::regex fixed(R"re(\{[a-z0-9_]+\} (?:journal |open demo |sold )?(units|events|files|batches|points|hours|redemptions|verdicts)\b)re");
  for (const auto& [key, text] : Words("en")) {
    CHECK_MESSAGE(!std::regex_search(text, fixed), "en.json \"" << key << "\": " << text);
    CHECK_MESSAGE(text.find("(s)") == std::string::npos, "en.json \"" << key << "\": " << text);
  }
  for (const char* lang : {"de", "fi"})
    for (const auto& [key, text] : Words(lang))
      CHECK_MESSAGE((text.find("(e)") == std::string::npos && text.find("(en)") == std::string::npos &&
                     text.find("(tta)") == std::string::npos),
                    lang << ".json \"" << key << "\": " << text);
}

TEST_CASE("receipts and refusals say one unit, two units, five units in each language") {
  auto en = I18n::Load(kAssets / "i18n", "en");
  auto pl = I18n::Load(kAssets / "i18n", "pl");
  auto ru = I18n::Load(kAssets / "i18n", "ru");
  auto fi = I18n::Load(kAssets / "i18n", "fi");
  REQUIRE(en.ok());
  REQUIRE(pl.ok());
  REQUIRE(ru.ok());
  REQUIRE(fi.ok());
  CHECK(en->Say("receipt.device.audited", {{"count", "1"}, {"warnings", ""}}, "x") == "1 unit recorded in the stocktake.");
  CHECK(en->Say("receipt.device.checked_out", {{"count", "1"}, {"rep", "Jan"}, {"due", "2026-12-01"}, {"warnings", ""}},
                "x") == "1 unit checked out to Jan, due back 2026-12-01.");
  CHECK(en->Say("banner.sync_started", {{"count", "1"}}, "x") == "Sync started: 1 event waits to be sent.");
  CHECK(ru->Say("reason.points.insufficient",
                {{"partner", "ООО"}, {"available", "8 202"}, {"reward", "Кофемашина"}, {"cost", "12 000"}}, "x") ==
        "У ООО доступно 8 202 балла; Кофемашина стоит 12 000.");
  CHECK(pl->Say("banner.sync_started", {{"count", "3"}}, "x") == "Synchronizacja rozpoczęta: 3 zdarzenia czekają na wysłanie.");
  // The demo's Polish partner ends in "Sp. z o.o.": the sentence does not add a second period.
  CHECK(pl->Say("reason.points.insufficient",
                {{"partner", "Biuro Serwis Sp. z o.o."}, {"available", "100"}, {"reward", "Drukarka"}, {"cost", "Sp. z o.o."}},
                "x")
            .find("o.o..") == std::string::npos);
  // A quota of 0 has nothing to wait for: its own words, in every language.
  CHECK(en->Say("reason.order.quota.none", {{"tier", "tier.silver"}, {"model", "P9100"}, {"partner", "X"}}, "x") ==
        "Silver partners can't order demo units of P9100: their quota for it is 0. A partner of a higher tier can.");
  CHECK(pl->Say("reason.order.quota", {{"tier", "tier.silver"}, {"quota", "2"}, {"model", "M"}, {"partner", "P"},
                                      {"open", "2"}, {"left", "0"}}, "x")
            .find("Partnerzy Srebrny") == std::string::npos);
  CHECK(fi->Say("reason.partner.suspended", {{"partner", "Oy"}, {"action", "do.order_demo_units"}}, "x")
            .find("joten ei onnistu") == std::string::npos);
}

TEST_CASE("an English button text is found in another language, values and plurals included") {
  auto pl = I18n::Load(kAssets / "i18n", "pl");
  auto ru = I18n::Load(kAssets / "i18n", "ru");
  REQUIRE(pl.ok());
  REQUIRE(ru.ok());
  auto has = [](const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); };
  CHECK(has(pl->TranslateEnglish("Check out units"), pl->Get("action.checkout")));
  CHECK(has(pl->TranslateEnglish("Report 1 sold unit"), "Zgłoś sprzedane: 1"));
  CHECK(has(ru->TranslateEnglish("Report 3 sold units"), "Сообщить о продаже: 3"));
  CHECK(pl->TranslateEnglish("No such words anywhere").empty());
}

TEST_CASE("points the core writes as 8,200 are grouped the language's way") {
  CHECK(RegroupNumber("8,200", "de") == "8.200");
  CHECK(RegroupNumber("12,000,000", "pl") == "12 000 000");
  CHECK(RegroupNumber("8,200", "en") == "8,200");
  for (const char* other : {"1,2", "8,2000", "a,bcd", ",200", "Sp. z o.o.", "1,5 kg", "2026-12-01"})
    CHECK(RegroupNumber(other, "de") == other);
  auto pl = I18n::Load(kAssets / "i18n", "pl");
  REQUIRE(pl.ok());
  CHECK(pl->Say("reason.points.insufficient",
                {{"partner", "Northgate"}, {"available", "8,200"}, {"reward", "Espresso"}, {"cost", "12,000"}}, "x") ==
        "Northgate ma do dyspozycji 8 200 pkt; Espresso kosztuje 12 000.");
}
