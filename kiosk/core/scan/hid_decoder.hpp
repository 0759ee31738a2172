#pragma once
// HID boot-keyboard report decoder: turns the 8-byte reports a scanner in keyboard mode sends
// into scanned texts, for the keyboard layout the scanner is set to. Handles Shift and AltGr, key
// rollover (several new keys in one report), repeated reports, dead keys, Alt+numpad codes,
// Ctrl+key control characters (Ctrl+] = GS, 0x1D), terminators (Enter, Tab, a suffix) and a
// time-out for a scan that never terminates. Pure code; one decoder per scanner, one thread at a
// time (the scanner's reader thread).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/scan/keyboard_layout.hpp"

namespace kiosk::scan {

struct HidReport {
  uint8_t modifiers = 0;
  std::array<uint8_t, 6> keys{};  // key usages, 0 = none
  bool operator==(const HidReport&) const = default;
};

// "0200040000000000" (16 hex digits, spaces allowed) -> report; nullopt when malformed.
std::optional<HidReport> ParseReportHex(std::string_view line);
std::string ToHex(const HidReport& r);

enum class Terminator { Enter, Tab, Suffix, Timeout, Flush, Overflow };
std::string_view ToString(Terminator t);  // "enter", "tab", "suffix", "timeout", "flush", "overflow"

struct DecodedScan {
  std::string text;             // UTF-8; control characters (GS) kept as bytes
  Terminator terminator = Terminator::Enter;
  int64_t first_key_ms = 0;     // time of the report that started the scan
  int64_t last_key_ms = 0;      // time of the report that gave the last character
};

struct DecoderOptions {
  Layout layout = Layout::Us;
  bool enter_terminates = true;  // Enter and keypad Enter end a scan (else they add '\r')
  bool tab_terminates = false;   // Tab ends a scan (else it adds '\t')
  std::string suffix;            // ends a scan when the text ends with it; removed from the text
  int64_t timeout_ms = 500;      // a scan with no key for this long is delivered as it is; 0 = never
  size_t max_length = 8192;      // bytes; a longer scan is cut and delivered (Overflow)
};

class HidDecoder {
 public:
  explicit HidDecoder(DecoderOptions options = {});

  // Feeds one report received at `time_ms` (monotonic). Reports shorter than 8 bytes are counted
  // and ignored; longer ones are read by their first 8 bytes. Completed scans go to `out`.
  void Feed(std::span<const uint8_t> report, int64_t time_ms, std::vector<DecodedScan>& out);
  void Feed(const HidReport& report, int64_t time_ms, std::vector<DecodedScan>& out);
  // Delivers a pending scan whose time-out has passed by `now_ms`.
  void Tick(int64_t now_ms, std::vector<DecodedScan>& out);
  // Delivers whatever is pending (the scanner was unplugged or the program stops).
  void Flush(std::vector<DecodedScan>& out);

  bool Pending() const { return !m_text.empty(); }
  // When Tick must be called next to honour the time-out; nullopt when nothing is pending.
  std::optional<int64_t> Deadline() const;
  const DecoderOptions& Options() const { return m_options; }
  uint64_t MalformedReports() const { return m_malformed; }

 private:
  void Press(uint8_t key, uint8_t modifiers, int64_t time_ms, std::vector<DecodedScan>& out);
  void Emit(char32_t c, int64_t time_ms, std::vector<DecodedScan>& out);
  void AppendUtf8(char32_t c);
  void Complete(Terminator t, std::vector<DecodedScan>& out);
  void FinishAltCode(int64_t time_ms, std::vector<DecodedScan>& out);

  DecoderOptions m_options;
  const LayoutTable* m_table;
  HidReport m_prev;
  std::string m_text;
  int64_t m_first_ms = 0;
  int64_t m_last_ms = 0;
  char32_t m_dead = 0;       // pending dead key
  int m_alt_digits = 0;      // Alt+numpad digits typed so far
  bool m_alt_leading_zero = false;
  uint32_t m_alt_value = 0;
  uint64_t m_malformed = 0;
};

// ---- Encoder: what a scanner set to `layout` sends for a text. For tests, fuzz seeds and the
// benchmark. Characters not on the layout are sent as Alt+numpad codes (as scanners do in
// "keypad emulation"); control characters as Ctrl+key or Alt+numpad.
enum class ControlMode { CtrlKey, AltNumpad };
struct EncoderOptions {
  Layout layout = Layout::Us;
  ControlMode control = ControlMode::CtrlKey;
  bool append_enter = true;
  bool rollover = false;   // press the next key before releasing the previous (fast scanners)
  bool repeat = false;     // send every report twice (scanners that repeat reports)
};
// Returns nullopt when a character cannot be sent at all (outside Latin-1 and not on the layout).
std::optional<std::vector<HidReport>> EncodeText(std::string_view utf8, const EncoderOptions& options);

}  // namespace kiosk::scan
