#pragma once
// HID POS barcode scanners (usage page 0x8C) and HID report descriptors: which interfaces of a
// USB device are scanners, and how a HID POS "scanned data" report becomes text. Pure code.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace kiosk::scan {

enum class HidInterfaceKind { Keyboard, BarcodePos, Other };

// Reads the Usage Page / Usage items of a report descriptor: usage page 0x8C (Bar Code Scanner)
// makes it a HID POS scanner; Generic Desktop / Keyboard (0x01/0x06) a keyboard.
HidInterfaceKind ClassifyReportDescriptor(std::span<const uint8_t> descriptor);

// Assembles HID POS scanned-data reports (Honeywell/Zebra layout: [0] report id 0x02, [1] data
// length, [2..4] symbology bytes (vendor code id, AIM letter, AIM modifier), [5..] data, last byte
// bit 0 set when more reports of the same barcode follow).
class HidPosAssembler {
 public:
  struct Result {
    std::string text;
    std::string symbology;  // "]d2" when the scanner sent an AIM id, else ""
  };
  // Returns a complete barcode once its last report arrived.
  std::optional<Result> Feed(std::span<const uint8_t> report);
  uint64_t Malformed() const { return m_malformed; }

 private:
  std::string m_text;
  std::string m_symbology;
  uint64_t m_malformed = 0;
};

}  // namespace kiosk::scan
