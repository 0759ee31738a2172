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
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/journal.hpp"
#include "kiosk/core/png.hpp"
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

// ---- Showing a checkout's signature: one helper for the kiosk and the central ----------------
// `kiosk signature SEQ` reads the event from the kiosk's journal, `kiosk-central signature` and
// the custody report's --signatures from the central's store; both then say the same things in
// the same words through the functions below.

// A checkout's signature as an event holds it.
struct SignatureRecord {
  int64_t seq = 0;
  std::string kiosk_id;
  std::string wall_time;
  std::string rep;                        // badge code
  std::vector<std::string> asset_tags;
  std::string path;                       // compact SVG path; empty when none was drawn
  std::string none_reason;                // why there is none (signature_none), when path is empty
  bool hash_only = false;                 // an older event that kept only the SHA-256
  // "checkout 12 at kiosk KIOSK-1 (DEMO-00007, DEMO-00008 to BDG-20024)": for messages.
  std::string Describe() const;
};

// What a CLI checkout journals as signature_none when neither --signature nor --no-signature was
// given; the touchscreen says it in its own language.
inline constexpr std::string_view kSignatureNotGivenAtCli = "not given at the command line";

// The record of checkout event `e`. Errors: "signature.not_checkout" (Usage) when `e` is another
// event type; the payload's own error when it does not read.
Result<SignatureRecord> SignatureRecordOf(const Event& e);

// The drawing of `r`. Errors: "signature.none" (NotFound) when none was drawn, saying why (the
// reason journaled, or that an older kiosk kept only the hash); "signature.invalid".
Result<Signature> DrawnSignature(const SignatureRecord& r);

// The line under the strokes: "Checkout 12 at KIOSK-1 · DEMO-00007 · BDG-20024 · 2026-…Z".
std::string SignatureCaption(const SignatureRecord& r);

enum class SignatureFormat { Svg, Png };
// `format` ("svg", "png" or "" for: by `out`'s extension, .png or else SVG). Errors:
// "signature.format" (Usage) for another format, or PNG with no file to write (it is binary).
Result<SignatureFormat> ChooseSignatureFormat(std::string_view format, std::string_view out);
const char* Extension(SignatureFormat f);  // ".svg", ".png"

// The document of `r` in `format`: the drawing with its caption (SVG: a text line; PNG: an iTXt
// "Description" chunk, since drawing text would need a font). Errors as DrawnSignature.
Result<std::string> SignatureDocument(const SignatureRecord& r, SignatureFormat format);

// "KIOSK-1-12.png": a file name of the kiosk id (characters other than letters, digits, '.', '-'
// and '_' become '_') and the seq, unique per checkout.
std::string SignatureFileName(const SignatureRecord& r, SignatureFormat format);

// "Signature of checkout 12 at kiosk KIOSK-1 (DEMO-00007 to BDG-20024) written to FILE."
std::string SignatureWritten(const SignatureRecord& r, std::string_view file);

// ---- PNG -------------------------------------------------------------------------------------
// The strokes drawn anti-aliased in black on white, scaled to fit `width` x `height` with a margin
// (never enlarged more than 4x: a tiny scribble stays recognisably tiny), centred.
GreyImage RasterizeSignature(const Signature& s, int width = 600, int height = 200);

// The geometry RasterizeSignature used: image = point * scale + offset. For tests and viewers.
struct SignatureFit {
  double scale = 1;
  double offset_x = 0, offset_y = 0;
};
SignatureFit FitSignature(const Signature& s, int width, int height, int margin);

}  // namespace kiosk
