#pragma once
// A signature drawn with a finger, kept as evidence: the strokes as a compact SVG path in the
// checkout event's payload (events.hpp DeviceCheckedOut::signature), so the journal's hash chain
// binds them to the checkout and they travel to the central with it. Shown again as a standalone
// SVG document (`kiosk signature SEQ`, `kiosk-central signature`). Pure code, no state: any thread.
//
// The path language is the subset of SVG's that a signature needs: moveto and lineto, absolute
// (M, L) or relative (m, l), numbers separated by spaces or commas, implicit repeats ("M1 2 3 4"
// is a move and a line). Coordinates are whole pixels of the signature pad; decimals are rounded.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk {

struct SignaturePoint {
  int x = 0;
  int y = 0;
  bool operator==(const SignaturePoint&) const = default;
};

struct Signature {
  std::vector<std::vector<SignaturePoint>> strokes;  // each stroke one finger-down to finger-up
  bool Empty() const { return strokes.empty(); }
  size_t Points() const;
  bool operator==(const Signature&) const = default;
};

// A pad is a few hundred pixels wide; a signature of more points than this is not a signature.
inline constexpr size_t kMaxSignaturePoints = 20000;
// Coordinates beyond this are refused (a path of another scale, or garbage).
inline constexpr int kMaxSignatureCoordinate = 100000;

// Reads a path (the touchscreen's "M12 40 L13 41 ...", the compact form below, or the `d` of an
// SVG file someone drew). Errors: code "signature.invalid", naming what is wrong and where.
Result<Signature> ParseSignaturePath(std::string_view d);

// The compact form the journal keeps: per stroke "M x y" and then "l" with relative steps, e.g.
// "M12 40l1 1 2 0 1 -1M80 35l2 2". About half the bytes of the absolute form for a typical
// signature; ParseSignaturePath(CompactSignaturePath(s)) == s.
std::string CompactSignaturePath(const Signature& s);

// A standalone SVG document: the strokes in black on white, the view box the strokes' bounds with
// a margin, `caption` (who signed, for what, when) as a line of text under them.
std::string SignatureSvg(const Signature& s, std::string_view caption);

// The `d` attribute of the first <path> of an SVG document, or the text itself when it is not XML
// (a bare path). For `kiosk checkout --signature FILE`.
std::string PathFromSvgText(std::string_view text);

}  // namespace kiosk
