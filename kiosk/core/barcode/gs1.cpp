#include "kiosk/core/barcode/gs1.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <string>

#include "kiosk/core/barcode/check_digit.hpp"
#include "kiosk/core/barcode/gs1_table.hpp"
#include "kiosk/core/barcode/iso_codes.hpp"

namespace kiosk::barcode {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLowerCase(char c) { return c >= 'a' && c <= 'z'; }

// GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
bool IsCset82(char c) {
  if (IsUpper(c) || IsLowerCase(c) || IsDigit(c)) return true;
  switch (c) {
    case '!': case '"': case '%': case '&': case '\'': case '(': case ')': case '*': case '+':
    case ',': case '-': case '.': case '/': case ':': case ';': case '<': case '=': case '>':
    case '?': case '_':
      return true;
    default:
      return false;
  }
}
// Character set 39 (figure 7.11-2): upper case, digits, '#', '-', '/'.
bool IsCset39(char c) { return IsUpper(c) || IsDigit(c) || c == '#' || c == '-' || c == '/'; }
// Character set 64 (figure 7.11-3): the URI- and file-safe base64 alphabet, '=' as padding.
bool IsCset64(char c) { return IsUpper(c) || IsLowerCase(c) || IsDigit(c) || c == '-' || c == '_' || c == '='; }

bool InCset(AiFormat f, char c) {
  switch (f) {
    case AiFormat::Numeric: return IsDigit(c);
    case AiFormat::Alphanumeric: return IsCset82(c);
    case AiFormat::Cset39: return IsCset39(c);
    case AiFormat::Cset64: return IsCset64(c);
  }
  return false;
}

AiCheck CheckByName(std::string_view name) {
  static constexpr std::pair<std::string_view, AiCheck> kNames[] = {
      {"csum", AiCheck::CheckDigit},        {"csumalpha", AiCheck::CheckPair},
      {"key", AiCheck::CompanyPrefix},      {"yymmd0", AiCheck::DateDay0},
      {"yymmdd", AiCheck::Date},            {"yymmddhh", AiCheck::DateHour},
      {"hhmm", AiCheck::HourMinute},        {"mmoptss", AiCheck::MinuteSecond},
      {"iso3166", AiCheck::Country},        {"iso3166999", AiCheck::CountryOr999},
      {"iso3166list", AiCheck::CountryList}, {"iso3166alpha2", AiCheck::CountryAlpha2},
      {"iso4217", AiCheck::Currency},       {"yesno", AiCheck::YesNo},
      {"zero", AiCheck::Zero},              {"nonzero", AiCheck::NonZero},
      {"winding", AiCheck::Winding},        {"pieceoftotal", AiCheck::PieceOfTotal},
      {"hyphen", AiCheck::Hyphen},          {"latitude", AiCheck::Latitude},
      {"longitude", AiCheck::Longitude},    {"pcenc", AiCheck::PercentEncoded},
      {"mediatype", AiCheck::MediaType},    {"nozeroprefix", AiCheck::NoZeroPrefix},
      {"importeridx", AiCheck::ImporterIndex}, {"iban", AiCheck::Iban}};
  for (auto [n, c] : kNames) {
    if (n == name) return c;
  }
  return AiCheck::None;  // the table is ours: a typo shows up in the table test
}

// "N13,csum,key [X..17]" -> parts.
int ParseComponents(std::string_view text, std::array<AiPart, 5>& parts) {
  int count = 0;
  size_t i = 0;
  while (i < text.size() && count < 5) {
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view comp = text.substr(i, end - i);
    i = end + 1;
    if (comp.empty()) continue;
    AiPart part;
    if (comp.front() == '[') {
      part.optional = true;
      comp.remove_prefix(1);
      if (!comp.empty() && comp.back() == ']') comp.remove_suffix(1);
    }
    switch (comp[0]) {
      case 'N': part.format = AiFormat::Numeric; break;
      case 'Y': part.format = AiFormat::Cset39; break;
      case 'Z': part.format = AiFormat::Cset64; break;
      default: part.format = AiFormat::Alphanumeric; break;
    }
    size_t comma = comp.find(',');
    std::string_view len = comp.substr(1, comma == std::string_view::npos ? std::string_view::npos : comma - 1);
    bool variable = len.substr(0, 2) == "..";
    if (variable) len.remove_prefix(2);
    int n = 0;
    for (char c : len) n = n * 10 + (c - '0');
    part.max_length = static_cast<uint8_t>(n);
    part.min_length = static_cast<uint8_t>(variable ? 1 : n);
    int checks = 0;
    while (comma != std::string_view::npos && checks < 2) {
      size_t next = comp.find(',', comma + 1);
      part.checks[checks++] = CheckByName(comp.substr(comma + 1, next == std::string_view::npos ? next : next - comma - 1));
      comma = next;
    }
    parts[count++] = part;
  }
  return count;
}

// Built once from the rows: one AiSpec per AI, indexed by the AI's digits.
struct AiTable {
  std::deque<AiSpec> specs;        // deque: stable addresses while it grows
  std::deque<std::string> keys;    // storage for the keys the ranges expand to
  // Index by AI key: 2 digits -> 0..99, 3 digits -> 100..1099, 4 digits -> 1100..11099.
  std::array<const AiSpec*, 11100> index{};
  std::array<int8_t, 100> prefix_length{};  // digits of the AIs starting with these two digits

  static int Slot(std::string_view key) {
    int v = 0;
    for (char c : key) v = v * 10 + (c - '0');
    if (key.size() == 2) return v;
    if (key.size() == 3) return 100 + v;
    return 1100 + v;
  }

  AiTable() {
    for (size_t r = 0; r < detail::kAiRowCount; ++r) {
      const detail::AiRow& row = detail::kAiRows[r];
      const int len = static_cast<int>(std::strlen(row.first));
      const int first = std::stoi(row.first), last = std::stoi(row.last);
      for (int ai = first; ai <= last; ++ai) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%0*d", len, ai);
        keys.emplace_back(buf);
        AiSpec s;
        s.key = keys.back();
        s.ai_length = len;
        s.title = row.title;
        s.predefined = row.predefined;
        s.part_count = ParseComponents(row.components, s.parts);
        s.format = s.parts[0].format;
        for (int p = 0; p < s.part_count; ++p) {
          const AiPart& part = s.parts[p];
          s.min_length += part.optional ? 0 : part.min_length;
          s.max_length += part.max_length;
          for (AiCheck c : part.checks) {
            if (c == AiCheck::CheckDigit) s.check_digit = true;
          }
          if (p == 0 && (part.checks[0] == AiCheck::Date || part.checks[0] == AiCheck::DateDay0)) s.date = true;
        }
        s.requires_any = {row.req, row.req2};
        s.excludes = row.ex;
        s.dl_primary = row.dl != nullptr;
        s.dl_qualifiers = row.dl ? row.dl : "";
        specs.push_back(s);
        index[Slot(s.key)] = &specs.back();
        prefix_length[(s.key[0] - '0') * 10 + (s.key[1] - '0')] = static_cast<int8_t>(len);
      }
    }
  }
};

const AiTable& Table() {
  static const AiTable table;
  return table;
}

std::string Paren(std::string_view ai) { return "(" + std::string(ai) + ")"; }
std::string Named(const AiSpec& s) { return Paren(s.key) + " " + std::string(s.title); }

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int Two(std::string_view v, size_t at) { return (v[at] - '0') * 10 + (v[at + 1] - '0'); }

// A fault inside a value: the reason and the offset in the value where it starts.
struct Fault {
  std::string reason;
  size_t at = 0;
  explicit operator bool() const { return !reason.empty(); }
};

Fault CheckDate(std::string_view ai, std::string_view v, size_t off, bool day0) {
  int yy = Two(v, 0), mm = Two(v, 2), dd = Two(v, 4);
  std::string head = Paren(ai) + " " + std::string(v.substr(0, 6)) + " is not a valid date (YYMMDD): ";
  if (mm < 1 || mm > 12) return {head + "month " + std::string(v.substr(2, 2)), off + 2};
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  // GS1 reads YY within a sliding window around today; for leap years only YY matters, since
  // 2000 is a leap year and the window holds no other century year.
  int max_day = kDays[mm - 1] + (mm == 2 && LeapYear(2000 + yy) ? 1 : 0);
  if (dd > max_day || (dd == 0 && !day0)) return {head + "day " + std::string(v.substr(4, 2)), off + 4};
  return {};
}

Fault CheckTime(std::string_view ai, std::string_view v, size_t off) {
  if (Two(v, 0) > 23) return {Paren(ai) + " " + std::string(v) + " is not a valid time (HHMM): hour " + std::string(v.substr(0, 2)), off};
  if (Two(v, 2) > 59) return {Paren(ai) + " " + std::string(v) + " is not a valid time (HHMM): minute " + std::string(v.substr(2, 2)), off + 2};
  return {};
}

int ToInt(std::string_view v) {
  int n = 0;
  for (char c : v) n = n * 10 + (c - '0');
  return n;
}

// ISO 13616: letters become 10..35, the first four characters move to the end, mod 97 == 1.
bool IbanValid(std::string_view v) {
  if (v.size() < 5 || !IsUpper(v[0]) || !IsUpper(v[1]) || !IsDigit(v[2]) || !IsDigit(v[3])) return false;
  if (!IsIso3166Alpha2(v.substr(0, 2))) return false;
  int rem = 0;
  auto feed = [&](char c) {
    if (IsDigit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else {
      int n = c - 'A' + 10;
      rem = (rem * 100 + n) % 97;
    }
  };
  for (size_t i = 4; i < v.size(); ++i) {
    if (!IsDigit(v[i]) && !IsUpper(v[i])) return false;
    feed(v[i]);
  }
  for (size_t i = 0; i < 4; ++i) feed(v[i]);
  return rem == 1;
}

// The GS1 alphanumeric check character pair (General Specifications 7.9.5): character values
// by their place in CSET 82, weighted by primes from the right, mod 1021, split into two
// characters of CSET 32.
std::string CheckPairFor(std::string_view data) {
  static constexpr std::string_view kCset82 =
      "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  static constexpr std::string_view kCset32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  static constexpr int kPrimes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59,
                                    61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127};
  int sum = 0;
  const size_t n = data.size();
  for (size_t i = 0; i < n && n - 1 - i < std::size(kPrimes); ++i) {
    size_t value = kCset82.find(data[i]);
    if (value == std::string_view::npos) return {};
    sum += static_cast<int>(value) * kPrimes[n - 1 - i];
  }
  sum %= 1021;
  return {kCset32[static_cast<size_t>(sum >> 5)], kCset32[static_cast<size_t>(sum & 31)]};
}

// One content rule over one component `v` of a value; `off` is where the component starts.
Fault ApplyCheck(AiCheck check, const AiSpec& spec, std::string_view ai, std::string_view v, size_t off) {
  // Built only for a reason: every scan passes through here, and most pass.
  auto Name = [&] { return Paren(ai) + " " + std::string(spec.title); };
  switch (check) {
    case AiCheck::None: return {};
    case AiCheck::CheckDigit: {
      int expected = Gs1CheckDigit(v.substr(0, v.size() - 1));
      int got = v.back() - '0';
      if (expected != got) {
        return {Name() + " check digit is " + std::to_string(got) + ", expected " + std::to_string(expected), off + v.size() - 1};
      }
      // A GTIN whose GS1 prefix is 980-984 or 99 is a refund receipt or a coupon number, which
      // GS1 never allocates to a trade item (General Specifications 1.4.2).
      if ((ai == "01" || ai == "02") && v.size() == 14) {
        int prefix = ToInt(v.substr(1, 3));
        if ((prefix >= 980 && prefix <= 984) || prefix >= 990) {
          return {Name() + " has GS1 prefix " + std::string(v.substr(1, 3)) +
                      ", which GS1 keeps for refund receipts and coupons, not trade items",
                  off + 1};
        }
      }
      return {};
    }
    case AiCheck::CheckPair: {
      if (v.size() < 2) return {Name() + " is too short for its two check characters", off};
      std::string expected = CheckPairFor(v.substr(0, v.size() - 2));
      if (v.substr(v.size() - 2) != expected) {
        return {Name() + " check characters are \"" + std::string(v.substr(v.size() - 2)) + "\", expected \"" + expected + "\"",
                off + v.size() - 2};
      }
      return {};
    }
    case AiCheck::CompanyPrefix: {
      // SSCC, GTIN and ITIP begin with an extension or indicator digit; the prefix follows it.
      size_t start = (ai == "00" || ai == "01" || ai == "02") ? 1 : 0;
      for (size_t i = start; i < start + 4; ++i) {
        if (i >= v.size()) return {Name() + " is too short to start with a GS1 Company Prefix (at least 4 digits)", off};
        if (!IsDigit(v[i])) {
          return {Name() + " must start with a GS1 Company Prefix (at least 4 digits), found " + DescribeChar(v[i]), off + i};
        }
      }
      return {};
    }
    case AiCheck::DateDay0: return CheckDate(ai, v, off, true);
    case AiCheck::Date: return CheckDate(ai, v, off, false);
    case AiCheck::DateHour: {
      if (Fault f = CheckDate(ai, v, off, false)) return f;
      if (Two(v, 6) > 23) return {Paren(ai) + " hour " + std::string(v.substr(6, 2)) + " is not valid (00-23)", off + 6};
      return {};
    }
    case AiCheck::HourMinute: return CheckTime(ai, v, off);
    case AiCheck::MinuteSecond: {
      if (v.size() != 2 && v.size() != 4) return {Paren(ai) + " minutes and seconds must be MM or MMSS", off};
      if (Two(v, 0) > 59) return {Paren(ai) + " minute " + std::string(v.substr(0, 2)) + " is not valid (00-59)", off};
      if (v.size() == 4 && Two(v, 2) > 59) return {Paren(ai) + " second " + std::string(v.substr(2, 2)) + " is not valid (00-59)", off + 2};
      return {};
    }
    case AiCheck::Country:
    case AiCheck::CountryOr999: {
      int code = ToInt(v);
      if (IsIso3166Numeric(code) || (check == AiCheck::CountryOr999 && code == 999)) return {};
      return {Paren(ai) + " " + std::string(v) + " is not an ISO 3166 country code", off};
    }
    case AiCheck::CountryList: {
      if (v.size() % 3 != 0) return {Paren(ai) + " holds country codes of 3 digits each, found " + std::to_string(v.size()) + " digits", off};
      for (size_t i = 0; i < v.size(); i += 3) {
        if (!IsIso3166Numeric(ToInt(v.substr(i, 3)))) {
          return {Paren(ai) + " " + std::string(v.substr(i, 3)) + " is not an ISO 3166 country code", off + i};
        }
      }
      return {};
    }
    case AiCheck::CountryAlpha2:
      if (IsIso3166Alpha2(v)) return {};
      return {Paren(ai) + " \"" + std::string(v) + "\" is not an ISO 3166 alpha-2 country code", off};
    case AiCheck::Currency:
      if (IsIso4217Numeric(ToInt(v))) return {};
      return {Paren(ai) + " " + std::string(v) + " is not an ISO 4217 currency code", off};
    case AiCheck::YesNo:
      if (v == "0" || v == "1") return {};
      return {Paren(ai) + " must be 0 (no) or 1 (yes), found " + std::string(v), off};
    case AiCheck::Zero:
      if (v == "0") return {};
      return {Paren(ai) + " must start with the digit 0, found " + DescribeChar(v[0]), off};
    case AiCheck::NonZero:
      for (char c : v) {
        if (c != '0') return {};
      }
      return {Paren(ai) + " has " + std::string(v) + " where zero is not allowed", off};
    case AiCheck::Winding:
      if (v == "0" || v == "1" || v == "9") return {};
      return {Paren(ai) + " winding direction must be 0, 1 or 9, found " + std::string(v), off};
    case AiCheck::PieceOfTotal: {
      int piece = Two(v, 0), total = Two(v, 2);
      if (piece == 0 || total == 0 || piece > total) {
        return {Paren(ai) + " piece " + std::string(v.substr(0, 2)) + " of " + std::string(v.substr(2, 2)) + " is not valid", off};
      }
      return {};
    }
    case AiCheck::Hyphen:
      if (v == "-") return {};
      return {Paren(ai) + " may only end with '-' (below zero), found " + DescribeChar(v[0]), off};
    case AiCheck::Latitude:
      if (v.size() == 10 && v <= "1800000000") return {};
      return {Paren(ai) + " latitude " + std::string(v) + " is out of range (0-1800000000)", off};
    case AiCheck::Longitude:
      if (v.size() == 10 && v <= "3600000000") return {};
      return {Paren(ai) + " longitude " + std::string(v) + " is out of range (0-3600000000)", off};
    case AiCheck::PercentEncoded: {
      auto hex = [](char c) { return IsDigit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); };
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] != '%') continue;
        if (i + 2 >= v.size() || !hex(v[i + 1]) || !hex(v[i + 2])) {
          return {Paren(ai) + " has '%' not followed by two hex digits", off + i};
        }
        i += 2;
      }
      return {};
    }
    case AiCheck::MediaType: {
      int t = ToInt(v);
      if ((t >= 1 && t <= 10) || (t >= 80 && t <= 99)) return {};
      return {Paren(ai) + " media type " + std::string(v) + " is not assigned (01-10, 80-99)", off};
    }
    case AiCheck::NoZeroPrefix:
      if (v.size() > 1 && v[0] == '0') return {Paren(ai) + " may not start with 0", off};
      return {};
    case AiCheck::ImporterIndex:
      if (IsDigit(v[0]) || IsUpper(v[0]) || IsLowerCase(v[0]) || v[0] == '-' || v[0] == '_') return {};
      return {Paren(ai) + " importer index " + DescribeChar(v[0]) + " is not valid", off};
    case AiCheck::Iban:
      if (IbanValid(v)) return {};
      return {Paren(ai) + " \"" + std::string(v) + "\" is not a valid IBAN", off};
  }
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

// `ai` matches `pattern` ("01", "31nn", "394n"): same length, 'n' stands for any digit.
bool Matches(std::string_view ai, std::string_view pattern) {
  if (ai.size() != pattern.size()) return false;
  for (size_t i = 0; i < ai.size(); ++i) {
    if (pattern[i] != 'n' && pattern[i] != ai[i]) return false;
  }
  return true;
}

bool InList(std::string_view ai, std::string_view list) {
  size_t i = 0;
  while (i < list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    if (Matches(ai, list.substr(i, j - i))) return true;
    i = j + 1;
  }
  return false;
}

// "(01) GTIN, (02) CONTENT or (8006) ITIP"
std::string DescribeList(std::string_view list, std::string_view last_word) {
  std::vector<std::string> names;
  size_t i = 0;
  while (i < list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view k = list.substr(i, j - i);
    const AiSpec* s = LookupAi(k);
    names.push_back(s ? Named(*s) : Paren(k));
    i = j + 1;
  }
  std::string out;
  for (size_t n = 0; n < names.size(); ++n) {
    if (n > 0) out += n + 1 == names.size() ? " " + std::string(last_word) + " " : ", ";
    out += names[n];
  }
  return out;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The reason a parse gives: "character 16: (01) GTIN check digit is 3, expected 2".
void Fail(Gs1Parse& p, size_t at_1based, std::string reason) {
  if (!p.error.empty()) return;  // the first fault wins
  p.error_at = at_1based;
  p.error = "character " + std::to_string(at_1based) + ": " + std::move(reason);
}

// Rules between elements, with the start of each element in the input (1-based).
void FinishElements(Gs1Parse& p, const std::vector<size_t>& starts) {
  if (!p.ok()) return;
  size_t index = 0;
  std::string why = CheckElements(p.ais, &index);
  if (!why.empty()) Fail(p, index < starts.size() ? starts[index] : 1, std::move(why));
}

// "unknown ... at character N": the AI as far as GS1's table of AI prefixes says it reaches.
std::string UnknownAi(std::string_view rest) {
  int len = rest.size() >= 2 && IsDigit(rest[0]) && IsDigit(rest[1]) ? AiLengthForPrefix(rest.substr(0, 2)) : 0;
  if (len == 0) return "GS1 has no application identifier starting with \"" + std::string(rest.substr(0, 2)) + "\"";
  std::string ai(rest.substr(0, static_cast<size_t>(len)));
  return "GS1 has no application identifier " + Paren(ai);
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

int AiLengthForPrefix(std::string_view two_digits) {
  if (two_digits.size() < 2 || !IsDigit(two_digits[0]) || !IsDigit(two_digits[1])) return 0;
  return Table().prefix_length[static_cast<size_t>((two_digits[0] - '0') * 10 + (two_digits[1] - '0'))];
}

const AiSpec* FindAiAtStart(std::string_view text) {
  const AiTable& t = Table();
  if (text.size() < 2 || !IsDigit(text[0]) || !IsDigit(text[1])) return nullptr;
  for (size_t k = 2; k <= 4 && k <= text.size(); ++k) {
    if (!IsDigit(text[k - 1])) return nullptr;
    if (const AiSpec* s = t.index[AiTable::Slot(text.substr(0, k))]) return s;
  }
  return nullptr;
}

const AiSpec* LookupAi(std::string_view ai) {
  if (ai.size() < 2 || ai.size() > 4) return nullptr;
  const AiSpec* s = FindAiAtStart(ai);
  return s && static_cast<size_t>(s->ai_length) == ai.size() ? s : nullptr;
}

std::string ValidateAiValue(const AiSpec& spec, std::string_view ai, std::string_view value, size_t* at) {
  auto fail = [&](std::string why, size_t where) {
    if (at) *at = where;
    return why;
  };
  const char* unit = spec.format == AiFormat::Numeric && spec.part_count == 1 ? " digits" : " characters";
  const int len = static_cast<int>(value.size());
  if (len == 0) return fail(Paren(ai) + " has no value", 0);
  if (spec.Fixed() && len != spec.min_length) {
    return fail(Paren(ai) + " has " + std::to_string(len) + unit + ", expected " + std::to_string(spec.min_length),
                static_cast<size_t>(std::min(len, spec.min_length)));
  }
  if (len < spec.min_length) {
    return fail(Paren(ai) + " has " + std::to_string(len) + unit + ", at least " + std::to_string(spec.min_length) + " needed",
                value.size());
  }
  if (len > spec.max_length) {
    return fail(Paren(ai) + " is " + std::to_string(len) + unit + " long, at most " + std::to_string(spec.max_length) + " allowed",
                static_cast<size_t>(spec.max_length));
  }
  // Components: all but the last are fixed length; the last takes what is left.
  size_t off = 0;
  for (int p = 0; p < spec.part_count; ++p) {
    const AiPart& part = spec.parts[p];
    size_t left = value.size() - off;
    if (part.optional && left == 0) break;
    size_t take = p + 1 == spec.part_count ? left : std::min<size_t>(part.max_length, left);
    if (take < part.min_length) {
      return fail(Paren(ai) + " component " + std::to_string(p + 1) + " has " + std::to_string(take) + " characters, expected " +
                      std::to_string(part.min_length),
                  off + take);
    }
    if (take > part.max_length) {
      return fail(Paren(ai) + " is " + std::to_string(len) + unit + " long, at most " + std::to_string(spec.max_length) + " allowed",
                  off + part.max_length);
    }
    std::string_view comp = value.substr(off, take);
    for (size_t i = 0; i < comp.size(); ++i) {
      if (InCset(part.format, comp[i])) continue;
      switch (part.format) {
        case AiFormat::Numeric:
          return fail(Paren(ai) + " must be digits only, found " + DescribeChar(comp[i]), off + i);
        case AiFormat::Cset39:
          return fail(Paren(ai) + " contains " + DescribeChar(comp[i]) + ", which GS1 character set 39 does not allow", off + i);
        case AiFormat::Cset64:
          return fail(Paren(ai) + " contains " + DescribeChar(comp[i]) + ", which GS1 character set 64 does not allow", off + i);
        case AiFormat::Alphanumeric:
          return fail(Paren(ai) + " contains " + DescribeChar(comp[i]) + ", which GS1 does not allow", off + i);
      }
    }
    for (AiCheck check : part.checks) {
      if (Fault f = ApplyCheck(check, spec, ai, comp, off)) return fail(std::move(f.reason), f.at);
    }
    off += take;
  }
  return {};
}

std::string CheckElements(const AiList& ais, size_t* index) {
  auto fail = [&](size_t k, std::string why) {
    if (index) *index = k;
    return why;
  };
  for (size_t k = 0; k < ais.size(); ++k) {
    const std::string& ai = ais[k].first;
    const AiSpec* spec = LookupAi(ai);
    for (size_t j = 0; j < k; ++j) {
      if (ais[j].first == ai && ais[j].second != ais[k].second) {
        return fail(k, Paren(ai) + " appears twice with different values (\"" + ais[j].second + "\" and \"" + ais[k].second + "\")");
      }
    }
    if (!spec) continue;
    // Invalid pairs: either side may name the other (GS1 lists them from both ends).
    for (size_t j = 0; j < k; ++j) {
      const std::string& other = ais[j].first;
      if (other == ai) continue;  // an AI does not exclude itself
      const AiSpec* os = LookupAi(other);
      if (InList(other, spec->excludes) || (os && InList(ai, os->excludes))) {
        return fail(k, (os ? Named(*os) : Paren(other)) + " and " + Named(*spec) + " cannot be in the same barcode");
      }
    }
    for (std::string_view group : spec->requires_any) {
      if (group.empty()) continue;
      bool found = false;
      for (const auto& [other, v] : ais) found = found || (other != ai && InList(other, group));
      if (!found) {
        bool one = group.find(',') == std::string_view::npos;
        return fail(k, Named(*spec) + " needs " + (one ? "" : "one of ") + DescribeList(group, "or") + " in the same barcode");
      }
    }
  }
  return {};
}

Gs1Parse ParseElementString(std::string_view data) {
  Gs1Parse p;
  std::vector<size_t> starts;
  size_t pos = 0;
  const size_t n = data.size();
  while (pos < n) {
    if (data[pos] == kGs) {
      ++pos;
      continue;
    }
    if (!IsDigit(data[pos])) {
      Fail(p, pos + 1, "expected an application identifier, found " + DescribeChar(data[pos]));
      return p;
    }
    const AiSpec* spec = FindAiAtStart(data.substr(pos));
    if (!spec) {
      Fail(p, pos + 1, UnknownAi(data.substr(pos)));
      return p;
    }
    const size_t start = pos;
    std::string ai(data.substr(pos, static_cast<size_t>(spec->ai_length)));
    pos += static_cast<size_t>(spec->ai_length);
    size_t gs = data.find(kGs, pos);
    size_t end = gs == std::string_view::npos ? n : gs;
    std::string_view value;
    size_t missing_gs = 0;  // 1-based position where a separator should have been
    const char* unit = spec->format == AiFormat::Numeric && spec->part_count == 1 ? " digits" : " characters";
    if (spec->Fixed()) {
      size_t len = static_cast<size_t>(spec->min_length);
      if (end - pos < len) {
        Fail(p, end + 1, Paren(ai) + " is cut short: " + std::to_string(end - pos) + " of " + std::to_string(len) + unit);
        return p;
      }
      value = data.substr(pos, len);
      pos += len;
      // Only the predefined-length AIs may run straight into the next AI; any other AI, even of
      // fixed length, is ended by FNC1 unless it is the last (General Specifications 5.10.1).
      if (!spec->predefined && pos < n && data[pos] != kGs) missing_gs = pos + 1;
    } else {
      value = data.substr(pos, end - pos);
      if (value.empty()) {
        Fail(p, pos + 1, Paren(ai) + " has no value");
        return p;
      }
      if (value.size() > static_cast<size_t>(spec->max_length)) {
        Fail(p, pos + static_cast<size_t>(spec->max_length) + 1,
             Paren(ai) + " is " + std::to_string(value.size()) + unit + " long, at most " + std::to_string(spec->max_length) +
                 " allowed (is a GS separator missing after it?)");
        return p;
      }
      pos = end;
    }
    size_t at = 0;
    std::string why = ValidateAiValue(*spec, ai, value, &at);
    if (!why.empty()) Fail(p, start + static_cast<size_t>(spec->ai_length) + at + 1, std::move(why));
    if (missing_gs != 0) {
      Fail(p, missing_gs, Paren(ai) + " is not of predefined length, so a GS separator must follow its " +
                              std::to_string(value.size()) + unit);
    }
    starts.push_back(start + 1);
    p.ais.emplace_back(std::move(ai), std::string(value));
  }
  if (p.ais.empty()) Fail(p, 1, "no GS1 data");
  FinishElements(p, starts);
  return p;
}

bool LooksHumanReadable(std::string_view text) {
  text = TrimSpaces(text);
  return ParenAiLength(text, 0) != 0;
}

Gs1Parse ParseHumanReadable(std::string_view input) {
  Gs1Parse p;
  std::vector<size_t> starts;
  size_t pos = 0;
  while (pos < input.size() && input[pos] == ' ') ++pos;
  size_t n = input.size();
  while (n > pos && input[n - 1] == ' ') --n;
  while (pos < n) {
    size_t paren = ParenAiLength(input, pos);
    if (paren == 0) {
      Fail(p, pos + 1, "expected an application identifier in parentheses, like (01)");
      return p;
    }
    const size_t start = pos;
    std::string ai(input.substr(pos + 1, paren - 2));
    pos += paren;
    const AiSpec* spec = LookupAi(ai);
    if (!spec) {
      Fail(p, start + 2, UnknownAi(ai));
      return p;
    }
    size_t end = pos;
    while (end < n && ParenAiLength(input, end) == 0) ++end;
    size_t vstart = pos, vend = end;
    while (vstart < vend && input[vstart] == ' ') ++vstart;
    while (vend > vstart && input[vend - 1] == ' ') --vend;
    std::string_view value = input.substr(vstart, vend - vstart);
    pos = end;
    size_t at = 0;
    std::string why = ValidateAiValue(*spec, ai, value, &at);
    if (!why.empty()) Fail(p, vstart + at + 1, std::move(why));
    starts.push_back(start + 1);
    p.ais.emplace_back(std::move(ai), std::string(value));
  }
  if (p.ais.empty()) Fail(p, 1, "no GS1 data");
  FinishElements(p, starts);
  return p;
}

bool LooksLikeUri(std::string_view text) {
  return StartsWithNoCase(text, "https://") || StartsWithNoCase(text, "http://");
}

Gs1Parse ParseDigitalLink(std::string_view uri) {
  Gs1Parse p;
  auto not_dl = [&](size_t at, std::string why) {
    Fail(p, at, "not a GS1 Digital Link: " + std::move(why));
    return p;
  };
  if (!LooksLikeUri(uri)) return not_dl(1, "it must start with https:// or http://");
  const size_t host_start = uri.find("//") + 2;
  size_t host_end = uri.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = uri.size();
  if (host_end == host_start) return not_dl(host_start + 1, "the address has no host");
  size_t frag = uri.find('#', host_end);
  const size_t end = frag == std::string_view::npos ? uri.size() : frag;
  size_t q = uri.find('?', host_end);
  if (q > end) q = std::string_view::npos;
  const size_t path_end = q == std::string_view::npos ? end : q;

  struct Segment {
    std::string_view text;
    size_t at;  // 0-based offset in `uri`
  };
  std::vector<Segment> segments;
  for (size_t i = host_end; i < path_end;) {
    if (uri[i] == '/') {
      ++i;
      continue;
    }
    size_t j = uri.find('/', i);
    if (j == std::string_view::npos || j > path_end) j = path_end;
    segments.push_back({uri.substr(i, j - i), i});
    i = j;
  }

  // The convenience names of earlier Digital Link releases, still accepted by resolvers.
  auto to_ai = [](std::string_view key) -> std::string {
    static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
        {"gtin", "01"}, {"sscc", "00"}, {"giai", "8004"}, {"ser", "21"}, {"lot", "10"}, {"cpv", "22"},
        {"exp", "17"},  {"gln", "414"}, {"grai", "8003"}, {"gsrn", "8018"}, {"gsrnp", "8017"}, {"gdti", "253"},
        {"gcn", "255"}, {"ginc", "401"}, {"gsin", "402"}, {"party", "417"}, {"cpid", "8010"}, {"gmn", "8013"},
        {"itip", "8006"}, {"glnx", "254"}, {"srin", "8019"}, {"bbd", "15"}, {"pkg", "13"}, {"prod", "11"}};
    for (auto [alias, ai] : kAliases) {
      if (key == alias) return std::string(ai);
    }
    return std::string(key);
  };
  // Percent-decoding; in the query, '+' also stands for a space (HTML form encoding), so a '+'
  // in a value there must be written %2B. `raw_at` maps each decoded character to the URI.
  auto decode = [&](std::string_view v, size_t v_at, bool query, std::string& out, std::vector<size_t>& raw_at) {
    out.clear();
    raw_at.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      raw_at.push_back(v_at + i);
      if (v[i] == '%') {
        int hi = i + 1 < v.size() ? HexValue(v[i + 1]) : -1;
        int lo = i + 2 < v.size() ? HexValue(v[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          Fail(p, v_at + i + 1, "'%' must be followed by two hex digits in a Digital Link");
          return false;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(query && v[i] == '+' ? ' ' : v[i]);
      }
    }
    return true;
  };
  std::vector<size_t> starts;
  auto add = [&](const std::string& ai, const AiSpec& spec, std::string_view raw, size_t raw_offset, size_t key_at,
                 bool query) -> bool {
    std::string value;
    std::vector<size_t> raw_at;
    if (!decode(raw, raw_offset, query, value, raw_at)) return false;
    if (value.empty()) {
      Fail(p, raw_offset + 1, Paren(ai) + " has no value");
      return false;
    }
    // Digital Link allows GTIN-8/12/13 in the URI; the element string always carries 14 digits.
    size_t pad = 0;
    if (ai == "01" && AllDigits(value) && (value.size() == 8 || value.size() == 12 || value.size() == 13)) {
      pad = 14 - value.size();
      value.insert(0, pad, '0');
    }
    for (const auto& [k, v] : p.ais) {
      if (k == ai) {
        Fail(p, key_at + 1, Paren(ai) + " appears more than once in the Digital Link");
        return false;
      }
    }
    size_t at = 0;
    std::string why = ValidateAiValue(spec, ai, value, &at);
    if (!why.empty()) {
      size_t where = at < pad ? raw_offset : (at - pad < raw_at.size() ? raw_at[at - pad] : raw_offset + raw.size());
      Fail(p, where + 1, std::move(why));
    }
    starts.push_back(key_at + 1);
    p.ais.emplace_back(ai, std::move(value));
    return true;
  };

  // The primary key: the first segment naming a primary-key AI that leaves an even number of
  // segments (AI/value pairs) to the end of the path; what comes before it is the path stem.
  size_t start = segments.size();
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const AiSpec* s = LookupAi(to_ai(segments[i].text));
    if (s && s->dl_primary && (segments.size() - i) % 2 == 0) {
      start = i;
      break;
    }
  }
  if (start == segments.size()) {
    // Say what is wrong when the path clearly tries: a key AI without its value.
    if (!segments.empty()) {
      const Segment& last = segments.back();
      const AiSpec* s = LookupAi(to_ai(last.text));
      if (s) {
        Fail(p, last.at + 1, "the Digital Link path ends with /" + std::string(last.text) + "/ without a value");
        return p;
      }
    }
    return not_dl(host_end + 1, "the path has no primary key such as /01/ followed by a GTIN");
  }
  const std::string primary = to_ai(segments[start].text);
  const AiSpec& primary_spec = *LookupAi(primary);
  if (!add(primary, primary_spec, segments[start + 1].text, segments[start + 1].at, segments[start].at, false)) return p;

  // Qualifiers: each alternative sequence of the key ("22,10,21|235") allows a subsequence in order.
  std::vector<std::vector<std::string_view>> sequences;
  for (size_t i = 0; i <= primary_spec.dl_qualifiers.size();) {
    size_t j = primary_spec.dl_qualifiers.find('|', i);
    if (j == std::string_view::npos) j = primary_spec.dl_qualifiers.size();
    std::string_view alt = primary_spec.dl_qualifiers.substr(i, j - i);
    std::vector<std::string_view> seq;
    for (size_t a = 0; a < alt.size();) {
      size_t b = alt.find(',', a);
      if (b == std::string_view::npos) b = alt.size();
      seq.push_back(alt.substr(a, b - a));
      a = b + 1;
    }
    if (!seq.empty()) sequences.push_back(std::move(seq));
    i = j + 1;
  }
  auto is_qualifier = [&](std::string_view ai) {
    for (const auto& seq : sequences) {
      for (std::string_view q : seq) {
        if (q == ai) return true;
      }
    }
    return false;
  };
  std::vector<bool> alive(sequences.size(), true);  // alternatives the path still follows
  std::vector<size_t> next(sequences.size(), 0);    // next allowed place in each alternative
  for (size_t i = start + 2; i < segments.size(); i += 2) {
    const Segment& key = segments[i];
    std::string ai = to_ai(key.text);
    const AiSpec* spec = LookupAi(ai);
    if (!spec) {
      if (AllDigits(ai)) {
        Fail(p, key.at + 1, UnknownAi(ai) + " (in the Digital Link path)");
      } else {
        Fail(p, key.at + 1, "the Digital Link path has \"" + std::string(key.text) + "\" where an application identifier belongs");
      }
      return p;
    }
    if (!is_qualifier(ai)) {
      Fail(p, key.at + 1,
           Named(*spec) + (spec->dl_primary ? " is a primary key of its own" : " is not a key qualifier of " + Named(primary_spec)) +
               ": it belongs in the query (?" + ai + "=...), not the path");
      return p;
    }
    bool placed = false;
    for (size_t s = 0; s < sequences.size(); ++s) {
      if (!alive[s]) continue;
      size_t k = next[s];
      while (k < sequences[s].size() && sequences[s][k] != ai) ++k;
      if (k < sequences[s].size()) {
        next[s] = k + 1;
        placed = true;
      } else {
        alive[s] = false;
      }
    }
    if (!placed) {
      Fail(p, key.at + 1,
           Paren(ai) + " is out of order in the Digital Link path: the qualifiers of " + Paren(primary) + " go in the order " +
               std::string(primary_spec.dl_qualifiers) + " ('|' between alternatives that exclude each other)");
      return p;
    }
    if (!add(ai, *spec, segments[i + 1].text, segments[i + 1].at, key.at, false)) return p;
  }

  // Query: data attributes as AI=value. Other keys (linkType, context, ...) are for the resolver.
  if (q != std::string_view::npos) {
    for (size_t i = q + 1; i < end;) {
      size_t j = uri.find('&', i);
      if (j == std::string_view::npos || j > end) j = end;
      std::string_view pair = uri.substr(i, j - i);
      const size_t pair_at = i;
      i = j + 1;
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      std::string ai = to_ai(pair.substr(0, eq));
      if (!AllDigits(ai)) continue;
      const AiSpec* spec = LookupAi(ai);
      if (!spec) {
        Fail(p, pair_at + 1, UnknownAi(ai) + " (in the Digital Link query)");
        return p;
      }
      if (spec->dl_primary) {
        Fail(p, pair_at + 1, Named(*spec) + " is a primary key: it belongs in the path, not the query");
        return p;
      }
      if (is_qualifier(ai)) {
        Fail(p, pair_at + 1, Named(*spec) + " qualifies " + Named(primary_spec) + ": it belongs in the path, not the query");
        return p;
      }
      if (eq == std::string_view::npos) {
        Fail(p, pair_at + 1, Paren(ai) + " has no value in the Digital Link query");
        return p;
      }
      if (!add(ai, *spec, pair.substr(eq + 1), pair_at + eq + 1, pair_at, true)) return p;
    }
  }
  FinishElements(p, starts);
  return p;
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
