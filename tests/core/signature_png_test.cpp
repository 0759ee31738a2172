// A checkout's signature shown as evidence, the same way at the kiosk and at the central
// (kiosk/core/signature.hpp): the record read from a checkout event, what is said when there is no
// drawing, the format chosen, and the PNG decoded back here with zlib, chunk by chunk.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <map>
#include <string>

#include "kiosk/core/events.hpp"
#include "kiosk/core/signature.hpp"

using namespace kiosk;

namespace {

uint32_t U32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 | uint32_t(uint8_t(s[at + 2])) << 8 |
         uint32_t(uint8_t(s[at + 3]));
}

// The chunks of a PNG file by type (IDAT concatenated), each CRC checked; fails the test on a bad one.
std::multimap<std::string, std::string> Chunks(const std::string& png) {
  std::multimap<std::string, std::string> chunks;
  REQUIRE(png.size() > 8);
  CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  size_t at = 8;
  while (at + 12 <= png.size()) {
    const uint32_t length = U32(png, at);
    REQUIRE(at + 12 + length <= png.size());
    const std::string type = png.substr(at + 4, 4);
    const auto* crc_from = reinterpret_cast<const Bytef*>(png.data() + at + 4);
    CHECK_MESSAGE(crc32(crc32(0L, Z_NULL, 0), crc_from, 4 + length) == U32(png, at + 8 + length), type);
    chunks.emplace(type, png.substr(at + 8, length));
    at += 12 + length;
    if (type == "IEND") break;
  }
  CHECK(at == png.size());  // nothing after IEND
  return chunks;
}

Event Checkout(std::optional<std::string> path, std::optional<std::string> none, bool hash = false) {
  events::DeviceCheckedOut p;
  p.rep = "BDG-20024";
  p.due_date = "2026-12-20";
  p.devices = {{"DEMO-00007", "", ""}, {"DEMO-00008", "", ""}};
  p.signature = path;
  p.signature_none = none;
  if (hash) p.signature_sha256 = std::string(64, 'a');
  Event e;
  e.seq = 12;
  e.kiosk_id = "KIOSK-1";
  e.type = std::string(events::DeviceCheckedOut::kType);
  e.payload = p.Dump();
  e.wall_time = "2026-12-06T10:15:00.000Z";
  return e;
}

}  // namespace

TEST_CASE("PNG: signature bytes, IHDR, CRCs, the caption, and pixels dark on the strokes and white away from them") {
  // Two horizontal strokes 100 apart sideways, 50 apart in height.
  auto sig = ParseSignaturePath("M0 0 L100 0 M0 50 L100 50");
  REQUIRE(sig.ok());
  const std::string png = EncodePng(RasterizeSignature(*sig, 600, 200), "Checkout 12 · Łukasz · Ёлка");
  auto chunks = Chunks(png);
  REQUIRE(chunks.count("IHDR") == 1);
  const std::string ihdr = chunks.find("IHDR")->second;
  REQUIRE(ihdr.size() == 13);
  CHECK(U32(ihdr, 0) == 600);
  CHECK(U32(ihdr, 4) == 200);
  CHECK(ihdr.substr(8) == std::string("\x08\x00\x00\x00\x00", 5));  // 8-bit greyscale, deflate, no interlace
  REQUIRE(chunks.count("iTXt") == 1);
  CHECK(chunks.find("iTXt")->second == std::string("Description\0\0\0\0\0", 16) + "Checkout 12 · Łukasz · Ёлка");
  CHECK(chunks.count("IEND") == 1);
  REQUIRE(chunks.count("IDAT") == 1);
  const std::string idat = chunks.find("IDAT")->second;
  std::string raw(200 * 601, '\x7f');
  uLongf raw_size = raw.size();
  REQUIRE(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size, reinterpret_cast<const Bytef*>(idat.data()),
                     idat.size()) == Z_OK);
  REQUIRE(raw_size == 200 * 601);
  auto pixel = [&](int x, int y) { return uint8_t(raw[size_t(y) * 601 + 1 + x]); };
  for (int y = 0; y < 200; ++y) CHECK(raw[size_t(y) * 601] == 0);  // filter type none on every row

  // Fitted into 600 x 200 with a margin of 20: the box 100 x 50 scales by min(560/100, 160/50, 4)
  // = 3.2 and is centred, so the strokes run from x 140 to 460 at y 20 and y 180.
  const SignatureFit fit = FitSignature(*sig, 600, 200, 20);
  CHECK(fit.scale == doctest::Approx(3.2));
  CHECK(fit.offset_x == doctest::Approx(140));
  CHECK(fit.offset_y == doctest::Approx(20));
  for (int x = 145; x <= 455; x += 10) {
    INFO("x = " << x);
    CHECK(pixel(x, 20) < 40);   // on the upper stroke
    CHECK(pixel(x, 179) < 40);  // on the lower one
    CHECK(pixel(x, 100) == 255);  // between them
    CHECK(pixel(x, 28) == 255);   // a few pixels off the stroke: white, the pen is 6 wide
  }
  CHECK(pixel(20, 20) == 255);    // beyond the stroke's end
  CHECK(pixel(599, 199) == 255);  // corners
  CHECK(pixel(0, 0) == 255);
}

TEST_CASE("a dot and a tiny scribble: drawn, never enlarged beyond 4x") {
  auto dot = ParseSignaturePath("M50 50");
  REQUIRE(dot.ok());
  const GreyImage img = RasterizeSignature(*dot, 600, 200);
  CHECK(img.At(300, 100) < 40);
  CHECK(img.At(310, 100) == 255);
  // Anti-aliased: the pen's round edge has grey pixels, not only black and white.
  int grey = 0;
  for (int y = 90; y < 110; ++y)
    for (int x = 290; x < 310; ++x) grey += img.At(x, y) > 20 && img.At(x, y) < 235;
  CHECK(grey >= 4);
  auto tiny = ParseSignaturePath("M0 0 L10 0");
  REQUIRE(tiny.ok());
  CHECK(FitSignature(*tiny, 600, 200, 20).scale == doctest::Approx(4.0));
}

TEST_CASE("the record of a checkout, and what is said when there is no drawing") {
  auto drawn = SignatureRecordOf(Checkout("M10 40l2 1", std::nullopt));
  REQUIRE(drawn.ok());
  CHECK(drawn->seq == 12);
  CHECK(drawn->kiosk_id == "KIOSK-1");
  CHECK(drawn->asset_tags == std::vector<std::string>{"DEMO-00007", "DEMO-00008"});
  CHECK(drawn->Describe() == "checkout 12 at kiosk KIOSK-1 (DEMO-00007, DEMO-00008 to BDG-20024)");
  CHECK(SignatureCaption(*drawn) == "Checkout 12 at KIOSK-1 · DEMO-00007, DEMO-00008 · BDG-20024 · 2026-12-06T10:15:00.000Z");
  auto strokes = DrawnSignature(*drawn);
  REQUIRE(strokes.ok());
  CHECK(strokes->Points() == 2);
  CHECK(SignatureFileName(*drawn, SignatureFormat::Png) == "KIOSK-1-12.png");
  SignatureRecord odd = *drawn;
  odd.kiosk_id = "../x y";  // never a path out of the folder, never a hidden file
  CHECK(SignatureFileName(odd, SignatureFormat::Svg) == "kiosk.._x_y-12.svg");
  CHECK(SignatureWritten(*drawn, "a.png") ==
        "Signature of checkout 12 at kiosk KIOSK-1 (DEMO-00007, DEMO-00008 to BDG-20024) written to a.png.");

  struct Case {
    Event event;
    const char* why;
  };
  const Case none[] = {
      {Checkout(std::nullopt, "signed the paper form"), "recorded as: signed the paper form."},
      {Checkout(std::nullopt, std::nullopt, true), "older kiosk, which kept only its hash."},
      {Checkout(std::nullopt, std::nullopt), "none was recorded."},
  };
  for (const Case& c : none) {
    auto r = SignatureRecordOf(c.event);
    REQUIRE(r.ok());
    auto s = DrawnSignature(*r);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == "signature.none");
    CHECK(s.error().message.find("Checkout 12 at kiosk KIOSK-1 (DEMO-00007, DEMO-00008 to BDG-20024) has no drawn") == 0);
    CHECK(s.error().message.find(c.why) != std::string::npos);
    CHECK(SignatureDocument(*r, SignatureFormat::Png).error().code == "signature.none");
  }

  Event checkin = Checkout("M1 1", std::nullopt);
  checkin.type = "device.checked_in";
  auto not_checkout = SignatureRecordOf(checkin);
  REQUIRE_FALSE(not_checkout.ok());
  CHECK(not_checkout.error().code == "signature.not_checkout");
  CHECK(not_checkout.error().message == "Event 12 of kiosk KIOSK-1 is a device.checked_in, not a checkout: only checkouts are signed.");

  auto broken = SignatureRecordOf(Checkout("M1 1 Z", std::nullopt));
  REQUIRE(broken.ok());
  CHECK(DrawnSignature(*broken).error().code == "signature.invalid");
}

TEST_CASE("the format: --format, else the --out file's extension, and PNG never to the terminal") {
  CHECK(*ChooseSignatureFormat("", "") == SignatureFormat::Svg);
  CHECK(*ChooseSignatureFormat("", "sig.svg") == SignatureFormat::Svg);
  CHECK(*ChooseSignatureFormat("", "sig.png") == SignatureFormat::Png);
  CHECK(*ChooseSignatureFormat("", "SIG.PNG") == SignatureFormat::Png);
  CHECK(*ChooseSignatureFormat("png", "evidence") == SignatureFormat::Png);
  CHECK(*ChooseSignatureFormat("svg", "sig.png") == SignatureFormat::Svg);  // said explicitly: as said
  CHECK(ChooseSignatureFormat("png", "").error().code == "signature.format");
  CHECK(ChooseSignatureFormat("", "").ok());
  auto gif = ChooseSignatureFormat("gif", "x.gif");
  REQUIRE_FALSE(gif.ok());
  CHECK(gif.error().code == "signature.format");
  CHECK(gif.error().message.find("give svg or png") != std::string::npos);
  CHECK(std::string(Extension(SignatureFormat::Png)) == ".png");

  auto r = SignatureRecordOf(Checkout("M0 0 L100 0", std::nullopt));
  REQUIRE(r.ok());
  auto svg = SignatureDocument(*r, SignatureFormat::Svg);
  REQUIRE(svg.ok());
  CHECK(svg->find("<svg") != std::string::npos);
  CHECK(svg->find("Checkout 12 at KIOSK-1") != std::string::npos);
  auto png = SignatureDocument(*r, SignatureFormat::Png);
  REQUIRE(png.ok());
  CHECK(png->substr(1, 3) == "PNG");
  CHECK(png->find("Checkout 12 at KIOSK-1") != std::string::npos);  // the caption in iTXt
}
