#include "kiosk/labels/labels.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <zint.h>

#include <algorithm>
#include <fstream>
#include <memory>

namespace kiosk::labels {
namespace {

constexpr double kPtPerMm = 72.0 / 25.4;
constexpr double kA4WidthMm = 210.0, kA4HeightMm = 297.0;
constexpr double kPaddingMm = 2.0;     // inside each label, so a slightly shifted sheet still prints whole
constexpr double kQuietModules = 10.0;  // Code 128 quiet zone on each side, in modules

// (01)00614141000036(21)C22B3780490 -> {{"01", "00614141000036"}, {"21", "C22B3780490"}}
std::vector<std::pair<std::string, std::string>> SplitGs1(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < text.size() && text[i] == '(') {
    const size_t close = text.find(')', i);
    if (close == std::string::npos) break;
    const size_t next = text.find('(', close);
    out.emplace_back(text.substr(i + 1, close - i - 1),
                     text.substr(close + 1, (next == std::string::npos ? text.size() : next) - close - 1));
    i = next == std::string::npos ? text.size() : next;
  }
  return out;
}

// GS1's predefined-length AIs (by their first two digits): no FNC1 separator follows them.
bool FixedLengthAi(const std::string& ai) {
  static const char* kFixed[] = {"00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18",
                                 "19", "20", "31", "32", "33", "34", "35", "36", "41"};
  const std::string two = ai.substr(0, 2);
  return std::any_of(std::begin(kFixed), std::end(kFixed), [&](const char* f) { return two == f; });
}

struct ZintDeleter {
  void operator()(zint_symbol* s) const { ZBarcode_Delete(s); }
};
using ZintPtr = std::unique_ptr<zint_symbol, ZintDeleter>;

// The encoded symbol as zint's vector: rectangles in zint units, `module` units per module.
struct Encoded {
  ZintPtr symbol;
  double module = 1.0;  // zint units per module
  int modules_wide = 0;
  int modules_high = 0;  // DataMatrix rows; 1 for Code 128
};

Result<Encoded> Encode(const LabelItem& item, Symbology symbology) {
  Encoded e;
  e.symbol.reset(ZBarcode_Create());
  if (!e.symbol) return MakeError(ErrorKind::Storage, "labels.zint", "libzint could not allocate a symbol.");
  zint_symbol* s = e.symbol.get();
  const bool matrix = symbology == Symbology::DataMatrix;
  s->symbology = matrix ? BARCODE_DATAMATRIX : item.gs1 ? BARCODE_GS1_128 : BARCODE_CODE128;
  if (item.gs1) s->input_mode = GS1_MODE | GS1PARENS_MODE;
  if (matrix) s->option_3 = DM_SQUARE;  // square symbols only: they fit a label's corner
  s->show_hrt = 0;                      // the text is drawn by us, per AI, in the label's layout
  s->whitespace_width = 0;
  s->scale = 1.0f;
  // libzint reports a GS1 check digit or character set error as a warning and prints anyway; a
  // label that scans to wrong data is worse than none.
  s->warn_level = WARN_FAIL_ALL;
  const int rc = ZBarcode_Encode(s, reinterpret_cast<const unsigned char*>(item.data.data()),
                                 static_cast<int>(item.data.size()));
  if (rc >= ZINT_ERROR)
    return MakeError(ErrorKind::Usage, "labels.encode",
                     "\"" + item.data + "\" cannot be encoded as " +
                         (matrix ? std::string(item.gs1 ? "GS1 DataMatrix" : "DataMatrix")
                                 : std::string(item.gs1 ? "GS1-128" : "Code 128")) +
                         ": " + s->errtxt,
                     {{"data", item.data}});
  if (ZBarcode_Buffer_Vector(s, 0) >= ZINT_ERROR || !s->vector || s->width <= 0)
    return MakeError(ErrorKind::Storage, "labels.zint", std::string("libzint could not lay out the symbol: ") + s->errtxt);
  e.modules_wide = s->width;
  e.modules_high = matrix ? s->rows : 1;
  e.module = s->vector->width / s->width;
  return e;
}

// One line of text, shrunk (down to 4 pt) until it fits `max_w`; returns the height used.
double FitText(cairo_t* cr, const std::string& text, double x, double y_top, double max_w, double size_pt, bool bold) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_text_extents_t ext{};
  for (;; size_pt -= 0.5) {
    cairo_set_font_size(cr, size_pt);
    cairo_text_extents(cr, text.c_str(), &ext);
    if (ext.x_advance <= max_w || size_pt <= 4.0) break;
  }
  cairo_move_to(cr, x, y_top + size_pt);
  cairo_show_text(cr, text.c_str());
  return size_pt * 1.25;
}

// The human-readable lines of a label's data: one per AI for GS1, else the data itself.
std::vector<std::string> HumanLines(const LabelItem& item) {
  if (!item.gs1) return {item.data};
  std::vector<std::string> out;
  for (const auto& [ai, v] : SplitGs1(item.data)) out.push_back("(" + ai + ") " + v);
  return out;
}

void DrawLabel(cairo_t* cr, const LabelItem& item, const Encoded& e, double x0, double y0, double w, double h) {
  const double pad = kPaddingMm * kPtPerMm;
  const double x = x0 + pad, y = y0 + pad, iw = w - 2 * pad, ih = h - 2 * pad;
  cairo_set_source_rgb(cr, 0, 0, 0);
  if (e.modules_high > 1) {
    // DataMatrix in the left part, square; the words on its right.
    const double side = std::min({ih, iw * 0.42, 26.0 * kPtPerMm});
    const double scale = side / (e.module * e.modules_wide);
    for (const zint_vector_rect* r = e.symbol->vector->rectangles; r; r = r->next)
      cairo_rectangle(cr, x + r->x * scale, y + (ih - side) / 2 + r->y * scale, r->width * scale, r->height * scale);
    cairo_fill(cr);
    const double tx = x + side + 2.0 * kPtPerMm, tw = iw - side - 2.0 * kPtPerMm;
    double ty = y + 1.0;
    // "DEMO-00007 · Colour MFP A4 C2200" beside a symbol: two lines rather than a tiny one.
    const size_t dot = item.title.find(" \xC2\xB7 ");
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 8.0);
    cairo_text_extents_t ext{};
    cairo_text_extents(cr, item.title.c_str(), &ext);
    if (dot != std::string::npos && ext.x_advance > tw) {
      ty += FitText(cr, item.title.substr(0, dot), tx, ty, tw, 8.0, true);
      ty += FitText(cr, item.title.substr(dot + 4), tx, ty, tw, 7.5, false);
    } else {
      ty += FitText(cr, item.title, tx, ty, tw, 8.0, true);
    }
    for (const auto& line : HumanLines(item)) ty += FitText(cr, line, tx, ty, tw, 7.5, false);
    return;
  }
  // Code 128 / GS1-128 across the label: the title above, the bars, the data below.
  double ty = y;
  ty += FitText(cr, item.title, x, ty, iw, 8.0, true);
  const std::string& human = item.data;
  const double text_h = 9.0;
  const double bars_h = std::max(6.0 * kPtPerMm, y + ih - ty - text_h - 1.0);
  const double scale = iw / (e.module * (e.modules_wide + 2 * kQuietModules));
  const double bx = x + kQuietModules * e.module * scale;
  for (const zint_vector_rect* r = e.symbol->vector->rectangles; r; r = r->next)
    cairo_rectangle(cr, bx + r->x * scale, ty, r->width * scale, bars_h);
  cairo_fill(cr);
  cairo_text_extents_t ext{};
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  double size = 7.5;
  for (;; size -= 0.5) {
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, human.c_str(), &ext);
    if (ext.x_advance <= iw || size <= 4.0) break;
  }
  cairo_move_to(cr, x + (iw - ext.x_advance) / 2, ty + bars_h + size + 1.0);
  cairo_show_text(cr, human.c_str());
}

// ZPL's ^FD data may not hold its own command characters.
std::string ZplText(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '^' || c == '~' ? ' ' : c;
  return out;
}

}  // namespace

const std::vector<SheetLayout>& SheetLayouts() {
  static const std::vector<SheetLayout> kLayouts = {
      {"a4-3x7", "A4, 3 x 7 labels of 63.5 x 38.1 mm (Avery L7160 and compatibles)", 3, 7, 63.5, 38.1, 15.15, 7.25,
       66.04, 38.1},
      {"a4-2x7", "A4, 2 x 7 labels of 99.1 x 38.1 mm (Avery L7163 and compatibles)", 2, 7, 99.1, 38.1, 15.15, 4.65,
       101.6, 38.1},
  };
  return kLayouts;
}

const SheetLayout* FindSheetLayout(std::string_view name) {
  for (const auto& l : SheetLayouts())
    if (name == l.name) return &l;
  return nullptr;
}

Result<Symbology> ParseSymbology(std::string_view name) {
  if (name == "datamatrix") return Symbology::DataMatrix;
  if (name == "gs1-128" || name == "code128") return Symbology::Code128;
  return MakeError(ErrorKind::Usage, "labels.symbology",
                   "Unknown symbology \"" + std::string(name) + "\": use datamatrix or gs1-128.", {{"name", std::string(name)}});
}

Status WritePdf(const std::vector<LabelItem>& items, Symbology symbology, const SheetLayout& layout,
                const std::filesystem::path& file) {
  if (items.empty()) return MakeError(ErrorKind::Usage, "labels.none", "No labels to print: name at least one unit, card or badge.");
  // Encode everything first: a bad item leaves no half-written file behind.
  std::vector<Encoded> encoded;
  for (const auto& item : items) {
    auto e = Encode(item, symbology);
    if (!e.ok()) return e.error();
    encoded.push_back(std::move(*e));
  }
  cairo_surface_t* surface = cairo_pdf_surface_create(file.c_str(), kA4WidthMm * kPtPerMm, kA4HeightMm * kPtPerMm);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    const std::string why = cairo_status_to_string(cairo_surface_status(surface));
    cairo_surface_destroy(surface);
    return MakeError(ErrorKind::Storage, "labels.write", "Cannot write " + file.string() + ": " + why + ".",
                     {{"file", file.string()}});
  }
  cairo_t* cr = cairo_create(surface);
  const int per_page = layout.columns * layout.rows;
  for (size_t i = 0; i < items.size(); ++i) {
    const int slot = static_cast<int>(i) % per_page;
    if (slot == 0 && i > 0) cairo_show_page(cr);
    const double x = (layout.left_mm + (slot % layout.columns) * layout.pitch_x_mm) * kPtPerMm;
    const double y = (layout.top_mm + (slot / layout.columns) * layout.pitch_y_mm) * kPtPerMm;
    DrawLabel(cr, items[i], encoded[i], x, y, layout.label_w_mm * kPtPerMm, layout.label_h_mm * kPtPerMm);
  }
  cairo_show_page(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  const cairo_status_t status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return MakeError(ErrorKind::Storage, "labels.write",
                     "Cannot write " + file.string() + ": " + cairo_status_to_string(status) + ".", {{"file", file.string()}});
  return {};
}

Result<std::string> Zpl(const std::vector<LabelItem>& items, Symbology symbology) {
  if (items.empty()) return MakeError(ErrorKind::Usage, "labels.none", "No labels to print: name at least one unit, card or badge.");
  std::string out;
  for (const auto& item : items) {
    // The same checks as the PDF: data libzint refuses is refused here too, before any printing.
    auto e = Encode(item, symbology);
    if (!e.ok()) return e.error();
    out += "^XA\n^CI28\n^PW812\n^LL406\n";  // UTF-8; 4 x 2 inch at 203 dpi
    out += "^FO24,20^A0N,32,32^FB764,1,0,L^FD" + ZplText(item.title) + "^FS\n";
    if (symbology == Symbology::DataMatrix) {
      // ^BX with '_' as the escape character: "_1" is FNC1 (GS1 mode, and the separator after a
      // variable-length AI).
      std::string data;
      if (item.gs1) {
        data = "_1";
        auto ais = SplitGs1(item.data);
        for (size_t i = 0; i < ais.size(); ++i) {
          data += ais[i].first + ais[i].second;
          if (i + 1 < ais.size() && !FixedLengthAi(ais[i].first)) data += "_1";
        }
      } else {
        data = ZplText(item.data);
      }
      out += "^FO24,80^BXN,10,200,0,0,1,_^FD" + data + "^FS\n";
      int y = 96;
      for (const auto& line : HumanLines(item)) {
        out += "^FO300," + std::to_string(y) + "^A0N,30,30^FD" + ZplText(line) + "^FS\n";
        y += 40;
      }
    } else {
      // ^BC mode D is GS1-128: the AIs in parentheses, FNC1s added by the printer.
      out += "^FO24,80^BY2^BCN,200,N,N,N," + std::string(item.gs1 ? "D" : "A") + "^FD" + ZplText(item.data) + "^FS\n";
      out += "^FO24,300^A0N,30,30^FB764,1,0,C^FD" + ZplText(item.data) + "^FS\n";
    }
    out += "^XZ\n";
  }
  return out;
}

Status WriteJob(const LabelJob& job) {
  auto symbology = ParseSymbology(job.symbology);
  if (!symbology.ok()) return symbology.error();
  if (job.out.empty())
    return MakeError(ErrorKind::Usage, "labels.no_file", "Say where the labels go: a .pdf or .zpl file.");
  if (job.sheet == "zpl") {
    auto zpl = Zpl(job.items, *symbology);
    if (!zpl.ok()) return zpl.error();
    std::ofstream f(job.out, std::ios::binary | std::ios::trunc);
    f << *zpl;
    if (!f.flush())
      return MakeError(ErrorKind::Storage, "labels.write", "Cannot write " + job.out + ".", {{"file", job.out}});
    return {};
  }
  const SheetLayout* layout = FindSheetLayout(job.sheet);
  if (!layout)
    return MakeError(ErrorKind::Usage, "labels.sheet",
                     "Unknown label sheet \"" + job.sheet + "\": use a4-3x7, a4-2x7 or zpl.", {{"sheet", job.sheet}});
  return WritePdf(job.items, *symbology, *layout, job.out);
}

}  // namespace kiosk::labels
