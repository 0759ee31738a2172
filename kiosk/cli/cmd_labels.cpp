// `kiosk labels`: barcode labels for chosen demo units, partner cards and staff badges, as a PDF
// for A4 label sheets or as ZPL for a thermal printer. Built only with libzint and cairo
// (KIOSK_HAVE_LABELS); without them the command does not exist.
#ifdef KIOSK_HAVE_LABELS
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

#include "kiosk/cli/cli.hpp"
#include "kiosk/cli/output.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/labels/labels.hpp"

namespace kiosk::cli {
namespace {

using nlohmann::json;

struct LabelArgs {
  std::vector<std::string> codes;
  std::string symbology = "datamatrix";
  std::string sheet = "a4-3x7";
  std::string out;
};

}  // namespace

void RegisterLabelCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<LabelArgs>();
  std::string sheets;
  for (const auto& l : labels::SheetLayouts()) sheets += std::string(sheets.empty() ? "" : "; ") + l.name + ": " + l.description;
  CLI::App* cmd = app.add_subcommand("labels", "Print barcode labels for demo units, partner cards and badges (PDF or ZPL)");
  cmd->add_option("CODE", a->codes, "Asset tags, GS1 texts, partner card numbers or badge codes")->required();
  cmd->add_option("--symbology", a->symbology,
                  "datamatrix (GS1 DataMatrix for units; the default) or gs1-128 (GS1-128 for units, Code 128 for "
                  "cards and badges)")
      ->check(CLI::IsMember({"datamatrix", "gs1-128", "code128"}));
  cmd->add_option("--sheet", a->sheet, "PDF label sheet (" + sheets + "), or zpl for a Zebra-style printer")
      ->check(CLI::IsMember({"a4-3x7", "a4-2x7", "zpl"}));
  cmd->add_option("--out", a->out, "Output file (.pdf, or .zpl; \"-\" writes ZPL to stdout)")->required();
  cmd->callback([&ctx, a] {
    auto k = OpenKiosk(ctx, true);
    if (!k) return;
    LabelJob job;
    job.symbology = a->symbology;
    job.sheet = a->sheet;
    job.out = a->out;
    for (const auto& code : a->codes) {
      auto item = k->LabelFor(code);
      if (!item.ok()) return ReportError(ctx, item.error());  // nothing is written for a bad list
      job.items.push_back(std::move(*item));
    }
    const auto& items = job.items;
    if (a->sheet == "zpl" && a->out == "-") {
      auto symbology = labels::ParseSymbology(a->symbology);
      if (!symbology.ok()) return ReportError(ctx, symbology.error());
      auto zpl = labels::Zpl(items, *symbology);
      if (!zpl.ok()) return ReportError(ctx, zpl.error());
      std::cout << *zpl;
      return;
    }
    if (auto s = labels::WriteJob(job); !s.ok()) return ReportError(ctx, s.error());
    json list = json::array();
    for (const auto& i : items) list.push_back({{"title", i.title}, {"data", i.data}, {"gs1", i.gs1}});
    Emit(ctx, json{{"ok", true}, {"file", a->out}, {"sheet", a->sheet}, {"symbology", a->symbology}, {"labels", list}},
         std::to_string(items.size()) + (items.size() == 1 ? " label" : " labels") + " written to " + a->out + " (" + a->sheet + ").");
  });
}

}  // namespace kiosk::cli
#endif  // KIOSK_HAVE_LABELS
