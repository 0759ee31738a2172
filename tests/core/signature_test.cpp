// The checkout signature as evidence (kiosk/core/signature.hpp): the touchscreen's path read back
// exactly, the compact form the journal keeps, the SVG document shown later, and paths that are not
// a signature refused with a reason.
#include <doctest/doctest.h>

#include <string>

#include "kiosk/core/signature.hpp"

using namespace kiosk;

TEST_CASE("the touchscreen's absolute path, its compact form and back") {
  // What SignaturePad::Svg writes: absolute moves and lines, one stroke per finger-down.
  const std::string drawn = "M10 40 L12 41 L15 43 L19 42 M60 30 L61 35 L63 39";
  auto sig = ParseSignaturePath(drawn);
  REQUIRE(sig.ok());
  REQUIRE(sig->strokes.size() == 2);
  CHECK(sig->strokes[0].size() == 4);
  CHECK(sig->strokes[1].size() == 3);
  CHECK(sig->strokes[0][3] == SignaturePoint{19, 42});
  CHECK(sig->strokes[1][0] == SignaturePoint{60, 30});
  CHECK(sig->Points() == 7);

  const std::string compact = CompactSignaturePath(*sig);
  CHECK(compact == "M10 40l2 1 3 2 4 -1M60 30l1 5 2 4");
  CHECK(compact.size() < drawn.size());
  auto again = ParseSignaturePath(compact);
  REQUIRE(again.ok());
  CHECK(*again == *sig);
}

TEST_CASE("relative moves, commas, decimals and implicit lines") {
  struct Case {
    const char* path;
    std::vector<std::vector<SignaturePoint>> strokes;
  };
  const Case cases[] = {
      {"m5,5 l1,1 1,1", {{{5, 5}, {6, 6}, {7, 7}}}},               // the first m is absolute
      {"M1 1 2 2 3 3", {{{1, 1}, {2, 2}, {3, 3}}}},                // pairs after M are lines
      {"M1.4 1.6L2.5 -0.4", {{{1, 2}, {3, 0}}}},                   // rounded to whole pixels
      {"M0 0l1 1m10 0l1 1", {{{0, 0}, {1, 1}}, {{11, 1}, {12, 2}}}},  // m after a stroke is relative
      {"  M7 8\n L9 10\t", {{{7, 8}, {9, 10}}}},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    auto sig = ParseSignaturePath(c.path);
    REQUIRE(sig.ok());
    CHECK(sig->strokes == c.strokes);
  }
}

TEST_CASE("what is not a signature is refused with a reason, never half-read") {
  const char* bad[] = {"",           "   ",          "L1 1",          "10 20",           "M1 1 Z",
                       "M1 1 C2 2 3 3 4 4", "M1",   "M1 x",          "M1 1 L2",         "M999999999 1",
                       "M1 1 L200000 5"};
  for (const char* d : bad) {
    INFO(d);
    auto sig = ParseSignaturePath(d);
    REQUIRE_FALSE(sig.ok());
    CHECK(sig.error().code == "signature.invalid");
    CHECK(sig.error().message.find("The signature is not a drawing") == 0);
  }
  // Too many points: a pad never produces them.
  std::string huge = "M0 0";
  for (size_t i = 0; i < kMaxSignaturePoints + 1; ++i) huge += " L1 1";
  auto sig = ParseSignaturePath(huge);
  REQUIRE_FALSE(sig.ok());
  CHECK(sig.error().message.find("more than") != std::string::npos);
}

TEST_CASE("the SVG document: the strokes, a view box around them, the caption escaped") {
  auto sig = ParseSignaturePath("M10 40 L20 50 M30 40 L35 45");
  REQUIRE(sig.ok());
  const std::string svg = SignatureSvg(*sig, "Checkout 7 · DEMO-00001 · <BDG-20024>");
  CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  CHECK(svg.find("viewBox=\"0 30 45 54\"") != std::string::npos);  // bounds 10..35 x 40..50, margin 10, caption 24
  CHECK(svg.find("d=\"M10 40 L20 50 M30 40 L35 45\"") != std::string::npos);
  CHECK(svg.find("&lt;BDG-20024&gt;") != std::string::npos);
  CHECK(svg.find("<BDG-20024>") == std::string::npos);
  // What the SVG shows is what was kept: its path reads back to the same strokes.
  auto back = ParseSignaturePath(PathFromSvgText(svg));
  REQUIRE(back.ok());
  CHECK(*back == *sig);
}

TEST_CASE("a signature file: an SVG document's first path, or a bare path") {
  CHECK(PathFromSvgText("<svg><path fill=\"none\" d=\"M1 2 L3 4\"/></svg>") == "M1 2 L3 4");
  CHECK(PathFromSvgText("<svg><path d='M5 6 l1 1'/></svg>") == "M5 6 l1 1");
  CHECK(PathFromSvgText("\nM1 1 L2 2\n") == "M1 1 L2 2");
  CHECK(PathFromSvgText("<svg><rect width=\"1\"/></svg>").empty());  // no path: nothing to keep
  CHECK(PathFromSvgText("<svg><path id=\"d=x\"/></svg>").empty());
}
