// The core subcommands: init, status, lookups, the showroom actions, journal, verify and
// reference loading. Each is a thin face over kiosk::Kiosk.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "kiosk/cli/cli.hpp"
#include "kiosk/cli/output.hpp"
#include "kiosk/core/assets.hpp"
#include "kiosk/core/atomic_file.hpp"
#include "kiosk/core/config.hpp"
#include "kiosk/core/signature.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/core/reference.hpp"

namespace kiosk::cli {
namespace {

using nlohmann::json;

std::string Num(double v) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << std::fixed << std::setprecision(v == static_cast<int64_t>(v) ? 0 : 2) << v;
  return s.str();
}

json ReceiptJson(const Receipt& r) {
  json warnings = json::array();
  for (const auto& w : r.warnings) warnings.push_back(w.message);
  return json{{"ok", true},       {"seq", r.seq},           {"event_id", r.event_id}, {"type", r.type},
              {"message", r.message}, {"warnings", warnings}, {"payload", r.payload}};
}

void EmitReceipt(Context& ctx, const Result<Receipt>& r) {
  if (!r.ok()) return ReportError(ctx, r.error());
  std::string human = r->message + "\n  logged as journal seq " + std::to_string(r->seq);
  for (const auto& w : r->warnings) human += "\n  warning: " + w.message;
  Emit(ctx, ReceiptJson(*r), human);
}

json ChangesJson(const std::vector<OutcomeLine>& lines) {
  json list = json::array();
  for (const OutcomeLine& l : lines)
    list.push_back(json{{"source", l.source}, {"seq", l.seq},   {"at", l.at},         {"kind", l.kind},
                        {"act", l.act},       {"shown", l.shown}, {"message", l.text}, {"key", l.key}});
  return list;
}

json ConflictsJson(const std::vector<CustodyConflictView>& conflicts) {
  json list = json::array();
  for (const CustodyConflictView& c : conflicts)
    list.push_back(json{{"asset_tag", c.asset_tag}, {"held_here", c.held_here}, {"other_kiosk", c.other_kiosk},
                        {"rep", c.rep},             {"rep_name", c.rep_name},   {"since", c.since},
                        {"resolved_at", c.resolved_at}, {"message", c.text}});
  return list;
}

json PartnerJson(const PartnerView& v) {
  const json nt = RequirementsToJson(v.partner.next_tier);
  json credits = json::array();
  for (const CreditLine& c : v.credits)
    credits.push_back({{"seq", c.seq}, {"gtin", c.gtin}, {"model", c.model}, {"units", c.units}, {"points", c.points},
                       {"credited_at", c.credited_at}});
  return json{{"id", v.partner.id},
              {"name", v.partner.name},
              {"country", v.partner.country},
              {"region", v.partner.region},
              {"tier", ToString(v.partner.tier)},
              {"type", ToString(v.partner.type)},
              {"authorization", ToString(v.partner.authorization)},
              {"status", ToString(v.partner.status)},
              {"certified_sales", v.partner.certified_sales},
              {"certified_technical", v.partner.certified_technical},
              {"card", v.card_number},
              {"card_status", ToString(v.card_status)},
              {"points", {{"synced", v.balance.available}, {"pending", v.pending_points}, {"held", v.held_points},
                          {"available", v.available_points}, {"credited", v.credited_points},
                          {"pending_central", v.balance.pending}, {"pending_sellouts", v.earn_pending}}},
              {"credits", credits},
              {"unsynced_redemptions", v.unsynced_redemptions},
              {"open_demo_orders", v.open_demo_orders},
              {"next_tier", nt},
              {"changes", ChangesJson(v.changes)}};
}

std::string PartnerHuman(const PartnerView& v) {
  std::ostringstream o;
  const Partner& p = v.partner;
  o << p.name << "  [" << p.id << "]\n"
    << "  " << DisplayName(p.tier) << " · " << DisplayName(p.type) << " · " << ToString(p.authorization) << " · "
    << (p.status == PartnerStatus::Active ? "active" : "SUSPENDED") << " · " << p.country
    << (p.region.empty() ? "" : " / " + p.region) << "\n";
  if (!v.card_number.empty())
    o << "  card " << v.card_number << (v.card_status == CardStatus::Blocked ? " (BLOCKED)" : "") << "\n";
  o << "  points: " << v.available_points << " available";
  if (v.held_points) o << " (" << v.balance.available << " synced − " << v.held_points << " held offline)";
  o << ", " << v.pending_points << " pending";
  if (v.earn_pending) o << " (" << v.earn_pending << " estimated for sell-outs not yet credited)";
  o << "\n";
  o << "  credited for sell-outs here: " << v.credited_points << "\n";
  for (const CreditLine& c : v.credits)
    o << "    +" << c.points << " for " << c.units << " × " << c.model << " (seq " << c.seq << ", "
      << c.credited_at.substr(0, 10) << ")\n";
  o << "  certified staff: " << p.certified_sales << " sales, " << p.certified_technical << " technical\n";
  o << "  open demo orders: " << v.open_demo_orders << "\n";
  if (auto next = NextTier(p.tier)) {
    o << "  to reach " << DisplayName(*next) << ":\n";
    for (const auto& r : p.next_tier) {
      const double pct = r.need > 0 ? std::min(100.0, 100.0 * r.have / r.need) : 100.0;
      o << "    " << std::left << std::setw(28) << r.label << Num(r.have) << " / " << Num(r.need)
        << (r.unit.empty() ? "" : " " + r.unit) << "  (" << static_cast<int>(pct) << "%"
        << (r.have < r.need ? ", " + Num(r.need - r.have) + " missing" : ", done") << ")\n";
    }
  } else {
    o << "  Platinum: the highest tier.\n";
  }
  if (!v.changes.empty()) {
    o << "  changed since the last visit (kiosk outcomes " << (v.card_number.empty() ? v.partner.id : v.card_number)
      << " marks them seen):\n";
    for (const OutcomeLine& l : v.changes) o << "    " << (l.act ? "! " : "- ") << l.text << "\n";
  }
  return o.str();
}

json DeviceJson(const DeviceView& v) {
  json history = json::array();
  for (const auto& h : v.history)
    history.push_back({{"seq", h.seq}, {"type", h.type}, {"wall_time", h.wall_time}, {"actor", h.actor},
                       {"summary", h.summary}});
  return json{{"asset_tag", v.device.asset_tag}, {"gtin", v.device.gtin},
              {"serial", v.device.serial},       {"model", v.model.name},
              {"kit", v.device.kit},             {"kit_members", v.kit_members},
              {"state", ToString(v.device.state)}, {"custodian", v.device.custodian},
              {"custodian_name", v.custodian_name}, {"due_date", v.device.due_date},
              {"purpose", v.device.purpose},     {"location", v.device.location},
              {"overdue", v.overdue},            {"history", history},
              {"conflicts", ConflictsJson(v.conflicts)}};
}

std::string DeviceHuman(const DeviceView& v) {
  std::ostringstream o;
  o << v.device.asset_tag << "  " << (v.model.name.empty() ? v.device.gtin : v.model.name) << "\n"
    << "  GTIN " << v.device.gtin << ", serial " << v.device.serial << "\n"
    << "  " << DisplayName(v.device.state);
  if (v.device.state == DeviceState::CheckedOut)
    o << " to " << (v.custodian_name.empty() ? v.device.custodian : v.custodian_name) << ", due " << v.device.due_date
      << (v.overdue ? "  ** OVERDUE **" : "") << (v.device.purpose.empty() ? "" : " (" + v.device.purpose + ")");
  o << "\n";
  for (const CustodyConflictView& c : v.conflicts) o << "  ** CUSTODY CONFLICT: " << c.text << "\n";
  if (!v.device.location.empty()) o << "  location: " << v.device.location << "\n";
  if (!v.kit_members.empty()) {
    o << "  kit " << v.device.kit << ":";
    for (const auto& k : v.kit_members) o << " " << k;
    o << "\n";
  }
  for (const auto& h : v.history) o << "  #" << h.seq << " " << h.wall_time << " " << h.type << " " << h.summary << "\n";
  return o.str();
}

// Registers a subcommand whose callback gets an open Kiosk.
template <typename Fn>
CLI::App* AddKioskCommand(CLI::App& app, Context& ctx, const char* name, const char* help, Fn fn,
                          bool read_only = false) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->callback([&ctx, fn, read_only] {
    auto kiosk = OpenKiosk(ctx, read_only);
    if (kiosk) fn(*kiosk);
  });
  return sub;
}

}  // namespace

void RegisterCoreCommands(CLI::App& app, Context& ctx) {
  // ---- init ----
  struct InitArgs {
    bool demo = false;
    std::string kiosk_id;
    std::string reference;
  };
  auto init = std::make_shared<InitArgs>();
  CLI::App* init_cmd = app.add_subcommand("init", "Create the data folder: key file, database, optional demo showroom");
  init_cmd->add_flag("--demo", init->demo, "Seed the demo showroom (assets/demo/showroom.json)");
  init_cmd->add_option("--kiosk-id", init->kiosk_id, "This kiosk's id (default: KIOSK-<random>)");
  init_cmd->add_option("--reference", init->reference, "Seed from this reference data file instead");
  init_cmd->callback([&ctx, init] {
    InitOptions o{ctx.data_dir, init->kiosk_id, std::nullopt};
    if (!init->reference.empty()) o.reference_file = init->reference;
    else if (init->demo) {
      o.reference_file = AssetsDir() / "demo" / "showroom.json";
      o.move_dates_to_today = true;
    }
    auto id = Kiosk::Init(o);
    if (!id.ok()) return ReportError(ctx, id.error());
    Emit(ctx, json{{"ok", true}, {"kiosk_id", *id}, {"data_dir", ctx.data_dir}},
         "Kiosk " + *id + " created in " + ctx.data_dir + (o.reference_file ? " with the demo showroom." : ".") +
             "\nNext: `kiosk status`, or start the touchscreen with `kiosk`.");
  });

  // ---- status ----
  AddKioskCommand(app, ctx, "status", "Show the kiosk's state: journal, sync, reference data", [&ctx](Kiosk& k) {
    StatusView s = k.Status();
    json j{{"kiosk_id", s.kiosk_id},
           {"journal", {{"events", s.journal_events}, {"last_seq", s.last_seq}, {"last_hash", s.last_hash}}},
           {"sync", {{"pending_events", s.pending_events}, {"oldest_pending", s.oldest_pending},
                     {"last_sync", s.last_sync}, {"last_error", s.last_sync_error},
                     {"hours_since_fresh_data", s.hours_since_sync}, {"stale", s.stale}}},
           {"reference", {{"version", s.reference_version}, {"partners", s.partners}, {"cards", s.cards},
                          {"badges", s.badges}, {"models", s.models}, {"devices", s.devices}, {"rewards", s.rewards}}},
           {"devices_out", s.devices_out},
           {"devices_overdue", s.devices_overdue},
           {"database", {{"health", s.database_health}, {"read_only", s.read_only}}},
           {"barcode_rules", {{"loaded", s.barcode_rules_error.empty()}, {"error", s.barcode_rules_error}}},
           {"data_dir", ctx.data_dir}};
    if (s.journal_fork)
      j["journal_fork"] = {{"kind", s.journal_fork->kind},         {"central_seq", s.journal_fork->central_seq},
                           {"local_seq", s.journal_fork->local_seq}, {"detected_at", s.journal_fork->detected_at},
                           {"via", s.journal_fork->via}};
    else
      j["journal_fork"] = nullptr;
    std::ostringstream o;
    o << "Kiosk " << s.kiosk_id << "  (data: " << ctx.data_dir << ")\n"
      << "  database:  " << (s.database_health == "ok" ? "ok" : "DAMAGED: " + s.database_health)
      << (s.read_only ? " (read-only)" : "") << "\n"
      << "  journal:   " << Count(s.journal_events, "event", "events") << ", last seq " << s.last_seq << "\n"
      << "  sync:      " << Count(s.pending_events, "event", "events") << " waiting";
    if (!s.oldest_pending.empty()) o << " (oldest " << s.oldest_pending << ")";
    o << "; last sync " << (s.last_sync.empty() ? "never" : s.last_sync) << "\n";
    if (!s.last_sync_error.empty()) o << "  last sync error: " << s.last_sync_error << "\n";
    if (s.journal_fork)
      o << "  RESTORED FROM AN OLDER BACKUP: the central holds this kiosk's journal up to seq "
        << s.journal_fork->central_seq << ", this kiosk only up to seq " << s.journal_fork->local_seq
        << " of its own (seen " << s.journal_fork->detected_at << "). Actions are refused until an admin runs "
        << "`kiosk recover` (README: Recovering)\n";
    if (!s.barcode_rules_error.empty())
      o << "  barcode rules NOT LOADED, the built-in rules are used: " << s.barcode_rules_error
        << " (fix the file; `kiosk doctor` checks it)\n";
    if (s.stale) o << "  data is STALE: redemptions and demo orders are paused until the next sync\n";
    o << "  reference: version " << s.reference_version << ": " << Count(s.partners, "partner", "partners") << ", "
      << Count(s.cards, "card", "cards") << ", " << Count(s.badges, "badge", "badges") << ", "
      << Count(s.models, "model", "models") << ", " << Count(s.devices, "demo unit", "demo units") << ", "
      << Count(s.rewards, "reward", "rewards") << "\n"
      << "  demo units out: " << s.devices_out << " (" << s.devices_overdue << " overdue)\n";
    Emit(ctx, j, o.str());
  }, true);

  // ---- lookups ----
  auto code = std::make_shared<std::string>();
  AddKioskCommand(app, ctx, "partner", "Show a partner by card number (or partner id)", [&ctx, code](Kiosk& k) {
    auto v = k.GetPartner(*code);
    if (!v.ok()) return ReportError(ctx, v.error());
    if (v->card_status != CardStatus::Blocked) return Emit(ctx, PartnerJson(*v), PartnerHuman(*v));
    // A blocked card is shown (staff need to see the partner's other cards) but refused, as at
    // the touchscreen: the same reason, and the exit code of a refusal.
    const Error blocked = MakeError(ErrorKind::Refused, "card.blocked",
                                    "Card " + v->card_number + " of " + v->partner.name +
                                        " is blocked (reported lost or withdrawn): it cannot be used. Use another of "
                                        "the partner's cards, or ask its channel manager.",
                                    {{"card", v->card_number}, {"partner", v->partner.name}});
    json j = PartnerJson(*v);
    j["ok"] = false;
    j["error"] = {{"kind", ToString(blocked.kind)}, {"code", blocked.code}, {"message", blocked.message}};
    Emit(ctx, j, PartnerHuman(*v));
    if (!ctx.json) std::cerr << "refused: " << blocked.message << " [" << blocked.code << "]\n";
    ctx.exit_code = ExitCodeFor(blocked.kind);
  }, true)->add_option("CARD", *code, "Partner card number or partner id")->required();

  // ---- what changed for a partner (issue 17 item 5): the partner's page's list, for scripts ----
  struct OutcomesArgs {
    std::string card;
    bool all = false;
    bool keep = false;
  };
  auto oc = std::make_shared<OutcomesArgs>();
  CLI::App* oc_cmd = AddKioskCommand(app, ctx, "outcomes",
                                     "What the central decided for a partner since staff last saw it (marks it seen)",
                                     [&ctx, oc](Kiosk& k) {
    auto lines = k.PartnerChanges(oc->card, oc->all);
    if (!lines.ok()) return ReportError(ctx, lines.error());
    // Seen, as on the partner's page: the next scan lists only what changes after this. --all is
    // the whole record (it marks nothing), --keep a look that leaves the list for the page.
    if (!oc->all && !oc->keep)
      if (auto s = k.MarkChangesShown(*lines); !s.ok()) return ReportError(ctx, s.error());
    std::ostringstream o;
    for (const OutcomeLine& l : *lines)
      o << "  " << (l.at.empty() ? std::string(20, ' ') : l.at) << "  " << (l.act ? "! " : "- ") << l.text
        << (oc->all && l.shown ? "  (seen)" : "") << "\n";
    std::string human = lines->empty() ? (oc->all ? "Nothing decided for this partner yet.\n"
                                                  : "Nothing changed since the partner's last visit.\n")
                                       : o.str();
    Emit(ctx, json{{"ok", true}, {"changes", ChangesJson(*lines)}}, human);
  });
  oc_cmd->add_option("CARD", oc->card, "Partner card number or partner id")->required();
  oc_cmd->add_flag("--all", oc->all, "Everything decided for the partner here, seen or not (marks nothing)");
  oc_cmd->add_flag("--keep", oc->keep, "Show what is new without marking it seen");

  // ---- custody conflicts (issue 17 item 5): the central's, over this kiosk's units ----
  AddKioskCommand(app, ctx, "conflicts", "List the custody conflicts the central reported over this kiosk's units",
                  [&ctx](Kiosk& k) {
    auto list = k.CustodyConflicts();
    if (!list.ok()) return ReportError(ctx, list.error());
    std::ostringstream o;
    for (const CustodyConflictView& c : *list) o << "  " << (c.resolved_at.empty() ? "" : "(resolved " + c.resolved_at + ") ") << c.text << "\n";
    Emit(ctx, json{{"ok", true}, {"conflicts", ConflictsJson(*list)}},
         list->empty() ? "No custody conflicts.\n" : o.str());
  }, true);

  // ---- demo orders (issue 17): this kiosk's, with the central's last word on each ----
  auto order_partner = std::make_shared<std::string>();
  AddKioskCommand(app, ctx, "orders", "List this kiosk's demo orders and their states as the central last said",
                  [&ctx, order_partner](Kiosk& k) {
    auto orders = k.Orders(*order_partner);
    if (!orders.ok()) return ReportError(ctx, orders.error());
    json list = json::array();
    std::ostringstream o;
    for (const DemoOrderLine& l : *orders) {
      json x{{"seq", l.seq},         {"partner_id", l.partner_id}, {"gtin", l.gtin},         {"model", l.model},
             {"qty", l.qty},         {"state", l.state},           {"created", l.created},   {"state_at", l.state_at},
             {"note", l.note},       {"serial", l.serial},         {"asset_tag", l.asset_tag}};
      list.push_back(x);
      o << "  #" << l.seq << "  " << l.created << "  " << l.partner_id << "  " << l.qty << " x " << l.model << "  "
        << (l.state == "open" ? "sent, no word from the central yet" : l.state);
      if (!l.state_at.empty() && l.state != "open") o << " " << l.state_at;
      if (!l.asset_tag.empty()) o << " (unit " << l.asset_tag << ", serial " << l.serial << ")";
      if (!l.note.empty()) o << ": " << l.note;
      o << "\n";
    }
    std::string human = orders->empty() ? "No demo orders at this kiosk.\n" : o.str();
    Emit(ctx, json{{"ok", true}, {"orders", list}}, human);
  }, true)->add_option("--partner", *order_partner, "Only this partner's (card number or partner id)");

  auto dev_code = std::make_shared<std::string>();
  AddKioskCommand(app, ctx, "device", "Show a demo unit by asset tag or GS1 barcode text", [&ctx, dev_code](Kiosk& k) {
    auto v = k.GetDevice(*dev_code);
    if (!v.ok()) return ReportError(ctx, v.error());
    Emit(ctx, DeviceJson(*v), DeviceHuman(*v));
  }, true)->add_option("CODE", *dev_code, "Asset tag, or the text of its GS1 barcode, e.g. (01)...(21)...")->required();

  AddKioskCommand(app, ctx, "overdue", "List demo units past their due date", [&ctx](Kiosk& k) {
    json arr = json::array();
    std::string human;
    for (const auto& v : k.Overdue()) {
      arr.push_back(DeviceJson(v));
      human += v.device.asset_tag + "  " + v.model.name + "  due " + v.device.due_date + "  with " +
               (v.custodian_name.empty() ? v.device.custodian : v.custodian_name) + "\n";
    }
    Emit(ctx, arr, human.empty() ? "No demo units are overdue." : human);
  }, true);

  auto reward_card = std::make_shared<std::string>();
  AddKioskCommand(app, ctx, "rewards", "List the rewards catalogue (and what a partner can redeem)",
                  [&ctx, reward_card](Kiosk& k) {
                    json arr = json::array();
                    std::ostringstream o;
                    for (const auto& v : k.Rewards(*reward_card)) {
                      // With an allocation from the central (shared stock), what is left of it here.
                      const int64_t left = v.units_left >= 0 ? v.units_left : v.reward.stock;
                      json j{{"id", v.reward.id}, {"name", v.reward.name}, {"category", v.reward.category},
                             {"points", v.reward.points}, {"stock", v.reward.stock}, {"left_here", left},
                             {"allocated", v.units_left >= 0}, {"redeemable", v.affordable}, {"why_not", v.why_not}};
                      arr.push_back(std::move(j));
                      o << std::left << std::setw(7) << v.reward.id << std::setw(34) << v.reward.name << std::right
                        << std::setw(8) << v.reward.points << " pts  " << (v.units_left >= 0 ? "left here " : "stock ")
                        << left << (v.affordable ? "" : "  — " + v.why_not) << "\n";
                    }
                    Emit(ctx, arr, o.str());
                  }, true)
      ->add_option("--partner", *reward_card, "Partner card: show what it can redeem now");

  // The vendor's decisions on the showroom's deals, as the last pull or stick brought them.
  auto deal_partner = std::make_shared<std::string>();
  AddKioskCommand(app, ctx, "deals", "List the deals registered here and the vendor's decisions",
                  [&ctx, deal_partner](Kiosk& k) {
                    auto deals = k.Deals(*deal_partner);
                    if (!deals.ok()) return ReportError(ctx, deals.error());
                    json arr = json::array();
                    std::ostringstream o;
                    for (const DealView& d : *deals) {
                      arr.push_back({{"seq", d.seq}, {"partner_id", d.partner_id}, {"partner", d.partner_name},
                                     {"customer", d.customer}, {"product", d.product}, {"value_eur", d.value_eur},
                                     {"close_date", d.close_date}, {"registered_at", d.registered_at},
                                     {"status", d.status}, {"decided_at", d.decided_at}, {"due", d.due},
                                     {"age", d.age}, {"overdue", d.overdue}, {"reason", d.reason},
                                     {"message", d.message}});
                      o << "#" << d.seq << "  " << d.partner_name << ": " << d.customer << ", " << d.product << ", EUR "
                        << std::fixed << std::setprecision(2) << d.value_eur << "\n    ";
                      if (d.status == "pending")
                        o << "pending for " << d.age << ", the vendor decides by " << d.due
                          << (d.overdue ? " (OVERDUE)" : "");
                      else
                        o << d.status << (d.decided_at.empty() ? "" : " " + d.decided_at)
                          << (d.reason.empty() ? "" : ": " + d.reason);
                      o << "\n";
                    }
                    Emit(ctx, arr, arr.empty() ? "No deals registered here." : o.str());
                  }, true)
      ->add_option("--partner", *deal_partner, "Only this partner's deals (card number or partner id)");

  // ---- demo equipment ----
  auto co = std::make_shared<CheckoutRequest>();
  auto co_signature_file = std::make_shared<std::string>();
  auto co_cmd = AddKioskCommand(app, ctx, "checkout", "Check demo units out to a field rep",
                                [&ctx, co, co_signature_file](Kiosk& k) {
                                  if (!co_signature_file->empty()) {
                                    std::ifstream in(*co_signature_file, std::ios::binary);
                                    std::stringstream text;
                                    text << in.rdbuf();
                                    if (!in)
                                      return ReportError(
                                          ctx, MakeError(ErrorKind::Usage, "signature.file",
                                                         "Cannot read the signature file " + *co_signature_file +
                                                             ": give an SVG file or a file with an SVG path."));
                                    co->signature_svg = PathFromSvgText(text.str());
                                    if (co->signature_svg.empty())
                                      return ReportError(
                                          ctx, MakeError(ErrorKind::Usage, "signature.file",
                                                         *co_signature_file +
                                                             " holds no drawing: give an SVG file with a <path d=...> "
                                                             "or a file with an SVG path such as \"M10 40 L60 35\"."));
                                  } else if (co->no_signature_reason.empty()) {
                                    co->no_signature_reason = kSignatureNotGivenAtCli;
                                  }
                                  EmitReceipt(ctx, k.Checkout(*co));
                                });
  co_cmd->add_option("CODE", co->codes, "Asset tags or GS1 barcode texts")->required();
  co_cmd->add_option("--rep", co->rep_badge, "The field rep's badge")->required();
  co_cmd->add_option("--due", co->due_date, "Due date YYYY-MM-DD (default: today + the loan period)");
  co_cmd->add_option("--purpose", co->purpose, "Purpose, e.g. \"Customer demo at Acme\"");
  auto co_sig = co_cmd->add_option("--signature", *co_signature_file,
                                   "The rep's signature: an SVG file (or a file with an SVG path), kept as evidence");
  co_cmd->add_option("--no-signature", co->no_signature_reason,
                     "Why there is no signature (journaled; without either option: \"not given at the command line\")")
      ->excludes(co_sig);

  // The signature of a checkout, as an SVG or PNG document: evidence when a unit goes missing.
  struct SignatureArgs {
    int64_t seq = 0;
    std::string out;
    std::string format;
  };
  auto sg = std::make_shared<SignatureArgs>();
  auto sg_cmd = AddKioskCommand(
      app, ctx, "signature", "Show a checkout's signature as SVG or PNG (to --out FILE, or SVG to the terminal)",
      [&ctx, sg](Kiosk& k) {
        auto format = ChooseSignatureFormat(sg->format, sg->out);
        if (!format.ok()) return ReportError(ctx, format.error());
        auto r = k.SignatureOf(sg->seq);
        if (!r.ok()) return ReportError(ctx, r.error());
        auto doc = SignatureDocument(*r, *format);
        if (!doc.ok()) return ReportError(ctx, doc.error());
        if (!sg->out.empty()) {
          auto w = WriteFileAtomically(sg->out, *doc);
          if (!w.ok()) return ReportError(ctx, w.error());
        }
        json j{{"seq", r->seq}, {"kiosk_id", r->kiosk_id}, {"rep", r->rep}, {"units", r->asset_tags},
               {"wall_time", r->wall_time}, {"path", r->path}, {"format", *format == SignatureFormat::Png ? "png" : "svg"}};
        if (!sg->out.empty()) j["file"] = sg->out;
        Emit(ctx, j, sg->out.empty() ? *doc : SignatureWritten(*r, sg->out));
      },
      true);
  sg_cmd->add_option("SEQ", sg->seq, "The checkout's journal seq (kiosk journal, or the receipt)")->required();
  sg_cmd->add_option("--out", sg->out, "Write it to this file (a .png name writes PNG)");
  sg_cmd->add_option("--format", sg->format, "svg or png (default: by the --out file's extension, else svg)");

  auto ci = std::make_shared<CheckinRequest>();
  auto ci_cmd = AddKioskCommand(app, ctx, "checkin", "Check demo units back in",
                                [&ctx, ci](Kiosk& k) { EmitReceipt(ctx, k.Checkin(*ci)); });
  ci_cmd->add_option("CODE", ci->codes, "Asset tags or GS1 barcode texts")->required();
  ci_cmd->add_option("--by", ci->by_badge, "Badge of the person checking in")->required();
  ci_cmd->add_option("--condition", ci->condition, "Condition: ok (default), or \"damaged: ...\" to send to repair");

  auto au = std::make_shared<AuditRequest>();
  auto au_cmd = AddKioskCommand(app, ctx, "audit", "Record demo units seen in a stocktake",
                                [&ctx, au](Kiosk& k) { EmitReceipt(ctx, k.Audit(*au)); });
  au_cmd->add_option("CODE", au->codes, "Asset tags or GS1 barcode texts")->required();
  au_cmd->add_option("--by", au->by_badge, "Badge of the person counting")->required();

  // ---- partner actions ----
  auto od = std::make_shared<DemoOrderRequest>();
  auto od_cmd = AddKioskCommand(app, ctx, "order-demo", "Order demo units for a partner",
                                [&ctx, od](Kiosk& k) { EmitReceipt(ctx, k.OrderDemo(*od)); });
  od_cmd->add_option("--partner", od->partner_card, "Partner card")->required();
  od_cmd->add_option("--model", od->model_gtin, "Model GTIN from the demo catalogue")->required();
  od_cmd->add_option("--qty", od->qty, "Units (default 1)");
  od_cmd->add_option("--by", od->by_badge, "Staff badge")->required();

  auto rd = std::make_shared<RedeemRequest>();
  auto rd_cmd = AddKioskCommand(app, ctx, "redeem", "Redeem loyalty points for a reward",
                                [&ctx, rd](Kiosk& k) { EmitReceipt(ctx, k.Redeem(*rd)); });
  rd_cmd->add_option("--partner", rd->partner_card, "Partner card")->required();
  rd_cmd->add_option("--reward", rd->reward_id, "Reward id, e.g. R-001")->required();
  rd_cmd->add_option("--qty", rd->qty, "Quantity (default 1)");
  rd_cmd->add_option("--by", rd->by_badge, "Staff badge")->required();

  auto so = std::make_shared<SelloutRequest>();
  auto so_cmd = AddKioskCommand(app, ctx, "sellout", "Report units sold to end customers",
                                [&ctx, so](Kiosk& k) { EmitReceipt(ctx, k.ReportSellout(*so)); });
  so_cmd->add_option("--partner", so->partner_card, "Partner card")->required();
  so_cmd->add_option("CODE", so->codes, "GS1 barcode texts with GTIN and serial, e.g. (01)...(21)...")->required();
  so_cmd->add_option("--by", so->by_badge, "Staff badge")->required();

  auto dl = std::make_shared<DealRequest>();
  auto dl_cmd = AddKioskCommand(app, ctx, "register-deal", "Register a deal (opportunity) for a partner",
                                [&ctx, dl](Kiosk& k) { EmitReceipt(ctx, k.RegisterDeal(*dl)); });
  dl_cmd->add_option("--partner", dl->partner_card, "Partner card")->required();
  dl_cmd->add_option("--customer", dl->customer, "End customer's name")->required();
  dl_cmd->add_option("--product", dl->product, "Product or solution")->required();
  dl_cmd->add_option("--value", dl->value, "Expected value in EUR")->required();
  dl_cmd->add_option("--close", dl->close_date, "Expected close date YYYY-MM-DD")->required();
  dl_cmd->add_option("--by", dl->by_badge, "Staff badge")->required();

  // ---- journal ----
  struct JournalArgs {
    int64_t since = 1;
    int64_t limit = 1000000;
  };
  auto jr = std::make_shared<JournalArgs>();
  auto jr_cmd = AddKioskCommand(app, ctx, "journal", "Print journal events (works on a damaged database too)",
                                [&ctx, jr](Kiosk& k) {
                                  auto events = k.Journal(jr->since, jr->limit);
                                  if (!events.ok()) return ReportError(ctx, events.error());
                                  if (ctx.json) {
                                    json arr = json::array();
                                    for (const auto& e : *events) arr.push_back(ToJson(e));
                                    std::cout << arr.dump(1) << "\n";
                                    return;
                                  }
                                  for (const auto& e : *events)
                                    std::cout << std::setw(6) << e.seq << "  " << e.wall_time << "  " << std::left
                                              << std::setw(20) << e.type << std::right << " "
                                              << (e.actor.empty() ? "-" : e.actor) << "  " << e.payload << "\n";
                                }, true);
  jr_cmd->add_option("--since", jr->since, "First seq to print (default 1)");
  jr_cmd->add_option("--limit", jr->limit, "At most this many events");

  AddKioskCommand(app, ctx, "verify", "Walk the journal's HMAC chain; exit 3 at the first bad event", [&ctx](Kiosk& k) {
    auto r = k.Verify();
    if (!r.ok()) return ReportError(ctx, r.error());
    json j{{"ok", r->ok}, {"events", r->events}, {"anchor_seq", r->anchor_seq}};
    if (!r->ok) {
      j["first_bad_seq"] = r->first_bad_seq;
      j["problem"] = r->problem;
      if (r->missing_to) j["missing"] = {{"from_seq", r->missing_from}, {"to_seq", r->missing_to}};
      ctx.exit_code = 3;  // an integrity failure, like every other
      if (!ctx.json) {
        std::cerr << "journal verification FAILED at seq " << r->first_bad_seq << ": " << r->problem << "\n";
        if (r->missing_to == 0)
          std::cerr << "  " << Count(r->events, "event", "events") << " before it " << (r->events == 1 ? "is" : "are")
                    << " intact.\n";
        return;
      }
    }
    Emit(ctx, j,
         "journal ok: " + Count(r->events, "event", "events") + ", chain and HMACs verified" +
             (r->anchor_seq ? ", and it holds the central's signed anchor at seq " + std::to_string(r->anchor_seq)
                            : std::string(", no anchor from a central yet")));
  }, true);

  auto keep_days = std::make_shared<int>(-1);
  AddKioskCommand(app, ctx, "prune", "Remove old events the central has acknowledged (retention)",
                  [&ctx, keep_days](Kiosk& k) {
                    int days = *keep_days;
                    if (days < 0) {
                      auto config = LoadConfigFromEnvironment();
                      if (!config.ok()) return ReportError(ctx, config.error());
                      days = config->retention_days;
                    }
                    auto n = k.PruneAcknowledged(days);
                    if (!n.ok()) return ReportError(ctx, n.error());
                    Emit(ctx, json{{"ok", true}, {"removed", *n}, {"keep_days", days}},
                         days <= 0 ? "Retention is off (keep_days 0): nothing removed."
                                   : Count(*n, "acknowledged event", "acknowledged events") + " older than " +
                                         Count(days, "day", "days") + " removed.");
                  })
      ->add_option("--keep-days", *keep_days, "Keep this many days (default: retention_days from the config)");

  // For crash tests: logs stocktake events one after another and says "logged SEQ" after each
  // commit, so a test can kill the process at any moment and check every reported event is there.
  struct StressArgs {
    int count = 100;
    std::string by;
    std::vector<std::string> codes;
  };
  auto st = std::make_shared<StressArgs>();
  auto st_cmd = AddKioskCommand(app, ctx, "stress-append", "Log N stocktake events as fast as possible (crash tests)",
                                [&ctx, st](Kiosk& k) {
                                  for (int i = 0; i < st->count; ++i) {
                                    auto r = k.Audit({.codes = st->codes, .by_badge = st->by});
                                    if (!r.ok()) return ReportError(ctx, r.error());
                                    std::cout << "logged " << r->seq << std::endl;  // flushed: the test reads it live
                                  }
                                });
  st_cmd->group("");  // hidden from --help
  st_cmd->add_option("--count", st->count, "Events to log");
  st_cmd->add_option("--by", st->by, "Badge")->required();
  st_cmd->add_option("CODE", st->codes, "Units to record")->required();

  auto ref_file = std::make_shared<std::string>();
  AddKioskCommand(app, ctx, "load-reference", "Load reference data (JSON from the central); all or nothing",
                  [&ctx, ref_file](Kiosk& k) {
                    auto r = k.LoadReferenceFile(*ref_file);  // read as parsed, never whole in memory
                    if (!r.ok()) {
                      Error e = r.error();
                      if (e.code == "reference.invalid" || e.code == "reference.syntax")
                        e.message = *ref_file + ": " + e.message + ". Nothing was applied.";
                      return ReportError(ctx, e);
                    }
                    Emit(ctx,
                         json{{"ok", true}, {"version", r->version}, {"full", r->full}, {"partners", r->partners},
                              {"devices", r->devices}, {"rewards", r->rewards}},
                         "Reference version " + std::to_string(r->version) + (r->full ? " (full)" : " (delta)") +
                             " applied: " + Count(r->partners, "partner", "partners") + ", " +
                             Count(r->cards, "card", "cards") + ", " + Count(r->badges, "badge", "badges") + ", " +
                             Count(r->models, "model", "models") + ", " + Count(r->devices, "device", "devices") + ", " +
                             Count(r->rewards, "reward", "rewards") + ".");
                  })
      ->add_option("FILE", *ref_file, "Reference JSON file")
      ->required();
}

}  // namespace kiosk::cli
