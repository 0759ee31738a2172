// libFuzzer target: the HID report decoder, the HID POS assembler and the report descriptor
// reader get arbitrary bytes; in round-trip mode, an encoded printable string must decode back.
//   byte 0: layout (mod 6); byte 1: flags; then, in report mode, records of 1 time byte + 8 report
//   bytes; in round-trip mode (flag 0x08), the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "kiosk/core/scan/hid_decoder.hpp"
#include "kiosk/core/scan/hid_pos.hpp"

using namespace kiosk::scan;

namespace {
bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Layout layout = kAllLayouts[data[0] % 6];
  const uint8_t flags = data[1];
  std::span<const uint8_t> rest(data + 2, size - 2);

  if (flags & 0x08) {
    std::string text;
    for (uint8_t b : rest) text += static_cast<char>(0x20 + b % 95);
    if (text.empty()) return 0;
    EncoderOptions eo{.layout = layout,
                      .control = (flags & 0x40) ? ControlMode::AltNumpad : ControlMode::CtrlKey,
                      .rollover = (flags & 0x10) != 0,
                      .repeat = (flags & 0x20) != 0};
    auto reports = EncodeText(text, eo);
    if (!reports) std::abort();  // every printable ASCII character can be sent on every layout
    HidDecoder d({.layout = layout, .timeout_ms = 0});
    std::vector<DecodedScan> out;
    int64_t t = 0;
    for (const auto& r : *reports) d.Feed(r, t++, out);
    if (out.size() != 1 || out[0].text != text) std::abort();  // round trip broken
    return 0;
  }

  DecoderOptions o{.layout = layout,
                   .enter_terminates = !(flags & 0x01),
                   .tab_terminates = (flags & 0x02) != 0,
                   .suffix = (flags & 0x04) ? "#" : "",
                   .timeout_ms = (flags & 0x10) ? 50 : 0,
                   .max_length = 64};
  HidDecoder d(o);
  std::vector<DecodedScan> out;
  int64_t t = 0;
  for (size_t i = 0; i + 9 <= rest.size(); i += 9) {
    t += rest[i];
    d.Feed(rest.subspan(i + 1, 8), t, out);
    d.Tick(t, out);
  }
  d.Flush(out);
  for (const auto& s : out) {
    if (s.text.empty() || s.text.size() > o.max_length + 4 || !ValidUtf8(s.text)) std::abort();
  }
  HidPosAssembler pos;
  for (size_t i = 0; i + 64 <= rest.size(); i += 64) (void)pos.Feed(rest.subspan(i, 64));
  (void)pos.Feed(rest);
  (void)ClassifyReportDescriptor(rest);
  return 0;
}
