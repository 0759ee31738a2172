#include "kiosk/core/signature.hpp"

#include <algorithm>
#include <climits>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "kiosk/core/events.hpp"

namespace kiosk {
namespace {

Error Invalid(const std::string& what, size_t at) {
  return MakeError(ErrorKind::Usage, "signature.invalid",
                   "The signature is not a drawing the kiosk can keep: " + what + " (at character " +
                       std::to_string(at + 1) + ").");
}

bool IsSeparator(char c) { return c == ' ' || c == ',' || c == '\n' || c == '\r' || c == '\t'; }

// A number: optional sign, digits, optional fraction; rounded to whole pixels.
bool ReadNumber(std::string_view d, size_t& i, int& out) {
  size_t j = i;
  bool negative = false;
  if (j < d.size() && (d[j] == '-' || d[j] == '+')) negative = d[j++] == '-';
  const size_t digits_from = j;
  long long whole = 0;
  while (j < d.size() && d[j] >= '0' && d[j] <= '9') {
    whole = whole * 10 + (d[j++] - '0');
    if (whole > kMaxSignatureCoordinate * 10LL) return false;
  }
  double fraction = 0;
  bool any = j > digits_from;
  if (j < d.size() && d[j] == '.') {
    ++j;
    double scale = 0.1;
    while (j < d.size() && d[j] >= '0' && d[j] <= '9') {
      fraction += (d[j++] - '0') * scale;
      scale /= 10;
      any = true;
    }
  }
  if (!any) return false;
  const double v = (static_cast<double>(whole) + fraction) * (negative ? -1 : 1);
  out = static_cast<int>(std::lround(v));
  i = j;
  return true;
}

}  // namespace

size_t Signature::Points() const {
  size_t n = 0;
  for (const auto& s : strokes) n += s.size();
  return n;
}

Result<Signature> ParseSignaturePath(std::string_view d) {
  Signature sig;
  char command = 0;  // the command the next pair of numbers belongs to
  SignaturePoint at;
  size_t points = 0;
  size_t i = 0;
  while (true) {
    while (i < d.size() && IsSeparator(d[i])) ++i;
    if (i >= d.size()) break;
    const char c = d[i];
    if (c == 'M' || c == 'm' || c == 'L' || c == 'l') {
      command = c;
      ++i;
      continue;
    }
    if (c == 'Z' || c == 'z') return Invalid("a closed shape (Z) is not a stroke", i);
    if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')))
      return Invalid(std::string("'") + c + "' is not a move, a line or a number", i);
    if (command == 0) return Invalid("it must start with a move (M)", i);
    SignaturePoint p;
    const size_t from = i;
    if (!ReadNumber(d, i, p.x)) return Invalid("a number is malformed or too large", from);
    while (i < d.size() && IsSeparator(d[i])) ++i;
    if (!ReadNumber(d, i, p.y)) return Invalid("a point needs two numbers", from);
    const bool relative = command == 'm' || command == 'l';
    if (relative && !(command == 'm' && sig.strokes.empty())) {
      p.x += at.x;
      p.y += at.y;
    }
    if (std::abs(p.x) > kMaxSignatureCoordinate || std::abs(p.y) > kMaxSignatureCoordinate)
      return Invalid("a point lies far outside any signature pad", from);
    if (++points > kMaxSignaturePoints)
      return Invalid("more than " + std::to_string(kMaxSignaturePoints) + " points", from);
    if (command == 'M' || command == 'm') {
      sig.strokes.emplace_back();
      command = command == 'M' ? 'L' : 'l';  // further pairs after a move are lines
    } else if (sig.strokes.empty()) {
      return Invalid("a line before any move", from);
    }
    sig.strokes.back().push_back(p);
    at = p;
  }
  if (sig.strokes.empty()) return Invalid("there are no strokes", d.size() ? d.size() - 1 : 0);
  return sig;
}

std::string CompactSignaturePath(const Signature& s) {
  std::string out;
  out.reserve(s.Points() * 6);
  for (const auto& stroke : s.strokes) {
    if (stroke.empty()) continue;
    out += 'M' + std::to_string(stroke[0].x) + ' ' + std::to_string(stroke[0].y);
    for (size_t i = 1; i < stroke.size(); ++i) {
      out += i == 1 ? 'l' : ' ';
      out += std::to_string(stroke[i].x - stroke[i - 1].x) + ' ' + std::to_string(stroke[i].y - stroke[i - 1].y);
    }
  }
  return out;
}

namespace {

std::string XmlEscaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string SignatureSvg(const Signature& s, std::string_view caption) {
  int min_x = INT_MAX, min_y = INT_MAX, max_x = INT_MIN, max_y = INT_MIN;
  for (const auto& stroke : s.strokes)
    for (const SignaturePoint& p : stroke) {
      min_x = std::min(min_x, p.x);
      min_y = std::min(min_y, p.y);
      max_x = std::max(max_x, p.x);
      max_y = std::max(max_y, p.y);
    }
  if (min_x > max_x) min_x = min_y = max_x = max_y = 0;
  const int margin = 10;
  const int caption_h = caption.empty() ? 0 : 24;
  const int x0 = min_x - margin, y0 = min_y - margin;
  const int w = max_x - min_x + 2 * margin, h = max_y - min_y + 2 * margin + caption_h;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"" + std::to_string(x0) + " " + std::to_string(y0) + " " +
         std::to_string(w) + " " + std::to_string(h) + "\" width=\"" + std::to_string(w) + "\" height=\"" +
         std::to_string(h) + "\">\n";
  out += "<rect x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y0) + "\" width=\"" + std::to_string(w) +
         "\" height=\"" + std::to_string(h) + "\" fill=\"white\"/>\n";
  // Absolute coordinates here: a viewer, an editor or a court's expert reads them without decoding.
  std::string d;
  for (const auto& stroke : s.strokes)
    for (size_t i = 0; i < stroke.size(); ++i)
      d += (i == 0 ? (d.empty() ? "M" : " M") : " L") + std::to_string(stroke[i].x) + " " + std::to_string(stroke[i].y);
  out += "<path d=\"" + d +
         "\" fill=\"none\" stroke=\"black\" stroke-width=\"3\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>\n";
  if (!caption.empty())
    out += "<text x=\"" + std::to_string(x0 + margin) + "\" y=\"" + std::to_string(y0 + h - 7) +
           "\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#333\">" + XmlEscaped(caption) + "</text>\n";
  out += "</svg>\n";
  return out;
}

std::string PathFromSvgText(std::string_view text) {
  const size_t path = text.find("<path");
  if (path == std::string_view::npos) {
    if (text.find('<') != std::string_view::npos) return "";  // markup without a path: no drawing
    // A bare path: trimmed of surrounding blank lines.
    const size_t b = text.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    const size_t e = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(b, e - b + 1));
  }
  // The d attribute of that element, in double or single quotes.
  size_t at = path;
  while ((at = text.find("d=", at)) != std::string_view::npos) {
    const bool attribute_start = at > 0 && IsSeparator(text[at - 1]);
    if (attribute_start && at + 2 < text.size() && (text[at + 2] == '"' || text[at + 2] == '\'')) {
      const char q = text[at + 2];
      const size_t end = text.find(q, at + 3);
      if (end == std::string_view::npos) return "";
      return std::string(text.substr(at + 3, end - at - 3));
    }
    at += 2;
  }
  return "";
}

}  // namespace kiosk

// ---- Showing a checkout's signature ----------------------------------------------------------

namespace kiosk {
namespace {

std::string Units(const SignatureRecord& r) {
  std::string units;
  for (const auto& t : r.asset_tags) units += (units.empty() ? "" : ", ") + t;
  return units;
}

}  // namespace

std::string SignatureRecord::Describe() const {
  return "checkout " + std::to_string(seq) + (kiosk_id.empty() ? "" : " at kiosk " + kiosk_id) + " (" + Units(*this) +
         " to " + rep + ")";
}

Result<SignatureRecord> SignatureRecordOf(const Event& e) {
  if (e.type != events::DeviceCheckedOut::kType)
    return MakeError(ErrorKind::Usage, "signature.not_checkout",
                     "Event " + std::to_string(e.seq) + (e.kiosk_id.empty() ? "" : " of kiosk " + e.kiosk_id) +
                         " is a " + e.type + ", not a checkout: only checkouts are signed.",
                     {{"seq", std::to_string(e.seq)}, {"type", e.type}});
  auto p = events::DeviceCheckedOut::FromJson(e.payload);
  if (!p.ok()) return p.error();
  SignatureRecord r;
  r.seq = e.seq;
  r.kiosk_id = e.kiosk_id;
  r.wall_time = e.wall_time;
  r.rep = p->rep;
  for (const auto& d : p->devices) r.asset_tags.push_back(d.asset_tag);
  r.path = p->signature.value_or("");
  r.none_reason = p->signature_none.value_or("");
  r.hash_only = r.path.empty() && p->signature_sha256.has_value();
  return r;
}

Result<Signature> DrawnSignature(const SignatureRecord& r) {
  if (r.path.empty()) {
    const std::string why = r.hash_only             ? "it was logged by an older kiosk, which kept only its hash"
                            : r.none_reason.empty() ? "none was recorded"
                                                    : "recorded as: " + r.none_reason;
    std::string what = r.Describe();
    what[0] = 'C';
    return MakeError(ErrorKind::NotFound, "signature.none", what + " has no drawn signature: " + why + ".",
                     {{"seq", std::to_string(r.seq)}, {"reason", r.none_reason}});
  }
  return ParseSignaturePath(r.path);
}

std::string SignatureCaption(const SignatureRecord& r) {
  return "Checkout " + std::to_string(r.seq) + (r.kiosk_id.empty() ? "" : " at " + r.kiosk_id) + " · " + Units(r) +
         " · " + r.rep + " · " + r.wall_time;
}

Result<SignatureFormat> ChooseSignatureFormat(std::string_view format, std::string_view out) {
  SignatureFormat f = SignatureFormat::Svg;
  if (format == "png" || (format.empty() && out.size() >= 4 && (out.substr(out.size() - 4) == ".png" ||
                                                                   out.substr(out.size() - 4) == ".PNG")))
    f = SignatureFormat::Png;
  else if (!format.empty() && format != "svg")
    return MakeError(ErrorKind::Usage, "signature.format",
                     "There is no signature format \"" + std::string(format) + "\": give svg or png.",
                     {{"format", std::string(format)}});
  if (f == SignatureFormat::Png && out.empty())
    return MakeError(ErrorKind::Usage, "signature.format",
                     "A PNG is binary and is not written to the terminal: give --out FILE.png.", {{"format", "png"}});
  return f;
}

const char* Extension(SignatureFormat f) { return f == SignatureFormat::Png ? ".png" : ".svg"; }

Result<std::string> SignatureDocument(const SignatureRecord& r, SignatureFormat format) {
  auto sig = DrawnSignature(r);
  if (!sig.ok()) return sig.error();
  const std::string caption = SignatureCaption(r);
  if (format == SignatureFormat::Png) return EncodePng(RasterizeSignature(*sig), caption);
  return SignatureSvg(*sig, caption);
}

std::string SignatureFileName(const SignatureRecord& r, SignatureFormat format) {
  std::string name;
  for (char c : r.kiosk_id)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (name.empty() || name[0] == '.') name.insert(0, "kiosk");  // never a hidden file or "..": a name in the folder
  return name + "-" + std::to_string(r.seq) + Extension(format);
}

std::string SignatureWritten(const SignatureRecord& r, std::string_view file) {
  return "Signature of " + r.Describe() + " written to " + std::string(file) + ".";
}

// ---- Rasterising -----------------------------------------------------------------------------

SignatureFit FitSignature(const Signature& s, int width, int height, int margin) {
  double min_x = 1e9, min_y = 1e9, max_x = -1e9, max_y = -1e9;
  for (const auto& stroke : s.strokes)
    for (const SignaturePoint& p : stroke) {
      min_x = std::min(min_x, double(p.x));
      min_y = std::min(min_y, double(p.y));
      max_x = std::max(max_x, double(p.x));
      max_y = std::max(max_y, double(p.y));
    }
  SignatureFit fit;
  if (min_x > max_x) return fit;
  const double room_w = std::max(1, width - 2 * margin), room_h = std::max(1, height - 2 * margin);
  const double box_w = std::max(1.0, max_x - min_x), box_h = std::max(1.0, max_y - min_y);
  fit.scale = std::min({room_w / box_w, room_h / box_h, 4.0});
  // Centred: the box's middle on the picture's.
  fit.offset_x = width / 2.0 - (min_x + max_x) / 2.0 * fit.scale;
  fit.offset_y = height / 2.0 - (min_y + max_y) / 2.0 * fit.scale;
  return fit;
}

GreyImage RasterizeSignature(const Signature& s, int width, int height) {
  GreyImage img;
  img.width = std::max(1, width);
  img.height = std::max(1, height);
  img.pixels.assign(static_cast<size_t>(img.width) * img.height, 255);
  const SignatureFit fit = FitSignature(s, img.width, img.height, std::min(img.width, img.height) / 10);
  // A pen about as wide as the SVG's 3 units, thicker when enlarged; every pixel gets the coverage
  // of the nearest segment (distance to it against the pen's radius, half a pixel of soft edge).
  const double radius = std::clamp(1.5 * fit.scale, 1.5, 3.0);
  auto plot_segment = [&](double ax, double ay, double bx, double by) {
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min(ax, bx) - radius - 1)));
    const int x1 = std::min(img.width - 1, static_cast<int>(std::ceil(std::max(ax, bx) + radius + 1)));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min(ay, by) - radius - 1)));
    const int y1 = std::min(img.height - 1, static_cast<int>(std::ceil(std::max(ay, by) + radius + 1)));
    const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const double px = x + 0.5, py = y + 0.5;
        double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        t = std::clamp(t, 0.0, 1.0);
        const double ex = ax + t * dx - px, ey = ay + t * dy - py;
        const double coverage = std::clamp(radius + 0.5 - std::sqrt(ex * ex + ey * ey), 0.0, 1.0);
        unsigned char& pixel = img.pixels[static_cast<size_t>(y) * img.width + x];
        pixel = std::min(pixel, static_cast<unsigned char>(std::lround(255 * (1 - coverage))));
      }
  };
  for (const auto& stroke : s.strokes)
    for (size_t i = 0; i < stroke.size(); ++i) {
      const SignaturePoint& a = stroke[i == 0 ? 0 : i - 1];
      const SignaturePoint& b = stroke[i];
      if (i == 0 && stroke.size() > 1) continue;  // a one-point stroke is a dot: a segment of length 0
      plot_segment(a.x * fit.scale + fit.offset_x, a.y * fit.scale + fit.offset_y, b.x * fit.scale + fit.offset_x,
                   b.y * fit.scale + fit.offset_y);
    }
  return img;
}

}  // namespace kiosk
