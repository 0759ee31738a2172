#include "kiosk/core/reference.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <vector>

#include "kiosk/core/barcode/check_digit.hpp"
#include "kiosk/core/rules/orders.hpp"

namespace kiosk {
namespace {

using nlohmann::json;

// A validation walk: each accessor records the first problem with its JSON path.
class Walker {
 public:
  bool failed() const { return !m_error.empty(); }
  const std::string& error() const { return m_error; }
  void Fail(const std::string& path, const std::string& what) {
    if (m_error.empty()) m_error = (path.empty() ? "/" : path) + ": " + what;
  }
  void Fail(const std::string& error) {  // an error already made by a walker ("/path: what")
    if (m_error.empty()) m_error = error;
  }

  const json* Field(const json& obj, const std::string& path, const char* name, bool required) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) {
      if (required) Fail(path + "/" + name, "required field is missing");
      return nullptr;
    }
    return &*it;
  }
  std::string Text(const json& obj, const std::string& path, const char* name, bool required = true,
                   std::string def = "") {
    const json* v = Field(obj, path, name, required);
    if (!v) return def;
    if (!v->is_string()) {
      Fail(path + "/" + name, "expected a string");
      return def;
    }
    return v->get<std::string>();
  }
  int64_t Int(const json& obj, const std::string& path, const char* name, bool required = true, int64_t def = 0,
              int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
    const json* v = Field(obj, path, name, required);
    if (!v) return def;
    if (!v->is_number_integer()) {
      Fail(path + "/" + name, "expected a whole number");
      return def;
    }
    int64_t x = v->get<int64_t>();
    if (x < min || x > max) {
      Fail(path + "/" + name, "value " + std::to_string(x) + " is out of range [" + std::to_string(min) + ", " +
                                  std::to_string(max) + "]");
      return def;
    }
    return x;
  }
  double Number(const json& obj, const std::string& path, const char* name, bool required = true) {
    const json* v = Field(obj, path, name, required);
    if (!v) return 0;
    if (!v->is_number()) {
      Fail(path + "/" + name, "expected a number");
      return 0;
    }
    return v->get<double>();
  }
  bool Bool(const json& obj, const std::string& path, const char* name, bool def) {
    const json* v = Field(obj, path, name, false);
    if (!v) return def;
    if (!v->is_boolean()) {
      Fail(path + "/" + name, "expected true or false");
      return def;
    }
    return v->get<bool>();
  }
  template <typename E, typename ParseFn>
  E Enum(const json& obj, const std::string& path, const char* name, ParseFn parse, const char* allowed, E def) {
    std::string s = Text(obj, path, name, true);
    if (failed()) return def;
    auto v = parse(s);
    if (!v) {
      Fail(path + "/" + name, "'" + s + "' is not one of: " + allowed);
      return def;
    }
    return *v;
  }

 private:
  std::string m_error;
};

}  // namespace

bool Gs1CheckDigitOk(std::string_view d) {
  return d.size() >= 2 && barcode::AllDigits(d) && barcode::Gs1CheckDigit(d.substr(0, d.size() - 1)) == d.back() - '0';
}

bool LuhnOk(std::string_view d) {
  return d.size() >= 2 && barcode::AllDigits(d) && barcode::LuhnCheckDigit(d.substr(0, d.size() - 1)) == d.back() - '0';
}

namespace {

// Where a byte offset falls, as a person reads a file: 1-based line and column.
struct TextPosition {
  size_t line = 1, column = 1;
  void Advance(char ch) {
    if (ch == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
};

// The parse itself, over any input: `parse` runs nlohmann's parser with the given callback and
// `locate` turns the byte count of a syntax error (the bad character is the last one read) into
// that character's line and column.
Result<ReferenceDoc> ParseReferenceWith(const std::function<json(const json::parser_callback_t&)>& parse,
                                        const std::function<TextPosition(size_t)>& locate) {
  Walker w;
  ReferenceDoc doc;

  // The record lists. A 100,000-device snapshot as one JSON tree takes over 100 MB, so each record
  // is validated into the document as soon as the parser has read it and then dropped from the
  // tree (on_event below); the tree keeps only the small top-level fields.
  struct RecordList {
    const char* name;
    const char* key;
    std::function<void(const json&, const std::string&, const std::string&)> parse;
    std::set<std::string> seen{};
    size_t count = 0;
  };
  std::vector<RecordList> lists;
  lists.push_back({"partners", "id", [&](const json& r, const std::string& p, const std::string& k) {
    Partner x;
    x.id = k;
    x.name = w.Text(r, p, "name");
    x.country = w.Text(r, p, "country");
    x.region = w.Text(r, p, "region", false);
    x.tier = w.Enum<Tier>(r, p, "tier", ParseTier, "registered, silver, gold, platinum", Tier::Registered);
    x.type = w.Enum<PartnerType>(r, p, "type", ParsePartnerType,
                                 "agent, concessionaire, document_technology_partner, solution_provider, "
                                 "volume_partner, var, msp, consultant, oem, other",
                                 PartnerType::Other);
    x.authorization = w.Enum<Authorization>(r, p, "authorization", ParseAuthorization, "authorized, exclusive",
                                            Authorization::Authorized);
    x.status = w.Enum<PartnerStatus>(r, p, "status", ParsePartnerStatus, "active, suspended", PartnerStatus::Active);
    x.certified_sales = static_cast<int>(w.Int(r, p, "certified_sales", false, 0, 0, 100000));
    x.certified_technical = static_cast<int>(w.Int(r, p, "certified_technical", false, 0, 0, 100000));
    if (const json* nt = w.Field(r, p, "next_tier", false); nt && !w.failed()) {
      if (!nt->is_array()) {
        w.Fail(p + "/next_tier", "expected a list");
      } else {
        for (size_t j = 0; j < nt->size() && !w.failed(); ++j) {
          const std::string q = p + "/next_tier/" + std::to_string(j);
          if (!(*nt)[j].is_object()) {
            w.Fail(q, "expected an object");
            break;
          }
          Requirement req;
          req.key = w.Text((*nt)[j], q, "key");
          req.label = w.Text((*nt)[j], q, "label", false, req.key);
          req.have = w.Number((*nt)[j], q, "have");
          req.need = w.Number((*nt)[j], q, "need");
          req.unit = w.Text((*nt)[j], q, "unit", false);
          x.next_tier.push_back(std::move(req));
        }
      }
    }
    doc.partners.push_back(std::move(x));
  }});
  lists.push_back({"cards", "number", [&](const json& r, const std::string& p, const std::string& k) {
    PartnerCard x;
    x.number = k;
    if (k.empty()) w.Fail(p + "/number", "must not be empty");
    x.partner_id = w.Text(r, p, "partner_id");
    x.status = w.Enum<CardStatus>(r, p, "status", ParseCardStatus, "active, blocked", CardStatus::Active);
    doc.cards.push_back(std::move(x));
  }});
  lists.push_back({"badges", "code", [&](const json& r, const std::string& p, const std::string& k) {
    Badge x;
    x.code = k;
    x.name = w.Text(r, p, "name");
    x.role = w.Enum<Role>(r, p, "role", ParseRole, "staff, rep, admin", Role::Staff);
    x.pin_hash = w.Text(r, p, "pin_hash", false);
    x.active = w.Bool(r, p, "active", true);
    if (!w.failed() && x.role == Role::Admin && x.pin_hash.rfind("pbkdf2-sha256$", 0) != 0)
      w.Fail(p + "/pin_hash", "an admin badge needs a PIN hash \"pbkdf2-sha256$ITER$SALT$HASH\"");
    doc.badges.push_back(std::move(x));
  }});
  lists.push_back({"models", "gtin", [&](const json& r, const std::string& p, const std::string& k) {
    DemoModel x;
    x.gtin = k;
    if (k.size() != 14 || !Gs1CheckDigitOk(k)) w.Fail(p + "/gtin", "'" + k + "' is not a GTIN-14 with a valid check digit");
    x.name = w.Text(r, p, "name");
    x.category = w.Text(r, p, "category", false);
    if (const json* q = w.Field(r, p, "quota", true); q && !w.failed()) {
      if (!q->is_object()) {
        w.Fail(p + "/quota", "expected an object with a number per tier");
      } else {
        const char* tiers[4] = {"registered", "silver", "gold", "platinum"};
        for (int t = 0; t < 4; ++t) x.quota[t] = static_cast<int>(w.Int(*q, p + "/quota", tiers[t], true, 0, 0, 1000));
      }
    }
    x.active = w.Bool(r, p, "active", true);
    x.earn_points = w.Int(r, p, "earn_points", false, 0, 0, 1000000);
    doc.models.push_back(std::move(x));
  }});
  lists.push_back({"devices", "asset_tag", [&](const json& r, const std::string& p, const std::string& k) {
    Device x;
    x.asset_tag = k;
    x.gtin = w.Text(r, p, "gtin");
    if (!w.failed() && (x.gtin.size() != 14 || !Gs1CheckDigitOk(x.gtin)))
      w.Fail(p + "/gtin", "'" + x.gtin + "' is not a GTIN-14 with a valid check digit");
    x.serial = w.Text(r, p, "serial");
    if (!w.failed() && (x.serial.empty() || x.serial.size() > 20))
      w.Fail(p + "/serial", "a serial is 1 to 20 characters (GS1 AI 21)");
    x.kit = w.Text(r, p, "kit", false);
    x.state = w.Enum<DeviceState>(r, p, "state", ParseDeviceState,
                                  "available, checked_out, in_transit, repair, retired", DeviceState::Available);
    x.custodian = w.Text(r, p, "custodian", false);
    x.due_date = w.Text(r, p, "due_date", false);
    x.purpose = w.Text(r, p, "purpose", false);
    x.location = w.Text(r, p, "location", false);
    if (!w.failed() && x.state == DeviceState::CheckedOut && (x.custodian.empty() || x.due_date.empty()))
      w.Fail(p, "a checked-out device needs a custodian and a due_date");
    doc.devices.push_back(std::move(x));
  }});
  lists.push_back({"rewards", "id", [&](const json& r, const std::string& p, const std::string& k) {
    Reward x;
    x.id = k;
    x.name = w.Text(r, p, "name");
    x.category = w.Text(r, p, "category", false);
    x.points = w.Int(r, p, "points", true, 0, 1);
    x.stock = static_cast<int>(w.Int(r, p, "stock", true, 0, 0, 1000000));
    x.active = w.Bool(r, p, "active", true);
    doc.rewards.push_back(std::move(x));
  }});
  lists.push_back({"balances", "partner_id", [&](const json& r, const std::string& p, const std::string& k) {
    Balance x;
    x.partner_id = k;
    x.available = w.Int(r, p, "available", true, 0, 0);
    x.pending = w.Int(r, p, "pending", false, 0, 0);
    doc.balances.push_back(std::move(x));
  }});

  std::string first_deletion;  // a full snapshot can't delete: checked once "full" is known
  auto record = [&](RecordList& l, const json& rec) {
    const std::string p = std::string("/") + l.name + "/" + std::to_string(l.count++);
    if (w.failed()) return;
    if (!rec.is_object()) return w.Fail(p, "expected an object");
    std::string k = w.Text(rec, p, l.key);
    if (w.failed()) return;
    if (!l.seen.insert(k).second) return w.Fail(p + "/" + l.key, "duplicate key '" + k + "'");
    if (w.Bool(rec, p, "deleted", false)) {
      if (first_deletion.empty()) first_deletion = p + "/deleted";
      doc.deleted.emplace_back(l.name, k);
      return;
    }
    l.parse(rec, p, k);
  };
  RecordList* list = nullptr;  // the list whose top-level key was read last, if any
  bool in_list = false;
  const json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    if (depth == 1) {
      if (event == E::key) {
        list = nullptr;
        for (RecordList& l : lists)
          if (parsed == l.name) list = &l;
      } else if (event == E::array_start) {
        in_list = list != nullptr;
      } else if (event == E::array_end) {
        in_list = false;
      }
      return true;
    }
    if (depth == 2 && in_list && (event == E::object_end || event == E::value || event == E::array_end)) {
      record(*list, parsed);
      return false;  // not kept in the tree
    }
    return true;
  };

  json root;
  try {
    root = parse(on_event);
  } catch (const json::parse_error& e) {
    // nlohmann reports the byte offset; turn it into line and column for a person.
    const TextPosition at = locate(e.byte);
    return MakeError(ErrorKind::Usage, "reference.syntax",
                     "line " + std::to_string(at.line) + ", column " + std::to_string(at.column) +
                         ": not valid JSON (" + e.what() + ")");
  } catch (const json::exception& e) {
    // Not a syntax error but a value the parser can't hold, e.g. a number like 1e999999.
    return MakeError(ErrorKind::Usage, "reference.syntax", std::string("not valid JSON: ") + e.what());
  }
  // The header decides first: a record's error means little in a file of another format.
  const std::string record_error = w.error();
  w = Walker();
  if (!root.is_object()) return MakeError(ErrorKind::Usage, "reference.invalid", "/: expected a JSON object");
  if (w.Text(root, "", "format") != "showroom-kiosk/reference" && !w.failed())
    w.Fail("/format", "expected \"showroom-kiosk/reference\"");
  if (!w.failed() && w.Int(root, "", "format_version") != 1 && !w.failed())
    w.Fail("/format_version", "this kiosk reads format version 1");
  doc.version = w.Int(root, "", "version", true, 0, 1);
  doc.full = w.Bool(root, "", "full", true);
  if (!doc.full) doc.base_version = w.Int(root, "", "base_version", true, 0, 0);
  doc.generated_at = w.Text(root, "", "generated_at", false);
  if (root.contains("covers_kiosk_seq")) doc.covers_kiosk_seq = w.Int(root, "", "covers_kiosk_seq", true, 0, 0);

  if (const json* s = w.Field(root, "", "settings", false); s && !w.failed()) {
    if (!s->is_object()) {
      w.Fail("/settings", "expected an object");
    } else {
      Settings st;
      const std::string p = "/settings";
      st.offline_soft_points = w.Int(*s, p, "offline_soft_points", false, st.offline_soft_points, 0);
      st.offline_hard_points = w.Int(*s, p, "offline_hard_points", false, st.offline_hard_points, 0);
      st.offline_soft_count = static_cast<int>(w.Int(*s, p, "offline_soft_count", false, st.offline_soft_count, 0, 1000));
      st.offline_hard_count = static_cast<int>(w.Int(*s, p, "offline_hard_count", false, st.offline_hard_count, 0, 1000));
      st.offline_kiosk_points_cap = w.Int(*s, p, "offline_kiosk_points_cap", false, st.offline_kiosk_points_cap, 0);
      st.stale_hours = static_cast<int>(w.Int(*s, p, "stale_hours", false, st.stale_hours, 1, 24 * 365));
      st.default_loan_days = static_cast<int>(w.Int(*s, p, "default_loan_days", false, st.default_loan_days, 1, 365));
      st.idle_timeout_s = static_cast<int>(w.Int(*s, p, "idle_timeout_s", false, st.idle_timeout_s, 10, 3600));
      st.language = w.Text(*s, p, "language", false, st.language);
      if (!w.failed() && st.offline_soft_points > st.offline_hard_points)
        w.Fail(p + "/offline_soft_points", "the soft limit is above the hard limit");
      if (!w.failed() && st.offline_soft_count > st.offline_hard_count)
        w.Fail(p + "/offline_soft_count", "the soft limit is above the hard limit");
      doc.settings = st;
    }
  }

  for (const RecordList& l : lists)
    if (const json* v = w.Field(root, "", l.name, false); v && !v->is_array()) w.Fail(std::string("/") + l.name, "expected a list");
  if (!record_error.empty()) w.Fail(record_error);
  if (doc.full && !first_deletion.empty()) w.Fail(first_deletion, "a full snapshot can't delete records");
  if (!w.failed()) {
    if (const json* dd = w.Field(root, "", "deal_decisions", false)) {
      if (!dd->is_array()) w.Fail("/deal_decisions", "expected a list");
      else
        for (const json& d : *dd) doc.deal_decisions.push_back(d);
    }
    if (const json* os = w.Field(root, "", "order_states", false); os && !w.failed()) {
      if (!os->is_array()) w.Fail("/order_states", "expected a list");
      for (size_t i = 0; !w.failed() && os->is_array() && i < os->size(); ++i) {
        const std::string p = "/order_states/" + std::to_string(i);
        const json& o = (*os)[i];
        if (!o.is_object()) {
          w.Fail(p, "expected an object");
          break;
        }
        OrderStateUpdate u;
        u.seq = w.Int(o, p, "seq", true, 0, 1);
        u.state = std::string(rules::ToString(w.Enum(o, p, "state", rules::ParseOrderState,
                                                     "ordered, confirmed, shipped, delivered, cancelled, rejected",
                                                     rules::OrderState::Ordered)));
        u.at = w.Text(o, p, "at", false);
        u.note = w.Text(o, p, "note", false);
        u.serial = w.Text(o, p, "serial", false);
        u.asset_tag = w.Text(o, p, "asset_tag", false);
        doc.order_states.push_back(std::move(u));
      }
    }
    if (const json* oo = w.Field(root, "", "open_orders", false); oo && !w.failed()) {
      if (!oo->is_array()) w.Fail("/open_orders", "expected a list");
      std::vector<ChannelOrderCount> counts;
      for (size_t i = 0; !w.failed() && oo->is_array() && i < oo->size(); ++i) {
        const std::string p = "/open_orders/" + std::to_string(i);
        const json& o = (*oo)[i];
        if (!o.is_object()) {
          w.Fail(p, "expected an object");
          break;
        }
        ChannelOrderCount c;
        c.partner_id = w.Text(o, p, "partner_id");
        c.gtin = w.Text(o, p, "gtin");
        c.units = w.Int(o, p, "units", true, 0, 0);
        counts.push_back(std::move(c));
      }
      doc.open_orders = std::move(counts);
    }
    if (const json* cc = w.Field(root, "", "custody_conflicts", false); cc && !w.failed()) {
      if (!cc->is_array()) w.Fail("/custody_conflicts", "expected a list");
      std::vector<CustodyConflict> conflicts;
      for (size_t i = 0; !w.failed() && cc->is_array() && i < cc->size(); ++i) {
        const std::string p = "/custody_conflicts/" + std::to_string(i);
        const json& o = (*cc)[i];
        if (!o.is_object()) {
          w.Fail(p, "expected an object");
          break;
        }
        CustodyConflict c;
        c.asset_tag = w.Text(o, p, "asset_tag");
        c.holder_kiosk = w.Text(o, p, "holder_kiosk");
        c.holder_rep = w.Text(o, p, "holder_rep", false);
        c.holder_since = w.Text(o, p, "holder_since", false);
        c.claim_kiosk = w.Text(o, p, "claim_kiosk");
        c.claim_rep = w.Text(o, p, "claim_rep", false);
        c.claim_seq = w.Int(o, p, "claim_seq", true, 0, 1);
        c.claimed_at = w.Text(o, p, "claimed_at", false);
        c.resolved_at = w.Text(o, p, "resolved_at", false);
        conflicts.push_back(std::move(c));
      }
      doc.custody_conflicts = std::move(conflicts);
    }
    if (const json* ra = w.Field(root, "", "reward_allocations", false); ra && !w.failed()) {
      if (!ra->is_array()) w.Fail("/reward_allocations", "expected a list");
      std::vector<RewardAllocation> list;
      for (size_t i = 0; !w.failed() && ra->is_array() && i < ra->size(); ++i) {
        const std::string p = "/reward_allocations/" + std::to_string(i);
        const json& a = (*ra)[i];
        if (!a.is_object()) {
          w.Fail(p, "expected an object");
          break;
        }
        RewardAllocation x;
        x.reward_id = w.Text(a, p, "reward_id");
        x.allocated = w.Int(a, p, "allocated", true, 0, 0);
        x.used = w.Int(a, p, "used", false, 0, 0);
        x.basis = w.Text(a, p, "basis", false);
        list.push_back(std::move(x));
      }
      doc.reward_allocations = std::move(list);
    }
    if (const json* pc = w.Field(root, "", "points_credits", false); pc && !w.failed()) {
      if (!pc->is_array()) w.Fail("/points_credits", "expected a list");
      for (size_t i = 0; !w.failed() && pc->is_array() && i < pc->size(); ++i) {
        const std::string p = "/points_credits/" + std::to_string(i);
        const json& o = (*pc)[i];
        if (!o.is_object()) {
          w.Fail(p, "expected an object");
          break;
        }
        PointsCredit c;
        c.seq = w.Int(o, p, "seq", true, 0, 1);
        c.gtin = w.Text(o, p, "gtin");
        c.partner_id = w.Text(o, p, "partner_id");
        c.model = w.Text(o, p, "model", false);
        c.units = w.Int(o, p, "units", true, 0, 0);
        c.points = w.Int(o, p, "points", true, 0, 0);
        c.credited_at = w.Text(o, p, "credited_at", false);
        doc.points_credits.push_back(std::move(c));
      }
    }
  }

  // Cross-references inside a full snapshot (a delta may refer to records the kiosk already has;
  // the store checks those).
  if (!w.failed() && doc.full) {
    std::set<std::string> partners, models, badges;
    for (auto& p : doc.partners) partners.insert(p.id);
    for (auto& m : doc.models) models.insert(m.gtin);
    for (auto& b : doc.badges) badges.insert(b.code);
    for (size_t i = 0; i < doc.cards.size() && !w.failed(); ++i)
      if (!partners.count(doc.cards[i].partner_id))
        w.Fail("/cards/" + std::to_string(i) + "/partner_id", "no partner '" + doc.cards[i].partner_id + "'");
    for (size_t i = 0; i < doc.balances.size() && !w.failed(); ++i)
      if (!partners.count(doc.balances[i].partner_id))
        w.Fail("/balances/" + std::to_string(i) + "/partner_id", "no partner '" + doc.balances[i].partner_id + "'");
    std::set<std::pair<std::string, std::string>> serials;
    for (size_t i = 0; i < doc.devices.size() && !w.failed(); ++i) {
      const Device& d = doc.devices[i];
      const std::string p = "/devices/" + std::to_string(i);
      if (!models.count(d.gtin)) w.Fail(p + "/gtin", "no model with GTIN '" + d.gtin + "'");
      else if (!d.custodian.empty() && !badges.count(d.custodian))
        w.Fail(p + "/custodian", "no badge '" + d.custodian + "'");
      else if (!serials.emplace(d.gtin, d.serial).second)
        w.Fail(p + "/serial", "serial '" + d.serial + "' appears twice for GTIN " + d.gtin);
    }
  }
  if (w.failed()) return MakeError(ErrorKind::Usage, "reference.invalid", w.error());
  return doc;
}

}  // namespace

Result<ReferenceDoc> ParseReference(std::string_view json_text) {
  return ParseReferenceWith([&](const json::parser_callback_t& cb) { return json::parse(json_text, cb); },
                            [&](size_t byte) {
                              TextPosition at;
                              for (size_t i = 0; i + 1 < byte && i < json_text.size(); ++i) at.Advance(json_text[i]);
                              return at;
                            });
}

Result<ReferenceDoc> ParseReferenceFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return MakeError(ErrorKind::NotFound, "reference.missing",
                     "Can't read the reference data file " + file.string() + " (" + std::strerror(errno) + ")",
                     {{"file", file.string()}});
  return ParseReferenceWith([&](const json::parser_callback_t& cb) { return json::parse(in, cb); },
                            [&](size_t byte) {
                              TextPosition at;
                              std::ifstream again(file, std::ios::binary);
                              char ch;
                              for (size_t i = 0; i + 1 < byte && again.get(ch); ++i) at.Advance(ch);
                              return at;
                            });
}

json RequirementsToJson(const std::vector<Requirement>& requirements) {
  json out = json::array();
  for (const Requirement& r : requirements)
    out.push_back({{"key", r.key}, {"label", r.label}, {"have", r.have}, {"need", r.need}, {"unit", r.unit}});
  return out;
}

json CustodyConflictToJson(const CustodyConflict& c) {
  json x{{"asset_tag", c.asset_tag},       {"holder_kiosk", c.holder_kiosk}, {"holder_rep", c.holder_rep},
         {"holder_since", c.holder_since}, {"claim_kiosk", c.claim_kiosk},   {"claim_rep", c.claim_rep},
         {"claim_seq", c.claim_seq},       {"claimed_at", c.claimed_at}};
  if (!c.resolved_at.empty()) x["resolved_at"] = c.resolved_at;
  return x;
}

json SettingsToJson(const Settings& s) {
  return json{{"offline_soft_points", s.offline_soft_points},
              {"offline_hard_points", s.offline_hard_points},
              {"offline_soft_count", s.offline_soft_count},
              {"offline_hard_count", s.offline_hard_count},
              {"offline_kiosk_points_cap", s.offline_kiosk_points_cap},
              {"stale_hours", s.stale_hours},
              {"default_loan_days", s.default_loan_days},
              {"idle_timeout_s", s.idle_timeout_s},
              {"language", s.language}};
}

json ReferenceToJson(const ReferenceDoc& doc) {
  json j{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", doc.version}, {"full", doc.full}};
  if (!doc.full) j["base_version"] = doc.base_version;
  if (!doc.generated_at.empty()) j["generated_at"] = doc.generated_at;
  if (doc.covers_kiosk_seq) j["covers_kiosk_seq"] = *doc.covers_kiosk_seq;
  if (doc.settings) j["settings"] = SettingsToJson(*doc.settings);
  json& partners = j["partners"] = json::array();
  for (const Partner& p : doc.partners) {
    const json nt = RequirementsToJson(p.next_tier);
    partners.push_back({{"id", p.id}, {"name", p.name}, {"country", p.country}, {"region", p.region},
                        {"tier", ToString(p.tier)}, {"type", ToString(p.type)},
                        {"authorization", ToString(p.authorization)}, {"status", ToString(p.status)},
                        {"certified_sales", p.certified_sales}, {"certified_technical", p.certified_technical},
                        {"next_tier", nt}});
  }
  json& cards = j["cards"] = json::array();
  for (const PartnerCard& c : doc.cards)
    cards.push_back({{"number", c.number}, {"partner_id", c.partner_id}, {"status", ToString(c.status)}});
  json& badges = j["badges"] = json::array();
  for (const Badge& b : doc.badges) {
    json x{{"code", b.code}, {"name", b.name}, {"role", ToString(b.role)}, {"active", b.active}};
    if (!b.pin_hash.empty()) x["pin_hash"] = b.pin_hash;
    badges.push_back(x);
  }
  json& models = j["models"] = json::array();
  for (const DemoModel& m : doc.models) {
    json x{{"gtin", m.gtin}, {"name", m.name}, {"category", m.category},
           {"quota", {{"registered", m.quota[0]}, {"silver", m.quota[1]}, {"gold", m.quota[2]}, {"platinum", m.quota[3]}}},
           {"active", m.active}};
    if (m.earn_points > 0) x["earn_points"] = m.earn_points;
    models.push_back(std::move(x));
  }
  json& devices = j["devices"] = json::array();
  for (const Device& d : doc.devices)
    devices.push_back({{"asset_tag", d.asset_tag}, {"gtin", d.gtin}, {"serial", d.serial}, {"kit", d.kit},
                       {"state", ToString(d.state)}, {"custodian", d.custodian}, {"due_date", d.due_date},
                       {"purpose", d.purpose}, {"location", d.location}});
  json& rewards = j["rewards"] = json::array();
  for (const Reward& r : doc.rewards)
    rewards.push_back({{"id", r.id}, {"name", r.name}, {"category", r.category}, {"points", r.points},
                       {"stock", r.stock}, {"active", r.active}});
  json& balances = j["balances"] = json::array();
  for (const Balance& b : doc.balances)
    balances.push_back({{"partner_id", b.partner_id}, {"available", b.available}, {"pending", b.pending}});
  if (!doc.deal_decisions.empty()) j["deal_decisions"] = doc.deal_decisions;
  if (!doc.order_states.empty()) {
    json& states = j["order_states"] = json::array();
    for (const OrderStateUpdate& u : doc.order_states) {
      json x{{"seq", u.seq}, {"state", u.state}, {"at", u.at}};
      if (!u.note.empty()) x["note"] = u.note;
      if (!u.serial.empty()) x["serial"] = u.serial;
      if (!u.asset_tag.empty()) x["asset_tag"] = u.asset_tag;
      states.push_back(x);
    }
  }
  if (doc.reward_allocations) {
    json& allocations = j["reward_allocations"] = json::array();
    for (const RewardAllocation& a : *doc.reward_allocations)
      allocations.push_back({{"reward_id", a.reward_id}, {"allocated", a.allocated}, {"used", a.used}, {"basis", a.basis}});
  }
  if (!doc.points_credits.empty()) {
    json& credits = j["points_credits"] = json::array();
    for (const PointsCredit& c : doc.points_credits)
      credits.push_back({{"seq", c.seq}, {"gtin", c.gtin}, {"partner_id", c.partner_id}, {"model", c.model},
                         {"units", c.units}, {"points", c.points}, {"credited_at", c.credited_at}});
  }
  if (doc.open_orders) {
    json& open = j["open_orders"] = json::array();
    for (const ChannelOrderCount& c : *doc.open_orders)
      open.push_back({{"partner_id", c.partner_id}, {"gtin", c.gtin}, {"units", c.units}});
  }
  if (doc.custody_conflicts) {
    json& list = j["custody_conflicts"] = json::array();
    for (const CustodyConflict& c : *doc.custody_conflicts) list.push_back(CustodyConflictToJson(c));
  }
  return j;
}

}  // namespace kiosk
