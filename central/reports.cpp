// Reports and listings, read straight from the store.
#include "central/central.hpp"

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "central/central_parts.hpp"
#include "kiosk/core/atomic_file.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/rules/deals.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

const std::vector<std::string>& ReportNames() {
  static const std::vector<std::string> kNames = {"sellout", "redemptions", "custody", "overdue",
                                                  "deals",   "orders",      "points",  "rejects", "flags"};
  return kNames;
}

namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

// 123456 (cents) -> "1234.56"
std::string Euros(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", cents < 0 ? "-" : "", static_cast<long long>(std::llabs(cents) / 100),
                static_cast<long long>(std::llabs(cents) % 100));
  return buf;
}

// Hours between two UTC times, to one decimal ("" when either is unreadable).
std::string HoursBetween(std::string_view from, int64_t to_ms) {
  auto f = ParseUtcMs(from);
  if (!f) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(to_ms - *f) / 3'600'000.0);
  return buf;
}

int64_t MsOf(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Where an order stands in its lifecycle, for the report's order: open ones first, in the order
// they move, then the closed ones.
int OrderRank(const std::string& state) {
  static const std::vector<std::string> kOrder = {"ordered",   "confirmed", "shipped",
                                                  "delivered", "cancelled", "rejected"};
  auto it = std::find(kOrder.begin(), kOrder.end(), state);
  return static_cast<int>(it - kOrder.begin());
}

}  // namespace

Status Central::Report(const std::string& name, const std::function<void(const std::vector<std::string>&)>& row) {
  const auto& names = ReportNames();
  if (std::find(names.begin(), names.end(), name) == names.end())
    return MakeError(ErrorKind::Usage, "report.unknown", "Unknown report '" + name + "': choose " + Join(names) + ".");
  if (name == "deals") return DealsReport(row);
  if (name == "orders") return OrdersReport(row);
  if (name == "overdue") return OverdueReport(row);
  std::lock_guard lock(m_mu);
  return m_store.Report(name, row);
}

// Every deal with the vendor's decision and how long it took, next to the 2-business-day deadline
// (rules::DealDecisionDue): deadline "met" or "missed" once decided, "open" or "overdue" while
// pending. hours: from registration to the decision (to now while pending).
Status Central::DealsReport(const std::function<void(const std::vector<std::string>&)>& row) {
  auto deals = ListDeals(DealFilter{});
  if (!deals.ok()) return deals.error();
  row({"deal", "kiosk_id", "seq", "partner_id", "partner_name", "customer", "product", "value_eur", "close_date",
       "status", "registered_at", "due_by", "decided_at", "decided_by", "reason", "hours", "deadline"});
  const int64_t now_ms = MsOf(m_clock.Now());
  for (const DealListing& l : *deals) {
    const DealRecord& d = l.deal;
    const bool pending = d.status == "pending";
    std::string deadline;
    if (pending) {
      deadline = l.overdue ? "overdue" : "open";
    } else if (auto due = ParseUtcMs(l.due), at = ParseUtcMs(d.decided_at); due && at) {
      deadline = *at <= *due ? "met" : "missed";
    }
    const int64_t until = pending ? now_ms : ParseUtcMs(d.decided_at).value_or(now_ms);
    row({l.id, d.kiosk_id, std::to_string(d.seq), d.partner_id, l.partner_name, d.customer, d.product,
         Euros(d.value_cents), d.close_date, d.status, d.registered_at, l.due, d.decided_at, d.decided_by, d.reason,
         HoursBetween(d.registered_at, until), deadline});
  }
  return {};
}

// Every demo order by state: the open ones (ordered, confirmed, shipped) first, as they move,
// then delivered, cancelled and rejected; within a state the oldest first.
Status Central::OrdersReport(const std::function<void(const std::vector<std::string>&)>& row) {
  auto orders = Orders(OrderFilter{});
  if (!orders.ok()) return orders.error();
  std::stable_sort(orders->begin(), orders->end(), [](const OrderRecord& a, const OrderRecord& b) {
    const int ra = OrderRank(a.state), rb = OrderRank(b.state);
    if (ra != rb) return ra < rb;
    if (a.ordered_at != b.ordered_at) return a.ordered_at < b.ordered_at;
    return a.kiosk_id != b.kiosk_id ? a.kiosk_id < b.kiosk_id : a.seq < b.seq;
  });
  row({"order", "kiosk_id", "seq", "partner_id", "gtin", "model", "qty", "state", "ordered_at", "confirmed_at",
       "shipped_at", "delivered_at", "cancelled_at", "serial", "asset_tag", "note"});
  for (const OrderRecord& o : *orders)
    row({o.kiosk_id + ":" + std::to_string(o.seq), o.kiosk_id, std::to_string(o.seq), o.partner_id, o.gtin, o.model,
         std::to_string(o.qty), o.state, o.ordered_at, o.confirmed_at, o.shipped_at, o.delivered_at, o.cancelled_at,
         o.serial, o.asset_tag, o.note});
  return {};
}

// The custody report's units that are out past their due date (today by the central's clock,
// UTC), the longest overdue first.
Status Central::OverdueReport(const std::function<void(const std::vector<std::string>&)>& row) {
  // The custody report's columns (store_reports.cpp).
  constexpr size_t kTag = 0, kState = 1, kCustodian = 2, kKiosk = 3, kSince = 5, kDue = 9, kSource = 10;
  std::vector<std::vector<std::string>> custody;
  if (auto s = Report("custody", [&](const std::vector<std::string>& r) { custody.push_back(r); }); !s.ok()) return s;
  if (custody.empty() || custody[0].size() <= kSource || custody[0][kDue] != "due_date")
    return MakeError(ErrorKind::Integrity, "report.columns", "The custody report has no due_date column.");
  const auto today = std::chrono::floor<std::chrono::days>(m_clock.Now());
  struct Late {
    std::vector<std::string> cells;
    int64_t days;
  };
  std::vector<Late> late;
  for (size_t i = 1; i < custody.size(); ++i) {
    const auto& r = custody[i];
    std::chrono::sys_days due;
    if (r[kState] != "checked_out" || !ParseDate(r[kDue], due) || due >= today) continue;
    const int64_t days = (today - due).count();
    late.push_back({{r[kTag], r[kCustodian], r[kKiosk], r[kSince], r[kDue], std::to_string(days), r[kSource]}, days});
  }
  std::stable_sort(late.begin(), late.end(), [](const Late& a, const Late& b) { return a.days > b.days; });
  // Whom to call: the custodian's name from the reference data's badges.
  std::lock_guard lock(m_mu);
  row({"asset_tag", "custodian", "custodian_name", "kiosk_id", "since", "due_date", "days_overdue", "source"});
  for (Late& l : late) {
    std::string name;
    if (auto b = m_store.GetRef("badges", l.cells[1]); b.ok() && *b && !(*b)->deleted) {
      const json j = json::parse((*b)->body, nullptr, false);
      if (j.is_object() && j.contains("name") && j["name"].is_string()) name = j["name"].get<std::string>();
    }
    l.cells.insert(l.cells.begin() + 2, name);
    row(l.cells);
  }
  return {};
}

Result<std::vector<KioskRecord>> Central::Kiosks() {
  std::lock_guard lock(m_mu);
  return m_store.ListKiosks();
}

Result<int64_t> Central::CountEvents(const std::string& kiosk_id) {
  std::lock_guard lock(m_mu);
  return m_store.CountEvents(kiosk_id);
}

Result<SignatureRecord> Central::SignatureOf(const std::string& kiosk_id, int64_t seq) {
  std::lock_guard lock(m_mu);
  auto got = m_store.GetEvent(kiosk_id, seq);
  if (!got.ok()) return got.error();
  if (!*got)
    return MakeError(ErrorKind::NotFound, "signature.no_event",
                     "The central holds no event " + std::to_string(seq) + " of kiosk " + kiosk_id +
                         " (`kiosk-central report custody` lists checkouts).",
                     {{"seq", std::to_string(seq)}, {"kiosk", kiosk_id}});
  return SignatureRecordOf((*got)->event);
}

Status Central::CustodyWithSignatures(const std::filesystem::path& dir, SignatureFormat format,
                                      const std::function<void(const std::vector<std::string>&)>& row) {
  // The custody report's columns (store_reports.cpp): asset_tag, state, custodian, kiosk_id, seq,
  // since, signature.
  constexpr size_t kKiosk = 3, kSeq = 4, kSignature = 6;
  std::vector<std::vector<std::string>> rows;
  if (auto s = Report("custody", [&](const std::vector<std::string>& r) { rows.push_back(r); }); !s.ok()) return s;
  if (rows.empty() || rows[0].size() <= kSignature || rows[0][kSignature] != "signature")
    return MakeError(ErrorKind::Integrity, "report.columns", "The custody report has no signature column.");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    return MakeError(ErrorKind::Usage, "signature.dir",
                     "Cannot make the folder " + dir.string() + " for the signatures" +
                         (ec ? ": " + ec.message() : std::string(": a file has that name")) + ".");
  row(rows[0]);
  for (size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string>& r = rows[i];
    if (r[kSignature] == "drawn") {
      auto record = SignatureOf(r[kKiosk], std::stoll(r[kSeq]));
      if (!record.ok()) return record.error();
      auto doc = SignatureDocument(*record, format);
      if (!doc.ok()) return doc.error();
      const std::string name = SignatureFileName(*record, format);
      if (auto w = WriteFileAtomically(dir / name, *doc); !w.ok()) return w.error();
      r[kSignature] = name;
    }
    row(r);
  }
  return {};
}

}  // namespace kiosk::central
