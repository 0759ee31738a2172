#pragma once
// GS1 application identifiers (AIs) and the three ways a GS1 code reaches the kiosk: the raw
// element string a scanner sends (FNC1 as GS, 0x1D), the human-readable form a person types
// ("(01)00614141000012(21)C45A0001234") and GS1 Digital Link URIs. Pure code; any thread.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiosk::barcode {

inline constexpr char kGs = '\x1D';  // ASCII group separator: FNC1 as a separator

enum class AiFormat {
  Numeric,       // digits only
  Alphanumeric,  // GS1 AI encodable character set 82
};

// One entry of the AI table (GS1 General Specifications, section 3).
struct AiSpec {
  std::string_view key;     // "01", "240", "8004"; the family "310" stands for 3100..3109
  int ai_length = 2;        // digits of the AI itself: 2, 3 or 4 (4 for "310" + decimal digit)
  std::string_view title;   // GS1 data title: "GTIN", "SERIAL"
  AiFormat format = AiFormat::Numeric;
  int min_length = 0;       // characters of the value
  int max_length = 0;       // == min_length when the length is fixed
  bool check_digit = false; // last digit is a GS1 mod-10 check digit (GTIN, SSCC, GLN)
  bool date = false;        // YYMMDD
  bool predefined = false;  // fixed length by the predefined table: no separator needed after it

  bool Fixed() const { return min_length == max_length; }
};

// The AI at the start of `text` ("0100614141..." -> spec of (01)), or null when no known AI starts
// there. GS1 AIs are prefix-free, so at most one can match.
const AiSpec* FindAiAtStart(std::string_view text);
// The spec of exactly this AI ("01", "3103"), or null.
const AiSpec* LookupAi(std::string_view ai);

using AiList = std::vector<std::pair<std::string, std::string>>;

struct Gs1Parse {
  AiList ais;          // every element whose value could be delimited, in order
  std::string error;   // empty when valid; otherwise exact and human-readable
  bool ok() const { return error.empty(); }
};

// Raw element string: AIs and values, variable-length values ended by GS (0x1D). Leading and
// doubled separators are tolerated (FNC1 in first position is sent as GS by some scanners).
Gs1Parse ParseElementString(std::string_view data);
// "(01)00614141000012(21)C45A0001234"; spaces around the parentheses are ignored.
Gs1Parse ParseHumanReadable(std::string_view text);
// True when `text` looks like the human-readable form: "(" + 2-4 digits + ")".
bool LooksHumanReadable(std::string_view text);
// "https://id.gs1.org/01/09506000134352/21/ABC?17=261231", any host, any path before the primary
// key; short GTINs (8/12/13 digits) are padded to 14. Error when it is not a Digital Link.
Gs1Parse ParseDigitalLink(std::string_view uri);
bool LooksLikeUri(std::string_view text);  // "http://" or "https://", any case

// "" when `value` is a valid value of `ai`; otherwise the reason, e.g.
// "(01) GTIN check digit is 3, expected 2".
std::string ValidateAiValue(const AiSpec& spec, std::string_view ai, std::string_view value);
// Rules between elements: an AI twice with different values; a serial (21) without a GTIN (01).
std::string CheckElements(const AiList& ais);

std::string ToHumanReadable(const AiList& ais);  // "(01)...(21)..."
std::string ToElementString(const AiList& ais);  // with GS after every variable-length value but the last

// "'A'" for a printable character, "byte 0x07" otherwise: used in reasons.
std::string DescribeChar(char c);

}  // namespace kiosk::barcode
