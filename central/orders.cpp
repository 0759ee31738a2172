// Demo orders at the central (issue 17): the list and the lifecycle moves that
// `kiosk-central orders` runs. The orders themselves are recorded by the demo.ordered rule
// (rules.cpp) as the kiosks' events arrive.
#include <cstdlib>

#include "central/central.hpp"
#include "central/central_parts.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/rules/orders.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

std::string OrderId(const OrderRecord& o) { return o.kiosk_id + ":" + std::to_string(o.seq); }

Result<std::pair<std::string, int64_t>> ParseOrderId(const std::string& id) {
  const size_t colon = id.rfind(':');
  auto bad = [&] {
    return MakeError(ErrorKind::Usage, "order.id",
                     "'" + id + "' is not an order: write KIOSK:SEQ as `kiosk-central orders list` shows it, e.g. "
                     "KIOSK-A:12.",
                     {{"order", id}});
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 >= id.size()) return bad();
  const std::string kiosk_id = id.substr(0, colon);
  const std::string seq_text = id.substr(colon + 1);
  if (!ValidKioskId(kiosk_id) || seq_text.size() > 18 || seq_text.find_first_not_of("0123456789") != std::string::npos)
    return bad();
  const int64_t seq = std::strtoll(seq_text.c_str(), nullptr, 10);
  if (seq <= 0) return bad();
  return std::pair{kiosk_id, seq};
}

json OrderJson(const OrderRecord& o) {
  return json{{"order", OrderId(o)},          {"kiosk_id", o.kiosk_id},         {"seq", o.seq},
              {"partner_id", o.partner_id},   {"gtin", o.gtin},                 {"model", o.model},
              {"qty", o.qty},                 {"state", o.state},               {"note", o.note},
              {"serial", o.serial},           {"asset_tag", o.asset_tag},       {"ordered_at", o.ordered_at},
              {"confirmed_at", o.confirmed_at}, {"shipped_at", o.shipped_at}, {"delivered_at", o.delivered_at},
              {"cancelled_at", o.cancelled_at}, {"version", o.version}};
}

Result<std::vector<OrderRecord>> Central::Orders(const OrderFilter& filter) {
  if (!filter.state.empty() && !rules::ParseOrderState(filter.state))
    return MakeError(ErrorKind::Usage, "order.state",
                     "'" + filter.state + "' is not an order state: ordered, confirmed, shipped, delivered, cancelled "
                     "or rejected.");
  std::lock_guard lock(m_mu);
  std::vector<OrderRecord> out;
  KIOSK_TRY(m_store.ForEachOrder(filter, [&](const OrderRecord& o) { out.push_back(o); }));
  return out;
}

Result<OrderRecord> Central::MoveOrder(const std::string& order_id, const std::string& to_state, const OrderMove& move) {
  auto id = ParseOrderId(order_id);
  if (!id.ok()) return id.error();
  const auto to = rules::ParseOrderState(to_state);
  if (!to || *to == rules::OrderState::Ordered || *to == rules::OrderState::Rejected)
    return MakeError(ErrorKind::Usage, "order.state",
                     "An order can be moved to confirmed, shipped, delivered or cancelled, not '" + to_state + "'.");
  const bool adds_unit = !move.asset_tag.empty();
  if ((!move.serial.empty() || !move.location.empty() || adds_unit) && *to != rules::OrderState::Delivered)
    return MakeError(ErrorKind::Usage, "order.unit", "--serial, --asset-tag and --location go with deliver only.");
  if (adds_unit && move.serial.empty())
    return MakeError(ErrorKind::Usage, "order.unit",
                     "A delivered unit added to the demo devices needs its serial too: --serial S --asset-tag T.");
  std::lock_guard lock(m_mu);
  return RetryConflicts([&]() -> Result<OrderRecord> {
    StoreTransaction tx(m_store);
    KIOSK_TRY(tx.Begin());
    auto found = m_store.LockOrder(id->first, id->second);
    if (!found.ok()) return found.error();
    if (!*found)
      return MakeError(ErrorKind::NotFound, "order.not_found",
                       "The central holds no demo order " + order_id +
                           " (`kiosk-central orders list` shows them; a kiosk's order arrives with its next sync).",
                       {{"order", order_id}});
    OrderRecord o = **found;
    const auto from = rules::ParseOrderState(o.state);
    if (!from)
      return MakeError(ErrorKind::Integrity, "order.state", "Order " + order_id + " has an unknown state '" + o.state + "'.");
    KIOSK_TRY(rules::CheckOrderTransition(*from, *to));
    std::optional<RefRecord> device;
    if (adds_unit) {
      auto existing = m_store.GetRef("devices", move.asset_tag);
      if (!existing.ok()) return existing.error();
      if (*existing && !(*existing)->deleted)
        return MakeError(ErrorKind::Refused, "order.asset_tag_taken",
                         "Asset tag " + move.asset_tag + " already names a demo device; give the delivered unit a tag "
                         "of its own. Nothing was changed.",
                         {{"asset_tag", move.asset_tag}});
      const json body{{"asset_tag", move.asset_tag}, {"gtin", o.gtin},     {"serial", move.serial},
                      {"kit", ""},                   {"state", "available"}, {"custodian", ""},
                      {"due_date", ""},              {"purpose", ""},
                      {"location", move.location.empty() ? "Delivered with demo order " + order_id : move.location}};
      device = RefRecord{"devices", move.asset_tag, body.dump(), 0, false};
    }
    auto version = m_store.TakeReferenceVersion();
    if (!version.ok()) return version.error();
    const std::string now = FormatUtc(m_clock.Now());
    o.state = std::string(rules::ToString(*to));
    o.note = move.note;
    o.version = *version;
    switch (*to) {
      case rules::OrderState::Confirmed: o.confirmed_at = now; break;
      case rules::OrderState::Shipped: o.shipped_at = now; break;
      case rules::OrderState::Delivered:
        o.delivered_at = now;
        o.serial = move.serial;
        o.asset_tag = move.asset_tag;
        break;
      case rules::OrderState::Cancelled: o.cancelled_at = now; break;
      default: break;
    }
    KIOSK_TRY(m_store.PutOrder(o));
    if (device) {
      device->version = *version;
      KIOSK_TRY(m_store.PutRef(*device));
    }
    KIOSK_TRY(m_store.SetMeta("orders_version", std::to_string(*version)));
    KIOSK_TRY(tx.Commit());
    return o;
  });
}

}  // namespace kiosk::central
