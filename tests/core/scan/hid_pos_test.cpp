#include <doctest/doctest.h>

#include <vector>

#include "kiosk/core/scan/hid_pos.hpp"

using namespace kiosk::scan;

TEST_CASE("report descriptors: keyboard, HID POS scanner, other") {
  // Boot keyboard: Usage Page (Generic Desktop), Usage (Keyboard), Collection...
  std::vector<uint8_t> kbd = {0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0xC0};
  CHECK(ClassifyReportDescriptor(kbd) == HidInterfaceKind::Keyboard);
  // HID POS: Usage Page (Bar Code Scanner 0x8C) as a 2-byte item.
  std::vector<uint8_t> pos = {0x06, 0x8C, 0x00, 0x09, 0x02, 0xA1, 0x01, 0xC0};
  CHECK(ClassifyReportDescriptor(pos) == HidInterfaceKind::BarcodePos);
  // Extended usage (page in the high word).
  std::vector<uint8_t> ext = {0x0B, 0x02, 0x00, 0x8C, 0x00, 0xA1, 0x01, 0xC0};
  CHECK(ClassifyReportDescriptor(ext) == HidInterfaceKind::BarcodePos);
  std::vector<uint8_t> mouse = {0x05, 0x01, 0x09, 0x02, 0xA1, 0x01, 0xC0};
  CHECK(ClassifyReportDescriptor(mouse) == HidInterfaceKind::Other);
  std::vector<uint8_t> truncated = {0x06, 0x8C};
  CHECK(ClassifyReportDescriptor(truncated) == HidInterfaceKind::Other);
}

TEST_CASE("HID POS scanned-data reports, one and several per barcode") {
  HidPosAssembler a;
  std::vector<uint8_t> r(64, 0);
  r[0] = 0x02;
  std::string data = "0100614141000012\x1D" "21C45A0001234";
  r[1] = static_cast<uint8_t>(data.size());
  r[2] = 'w';
  r[3] = 'd';
  r[4] = '2';
  std::copy(data.begin(), data.end(), r.begin() + 5);
  auto got = a.Feed(r);
  REQUIRE(got);
  CHECK(got->text == data);
  CHECK(got->symbology == "]d2");

  std::string longer(80, 'A');
  std::vector<uint8_t> p1(64, 0), p2(64, 0);
  p1[0] = p2[0] = 0x02;
  p1[1] = 56;
  p2[1] = 24;
  std::copy(longer.begin(), longer.begin() + 56, p1.begin() + 5);
  std::copy(longer.begin() + 56, longer.end(), p2.begin() + 5);
  p1[63] = 1;  // more follows
  CHECK_FALSE(a.Feed(p1));
  got = a.Feed(p2);
  REQUIRE(got);
  CHECK(got->text == longer);
  CHECK(got->symbology.empty());

  std::vector<uint8_t> bad = {0x01, 2, 3};
  CHECK_FALSE(a.Feed(bad));
  CHECK(a.Malformed() == 1);
}
