#pragma once
// The kiosk's languages: one list, read by the screens (the language buttons), the services (an
// admin's setting), the controller and the CLI (`kiosk gui --walk-language`). A language here
// needs its words in assets/i18n/<code>.json (tests/ui/i18n_test.cpp checks every key).
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace kiosk {

struct Language {
  const char* code;         // ISO 639-1, the file name under assets/i18n/
  const char* native_name;  // what a speaker calls it; shown as is whatever the screen's language
};

inline constexpr Language kLanguages[] = {
    {"en", "English"}, {"de", "Deutsch"}, {"fi", "Suomi"}, {"pl", "Polski"}, {"ru", "Русский"}};

// The codes alone, in the same order (for lists of names, e.g. the CLI's IsMember).
inline constexpr auto kLanguageCodes = [] {
  std::array<const char*, std::size(kLanguages)> codes{};
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = kLanguages[i].code;
  return codes;
}();

constexpr bool IsLanguage(std::string_view code) {
  for (const Language& l : kLanguages)
    if (code == l.code) return true;
  return false;
}

// "en, de, fi, pl, ru": for messages that list them.
inline std::string LanguageList() {
  std::string out;
  for (const Language& l : kLanguages) out += (out.empty() ? "" : ", ") + std::string(l.code);
  return out;
}

}  // namespace kiosk
