// libFuzzer target: the barcode classifier (GS1 element strings, human-readable form, Digital
// Link, EAN/UPC, rules) and, for inputs that look like JSON, the barcode rules parser. A rules
// input may carry a code after a NUL byte ("{rules}\0CODE"): the fuzzed rules' patterns then also
// meet a fuzzed code, up to the longest a rule reads, so the matcher sees long texts as well.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiosk/core/barcode/classify.hpp"
#include "kiosk/core/barcode/gs1.hpp"

using namespace kiosk::barcode;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Classifier classifier = Classifier::Default();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Classified c = classifier.Classify(text);
  // Invariants: a verdict always comes with its reason, never both or neither.
  if (c.valid != c.reason.empty()) std::abort();
  if (c.valid && c.kind == Kind::Unknown) std::abort();
  if (c.valid && c.kind == Kind::Gs1) {
    // A valid element string survives a round trip through both textual forms.
    Gs1Parse again = ParseElementString(ToElementString(c.ais));
    if (!again.ok() || again.ais != c.ais) std::abort();
    // The human-readable form is ambiguous when a value holds "(dd)"; skip those.
    bool paren = false;
    for (const auto& [ai, v] : c.ais) paren = paren || v.find('(') != std::string::npos;
    if (!paren) {
      Gs1Parse hr = ParseHumanReadable(ToHumanReadable(c.ais));
      if (!hr.ok() || hr.ais != c.ais) std::abort();
    }
  }
  (void)ToJson(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!text.empty() && text.front() == '{') {
    const size_t nul = text.find('\0');
    auto rules = Classifier::FromJsonText(text.substr(0, nul), "fuzz");
    if (rules.ok()) {
      (void)rules->Classify("BDG-10017");
      if (nul != std::string_view::npos) {
        Classified r = rules->Classify(text.substr(nul + 1));
        if (r.valid != r.reason.empty()) std::abort();
      }
    }
  }
  return 0;
}
