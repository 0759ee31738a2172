#include "kiosk/ui/i18n.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kiosk::ui {

Result<I18n::Catalogue> I18n::LoadFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return MakeError(ErrorKind::Integrity, "i18n.missing", "Cannot read the translation file " + file.string() + ".");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorKind::Integrity, "i18n.malformed",
                     "The translation file " + file.string() + " is not a JSON object of key -> text.");
  Catalogue out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string())
      return MakeError(ErrorKind::Integrity, "i18n.malformed",
                       "In " + file.string() + ", \"" + it.key() + "\" is not a string.");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

std::string RegroupNumber(const std::string& v, const std::string& language) {
  // Only "d,ddd" and "d,ddd,ddd": digits grouped by threes with commas, nothing else.
  if (v.empty() || v.find(',') == std::string::npos || language == "en") return v;
  size_t digits_since_comma = 0;
  bool seen_comma = false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] >= '0' && v[i] <= '9') {
      ++digits_since_comma;
      if (!seen_comma && digits_since_comma > 3) return v;
    } else if (v[i] == ',') {
      if (digits_since_comma == 0 || (seen_comma && digits_since_comma != 3)) return v;
      seen_comma = true;
      digits_since_comma = 0;
    } else {
      return v;
    }
  }
  if (digits_since_comma != 3) return v;
  const std::string sep = language == "de" ? "." : " ";
  std::string out;
  for (char c : v) {
    if (c == ',') out += sep;
    else out += c;
  }
  return out;
}

Result<I18n> I18n::Load(const std::filesystem::path& dir, const std::string& language) {
  I18n t;
  auto en = LoadFile(dir / "en.json");
  if (!en.ok()) return en.error();
  t.m_english = std::move(en).value();
  t.m_language = language;
  if (language != "en") {
    auto words = LoadFile(dir / (language + ".json"));
    if (!words.ok()) return words.error();
    t.m_words = std::move(words).value();
  }
  return t;
}

std::vector<std::string> I18n::KeysOfEnglish(const std::string& english) const {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m_english)
    if (v == english) keys.push_back(k);
  return keys;
}

std::vector<std::string> I18n::TranslateEnglish(const std::string& english) const {
  std::vector<std::string> out;
  for (const auto& k : KeysOfEnglish(english)) out.push_back(Get(k.c_str()));
  for (const auto& [key, pattern] : m_english) {
    if (pattern.find("{0") == std::string::npos) continue;
    // The pattern as a regex: its text literally, {N} a value, {N|one=a|other=b} one of the words.
    std::string re;
    std::vector<int> groups;  // capture group -> argument index
    for (size_t i = 0; i < pattern.size(); ++i) {
      const size_t close = pattern[i] == '{' ? pattern.find('}', i) : std::string::npos;
      if (close == std::string::npos) {
        if (std::string("\\^$.|?*+()[]{}").find(pattern[i]) != std::string::npos) re += '\\';
        re += pattern[i];
        continue;
      }
      const std::string inner = pattern.substr(i + 1, close - i - 1);
      if (inner.empty() || inner[0] < '0' || inner[0] > '9') {
        re.clear();
        break;
      }
      if (inner.size() == 1) {
        re += "(.+?)";
        groups.push_back(inner[0] - '0');
      } else {
        re += "(?:";
        std::stringstream forms(inner.substr(2));
        bool first = true;
        for (std::string f; std::getline(forms, f, '|');) {
          std::string word = f.substr(f.find('=') + 1), escaped;
          for (char c : word) {
            if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) escaped += '\\';
            escaped += c;
          }
          re += (first ? "" : "|") + escaped;
          first = false;
        }
        re += ")";
      }
      i = close;
    }
    if (re.empty()) continue;
    std::smatch m;
    if (!std::regex_match(english, m, std::regex(re))) continue;
    std::vector<std::string> args(10);
    for (size_t g = 0; g < groups.size(); ++g) args[static_cast<size_t>(groups[g])] = m[g + 1];
    auto mine = Mine().find(key);
    if (mine != Mine().end()) out.push_back(Format(mine->second, args, m_language));
  }
  return out;
}

const char* I18n::Get(const char* key) const {
  if (auto it = Mine().find(std::string_view(key)); it != Mine().end()) return it->second.c_str();
  m_missing.insert(key);
  if (auto it = m_english.find(std::string_view(key)); it != m_english.end()) return it->second.c_str();
  return key;
}

std::string I18n::Say(const std::string& key, const ReasonArgs& args, const std::string& fallback) const {
  const auto& words = Mine();
  auto it = words.find(key);
  if (key.empty() || it == words.end()) {
    if (!key.empty()) m_missing.insert(key);
    return fallback;
  }
  // A value that is a key with placeholders of its own ({reason} = "reason.export.dir") is
  // filled from the same values. A reason without words here (a central's own code, such as
  // "central.http_404") makes the whole text fall back to English rather than show the key.
  bool nested_ok = true;
  auto out = FormatNamed(it->second, args, [&](const std::string& raw) {
    // The core writes counts of points as "8,200": grouped the way this language groups them.
    const std::string v = RegroupNumber(raw, m_language);
    auto w = words.find(v);
    if (w == words.end() && v.rfind("reason.", 0) == 0) {
      m_missing.insert(v);
      nested_ok = false;
      return v;
    }
    if (w == words.end() || v.find('.') == std::string::npos) return v;
    if (w->second.find('{') == std::string::npos) return w->second;
    auto inner = FormatNamed(w->second, args, [](const std::string& x) { return x; }, m_language);
    if (!inner) nested_ok = false;
    return inner.value_or(w->second);
  }, m_language);
  if (!out || !nested_ok) {
    m_missing.insert(key + " (placeholder without a value)");
    return fallback;
  }
  return *out;
}

std::string I18n::Say(const std::string& key, const ReasonArgs& args, const std::vector<Warning>& warnings,
                      const std::string& fallback) const {
  if (warnings.empty()) return Say(key, args, fallback);
  std::string said;
  for (const Warning& w : warnings) said += " " + Say("warning." + w.code, w.args, w.message);
  ReasonArgs with = args;
  auto it = std::find_if(with.begin(), with.end(), [](const auto& a) { return a.first == "warnings"; });
  if (it != with.end()) it->second = said;
  else with.emplace_back("warnings", said);
  return Say(key, with, fallback);
}

PluralCategory PluralFor(const std::string& language, long long n) {
  const long long a = n < 0 ? -n : n;
  const long long d10 = a % 10, d100 = a % 100;
  if (language == "pl") {
    if (a == 1) return PluralCategory::One;
    if (d10 >= 2 && d10 <= 4 && !(d100 >= 12 && d100 <= 14)) return PluralCategory::Few;
    return PluralCategory::Many;
  }
  if (language == "ru") {
    if (d10 == 1 && d100 != 11) return PluralCategory::One;
    if (d10 >= 2 && d10 <= 4 && !(d100 >= 12 && d100 <= 14)) return PluralCategory::Few;
    return PluralCategory::Many;
  }
  return a == 1 ? PluralCategory::One : PluralCategory::Other;  // en, de, fi (and the fallback)
}

const char* ToString(PluralCategory c) {
  switch (c) {
    case PluralCategory::One: return "one";
    case PluralCategory::Few: return "few";
    case PluralCategory::Many: return "many";
    case PluralCategory::Other: return "other";
  }
  return "other";
}

std::vector<std::string> PluralCategories(const std::string& language) {
  if (language == "pl" || language == "ru") return {"one", "few", "many"};
  return {"one", "other"};
}

namespace {

// "8,200", "8.200" and "12 000" are counts too: digits with group separators, read as one number.
std::optional<long long> CountOf(const std::string& v) {
  long long n = 0;
  bool any = false;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c >= '0' && c <= '9') {
      n = n * 10 + (c - '0');
      any = true;
    } else if (c == ',' || c == '.' || c == ' ' || c == '\'') {
      continue;
    } else if (static_cast<unsigned char>(c) == 0xC2 && i + 1 < v.size() &&
               static_cast<unsigned char>(v[i + 1]) == 0xA0) {
      ++i;  // a no-break space between digit groups
    } else if (c == '-' && i == 0) {
      continue;
    } else {
      return std::nullopt;
    }
  }
  return any ? std::optional<long long>(n) : std::nullopt;
}

// The word for `value` from "one=unit|other=units"; nullopt when the value is not a count or the
// forms lack its category (a translation error the tests catch).
std::optional<std::string> PluralWord(const std::string& forms, const std::string& value, const std::string& language) {
  auto n = CountOf(value);
  if (!n) return std::nullopt;
  const std::string want = ToString(PluralFor(language, *n));
  std::optional<std::string> other;
  size_t i = 0;
  while (i <= forms.size()) {
    size_t bar = forms.find('|', i);
    if (bar == std::string::npos) bar = forms.size();
    const std::string form = forms.substr(i, bar - i);
    const size_t eq = form.find('=');
    if (eq != std::string::npos) {
      const std::string cat = form.substr(0, eq);
      if (cat == want) return form.substr(eq + 1);
      if (cat == "other") other = form.substr(eq + 1);
    }
    i = bar + 1;
  }
  return other;
}

// The one expansion behind Format and FormatNamed. `lookup` gives a placeholder's value (nullopt:
// no such argument); `transform` turns a plain value into what is shown (a key into its words).
std::optional<std::string> Expand(const std::string& pattern,
                                  const std::function<std::optional<std::string>(const std::string&)>& lookup,
                                  const std::function<std::string(const std::string&)>& transform,
                                  const std::string& language) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    size_t close = pattern[i] == '{' ? pattern.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      // One period where a name ending in one ("S.A.", "Sp. z o.o.") meets the sentence's own.
      if (pattern[i] == '.' && !out.empty() && out.back() == '.' && i > 0 && pattern[i - 1] == '}') continue;
      out += pattern[i];
      continue;
    }
    std::string name = pattern.substr(i + 1, close - i - 1);
    std::string modifier;
    if (size_t bar = name.find('|'); bar != std::string::npos) {
      modifier = name.substr(bar + 1);
      name.resize(bar);
    }
    auto raw = lookup(name);
    if (!raw) return std::nullopt;
    std::string v;
    if (!modifier.empty() && modifier.find('=') != std::string::npos) {
      auto word = PluralWord(modifier, *raw, language);
      if (!word) return std::nullopt;
      v = *word;
    } else {
      v = transform(*raw);
      // "{state|lower}": the value with a lower-case first letter, for a name inside an English
      // sentence ("DEMO-1 is under repair"); other letters and scripts are left as they are.
      if (modifier == "lower" && !v.empty() && v[0] >= 'A' && v[0] <= 'Z') v[0] = static_cast<char>(v[0] - 'A' + 'a');
    }
    out += v;
    i = close;
  }
  return out;
}

}  // namespace

std::optional<std::string> FormatNamed(const std::string& pattern, const ReasonArgs& args,
                                       const std::function<std::string(const std::string&)>& value,
                                       const std::string& language) {
  return Expand(
      pattern,
      [&](const std::string& name) -> std::optional<std::string> {
        auto a = std::find_if(args.begin(), args.end(), [&](const auto& kv) { return kv.first == name; });
        if (a == args.end()) return std::nullopt;
        return a->second;
      },
      value, language);
}

std::vector<std::string> Placeholders(const std::string& pattern) {
  std::vector<std::string> out;
  for (size_t i = pattern.find('{'); i != std::string::npos; i = pattern.find('{', i + 1)) {
    size_t close = pattern.find('}', i);
    if (close == std::string::npos) break;
    std::string name = pattern.substr(i + 1, close - i - 1);
    if (size_t bar = name.find('|'); bar != std::string::npos) name.resize(bar);
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

std::string Format(const std::string& pattern, const std::vector<std::string>& args, const std::string& language) {
  // Positional: {0}..{9}; an index without an argument is shown empty, as it always was.
  auto out = Expand(
      pattern,
      [&](const std::string& name) -> std::optional<std::string> {
        if (name.size() != 1 || name[0] < '0' || name[0] > '9') return std::nullopt;
        const size_t n = static_cast<size_t>(name[0] - '0');
        return n < args.size() ? args[n] : std::string();
      },
      [](const std::string& v) { return v; }, language);
  return out.value_or(pattern);
}

}  // namespace kiosk::ui
