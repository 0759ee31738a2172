#pragma once
// Keyboard layouts a barcode scanner in keyboard mode can be set to: which character each HID key
// usage gives with Shift and AltGr. Tables follow the Windows layouts the scanner vendors name
// (US, German, French AZERTY, Finnish/Swedish, Polish programmers, Russian). Pure data; any thread.
#include <cstdint>
#include <optional>
#include <string_view>

namespace kiosk::scan {

enum class Layout { Us, De, Fr, FiSe, Pl, Ru };
inline constexpr Layout kAllLayouts[] = {Layout::Us, Layout::De, Layout::Fr, Layout::FiSe, Layout::Pl, Layout::Ru};

std::string_view ToString(Layout layout);           // "us", "de", "fr", "fi-se", "pl", "ru"
std::optional<Layout> ParseLayout(std::string_view name);  // also "fi", "se", "sv", any case

// HID keyboard page usages the decoder treats specially.
namespace usage {
inline constexpr uint8_t kErrorRollOver = 0x01;
inline constexpr uint8_t kA = 0x04;
inline constexpr uint8_t kEnter = 0x28;
inline constexpr uint8_t kEscape = 0x29;
inline constexpr uint8_t kBackspace = 0x2A;
inline constexpr uint8_t kTab = 0x2B;
inline constexpr uint8_t kSpace = 0x2C;
inline constexpr uint8_t kMinus = 0x2D;
inline constexpr uint8_t kLeftBracket = 0x2F;
inline constexpr uint8_t kRightBracket = 0x30;  // Ctrl + this key sends GS (0x1D)
inline constexpr uint8_t kBackslash = 0x31;
inline constexpr uint8_t kNonUsHash = 0x32;     // Linux and Windows treat it as 0x31
inline constexpr uint8_t k2 = 0x1F;
inline constexpr uint8_t k6 = 0x23;
inline constexpr uint8_t kKpEnter = 0x58;
inline constexpr uint8_t kKp1 = 0x59;
inline constexpr uint8_t kKp0 = 0x62;
inline constexpr uint8_t kKpDecimal = 0x63;
inline constexpr uint8_t kNonUsBackslash = 0x64;
inline constexpr uint8_t kMax = 0x65;  // table size
}  // namespace usage

// Modifier byte of a boot keyboard report.
namespace mod {
inline constexpr uint8_t kLCtrl = 0x01, kLShift = 0x02, kLAlt = 0x04, kLGui = 0x08;
inline constexpr uint8_t kRCtrl = 0x10, kRShift = 0x20, kRAlt = 0x40, kRGui = 0x80;
}  // namespace mod

// What one key gives at each level. 0 = nothing.
struct KeyDef {
  char32_t plain = 0, shift = 0, altgr = 0, shift_altgr = 0;
  uint8_t dead = 0;  // bit per level (1 plain, 2 shift, 4 altgr, 8 shift+altgr): a dead key
};

enum class Level { Plain = 0, Shift = 1, AltGr = 2, ShiftAltGr = 3 };

struct LayoutTable {
  KeyDef keys[usage::kMax];
  bool has_altgr = false;  // false: right Alt is plain Alt (US)
  char32_t At(uint8_t u, Level level) const;
  bool Dead(uint8_t u, Level level) const;
};

const LayoutTable& TableFor(Layout layout);

// The character a dead key and the next character compose to on `layout`, or 0 when they don't.
char32_t ComposeDead(Layout layout, char32_t dead, char32_t base);

}  // namespace kiosk::scan

namespace kiosk::scan {
// Linux input key code (KEY_*, linux/input-event-codes.h) to HID keyboard usage; 0 when the key
// is not one a scanner sends. Modifier keys give their bit in the report's modifier byte instead.
uint8_t LinuxKeyToHidUsage(uint16_t code);
uint8_t LinuxKeyToModifierBit(uint16_t code);
}  // namespace kiosk::scan
