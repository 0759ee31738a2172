#include "kiosk/core/barcode/classify.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kiosk/core/barcode/gs1.hpp"

namespace kiosk::barcode {
namespace {

// Kept identical to assets/barcode_rules.json (a test compares them), so that a kiosk without its
// assets folder still knows the program's codes.
constexpr std::string_view kDefaultRules = R"json({
  "format": "showroom-kiosk/barcode-rules",
  "format_version": 1,
  "rules": [
    {
      "kind": "partner_card",
      "label": "partner card number",
      "format": "16 digits starting 6299",
      "prefix": "6299",
      "ignore": " ",
      "pattern": "^6299[0-9]{12}$",
      "check": "luhn"
    },
    {
      "kind": "staff_badge",
      "label": "staff badge",
      "format": "BDG- followed by 5 digits",
      "prefix": "BDG-",
      "pattern": "^BDG-[0-9]{5}$",
      "check": "luhn"
    },
    {
      "kind": "asset_tag",
      "label": "asset tag",
      "format": "DEMO- followed by 5 digits",
      "prefix": "DEMO-",
      "pattern": "^DEMO-[0-9]{5}$",
      "check": "none"
    }
  ]
}
)json";

// Rules are meant for short printed codes: a longer text is no rule's code and is not matched
// (a match takes time linear in the text whatever the pattern, see rule_pattern.hpp).
constexpr size_t kMaxRuleInput = 128;

bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsAlpha(c) || (c >= '0' && c <= '9'); }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool IsGs1Symbology(std::string_view s) {
  return s == "]C1" || s == "]e0" || s == "]d2" || s == "]Q3" || s == "]J1";
}
bool IsRetailSymbology(std::string_view s) {
  return s.size() == 3 && s[1] == 'E' && s[2] >= '0' && s[2] <= '4';
}

std::string_view Trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : s) {
    if (++shown > 40) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      out += c == kGs ? std::string("<GS>") : "<" + DescribeChar(c) + ">";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// UPC-E (number system, 6 digits, check) to UPC-A, by the last of the six digits.
std::string ExpandUpcE(std::string_view e) {
  const char ns = e[0], d1 = e[1], d2 = e[2], d3 = e[3], d4 = e[4], d5 = e[5], d6 = e[6], ck = e[7];
  std::string a;
  switch (d6) {
    case '0': case '1': case '2': a = {ns, d1, d2, d6, '0', '0', '0', '0', d3, d4, d5, ck}; break;
    case '3': a = {ns, d1, d2, d3, '0', '0', '0', '0', '0', d4, d5, ck}; break;
    case '4': a = {ns, d1, d2, d3, d4, '0', '0', '0', '0', '0', d5, ck}; break;
    default: a = {ns, d1, d2, d3, d4, d5, '0', '0', '0', '0', d6, ck}; break;
  }
  return a;
}

void ClassifyRetail(std::string_view digits, std::string_view symbology, Classified& c) {
  c.kind = Kind::Retail;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (digits[i] < '0' || digits[i] > '9') {
      c.reason = "EAN/UPC must be digits only, found " + DescribeChar(digits[i]) + " at position " + std::to_string(i + 1);
      return;
    }
  }
  std::string_view main = digits;
  if (symbology == "]E3" && (digits.size() == 15 || digits.size() == 18 || digits.size() == 10)) {
    size_t main_len = digits.size() == 10 ? 8 : 13;
    main = digits.substr(0, main_len);
    c.addon = std::string(digits.substr(main_len));
  }
  std::string gtin;
  switch (main.size()) {
    case 8:
      if (symbology == "]E0") {
        if (main[0] != '0' && main[0] != '1') {
          c.reason = "UPC-E number system must be 0 or 1, got " + std::string(1, main[0]);
          return;
        }
        c.retail_format = "UPC-E";
        gtin = ExpandUpcE(main);
      } else {
        c.retail_format = "EAN-8";
        gtin = std::string(main);
      }
      break;
    case 12: c.retail_format = "UPC-A"; gtin = std::string(main); break;
    case 13: c.retail_format = "EAN-13"; gtin = std::string(main); break;
    case 14: c.retail_format = "GTIN-14"; gtin = std::string(main); break;
    default:
      c.reason = "EAN/UPC codes have 8, 12, 13 or 14 digits, this one has " + std::to_string(main.size());
      return;
  }
  gtin.insert(0, 14 - gtin.size(), '0');
  c.value = gtin;
  int expected = Gs1CheckDigit(std::string_view(gtin).substr(0, 13));
  int got = gtin[13] - '0';
  if (expected != got) {
    c.reason = c.retail_format + " check digit is " + std::to_string(got) + ", expected " + std::to_string(expected);
    return;
  }
  c.valid = true;
}

void TakeGs1(Gs1Parse p, Kind kind, Classified& c) {
  c.kind = kind;
  c.ais = std::move(p.ais);
  c.valid = p.error.empty();
  c.reason = std::move(p.error);
  for (std::string_view primary : {"01", "00", "8004", "414", "417", "401", "402", "8017", "8018"}) {
    if (auto v = c.Ai(primary)) {
      c.value = *v;
      break;
    }
  }
}

Error RulesError(std::string_view origin, std::string path, std::string what) {
  return MakeError(ErrorKind::Usage, "barcode_rules.invalid",
                   std::string(origin) + ": " + path + ": " + what + " (see docs/scanners.md, \"Barcode rules\")");
}

}  // namespace

std::string_view ToString(Kind kind) {
  switch (kind) {
    case Kind::PartnerCard: return "partner_card";
    case Kind::StaffBadge: return "staff_badge";
    case Kind::AssetTag: return "asset_tag";
    case Kind::Gs1: return "gs1";
    case Kind::Retail: return "retail";
    case Kind::DigitalLink: return "digital_link";
    case Kind::Unknown: return "unknown";
  }
  return "unknown";
}

std::optional<Kind> ParseKind(std::string_view name) {
  for (Kind k : {Kind::PartnerCard, Kind::StaffBadge, Kind::AssetTag, Kind::Gs1, Kind::Retail, Kind::DigitalLink,
                 Kind::Unknown}) {
    if (ToString(k) == name) return k;
  }
  return std::nullopt;
}

std::optional<std::string> Classified::Ai(std::string_view ai) const {
  for (const auto& [k, v] : ais) {
    if (k == ai) return v;
  }
  return std::nullopt;
}

std::optional<std::string> Classified::Gtin() const {
  if (kind == Kind::Retail) {
    if (value.size() == 14) return value;
    return std::nullopt;
  }
  return Ai("01");
}

std::optional<std::string> Classified::Serial() const { return Ai("21"); }

std::string Classified::HumanReadable() const {
  if (!ais.empty()) return ToHumanReadable(ais);
  return data;
}

nlohmann::json ToJson(const Classified& c) {
  nlohmann::json j;
  j["kind"] = ToString(c.kind);
  j["valid"] = c.valid;
  if (!c.reason.empty()) j["reason"] = c.reason;
  j["symbology"] = c.symbology;
  j["data"] = c.data;
  if (!c.value.empty()) j["value"] = c.value;
  if (!c.ais.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [ai, value] : c.ais) {
      const AiSpec* spec = LookupAi(ai);
      list.push_back({{"ai", ai}, {"title", spec ? std::string(spec->title) : std::string()}, {"value", value}});
    }
    j["ais"] = std::move(list);
    j["human_readable"] = c.HumanReadable();
  }
  if (auto g = c.Gtin()) j["gtin"] = *g;
  if (auto s = c.Serial()) j["serial"] = *s;
  if (!c.retail_format.empty()) j["retail_format"] = c.retail_format;
  if (!c.addon.empty()) j["addon"] = c.addon;
  return j;
}

std::string NormaliseGs(std::string_view text) {
  static constexpr std::string_view kTokens[] = {"<gs>", "{gs}", "[gs]", "\\x1d", "\\u001d", "^]", "\xE2\x90\x9D"};
  // Almost every scan holds no token at all: skip the per-character token matching then.
  if (text.find_first_of("<{[\\^\xE2") == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (std::string_view tok : kTokens) {
      if (text.size() - i < tok.size()) continue;
      bool match = true;
      for (size_t k = 0; k < tok.size() && match; ++k) {
        char a = text[i + k];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        match = a == tok[k];
      }
      if (match) {
        out += kGs;
        i += tok.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

std::string_view Classifier::DefaultRulesJson() { return kDefaultRules; }

Classifier Classifier::Default() {
  // Parsed once; the built-in text is tested, so failure here is a programming error.
  static const Classifier kDefault = [] {
    auto r = FromJsonText(kDefaultRules, "built-in barcode rules");
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return kDefault;
}

Result<Classifier> Classifier::FromFile(const std::filesystem::path& rules_json) {
  std::ifstream in(rules_json, std::ios::binary);
  if (!in) {
    return MakeError(ErrorKind::Usage, "barcode_rules.unreadable",
                     "cannot read the barcode rules file " + rules_json.string() + ": " + std::strerror(errno));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return FromJsonText(buf.str(), rules_json.string());
}

Result<Classifier> Classifier::FromJsonText(std::string_view json_text, std::string_view origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers like 3e06141
    return RulesError(origin, "/", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) return RulesError(origin, "/", "must be a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (key != "format" && key != "format_version" && key != "rules" && key != "comment") {
      return RulesError(origin, "/" + key, "unknown field");
    }
  }
  if (doc.contains("format") && doc["format"] != "showroom-kiosk/barcode-rules") {
    return RulesError(origin, "/format", "must be \"showroom-kiosk/barcode-rules\"");
  }
  if (doc.contains("format_version") && doc["format_version"] != 1) {
    return RulesError(origin, "/format_version", "this kiosk reads version 1 only");
  }
  if (!doc.contains("rules") || !doc["rules"].is_array()) return RulesError(origin, "/rules", "must be a list of rules");

  std::vector<BarcodeRule> rules;
  const auto& list = doc["rules"];
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& r = list[i];
    const std::string path = "/rules/" + std::to_string(i);
    if (!r.is_object()) return RulesError(origin, path, "must be an object");
    for (const auto& [key, value] : r.items()) {
      static constexpr std::string_view kFields[] = {"kind", "label", "format", "prefix", "ignore", "pattern", "check", "comment"};
      bool known = false;
      for (auto f : kFields) known = known || key == f;
      if (!known) return RulesError(origin, path + "/" + key, "unknown field");
      if (!value.is_string()) return RulesError(origin, path + "/" + key, "must be a string");
    }
    BarcodeRule rule;
    std::string kind = r.value("kind", "");
    if (kind == "partner_card") rule.kind = Kind::PartnerCard;
    else if (kind == "staff_badge") rule.kind = Kind::StaffBadge;
    else if (kind == "asset_tag") rule.kind = Kind::AssetTag;
    else return RulesError(origin, path + "/kind", "\"" + kind + "\" is not partner_card, staff_badge or asset_tag");
    rule.pattern = r.value("pattern", "");
    if (rule.pattern.empty()) return RulesError(origin, path + "/pattern", "is missing");
    auto compiled = RulePattern::Compile(rule.pattern);
    if (!compiled.ok()) return RulesError(origin, path + "/pattern", compiled.error().message);
    rule.compiled = std::move(compiled).value();
    std::string check = r.value("check", "none");
    if (check == "luhn") rule.check = CheckAlgorithm::Luhn;
    else if (check == "gs1_mod10") rule.check = CheckAlgorithm::Gs1Mod10;
    else if (check == "none") rule.check = CheckAlgorithm::None;
    else return RulesError(origin, path + "/check", "\"" + check + "\" is not luhn, gs1_mod10 or none");
    rule.label = r.value("label", std::string(ToString(rule.kind)));
    rule.format = r.value("format", "the pattern " + rule.pattern);
    rule.prefix = r.value("prefix", "");
    for (char& ch : rule.prefix) ch = Upper(ch);
    rule.ignore = r.value("ignore", "");
    rules.push_back(std::move(rule));
  }
  return Classifier(std::move(rules));
}

bool Classifier::ApplyRules(std::string_view text, Classified& out) const {
  if (text.size() > kMaxRuleInput) return false;
  std::string norm;
  for (const BarcodeRule& rule : *m_rules) {
    norm.clear();
    for (char ch : text) {
      if (rule.ignore.find(ch) == std::string::npos) norm += Upper(ch);
    }
    if (!StartsWith(norm, rule.prefix)) continue;
    if (!rule.compiled.Matches(norm)) continue;
    out.kind = rule.kind;
    out.value = norm;
    if (rule.check != CheckAlgorithm::None) {
      std::string digits;
      for (char ch : norm) {
        if (ch >= '0' && ch <= '9') digits += ch;
      }
      if (digits.size() < 2) {
        out.reason = rule.label + " has no check digit";
        return true;
      }
      std::string_view payload = std::string_view(digits).substr(0, digits.size() - 1);
      int expected = rule.check == CheckAlgorithm::Luhn ? LuhnCheckDigit(payload) : Gs1CheckDigit(payload);
      int got = digits.back() - '0';
      if (expected != got) {
        out.reason = rule.label + " check digit is " + std::to_string(got) + ", expected " + std::to_string(expected);
        return true;
      }
    }
    out.valid = true;
    return true;
  }
  return false;
}

bool Classifier::ApplyNearMiss(std::string_view text, Classified& out) const {
  if (text.size() > kMaxRuleInput) return false;
  for (const BarcodeRule& rule : *m_rules) {
    if (rule.prefix.empty()) continue;
    std::string norm;
    for (char ch : text) {
      if (rule.ignore.find(ch) == std::string::npos) norm += Upper(ch);
    }
    if (!StartsWith(norm, rule.prefix)) continue;
    out.kind = rule.kind;
    out.value = norm;
    out.reason = rule.label + " must be " + rule.format + ", got " + Quoted(text);
    return true;
  }
  return false;
}

Classified Classifier::Classify(std::string_view scanned) const {
  Classified c;
  std::string normalised = NormaliseGs(Trim(scanned));
  std::string_view text = normalised;
  if (text.size() >= 3 && text[0] == ']' && IsAlpha(text[1]) && IsAlnum(text[2])) {
    c.symbology = std::string(text.substr(0, 3));
    text.remove_prefix(3);
    text = Trim(text);
  }
  // FNC1 in first position arrives as a leading GS from some scanners; a trailing one is noise.
  while (!text.empty() && text.front() == kGs) text.remove_prefix(1);
  while (!text.empty() && text.back() == kGs) text.remove_suffix(1);
  c.data = std::string(text);
  if (text.empty()) {
    c.reason = c.symbology.empty() ? "empty scan" : "the scan holds only the symbology identifier " + c.symbology;
    return c;
  }

  if (IsGs1Symbology(c.symbology)) {
    TakeGs1(LooksHumanReadable(text) ? ParseHumanReadable(text) : ParseElementString(text), Kind::Gs1, c);
    return c;
  }
  if (IsRetailSymbology(c.symbology)) {
    ClassifyRetail(text, c.symbology, c);
    return c;
  }
  if (ApplyRules(text, c)) return c;
  if (LooksLikeUri(text)) {
    Gs1Parse p = ParseDigitalLink(text);
    // A link that is no Digital Link at all gets a plain reason; one that tries gets the fault.
    if (!p.ais.empty() || p.error.find("not a GS1 Digital Link") == std::string::npos) {
      TakeGs1(std::move(p), Kind::DigitalLink, c);
    } else {
      c.reason = std::move(p.error);
    }
    return c;
  }
  if (LooksHumanReadable(text)) {
    TakeGs1(ParseHumanReadable(text), Kind::Gs1, c);
    return c;
  }
  const bool digits = AllDigits(text);
  const bool starts_digit = text[0] >= '0' && text[0] <= '9';
  if (digits && (text.size() == 8 || text.size() == 12 || text.size() == 13 || text.size() == 14)) {
    ClassifyRetail(text, c.symbology, c);
    return c;
  }
  if (starts_digit && (text.find(kGs) != std::string_view::npos || StartsWith(text, "00") || StartsWith(text, "01") ||
                       StartsWith(text, "02"))) {
    TakeGs1(ParseElementString(text), Kind::Gs1, c);
    return c;
  }
  if (ApplyNearMiss(text, c)) return c;
  for (size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7F) {
      c.reason = "not a barcode this kiosk knows: it contains " + DescribeChar(text[i]) + " at character " +
                 std::to_string(i + 1);
      return c;
    }
  }
  c.reason = Quoted(text) + " is not a partner card, staff badge, asset tag, GS1 code or EAN/UPC";
  return c;
}

}  // namespace kiosk::barcode
