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

// What a scanned or typed code prints as: a unit's GS1 data, a card number, a badge code.
Result<labels::LabelItem> ItemFor(Kiosk& k, const std::string& code) {
  auto r = k.Resolve(code);
  if (!r.ok()) return r.error();
  switch (r->kind) {
    case EntityKind::Device: {
      auto d = k.GetDevice(r->key);
      if (!d.ok()) return d.error();
      return labels::LabelItem{d->device.asset_tag + " · " + (d->model.name.empty() ? d->device.gtin : d->model.name),
                               "(01)" + d->device.gtin + "(21)" + d->device.serial, true};
    }
    case EntityKind::PartnerCard: {
      auto p = k.GetPartner(r->key);
      if (!p.ok()) return p.error();
      // A blocked card is reported lost or withdrawn: a new label for it would put it back in use.
      if (p->card_status == CardStatus::Blocked)
        return MakeError(ErrorKind::Refused, "card.blocked",
                         "Card " + p->card_number + " of " + p->partner.name +
                             " is blocked (reported lost or withdrawn): no label is printed for it.",
                         {{"card", p->card_number}, {"partner", p->partner.name}});
      return labels::LabelItem{p->partner.name, p->card_number, false};
    }
    case EntityKind::Badge: {
      auto b = k.FindBadge(r->key);
      if (!b.ok()) return b.error();
      return labels::LabelItem{b->name + " · " + std::string(ToString(b->role)), b->code, false};
    }
    case EntityKind::Model:
    case EntityKind::Unknown: break;
  }
  return MakeError(ErrorKind::Usage, "labels.what",
                   "\"" + code + "\" is not a demo unit, partner card or staff badge of this kiosk: labels are for those.",
                   {{"code", code}});
}

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
    std::vector<labels::LabelItem> items;
    for (const auto& code : a->codes) {
      auto item = ItemFor(*k, code);
      if (!item.ok()) return ReportError(ctx, item.error());  // nothing is written for a bad list
      items.push_back(std::move(*item));
    }
    auto symbology = labels::ParseSymbology(a->symbology);
    if (!symbology.ok()) return ReportError(ctx, symbology.error());
    if (a->sheet == "zpl") {
      auto zpl = labels::Zpl(items, *symbology);
      if (!zpl.ok()) return ReportError(ctx, zpl.error());
      if (a->out == "-") {
        std::cout << *zpl;
        return;
      }
      std::ofstream f(a->out, std::ios::binary | std::ios::trunc);
      f << *zpl;
      if (!f.flush())
        return ReportError(ctx, MakeError(ErrorKind::Storage, "labels.write", "Cannot write " + a->out + ".", {{"file", a->out}}));
    } else {
      const labels::SheetLayout* layout = labels::FindSheetLayout(a->sheet);
      if (auto s = labels::WritePdf(items, *symbology, *layout, a->out); !s.ok()) return ReportError(ctx, s.error());
    }
    json list = json::array();
    for (const auto& i : items) list.push_back({{"title", i.title}, {"data", i.data}, {"gs1", i.gs1}});
    Emit(ctx, json{{"ok", true}, {"file", a->out}, {"sheet", a->sheet}, {"symbology", a->symbology}, {"labels", list}},
         std::to_string(items.size()) + (items.size() == 1 ? " label" : " labels") + " written to " + a->out + " (" + a->sheet + ").");
  });
}

}  // namespace kiosk::cli
#endif  // KIOSK_HAVE_LABELS
