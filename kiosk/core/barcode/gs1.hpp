#pragma once
// GS1 application identifiers (AIs) and the three ways a GS1 code reaches the kiosk: the raw
// element string a scanner sends (FNC1 as GS, 0x1D), the human-readable form a person types
// ("(01)00614141000012(21)C45A0001234") and GS1 Digital Link URIs. Pure code; any thread.
//
// The AI table is the whole table of the GS1 General Specifications (section 3, as GS1's
// Barcode Syntax Dictionary writes it): every AI with its components, character set (N, CSET 82,
// CSET 39, CSET 64), check digits and content rules, the AIs each one requires and the AIs it
// may not stand beside, and the Digital Link primary keys with their ordered qualifiers. An AI
// that is not in the table does not exist and is refused.
//
// Every parse reports the first fault only, and where it is: `error_at` is the 1-based character
// of the input (element string, human-readable text or URI) at which the fault starts.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiosk::barcode {

inline constexpr char kGs = '\x1D';  // ASCII group separator: FNC1 as a separator

enum class AiFormat {
  Numeric,       // digits only
  Alphanumeric,  // GS1 AI encodable character set 82
  Cset39,        // GS1 AI encodable character set 39 (upper case, digits, # - /)
  Cset64,        // the file-safe base64 alphabet of GS1 (A-Z a-z 0-9 - _ and = padding)
};

// Content rules GS1 puts on one component of a value (the "linters" of the General Specifications).
enum class AiCheck : uint8_t {
  None,
  CheckDigit,       // GS1 mod-10 check digit in the last position
  CheckPair,        // GS1 alphanumeric check character pair (GMN) in the last two positions
  CompanyPrefix,    // the component starts with a GS1 Company Prefix: at least 4 digits
  DateDay0,         // YYMMDD, day 00 allowed (= last day of the month)
  Date,             // YYMMDD
  DateHour,         // YYMMDDHH
  HourMinute,       // HHMM
  MinuteSecond,     // MM or MMSS
  Country,          // ISO 3166-1 numeric
  CountryOr999,     // ISO 3166-1 numeric or 999 (unknown)
  CountryList,      // 1 to 5 ISO 3166-1 numeric codes
  CountryAlpha2,    // ISO 3166-1 alpha-2
  Currency,         // ISO 4217 numeric
  YesNo,            // 0 or 1
  Zero,             // the digit 0
  NonZero,          // not all zeros
  Winding,          // 0, 1 or 9
  PieceOfTotal,     // NNTT: piece NN of TT, 1 <= NN <= TT
  Hyphen,           // "-"
  Latitude,         // 0..1800000000 (tenths of a micro-degree, +90 degrees)
  Longitude,        // 0..3600000000
  PercentEncoded,   // % escapes are two hex digits
  MediaType,        // AIDC media type 01..10 or 80..99
  NoZeroPrefix,     // no leading 0 unless the value is "0"
  ImporterIndex,    // one of 0-9 A-Z a-z - _
  Iban,             // ISO 13616 IBAN with its mod-97 check
};

// One component of an AI's value: "N13", "X..17", "[N6]" (optional, always last).
struct AiPart {
  AiFormat format = AiFormat::Numeric;
  uint8_t min_length = 0;  // characters
  uint8_t max_length = 0;  // == min_length when fixed
  bool optional = false;
  std::array<AiCheck, 2> checks{};
};

// One entry of the AI table.
struct AiSpec {
  std::string_view key;     // "01", "240", "3103": exactly the AI
  int ai_length = 2;        // digits of the AI itself: 2, 3 or 4
  std::string_view title;   // GS1 data title: "GTIN", "SERIAL"
  AiFormat format = AiFormat::Numeric;  // of the first component
  int min_length = 0;       // characters of the whole value
  int max_length = 0;       // == min_length when the length is fixed
  bool check_digit = false; // a component ends with a GS1 mod-10 check digit (GTIN, SSCC, GLN)
  bool date = false;        // the value starts with a date (YYMMDD)
  bool predefined = false;  // fixed length by the predefined table: no separator needed after it
  std::array<AiPart, 5> parts{};
  int part_count = 0;
  std::array<std::string_view, 2> requires_any{};  // each: "01,02,8006" (one of them must be present)
  std::string_view excludes;                       // "02,255,37" or patterns "310n": may not appear beside it
  bool dl_primary = false;                         // a GS1 Digital Link primary key
  std::string_view dl_qualifiers;                  // "22,10,21|235": ordered, optional; '|' separates alternatives

  bool Fixed() const { return min_length == max_length; }
};

// The AI at the start of `text` ("0100614141..." -> spec of (01)), or null when no known AI starts
// there. GS1 AIs are prefix-free, so at most one can match.
const AiSpec* FindAiAtStart(std::string_view text);
// The spec of exactly this AI ("01", "3103"), or null.
const AiSpec* LookupAi(std::string_view ai);
// How many digits the AI starting with these two digits has (GS1's table of AI prefixes), or 0
// when GS1 has assigned no AI beginning with them ("23" -> 3, "26" -> 0).
int AiLengthForPrefix(std::string_view two_digits);

using AiList = std::vector<std::pair<std::string, std::string>>;

struct Gs1Parse {
  AiList ais;          // every element whose value could be delimited, in order
  std::string error;   // empty when valid; otherwise the first fault, exact and human-readable
  size_t error_at = 0; // 1-based character of the input where that fault starts; 0 when valid
  bool ok() const { return error.empty(); }
};

// Raw element string: AIs and values, variable-length values ended by GS (0x1D). A leading GS
// (FNC1 in first position) and a GS after a predefined-length value are tolerated.
Gs1Parse ParseElementString(std::string_view data);
// "(01)00614141000012(21)C45A0001234"; spaces around the parentheses are ignored.
Gs1Parse ParseHumanReadable(std::string_view text);
// True when `text` looks like the human-readable form: "(" + 2-4 digits + ")".
bool LooksHumanReadable(std::string_view text);
// A GS1 Digital Link URI as the GS1 Digital Link standard writes it: http(s), any host and path
// stem, then the primary key and its qualifiers in the path in their order, data attributes in the
// query. Short GTINs (8/12/13 digits) are padded to 14. Error when it is not a Digital Link.
Gs1Parse ParseDigitalLink(std::string_view uri);
bool LooksLikeUri(std::string_view text);  // "http://" or "https://", any case

// "" when `value` is a valid value of `ai`; otherwise the reason, e.g.
// "(01) GTIN check digit is 3, expected 2". `*at` (when given) receives the 0-based offset in
// `value` where the fault starts.
std::string ValidateAiValue(const AiSpec& spec, std::string_view ai, std::string_view value, size_t* at = nullptr);
// Rules between elements: an AI twice with different values, an AI without the AIs it requires,
// two AIs that may not stand together. `*index` (when given) receives the element at fault.
std::string CheckElements(const AiList& ais, size_t* index = nullptr);

std::string ToHumanReadable(const AiList& ais);  // "(01)...(21)..."
std::string ToElementString(const AiList& ais);  // with GS after every variable-length value but the last

// "'A'" for a printable character, "byte 0x07" otherwise: used in reasons.
std::string DescribeChar(char c);

}  // namespace kiosk::barcode
