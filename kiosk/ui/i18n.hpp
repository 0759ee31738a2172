#pragma once
// I18n: the touchscreen's words in one language, from assets/i18n/<lang>.json (a flat object of
// key -> text). A missing key falls back to English and is remembered, so tests and the log can
// name it; the UI never shows an empty button. Main thread only.
#include <filesystem>
#include <functional>
#include <optional>
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
  // A message from the core or the controller in this language: the translation of `key` with
  // its {name} placeholders filled from `args` (a value that is itself a key, like "tier.gold",
  // is translated too). Where this language has no such key, or the translation names a value
  // that `args` lacks, it is `fallback` (the English text), and the key is noted as missing.
  std::string Say(const std::string& key, const ReasonArgs& args, const std::string& fallback) const;
  // A receipt with the soft limits it crossed: each warning said as "warning.<code>" (or its
  // English) and put into the receipt's {warnings}, one sentence after another.
  std::string Say(const std::string& key, const ReasonArgs& args, const std::vector<Warning>& warnings,
                  const std::string& fallback) const;
  bool Has(const std::string& key) const { return m_words.count(key) > 0; }
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
// "{tag} is due {due}" with named arguments; nullopt if a placeholder has no argument.
// "{state|lower}" lower-cases the value's first ASCII letter.
std::optional<std::string> FormatNamed(const std::string& pattern, const ReasonArgs& args,
                                       const std::function<std::string(const std::string&)>& value);
// The {name} placeholders of a pattern, in order.
std::vector<std::string> Placeholders(const std::string& pattern);

}  // namespace kiosk::ui
