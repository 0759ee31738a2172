#include "kiosk/core/scan/keyboard_layout.hpp"

#include <iterator>
#include <string>

namespace kiosk::scan {
namespace {

// Sets one key: up to four levels as a UTF-32 string ("aA" = plain a, shift A); '\0' skips.
// (A loop over the levels, not one test per level: GCC 12 for armhf warned of reading past a
// short literal in the tests it had already guarded by size.)
void Key(LayoutTable& t, uint8_t u, std::u32string_view levels, uint8_t dead = 0) {
  static constexpr char32_t KeyDef::*kLevels[] = {&KeyDef::plain, &KeyDef::shift, &KeyDef::altgr,
                                                  &KeyDef::shift_altgr};
  KeyDef& k = t.keys[u];
  for (size_t i = 0; i < levels.size() && i < std::size(kLevels); ++i)
    if (levels[i]) k.*kLevels[i] = levels[i];
  k.dead = dead;
}
void AltGr(LayoutTable& t, uint8_t u, char32_t c, char32_t shifted = 0, uint8_t dead = 0) {
  t.keys[u].altgr = c;
  if (shifted) t.keys[u].shift_altgr = shifted;
  t.keys[u].dead |= dead;
}
uint8_t Letter(char c) { return static_cast<uint8_t>(usage::kA + (c - 'a')); }

void Keypad(LayoutTable& t, char32_t decimal) {
  Key(t, 0x54, U"//");
  Key(t, 0x55, U"**");
  Key(t, 0x56, U"--");
  Key(t, 0x57, U"++");
  for (int i = 0; i < 9; ++i) t.keys[usage::kKp1 + i].plain = U'1' + i;
  t.keys[usage::kKp0].plain = U'0';
  t.keys[usage::kKpDecimal].plain = decimal;
}

LayoutTable Us() {
  LayoutTable t;
  for (char c = 'a'; c <= 'z'; ++c) Key(t, Letter(c), std::u32string{static_cast<char32_t>(c), static_cast<char32_t>(c - 32)});
  const std::u32string_view shifted = U"!@#$%^&*()";
  for (int i = 0; i < 10; ++i) {
    char32_t digit = i == 9 ? U'0' : U'1' + i;
    Key(t, static_cast<uint8_t>(0x1E + i), std::u32string{digit, shifted[i]});
  }
  Key(t, usage::kSpace, U"  ");
  Key(t, 0x2D, U"-_");
  Key(t, 0x2E, U"=+");
  Key(t, 0x2F, U"[{");
  Key(t, 0x30, U"]}");
  Key(t, 0x31, U"\\|");
  Key(t, 0x32, U"\\|");
  Key(t, 0x33, U";:");
  Key(t, 0x34, U"'\"");
  Key(t, 0x35, U"`~");
  Key(t, 0x36, U",<");
  Key(t, 0x37, U".>");
  Key(t, 0x38, U"/?");
  Keypad(t, U'.');
  return t;
}

constexpr uint8_t kDeadPlain = 1, kDeadShift = 2, kDeadAltGr = 4;

LayoutTable De() {
  LayoutTable t = Us();
  t.has_altgr = true;
  Key(t, Letter('y'), U"zZ");
  Key(t, Letter('z'), U"yY");
  const std::u32string_view shifted = U"!\"§$%&/()=";
  for (int i = 0; i < 10; ++i) t.keys[0x1E + i].shift = shifted[i];
  AltGr(t, 0x1F, U'²');
  AltGr(t, 0x20, U'³');
  AltGr(t, 0x24, U'{');
  AltGr(t, 0x25, U'[');
  AltGr(t, 0x26, U']');
  AltGr(t, 0x27, U'}');
  Key(t, 0x2D, U"ß?\\");
  Key(t, 0x2E, U"´`", kDeadPlain | kDeadShift);
  Key(t, 0x2F, U"üÜ");
  Key(t, 0x30, U"+*~");
  Key(t, 0x31, U"#'");
  Key(t, 0x32, U"#'");
  Key(t, 0x33, U"öÖ");
  Key(t, 0x34, U"äÄ");
  Key(t, 0x35, U"^°", kDeadPlain);
  Key(t, 0x36, U",;");
  Key(t, 0x37, U".:");
  Key(t, 0x38, U"-_");
  Key(t, usage::kNonUsBackslash, U"<>|");
  AltGr(t, Letter('q'), U'@');
  AltGr(t, Letter('e'), U'€');
  AltGr(t, Letter('m'), U'µ');
  Keypad(t, U',');
  return t;
}

LayoutTable Fr() {
  LayoutTable t = Us();
  t.has_altgr = true;
  Key(t, Letter('a'), U"qQ");
  Key(t, Letter('q'), U"aA");
  Key(t, Letter('w'), U"zZ");
  Key(t, Letter('z'), U"wW");
  Key(t, Letter('m'), U",?");
  const std::u32string_view plain = U"&é\"'(-è_çà";
  for (int i = 0; i < 10; ++i) {
    t.keys[0x1E + i].plain = plain[i];
    t.keys[0x1E + i].shift = i == 9 ? U'0' : U'1' + i;
  }
  AltGr(t, 0x1F, U'~', 0, kDeadAltGr);
  AltGr(t, 0x20, U'#');
  AltGr(t, 0x21, U'{');
  AltGr(t, 0x22, U'[');
  AltGr(t, 0x23, U'|');
  AltGr(t, 0x24, U'`', 0, kDeadAltGr);
  AltGr(t, 0x25, U'\\');
  AltGr(t, 0x26, U'^');
  AltGr(t, 0x27, U'@');
  Key(t, 0x2D, U")°]");
  Key(t, 0x2E, U"=+}");
  Key(t, 0x2F, U"^¨", kDeadPlain | kDeadShift);
  Key(t, 0x30, U"$£¤");
  Key(t, 0x31, U"*µ");
  Key(t, 0x32, U"*µ");
  Key(t, 0x33, U"mM");
  Key(t, 0x34, U"ù%");
  Key(t, 0x35, U"²");
  t.keys[0x35].shift = 0;
  Key(t, 0x36, U";.");
  Key(t, 0x37, U":/");
  Key(t, 0x38, U"!§");
  Key(t, usage::kNonUsBackslash, U"<>");
  AltGr(t, Letter('e'), U'€');
  Keypad(t, U'.');
  return t;
}

LayoutTable FiSe() {
  LayoutTable t = Us();
  t.has_altgr = true;
  const std::u32string_view shifted = U"!\"#¤%&/()=";
  for (int i = 0; i < 10; ++i) t.keys[0x1E + i].shift = shifted[i];
  AltGr(t, 0x1F, U'@');
  AltGr(t, 0x20, U'£');
  AltGr(t, 0x21, U'$');
  AltGr(t, 0x22, U'€');
  AltGr(t, 0x24, U'{');
  AltGr(t, 0x25, U'[');
  AltGr(t, 0x26, U']');
  AltGr(t, 0x27, U'}');
  Key(t, 0x2D, U"+?\\");
  Key(t, 0x2E, U"´`", kDeadPlain | kDeadShift);
  Key(t, 0x2F, U"åÅ");
  Key(t, 0x30, U"¨^~", kDeadPlain | kDeadShift | kDeadAltGr);
  Key(t, 0x31, U"'*");
  Key(t, 0x32, U"'*");
  Key(t, 0x33, U"öÖ");
  Key(t, 0x34, U"äÄ");
  Key(t, 0x35, U"§½");
  Key(t, 0x36, U",;");
  Key(t, 0x37, U".:");
  Key(t, 0x38, U"-_");
  Key(t, usage::kNonUsBackslash, U"<>|");
  AltGr(t, Letter('e'), U'€');
  AltGr(t, Letter('m'), U'µ');
  Keypad(t, U',');
  return t;
}

LayoutTable Pl() {
  LayoutTable t = Us();
  t.has_altgr = true;
  const std::u32string_view base = U"acelnosxz";
  const std::u32string_view lower = U"ąćęłńóśźż";
  const std::u32string_view upper = U"ĄĆĘŁŃÓŚŹŻ";
  for (size_t i = 0; i < base.size(); ++i) AltGr(t, Letter(static_cast<char>(base[i])), lower[i], upper[i]);
  AltGr(t, Letter('u'), U'€');
  t.keys[0x35].dead = kDeadShift;  // "~" is a dead key in Polish (programmers)
  Keypad(t, U',');
  return t;
}

LayoutTable Ru() {
  LayoutTable t = Us();
  const std::u32string_view keys = U"qwertyuiop[]asdfghjkl;'zxcvbnm,./`";
  const std::u32string_view lower = U"йцукенгшщзхъфывапролджэячсмитьбю.ё";
  const std::u32string_view upper = U"ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,Ё";
  auto usage_of = [](char32_t c) -> uint8_t {
    if (c >= U'a' && c <= U'z') return Letter(static_cast<char>(c));
    switch (c) {
      case U'[': return 0x2F;
      case U']': return 0x30;
      case U';': return 0x33;
      case U'\'': return 0x34;
      case U',': return 0x36;
      case U'.': return 0x37;
      case U'/': return 0x38;
      case U'`': return 0x35;
    }
    return 0;
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    KeyDef& k = t.keys[usage_of(keys[i])];
    k.plain = lower[i];
    k.shift = upper[i];
  }
  const std::u32string_view shifted = U"!\"№;%:?*()";
  for (int i = 0; i < 10; ++i) t.keys[0x1E + i].shift = shifted[i];
  Key(t, 0x31, U"\\/");
  Key(t, 0x32, U"\\/");
  Key(t, usage::kNonUsBackslash, U"\\/");
  Keypad(t, U',');
  return t;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

char32_t LayoutTable::At(uint8_t u, Level level) const {
  if (u >= usage::kMax) return 0;
  const KeyDef& k = keys[u];
  switch (level) {
    case Level::Plain: return k.plain;
    case Level::Shift: return k.shift;
    case Level::AltGr: return k.altgr;
    case Level::ShiftAltGr: return k.shift_altgr;
  }
  return 0;
}

bool LayoutTable::Dead(uint8_t u, Level level) const {
  if (u >= usage::kMax) return false;
  return (keys[u].dead >> static_cast<int>(level)) & 1;
}

const LayoutTable& TableFor(Layout layout) {
  static const LayoutTable kUs = Us(), kDe = De(), kFr = Fr(), kFiSe = FiSe(), kPl = Pl(), kRu = Ru();
  switch (layout) {
    case Layout::Us: return kUs;
    case Layout::De: return kDe;
    case Layout::Fr: return kFr;
    case Layout::FiSe: return kFiSe;
    case Layout::Pl: return kPl;
    case Layout::Ru: return kRu;
  }
  return kUs;
}

std::string_view ToString(Layout layout) {
  switch (layout) {
    case Layout::Us: return "us";
    case Layout::De: return "de";
    case Layout::Fr: return "fr";
    case Layout::FiSe: return "fi-se";
    case Layout::Pl: return "pl";
    case Layout::Ru: return "ru";
  }
  return "us";
}

std::optional<Layout> ParseLayout(std::string_view name) {
  std::string n;
  for (char c : name) n += Lower(c);
  if (n == "us" || n == "en-us") return Layout::Us;
  if (n == "de") return Layout::De;
  if (n == "fr") return Layout::Fr;
  if (n == "fi-se" || n == "fi" || n == "se" || n == "sv" || n == "fi_se") return Layout::FiSe;
  if (n == "pl") return Layout::Pl;
  if (n == "ru") return Layout::Ru;
  return std::nullopt;
}

char32_t ComposeDead(Layout layout, char32_t dead, char32_t base) {
  if (layout == Layout::Pl && dead == U'~') {
    static constexpr std::u32string_view kFrom = U"acelnoszxACELNOSZX", kTo = U"ąćęłńóśżźĄĆĘŁŃÓŚŻŹ";
    size_t i = kFrom.find(base);
    return i == std::u32string_view::npos ? 0 : kTo[i];
  }
  struct Row {
    char32_t dead;
    std::u32string_view from, to;
  };
  static const Row kRows[] = {
      {U'^', U"aeiouAEIOU", U"âêîôûÂÊÎÔÛ"},
      {U'¨', U"aeiouyAEIOU", U"äëïöüÿÄËÏÖÜ"},
      {U'´', U"aeiouyAEIOUY", U"áéíóúýÁÉÍÓÚÝ"},
      {U'`', U"aeiouAEIOU", U"àèìòùÀÈÌÒÙ"},
      {U'~', U"anoANO", U"ãñõÃÑÕ"},
  };
  for (const Row& r : kRows) {
    if (r.dead != dead) continue;
    size_t i = r.from.find(base);
    if (i != std::u32string_view::npos) return r.to[i];
  }
  return 0;
}

}  // namespace kiosk::scan

namespace kiosk::scan {

uint8_t LinuxKeyToHidUsage(uint16_t code) {
  // Index: Linux key code 0..127; the inverse of the kernel's hid-input keyboard table.
  static constexpr uint8_t kMap[128] = {
      0,    0x29, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2D, 0x2E, 0x2A, 0x2B,  // 0-15
      0x14, 0x1A, 0x08, 0x15, 0x17, 0x1C, 0x18, 0x0C, 0x12, 0x13, 0x2F, 0x30, 0x28, 0,    0x04, 0x16,  // 16-31
      0x07, 0x09, 0x0A, 0x0B, 0x0D, 0x0E, 0x0F, 0x33, 0x34, 0x35, 0,    0x31, 0x1D, 0x1B, 0x06, 0x19,  // 32-47
      0x05, 0x11, 0x10, 0x36, 0x37, 0x38, 0,    0x55, 0,    0x2C, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E,  // 48-63
      0x3F, 0x40, 0x41, 0x42, 0x43, 0x53, 0x47, 0x5F, 0x60, 0x61, 0x56, 0x5C, 0x5D, 0x5E, 0x57, 0x59,  // 64-79
      0x5A, 0x5B, 0x62, 0x63, 0,    0,    0x64, 0x44, 0x45, 0,    0,    0,    0,    0,    0,    0,     // 80-95
      0x58, 0,    0x54, 0x46, 0,    0,    0x4A, 0x52, 0x4B, 0x50, 0x4F, 0x4D, 0x51, 0x4E, 0x49, 0x4C,  // 96-111
      0,    0,    0,    0,    0,    0,    0,    0x48, 0,    0,    0,    0,    0,    0,    0,    0};    // 112-127
  return code < 128 ? kMap[code] : 0;
}

uint8_t LinuxKeyToModifierBit(uint16_t code) {
  switch (code) {
    case 29: return mod::kLCtrl;
    case 42: return mod::kLShift;
    case 56: return mod::kLAlt;
    case 125: return mod::kLGui;
    case 97: return mod::kRCtrl;
    case 54: return mod::kRShift;
    case 100: return mod::kRAlt;
    case 126: return mod::kRGui;
    default: return 0;
  }
}

}  // namespace kiosk::scan
