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

class I18n {
 public:
  // Key -> text. std::less<> finds a key given as const char* without building a string.
  using Catalogue = std::map<std::string, std::string, std::less<>>;

  // Loads `language` with English underneath. An unreadable or malformed file is an error.
  static Result<I18n> Load(const std::filesystem::path& dir, const std::string& language);
  static Result<Catalogue> LoadFile(const std::filesystem::path& file);

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
  bool Has(const std::string& key) const { return Mine().count(key) > 0; }
  const std::string& Language() const { return m_language; }
  const std::set<std::string>& Missing() const { return m_missing; }
  const Catalogue& Words() const { return Mine(); }
  // The keys whose English text is `english` ("Check out units" -> action.checkout): how a
  // script written in English finds the same button in another language.
  std::vector<std::string> KeysOfEnglish(const std::string& english) const;
  // What an English text of a button says in this language: the keys whose English is `english`,
  // and the positional patterns ("Report {0} sold {0|one=unit|other=units}") it fills, filled
  // with the same values here. Exact matches first.
  std::vector<std::string> TranslateEnglish(const std::string& english) const;

 private:
  // In English the catalogue is English itself, not a second copy of it (about 300 KB for the
  // touchscreen's lifetime).
  const Catalogue& Mine() const { return m_language == "en" ? m_english : m_words; }
  std::string m_language;
  Catalogue m_words;  // empty in English
  Catalogue m_english;
  mutable std::set<std::string> m_missing;
};

// Plural categories (CLDR names). English, German and Finnish use One and Other; Polish and
// Russian use One, Few and Many for whole numbers (Other is for fractions, which counts never are).
enum class PluralCategory { One, Few, Many, Other };
PluralCategory PluralFor(const std::string& language, long long n);
const char* ToString(PluralCategory c);
// The categories a language's words must give for a count: {"one","other"} or {"one","few","many"}.
std::vector<std::string> PluralCategories(const std::string& language);

// Placeholders in a pattern:
//   {0} / {name}                   the value
//   {name|lower}                   the value with its first ASCII letter lower-cased
//   {n|one=unit|other=units}       the word for the value of n, by the language's plural rule
//                                  (Polish: {n|one=sztuka|few=sztuki|many=sztuk}); the value
//                                  itself is not printed, so "{n} {n|one=unit|other=units}".
// A value ending in '.' followed by '.' in the pattern gives one period ("S.A." + "." = "S.A.").
//
// "{0} of {1}" with the arguments in order; `language` picks the plural rule.
std::string Format(const std::string& pattern, const std::vector<std::string>& args, const std::string& language = "en");
// "{tag} is due {due}" with named arguments; nullopt if a placeholder has no argument (or a plural
// form lacks the word for the value's category).
std::optional<std::string> FormatNamed(const std::string& pattern, const ReasonArgs& args,
                                       const std::function<std::string(const std::string&)>& value,
                                       const std::string& language = "en");
// "8,200" as `language` groups digits: "8.200" (de), "8 200" (fi, pl, ru); other text unchanged.
std::string RegroupNumber(const std::string& value, const std::string& language);
// The {name} placeholders of a pattern, in order.
std::vector<std::string> Placeholders(const std::string& pattern);

}  // namespace kiosk::ui
