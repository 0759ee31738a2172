#include "kiosk/ui/i18n_audit.hpp"

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

namespace kiosk::ui {
namespace {

// A catalogue text without its placeholders: "{count|one=unit|other=units}" gives its words.
std::string WithoutPlaceholderNames(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) break;
    const std::string inner = pattern.substr(i + 1, close - i - 1);
    if (size_t bar = inner.find('|'); bar != std::string::npos) out += " " + inner.substr(bar + 1) + " ";
    out += ' ';
    i = close;
  }
  return out;
}

}  // namespace

std::vector<std::string> CatalogueAudit::AsciiWords(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  // A word with a letter of another script or a diacritic ("Geräte", "zdarzeń") is not English:
  // it is skipped whole rather than cut into ASCII pieces.
  bool foreign = false;
  auto flush = [&] {
    if (!foreign && w.size() >= 3) out.push_back(w);
    w.clear();
    foreign = false;
  };
  for (unsigned char c : text) {
    if (c >= 'A' && c <= 'Z') w += static_cast<char>(c - 'A' + 'a');
    else if (c >= 'a' && c <= 'z') w += static_cast<char>(c);
    else if (c >= 0x80) foreign = true;
    else flush();
  }
  flush();
  return out;
}

CatalogueAudit::CatalogueAudit(const std::map<std::string, I18n>& languages, const std::vector<std::string>& data_text) {
  for (const auto& [lang, i18n] : languages) {
    auto& words = m_words[lang];
    for (const auto& [key, text] : i18n.Words())
      for (const auto& w : AsciiWords(WithoutPlaceholderNames(text))) words.insert(w);
  }
  for (const auto& t : data_text) AddData(t);
}

void CatalogueAudit::AddData(const std::string& text) {
  for (const auto& w : AsciiWords(text)) m_data.insert(w);
}

std::vector<std::string> CatalogueAudit::Check(const std::string& language, const std::vector<std::string>& texts) const {
  std::vector<std::string> problems;
  static const std::regex raw_key(R"(^(?:[a-z_]+\.)+[a-z_0-9]+$)");
  static const std::regex placeholder(R"(\{[a-z0-9_]+(?:\|[^}]*)?\})");
  const auto en = m_words.find("en");
  const auto mine = m_words.find(language);
  for (const auto& t : texts) {
    if (std::regex_match(t, raw_key)) {
      problems.push_back("\"" + t + "\" is a key, not words");
      continue;
    }
    if (std::regex_search(t, placeholder)) {
      problems.push_back("\"" + t + "\" has a placeholder without its value");
      continue;
    }
    if (language == "en" || en == m_words.end() || mine == m_words.end()) continue;
    // An English word that this language's words never use and that is not data: English text
    // the screen got from somewhere other than this language's catalogue.
    std::string english;
    for (const auto& w : AsciiWords(t)) {
      if (!en->second.count(w) || mine->second.count(w) || m_data.count(w)) continue;
      english += (english.empty() ? "" : ", ") + w;
    }
    if (!english.empty()) problems.push_back("\"" + t + "\" is not " + language + ": English words (" + english + ")");
  }
  return problems;
}

std::vector<std::string> ReferenceTexts(const std::string& json_text) {
  std::vector<std::string> out;
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return out;
  // Every string in the reference data is data: names, categories, descriptions, purposes.
  std::vector<const nlohmann::json*> stack{&doc};
  while (!stack.empty()) {
    const nlohmann::json* j = stack.back();
    stack.pop_back();
    if (j->is_string()) out.push_back(j->get<std::string>());
    else if (j->is_structured())
      for (const auto& v : *j) stack.push_back(&v);
  }
  return out;
}

}  // namespace kiosk::ui
