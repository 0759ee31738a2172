#pragma once
// Labels: barcodes for demo units, partner cards and staff badges, as a PDF for A4 label sheets
// (cairo) or as ZPL for Zebra-style thermal printers. The symbols are encoded by libzint: GS1
// DataMatrix or GS1-128 for a unit's GS1 data, plain DataMatrix or Code 128 for a card number or
// a badge code (what the kiosk's scanner rules read). Every label carries its data as
// human-readable text too. No I/O beyond the output file; any thread.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::labels {

using LabelItem = LabelContent;  // kiosk/core/domain.hpp

enum class Symbology { DataMatrix, Code128 };  // with GS1 data: GS1 DataMatrix, GS1-128

// An A4 sheet of equal labels; sizes in millimetres.
struct SheetLayout {
  const char* name;         // "a4-3x7"
  const char* description;  // "A4, 3 x 7 labels of 63.5 x 38.1 mm (Avery L7160 and compatibles)"
  int columns, rows;
  double label_w_mm, label_h_mm;
  double top_mm, left_mm;          // first label's top-left corner from the page's
  double pitch_x_mm, pitch_y_mm;   // from one label's corner to the next one's
};

const std::vector<SheetLayout>& SheetLayouts();
const SheetLayout* FindSheetLayout(std::string_view name);
Result<Symbology> ParseSymbology(std::string_view name);  // "datamatrix", "gs1-128" / "code128"

// A PDF of as many sheets as the items need, one label per item, left to right, top to bottom.
Status WritePdf(const std::vector<LabelItem>& items, Symbology symbology, const SheetLayout& layout,
                const std::filesystem::path& file);
// ZPL II for 203 dpi printers with 4 x 2 inch (102 x 51 mm) labels: one ^XA..^XZ per item.
Result<std::string> Zpl(const std::vector<LabelItem>& items, Symbology symbology);

// The whole job: its sheet ("a4-3x7", "a4-2x7" or "zpl") and symbology checked, then the PDF or
// the ZPL written to job.out. What `kiosk labels` and the touchscreen's label action both call.
Status WriteJob(const LabelJob& job);

}  // namespace kiosk::labels
