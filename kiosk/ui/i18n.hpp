#pragma once
// I18n: the touchscreen's words in one language, from assets/i18n/<lang>.json (a flat object of
// key -> text). A missing key falls back to English and is remembered, so tests and the log can
// name it; the UI never shows an empty button. Main thread only.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk::ui {

inline constexpr const char* kLanguages[] = {"en", "de", "fi", "pl", "ru"};

class I18n {
 public:
  // Loads `language` with English underneath. An unreadable or malformed file is an error.
  static Result<I18n> Load(const std::filesystem::path& dir, const std::string& language);
  static Result<std::map<std::string, std::string>> LoadFile(const std::filesystem::path& file);

  const char* Get(const char* key) const;
  const std::string& Language() const { return m_language; }
  const std::set<std::string>& Missing() const { return m_missing; }

 private:
  std::string m_language;
  std::map<std::string, std::string> m_words;
  std::map<std::string, std::string> m_english;
  mutable std::set<std::string> m_missing;
};

// "{0} of {1}" with the arguments in order.
std::string Format(const std::string& pattern, const std::vector<std::string>& args);

}  // namespace kiosk::ui
