#include "kiosk/core/signature.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>

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
