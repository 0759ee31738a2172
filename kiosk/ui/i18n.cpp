#include "kiosk/ui/i18n.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kiosk::ui {

Result<std::map<std::string, std::string>> I18n::LoadFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return MakeError(ErrorKind::Integrity, "i18n.missing", "Cannot read the translation file " + file.string() + ".");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorKind::Integrity, "i18n.malformed",
                     "The translation file " + file.string() + " is not a JSON object of key -> text.");
  std::map<std::string, std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string())
      return MakeError(ErrorKind::Integrity, "i18n.malformed",
                       "In " + file.string() + ", \"" + it.key() + "\" is not a string.");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

Result<I18n> I18n::Load(const std::filesystem::path& dir, const std::string& language) {
  I18n t;
  auto en = LoadFile(dir / "en.json");
  if (!en.ok()) return en.error();
  t.m_english = std::move(en).value();
  t.m_language = language;
  if (language == "en") {
    t.m_words = t.m_english;
  } else {
    auto words = LoadFile(dir / (language + ".json"));
    if (!words.ok()) return words.error();
    t.m_words = std::move(words).value();
  }
  return t;
}

const char* I18n::Get(const char* key) const {
  if (auto it = m_words.find(key); it != m_words.end()) return it->second.c_str();
  m_missing.insert(key);
  if (auto it = m_english.find(key); it != m_english.end()) return it->second.c_str();
  return key;
}

std::string I18n::Say(const std::string& key, const ReasonArgs& args, const std::string& fallback) const {
  auto it = m_words.find(key);
  if (key.empty() || it == m_words.end()) {
    if (!key.empty()) m_missing.insert(key);
    return fallback;
  }
  // A value that is a key with placeholders of its own ({reason} = "reason.export.dir") is
  // filled from the same values. A reason without words here (a central's own code, such as
  // "central.http_404") makes the whole text fall back to English rather than show the key.
  bool nested_ok = true;
  auto out = FormatNamed(it->second, args, [&](const std::string& v) {
    auto w = m_words.find(v);
    if (w == m_words.end() && v.rfind("reason.", 0) == 0) {
      m_missing.insert(v);
      nested_ok = false;
      return v;
    }
    if (w == m_words.end() || v.find('.') == std::string::npos) return v;
    if (w->second.find('{') == std::string::npos) return w->second;
    auto inner = FormatNamed(w->second, args, [](const std::string& x) { return x; });
    if (!inner) nested_ok = false;
    return inner.value_or(w->second);
  });
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

std::optional<std::string> FormatNamed(const std::string& pattern, const ReasonArgs& args,
                                       const std::function<std::string(const std::string&)>& value) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    size_t close = pattern[i] == '{' ? pattern.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += pattern[i];
      continue;
    }
    std::string name = pattern.substr(i + 1, close - i - 1);
    // "{state|lower}": the value with a lower-case first letter, for a name inside an English
    // sentence ("DEMO-1 is under repair"); other letters and scripts are left as they are.
    const bool lower = name.size() > 6 && name.compare(name.size() - 6, 6, "|lower") == 0;
    if (lower) name.resize(name.size() - 6);
    auto a = std::find_if(args.begin(), args.end(), [&](const auto& kv) { return kv.first == name; });
    if (a == args.end()) return std::nullopt;
    std::string v = value(a->second);
    if (lower && !v.empty() && v[0] >= 'A' && v[0] <= 'Z') v[0] = static_cast<char>(v[0] - 'A' + 'a');
    out += v;
    i = close;
  }
  return out;
}

std::vector<std::string> Placeholders(const std::string& pattern) {
  std::vector<std::string> out;
  for (size_t i = pattern.find('{'); i != std::string::npos; i = pattern.find('{', i + 1)) {
    size_t close = pattern.find('}', i);
    if (close == std::string::npos) break;
    std::string name = pattern.substr(i + 1, close - i - 1);
    if (size_t bar = name.find('|'); bar != std::string::npos) name.resize(bar);
    out.push_back(name);
  }
  return out;
}

std::string Format(const std::string& pattern, const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' && pattern[i + 1] >= '0' &&
        pattern[i + 1] <= '9') {
      size_t n = static_cast<size_t>(pattern[i + 1] - '0');
      if (n < args.size()) out += args[n];
      i += 2;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

}  // namespace kiosk::ui
