#pragma once
// CatalogueAudit: checks that what a screen shows in a language comes from that language's words.
// The script driver runs it after every step of a flow (`kiosk gui --script`), so a flow walked in
// Polish fails on an English refusal, a warning the catalogue lacks, a raw key or an unfilled
// placeholder. Data (partner, reward and model names, what a flow typed or scanned) is allowed in
// every language. Main thread only.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kiosk/ui/i18n.hpp"

namespace kiosk::ui {

class CatalogueAudit {
 public:
  // `languages`: the five catalogues; `data_text`: texts that are data, not words of the UI.
  CatalogueAudit(const std::map<std::string, I18n>& languages, const std::vector<std::string>& data_text);
  // More data: what a script types or scans.
  void AddData(const std::string& text);
  // The problems of `texts` drawn in `language`, one sentence each; empty when all is well.
  std::vector<std::string> Check(const std::string& language, const std::vector<std::string>& texts) const;
  // Lower-case ASCII words of three letters or more: what an English sentence is made of.
  static std::vector<std::string> AsciiWords(const std::string& text);

 private:
  std::map<std::string, std::set<std::string>> m_words;  // language -> words of its catalogue
  std::set<std::string> m_data;                           // words of the data
};

// The reference data's texts (names, categories) from a reference JSON file, as audit data.
std::vector<std::string> ReferenceTexts(const std::string& json_text);

}  // namespace kiosk::ui
