#pragma once
// Barcode classification: what a scanned (or typed) text is, its parsed fields, and whether it is
// valid or exactly why not. The program's own codes (partner cards, staff badges, asset tags) come
// from rules (assets/barcode_rules.json); GS1 element strings, GS1 Digital Link URIs and EAN/UPC
// are built in. A Classifier is immutable after construction: Classify may be called from any
// thread at once.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiosk/core/barcode/check_digit.hpp"
#include "kiosk/core/barcode/rule_pattern.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::barcode {

enum class Kind { PartnerCard, StaffBadge, AssetTag, Gs1, Retail /*EAN/UPC*/, DigitalLink, Unknown };

// JSON names: "partner_card", "staff_badge", "asset_tag", "gs1", "retail", "digital_link", "unknown".
std::string_view ToString(Kind kind);
std::optional<Kind> ParseKind(std::string_view name);

struct Classified {
  Kind kind = Kind::Unknown;
  bool valid = false;
  std::string reason;      // why not valid: exact and human-readable ("(01) GTIN check digit is 3, expected 7")
  std::string symbology;   // AIM id like "]d2", or "" when the scanner sent none
  std::string data;        // text without the AIM id, GS separators normalised to '\x1D'
  // Card number / badge code / asset tag, normalised (upper case, spaces removed). For GS1 and
  // Digital Link the primary key ((01) GTIN-14, (00) SSCC, (8004) GIAI...); for EAN/UPC the GTIN-14.
  std::string value;
  std::vector<std::pair<std::string, std::string>> ais;  // GS1: {"01","00614141000012"}, {"21","C45A0001234"}
  std::string retail_format;  // Retail: "EAN-13", "EAN-8", "UPC-A", "UPC-E", "GTIN-14"
  std::string addon;          // Retail: 2- or 5-digit add-on (AIM ]E3), else ""

  // (01) as GTIN-14, or EAN/UPC padded to 14 (UPC-E expanded). Present even when !valid (e.g. a
  // wrong check digit): check `valid` first.
  std::optional<std::string> Gtin() const;
  std::optional<std::string> Serial() const;  // (21)
  std::optional<std::string> Ai(std::string_view ai) const;  // any AI's value
  std::string HumanReadable() const;  // GS1: "(01)00614141000012(21)C45A0001234"; else data
};

// {"kind", "valid", "reason", "symbology", "data", "value", "ais": [{"ai","title","value"}],
//  "gtin", "serial", "human_readable", "retail_format", "addon"}; absent fields are omitted.
nlohmann::json ToJson(const Classified& c);

// One rule of assets/barcode_rules.json.
struct BarcodeRule {
  Kind kind = Kind::Unknown;      // partner_card, staff_badge or asset_tag
  std::string label;              // "partner card number": used in reasons
  std::string format;             // "16 digits starting 6299": used in reasons
  std::string prefix;             // upper case; the text must start with it (cheap pre-filter, near-miss hints)
  std::string ignore;             // characters removed before matching (" " for "6299 0000 ...")
  std::string pattern;            // ECMAScript regex subset (rule_pattern.hpp), matched against the whole upper-cased text
  CheckAlgorithm check = CheckAlgorithm::None;  // over the digits of the value; the last is the check digit
  RulePattern compiled;           // `pattern`, matched in time linear in the text
};

class Classifier {
 public:
  // Reads a rules file. Errors name the file and the JSON path ("/rules/1/pattern: ...").
  static Result<Classifier> FromFile(const std::filesystem::path& rules_json);
  static Result<Classifier> FromJsonText(std::string_view json_text, std::string_view origin = "rules");
  static Classifier Default();  // the same rules as assets/barcode_rules.json, built in
  static std::string_view DefaultRulesJson();

  Classified Classify(std::string_view scanned) const;

  const std::vector<BarcodeRule>& Rules() const { return *m_rules; }

 private:
  explicit Classifier(std::vector<BarcodeRule> rules)
      : m_rules(std::make_shared<const std::vector<BarcodeRule>>(std::move(rules))) {}
  bool ApplyRules(std::string_view text, Classified& out) const;
  bool ApplyNearMiss(std::string_view text, Classified& out) const;

  std::shared_ptr<const std::vector<BarcodeRule>> m_rules;  // shared: copies are cheap
};

// Replaces the ways a GS separator reaches the kiosk as text ("<GS>", "{GS}", "[GS]", "\x1D",
// "\u001d", "^]", U+241D) with the byte 0x1D.
std::string NormaliseGs(std::string_view text);

}  // namespace kiosk::barcode
