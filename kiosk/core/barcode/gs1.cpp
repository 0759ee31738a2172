#include "kiosk/core/barcode/gs1.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

#include "kiosk/core/barcode/check_digit.hpp"

namespace kiosk::barcode {
namespace {

constexpr AiFormat N = AiFormat::Numeric;
constexpr AiFormat X = AiFormat::Alphanumeric;

// The AIs the kiosk understands. Lengths and formats from the GS1 General Specifications
// (section 3.2); `predefined` marks the prefixes 00-04, 11-20, 31-36 and 41 whose length is
// fixed by the predefined-length table, so no separator follows them.
struct AiTable {
  std::vector<AiSpec> specs;
  // Index by AI key: 2 digits -> 0..99, 3 digits -> 100..1099, 4 digits -> 1100..11099.
  std::array<int16_t, 11100> index{};

  static int Slot(std::string_view key) {
    int v = 0;
    for (char c : key) v = v * 10 + (c - '0');
    if (key.size() == 2) return v;
    if (key.size() == 3) return 100 + v;
    return 1100 + v;
  }

  void Add(AiSpec s) {
    specs.push_back(s);
    index[Slot(s.key)] = static_cast<int16_t>(specs.size());  // 0 means "none"
  }

  AiTable() {
    specs.reserve(128);
    Add({"00", 2, "SSCC", N, 18, 18, true, false, true});
    Add({"01", 2, "GTIN", N, 14, 14, true, false, true});
    Add({"02", 2, "CONTENT", N, 14, 14, true, false, true});
    Add({"03", 2, "MTO GTIN", N, 14, 14, true, false, true});
    Add({"10", 2, "BATCH/LOT", X, 1, 20});
    Add({"11", 2, "PROD DATE", N, 6, 6, false, true, true});
    Add({"12", 2, "DUE DATE", N, 6, 6, false, true, true});
    Add({"13", 2, "PACK DATE", N, 6, 6, false, true, true});
    Add({"15", 2, "BEST BEFORE", N, 6, 6, false, true, true});
    Add({"16", 2, "SELL BY", N, 6, 6, false, true, true});
    Add({"17", 2, "USE BY OR EXPIRY", N, 6, 6, false, true, true});
    Add({"20", 2, "VARIANT", N, 2, 2, false, false, true});
    Add({"21", 2, "SERIAL", X, 1, 20});
    Add({"22", 2, "CPV", X, 1, 20});
    Add({"235", 3, "TPX", X, 1, 28});
    Add({"240", 3, "ADDITIONAL ID", X, 1, 30});
    Add({"241", 3, "CUST. PART No.", X, 1, 30});
    Add({"242", 3, "MTO VARIANT", N, 1, 6});
    Add({"243", 3, "PCN", X, 1, 20});
    Add({"250", 3, "SECONDARY SERIAL", X, 1, 30});
    Add({"251", 3, "REF. TO SOURCE", X, 1, 30});
    Add({"254", 3, "GLN EXTENSION COMPONENT", X, 1, 20});
    Add({"30", 2, "VAR. COUNT", N, 1, 8});
    Add({"37", 2, "COUNT", N, 1, 8});
    // Trade and logistic measures: 3 digits + the position of the decimal point.
    static constexpr std::string_view kMeasures[] = {
        "310", "311", "312", "313", "314", "315", "316", "320", "321", "322", "323", "324",
        "325", "326", "327", "328", "329", "330", "331", "332", "333", "334", "335", "336",
        "337", "340", "341", "342", "343", "344", "345", "346", "347", "348", "349", "350",
        "351", "352", "353", "354", "355", "356", "357", "360", "361", "362", "363", "364",
        "365", "366", "367", "368", "369"};
    for (std::string_view m : kMeasures) Add({m, 4, "MEASURE", N, 6, 6, false, false, true});
    Add({"400", 3, "ORDER NUMBER", X, 1, 30});
    Add({"401", 3, "GINC", X, 1, 30});
    Add({"402", 3, "GSIN", N, 17, 17, true});
    Add({"403", 3, "ROUTE", X, 1, 30});
    Add({"410", 3, "SHIP TO LOC", N, 13, 13, true, false, true});
    Add({"411", 3, "BILL TO", N, 13, 13, true, false, true});
    Add({"412", 3, "PURCHASE FROM", N, 13, 13, true, false, true});
    Add({"413", 3, "SHIP FOR LOC", N, 13, 13, true, false, true});
    Add({"414", 3, "LOC No.", N, 13, 13, true, false, true});
    Add({"415", 3, "PAY TO", N, 13, 13, true, false, true});
    Add({"416", 3, "PROD/SERV LOC", N, 13, 13, true, false, true});
    Add({"417", 3, "PARTY", N, 13, 13, true, false, true});
    Add({"420", 3, "SHIP TO POST", X, 1, 20});
    Add({"422", 3, "ORIGIN", N, 3, 3});
    Add({"7003", 4, "EXPIRY TIME", N, 10, 10});
    Add({"8004", 4, "GIAI", X, 1, 30});
    Add({"8005", 4, "PRICE PER UNIT", N, 6, 6});
    Add({"8017", 4, "GSRN - PROVIDER", N, 18, 18, true});
    Add({"8018", 4, "GSRN - RECIPIENT", N, 18, 18, true});
    Add({"8020", 4, "REF No.", X, 1, 25});
    Add({"90", 2, "INTERNAL", X, 1, 30});
    static constexpr std::string_view kInternal[] = {"91", "92", "93", "94", "95", "96", "97", "98", "99"};
    for (std::string_view k : kInternal) Add({k, 2, "INTERNAL", X, 1, 90});
  }
};

const AiTable& Table() {
  static const AiTable table;
  return table;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
bool IsCset82(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c)) return true;
  switch (c) {
    case '!': case '"': case '%': case '&': case '\'': case '(': case ')': case '*': case '+':
    case ',': case '-': case '.': case '/': case ':': case ';': case '<': case '=': case '>':
    case '?': case '_':
      return true;
    default:
      return false;
  }
}

std::string Paren(std::string_view ai) { return "(" + std::string(ai) + ")"; }

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::string CheckDate(std::string_view ai, std::string_view v) {
  int yy = (v[0] - '0') * 10 + (v[1] - '0');
  int mm = (v[2] - '0') * 10 + (v[3] - '0');
  int dd = (v[4] - '0') * 10 + (v[5] - '0');
  std::string head = Paren(ai) + " " + std::string(v) + " is not a valid date (YYMMDD): ";
  if (mm < 1 || mm > 12) return head + "month " + std::string(v.substr(2, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max_day = kDays[mm - 1] + (mm == 2 && LeapYear(2000 + yy) ? 1 : 0);
  // Day 00 means "the last day of the month" for every date AI.
  if (dd > max_day) return head + "day " + std::string(v.substr(4, 2));
  return {};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// Length of "(dddd)" at `pos` when it is an AI in parentheses, else 0.
size_t ParenAiLength(std::string_view text, size_t pos) {
  if (pos >= text.size() || text[pos] != '(') return 0;
  size_t i = pos + 1;
  while (i < text.size() && IsDigit(text[i]) && i - pos <= 4) ++i;
  size_t digits = i - pos - 1;
  if (digits < 2 || digits > 4 || i >= text.size() || text[i] != ')') return 0;
  return digits + 2;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Gs1Parse Finish(Gs1Parse p) {
  if (p.ok()) p.error = CheckElements(p.ais);
  return p;
}

}  // namespace

std::string DescribeChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return std::string("'") + c + "'";
  if (u == ' ') return "a space";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02X", u);
  return buf;
}

const AiSpec* FindAiAtStart(std::string_view text) {
  const AiTable& t = Table();
  for (size_t k = 2; k <= 4 && k <= text.size(); ++k) {
    if (!IsDigit(text[k - 1]) || (k == 2 && !IsDigit(text[0]))) return nullptr;
    int idx = t.index[AiTable::Slot(text.substr(0, k))];
    if (idx == 0) continue;
    const AiSpec& s = t.specs[idx - 1];
    if (static_cast<size_t>(s.ai_length) > text.size()) return nullptr;
    for (int i = 0; i < s.ai_length; ++i) {
      if (!IsDigit(text[i])) return nullptr;
    }
    return &s;
  }
  return nullptr;
}

const AiSpec* LookupAi(std::string_view ai) {
  const AiSpec* s = FindAiAtStart(ai);
  return s && static_cast<size_t>(s->ai_length) == ai.size() ? s : nullptr;
}

std::string ValidateAiValue(const AiSpec& spec, std::string_view ai, std::string_view value) {
  const char* unit = spec.format == AiFormat::Numeric ? " digits" : " characters";
  const int len = static_cast<int>(value.size());
  if (spec.Fixed() && len != spec.min_length) {
    return Paren(ai) + " has " + std::to_string(len) + unit + ", expected " + std::to_string(spec.min_length);
  }
  if (len == 0) return Paren(ai) + " has no value";
  if (len < spec.min_length) {
    return Paren(ai) + " has " + std::to_string(len) + unit + ", at least " + std::to_string(spec.min_length) + " needed";
  }
  if (len > spec.max_length) {
    return Paren(ai) + " is " + std::to_string(len) + unit + " long, at most " + std::to_string(spec.max_length) + " allowed";
  }
  for (int i = 0; i < len; ++i) {
    char c = value[i];
    if (spec.format == AiFormat::Numeric ? !IsDigit(c) : !IsCset82(c)) {
      if (spec.format == AiFormat::Numeric) {
        return Paren(ai) + " must be digits only, found " + DescribeChar(c) + " at position " + std::to_string(i + 1);
      }
      return Paren(ai) + " contains " + DescribeChar(c) + " at position " + std::to_string(i + 1) +
             ", which GS1 does not allow";
    }
  }
  if (spec.check_digit) {
    int expected = Gs1CheckDigit(value.substr(0, value.size() - 1));
    int got = value.back() - '0';
    if (expected != got) {
      return Paren(ai) + " " + std::string(spec.title) + " check digit is " + std::to_string(got) + ", expected " +
             std::to_string(expected);
    }
  }
  if (spec.date) return CheckDate(ai, value);
  return {};
}

std::string CheckElements(const AiList& ais) {
  auto has = [&](std::string_view ai) {
    for (const auto& [k, v] : ais) {
      if (k == ai) return true;
    }
    return false;
  };
  for (size_t i = 0; i < ais.size(); ++i) {
    for (size_t j = i + 1; j < ais.size(); ++j) {
      if (ais[i].first == ais[j].first && ais[i].second != ais[j].second) {
        return Paren(ais[i].first) + " appears twice with different values (\"" + ais[i].second + "\" and \"" +
               ais[j].second + "\")";
      }
    }
  }
  if (has("01") && has("02")) return "(01) and (02) cannot be in the same barcode";
  if (has("21") && !has("01")) return "(21) SERIAL needs a (01) GTIN in the same barcode";
  if (has("22") && !has("01")) return "(22) CPV needs a (01) GTIN in the same barcode";
  if (has("10") && !has("01") && !has("02") && !has("03")) {
    return "(10) BATCH/LOT needs a (01) GTIN or (02) CONTENT in the same barcode";
  }
  return {};
}

Gs1Parse ParseElementString(std::string_view data) {
  Gs1Parse p;
  size_t pos = 0;
  const size_t n = data.size();
  while (pos < n) {
    if (data[pos] == kGs) {
      ++pos;
      continue;
    }
    if (!IsDigit(data[pos])) {
      p.error = "expected an application identifier at character " + std::to_string(pos + 1) + ", found " +
                DescribeChar(data[pos]);
      return p;
    }
    const AiSpec* spec = FindAiAtStart(data.substr(pos));
    if (!spec) {
      std::string shown(data.substr(pos, 4));
      p.error = "unknown GS1 application identifier at character " + std::to_string(pos + 1) + ": \"" + shown +
                (n - pos > 4 ? "...\"" : "\"");
      return p;
    }
    std::string ai(data.substr(pos, spec->ai_length));
    pos += spec->ai_length;
    size_t gs = data.find(kGs, pos);
    size_t end = gs == std::string_view::npos ? n : gs;
    std::string_view value;
    const char* unit = spec->format == AiFormat::Numeric ? " digits" : " characters";
    if (spec->Fixed()) {
      size_t len = static_cast<size_t>(spec->min_length);
      if (end - pos < len) {
        p.error = Paren(ai) + " is cut short: " + std::to_string(end - pos) + " of " + std::to_string(len) + unit;
        return p;
      }
      value = data.substr(pos, len);
      pos += len;
    } else {
      value = data.substr(pos, end - pos);
      if (value.empty()) {
        p.error = Paren(ai) + " has no value";
        return p;
      }
      if (value.size() > static_cast<size_t>(spec->max_length)) {
        p.error = Paren(ai) + " is " + std::to_string(value.size()) + unit + " long, at most " +
                  std::to_string(spec->max_length) + " allowed (is a GS separator missing after it?)";
        return p;
      }
      pos = end;
    }
    if (p.error.empty()) p.error = ValidateAiValue(*spec, ai, value);
    p.ais.emplace_back(std::move(ai), std::string(value));
  }
  if (p.ais.empty() && p.error.empty()) p.error = "no GS1 data";
  return Finish(std::move(p));
}

bool LooksHumanReadable(std::string_view text) {
  text = TrimSpaces(text);
  return ParenAiLength(text, 0) != 0;
}

Gs1Parse ParseHumanReadable(std::string_view text) {
  Gs1Parse p;
  text = TrimSpaces(text);
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    size_t paren = ParenAiLength(text, pos);
    if (paren == 0) {
      p.error = "expected an application identifier in parentheses at character " + std::to_string(pos + 1) +
                ", like (01)";
      return p;
    }
    std::string ai(text.substr(pos + 1, paren - 2));
    pos += paren;
    const AiSpec* spec = LookupAi(ai);
    if (!spec) {
      p.error = "unknown GS1 application identifier " + Paren(ai);
      return p;
    }
    size_t end = pos;
    while (end < n && ParenAiLength(text, end) == 0) ++end;
    std::string_view value = TrimSpaces(text.substr(pos, end - pos));
    pos = end;
    if (p.error.empty()) p.error = ValidateAiValue(*spec, ai, value);
    p.ais.emplace_back(std::move(ai), std::string(value));
  }
  if (p.ais.empty() && p.error.empty()) p.error = "no GS1 data";
  return Finish(std::move(p));
}

bool LooksLikeUri(std::string_view text) {
  return StartsWithNoCase(text, "https://") || StartsWithNoCase(text, "http://");
}

Gs1Parse ParseDigitalLink(std::string_view uri) {
  Gs1Parse p;
  if (!LooksLikeUri(uri)) {
    p.error = "not a GS1 Digital Link: it must start with https:// or http://";
    return p;
  }
  std::string_view rest = uri.substr(uri.find("//") + 2);
  size_t host_end = rest.find_first_of("/?#");
  std::string_view host = rest.substr(0, host_end);
  if (host.empty()) {
    p.error = "not a GS1 Digital Link: the address has no host";
    return p;
  }
  rest = host_end == std::string_view::npos ? std::string_view{} : rest.substr(host_end);
  size_t frag = rest.find('#');
  if (frag != std::string_view::npos) rest = rest.substr(0, frag);
  size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);

  std::vector<std::string_view> segments;
  for (size_t i = 0; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) segments.push_back(path.substr(i, j - i));
    i = j + 1;
  }

  // The old convenience names some encoders still write instead of the numeric AIs.
  auto to_ai = [](std::string_view key) -> std::string {
    static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
        {"gtin", "01"}, {"sscc", "00"}, {"giai", "8004"}, {"ser", "21"},
        {"lot", "10"},  {"cpv", "22"},  {"exp", "17"},    {"gln", "414"}};
    for (auto [alias, ai] : kAliases) {
      if (key == alias) return std::string(ai);
    }
    return std::string(key);
  };
  auto decode = [](std::string_view v, std::string& out) -> bool {
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%') {
        if (i + 2 >= v.size()) return false;
        int hi = HexValue(v[i + 1]), lo = HexValue(v[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(v[i]);
      }
    }
    return true;
  };
  auto add = [&](const std::string& ai, std::string_view raw, const char* where) -> bool {
    const AiSpec* spec = LookupAi(ai);
    if (!spec) {
      p.error = std::string("Digital Link ") + where + " has an unknown application identifier \"" + ai + "\"";
      return false;
    }
    std::string value;
    if (!decode(raw, value)) {
      p.error = "Digital Link value of " + Paren(ai) + " has a bad percent escape: \"" + std::string(raw) + "\"";
      return false;
    }
    // Digital Link allows GTIN-8/12/13 in the URI; the element string always carries 14 digits.
    if (ai == "01" && AllDigits(value) && (value.size() == 8 || value.size() == 12 || value.size() == 13)) {
      value.insert(0, 14 - value.size(), '0');
    }
    if (p.error.empty()) p.error = ValidateAiValue(*spec, ai, value);
    p.ais.emplace_back(ai, std::move(value));
    return true;
  };

  static constexpr std::string_view kPrimary[] = {"00", "01", "401", "402", "414", "417", "8004", "8017", "8018"};
  size_t start = segments.size();
  for (size_t i = 0; i + 1 < segments.size() && start == segments.size(); ++i) {
    std::string ai = to_ai(segments[i]);
    for (std::string_view k : kPrimary) {
      if (ai == k) start = i;
    }
  }
  if (start == segments.size()) {
    p.error = "not a GS1 Digital Link: the path has no primary key such as /01/ followed by a GTIN";
    return p;
  }
  for (size_t i = start; i < segments.size(); i += 2) {
    std::string ai = to_ai(segments[i]);
    if (i + 1 >= segments.size()) {
      p.error = "Digital Link path ends with /" + std::string(segments[i]) + "/ without a value";
      return p;
    }
    if (!add(ai, segments[i + 1], "path")) return p;
  }
  for (size_t i = 0; i < query.size();) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view pair = query.substr(i, j - i);
    i = j + 1;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string ai = to_ai(pair.substr(0, eq));
    // Only numeric keys are AIs; others (linkType, context) are for the resolver.
    if (!AllDigits(ai)) continue;
    if (!add(ai, pair.substr(eq + 1), "query")) return p;
  }
  return Finish(std::move(p));
}

std::string ToHumanReadable(const AiList& ais) {
  std::string out;
  for (const auto& [ai, value] : ais) out += "(" + ai + ")" + value;
  return out;
}

std::string ToElementString(const AiList& ais) {
  std::string out;
  for (size_t i = 0; i < ais.size(); ++i) {
    out += ais[i].first;
    out += ais[i].second;
    const AiSpec* spec = LookupAi(ais[i].first);
    if (i + 1 < ais.size() && (!spec || !spec->predefined)) out += kGs;
  }
  return out;
}

}  // namespace kiosk::barcode
