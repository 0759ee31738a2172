// Reference data: loading a publication, and each kiosk's document (full or since a version).
#include "central/central.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "kiosk/core/reference.hpp"
#include "central/central_parts.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

Result<LoadSummary> Central::LoadReference(std::string_view text) {
  auto parsed = ParseReference(text);
  if (!parsed.ok()) return parsed.error();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return MakeError(ErrorKind::Usage, "reference.invalid", "not JSON");
  std::lock_guard lock(m_mu);
  return RetryConflicts([&]() -> Result<LoadSummary> { return LoadReferenceLocked(parsed->full, j); });
}

Result<LoadSummary> Central::LoadReferenceLocked(bool full, const nlohmann::json& j) {
  LoadSummary out;
  out.full = full;
  StoreTransaction tx(m_store);
  KIOSK_TRY(tx.Begin());
  auto version = m_store.TakeReferenceVersion();
  if (!version.ok()) return version.error();
  out.version = *version;
  if (out.full) {
    KIOSK_TRY(m_store.MarkAllRefsDeleted(out.version));
    KIOSK_TRY(m_store.SetMeta("reference_floor", std::to_string(out.version)));
  }
  for (const auto& [list, keyname] : RefLists()) {
    auto it = j.find(list);
    if (it == j.end() || !it->is_array()) continue;
    for (const json& item : *it) {
      RefRecord r{list, item.value(keyname, ""), "", out.version, item.value("deleted", false)};
      // A key is stored as text, and PostgreSQL's text can't hold NUL: refused, not a 503 on every try.
      if (r.key.find('\0') != std::string::npos)
        return MakeError(ErrorKind::Usage, "reference.invalid",
                         list + ": the " + keyname + " of a record contains a NUL character (\\u0000); nothing was loaded.");
      if (!r.deleted) r.body = item.dump();
      else if (auto old = m_store.GetRef(list, r.key); old.ok() && *old) r.body = (*old)->body;
      else r.body = "{}";
      KIOSK_TRY(m_store.PutRef(r));
      ++out.records;
    }
  }
  if (j.contains("settings") && j["settings"].is_object())
    KIOSK_TRY(m_store.PutRef({"settings", "settings", j["settings"].dump(), out.version, false}));
  // Shared reward stock (issue 17): a reward the central holds no stock for yet takes the
  // document's figure as the channel's stock; from then on the central owns the count
  // (`kiosk-central rewards stock`), and a later document's figure changes nothing.
  bool seeded = false;
  if (auto it = j.find("rewards"); it != j.end() && it->is_array())
    for (const json& item : *it) {
      if (!item.is_object() || item.value("deleted", false)) continue;
      auto st = item.find("stock");
      if (st == item.end() || !st->is_number_integer()) continue;
      auto inserted = m_store.SeedRewardStock(item.value("id", ""), std::max<int64_t>(0, st->get<int64_t>()),
                                              out.version);
      if (!inserted.ok()) return inserted.error();
      seeded = seeded || *inserted;
    }
  if (seeded) KIOSK_TRY(m_store.SetMeta("stock_version", std::to_string(out.version)));
  KIOSK_TRY(tx.Commit());
  return out;
}

Result<std::string> Central::ReferenceDocument(const std::string& kiosk_id, int64_t since, int64_t verdicts_after) {
  std::string out;
  KIOSK_TRY(WriteReferenceDocument(kiosk_id, since, verdicts_after, [&](std::string_view part) { out += part; }));
  return out;
}

Status Central::WriteReferenceDocument(const std::string& kiosk_id, int64_t since, int64_t verdicts_after,
                                       const std::function<void(std::string_view)>& write, ReferenceDocInfo* info) {
  // Streamed record by record as the store yields them: a 100,000-device snapshot never exists as
  // one string or json tree in the central.
  std::lock_guard lock(m_mu);
  auto current_t = m_store.GetMeta("reference_version");
  if (!current_t.ok()) return current_t.error();
  auto floor_t = m_store.GetMeta("reference_floor");
  if (!floor_t.ok()) return floor_t.error();
  const int64_t current = *current_t ? std::stoll(**current_t) : 0;
  const int64_t floor = *floor_t ? std::stoll(**floor_t) : 0;
  const bool full = since <= 0 || since < floor || since > current;
  if (info) *info = {current, full};
  auto kiosk = m_store.GetKiosk(kiosk_id);
  if (!kiosk.ok()) return kiosk.error();
  auto settings = m_store.GetRef("settings", "settings");
  if (!settings.ok()) return settings.error();

  json head{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", current}, {"full", full},
            {"generated_at", FormatUtc(m_clock.Now())}};
  if (!full) head["base_version"] = since;
  if (*kiosk) head["covers_kiosk_seq"] = (*kiosk)->acked_through;
  if (*settings && !(*settings)->deleted && (full || (*settings)->version > since))
    head["settings"] = json::parse((*settings)->body, nullptr, false);
  std::string text = head.dump();
  text.pop_back();  // reopen the object: the arrays follow without a tree of their own
  write(text);

  // An array member written element by element; opened on its first element, or empty when
  // `always` (a full snapshot names every list).
  struct Array {
    const std::function<void(std::string_view)>& write;
    std::string name;
    bool open = false;
    void Add(std::string_view element) {
      if (open) write(",");
      else write(",\"" + name + "\":[");
      open = true;
      write(element);
    }
    void Close(bool always) {
      if (open) write("]");
      else if (always) write(",\"" + name + "\":[]");
      open = false;
    }
  };
  {
    Array deals{write, "deal_decisions"};
    KIOSK_TRY(m_store.ForEachDeal(kiosk_id, full ? 0 : since, [&](const DealRecord& d) {
      json decision{{"seq", d.seq}, {"status", d.status}, {"message", d.message}};
      if (!d.decided_at.empty()) decision["decided_at"] = d.decided_at;
      if (!d.reason.empty()) decision["reason"] = d.reason;
      deals.Add(decision.dump());
    }));
    deals.Close(false);
  }
  {
    // Points credited for this kiosk's sell-outs (issue 17) since its version: the kiosk keeps
    // them (points_credits) for the partner's screen; the balance itself is in "balances".
    Array credits{write, "points_credits"};
    KIOSK_TRY(m_store.ForEachCredit(kiosk_id, full ? 0 : since, [&](const CreditRecord& c) {
      credits.Add(json{{"seq", c.seq}, {"gtin", c.gtin}, {"partner_id", c.partner_id}, {"model", c.model},
                       {"units", c.units}, {"points", c.points}, {"credited_at", c.credited_at}}
                      .dump());
    }));
    credits.Close(false);
  }
  {
    // Demo orders (issue 17): this kiosk's orders that moved, and, when any order of the channel
    // changed since the kiosk's version, every partner's open units per model over the channel,
    // which the kiosk counts its quota estimate from (a list that may be empty: all closed).
    Array states{write, "order_states"};
    KIOSK_TRY(m_store.ForEachOrderChange(kiosk_id, full ? 0 : since, [&](const OrderRecord& o) {
      std::string at = o.ordered_at;
      for (const std::string* t : {&o.confirmed_at, &o.shipped_at, &o.delivered_at, &o.cancelled_at})
        if (!t->empty() && *t > at) at = *t;
      json s{{"seq", o.seq}, {"state", o.state}, {"at", at}};
      if (!o.note.empty()) s["note"] = o.note;
      if (!o.serial.empty()) s["serial"] = o.serial;
      if (!o.asset_tag.empty()) s["asset_tag"] = o.asset_tag;
      states.Add(s.dump());
    }));
    states.Close(false);
    auto orders_t = m_store.GetMeta("orders_version");
    if (!orders_t.ok()) return orders_t.error();
    const int64_t orders_version = *orders_t ? std::stoll(**orders_t) : 0;
    if (full || orders_version > since) {
      Array open{write, "open_orders"};
      KIOSK_TRY(m_store.ForEachOpenOrderCount([&](const std::string& partner, const std::string& gtin, int64_t units) {
        open.Add(json{{"partner_id", partner}, {"gtin", gtin}, {"units", units}}.dump());
      }));
      open.Close(true);
    }
  }
  {
    // Custody conflicts over units this kiosk holds or tried to check out (issue 17 item 5): in a
    // full document every open one (the list is always there: the kiosk replaces its own), in a
    // delta those created or resolved since the kiosk's version.
    Array conflicts{write, "custody_conflicts"};
    KIOSK_TRY(m_store.ForEachCustodyConflict(kiosk_id, full ? 0 : since, [&](const ConflictRecord& c) {
      conflicts.Add(CustodyConflictToJson(c.conflict).dump());
    }));
    conflicts.Close(full);
    // Shared reward stock (issue 17): what this kiosk may hand out of each reward the central holds
    // stock for, whenever a stock or an allocation changed since the kiosk's version (the whole
    // list: the kiosk replaces its own with it).
    auto stock_t = m_store.GetMeta("stock_version");
    if (!stock_t.ok()) return stock_t.error();
    const int64_t stock_version = *stock_t ? std::stoll(**stock_t) : 0;
    if (full || stock_version > since) {
      Array allocations{write, "reward_allocations"};
      KIOSK_TRY(ForEachKioskAllocation(m_store, kiosk_id,
                                       [&](const std::string& reward, int64_t allocated, int64_t used, const char* basis) {
                                         allocations.Add(json{{"reward_id", reward},
                                                              {"allocated", allocated},
                                                              {"used", used},
                                                              {"basis", basis}}
                                                             .dump());
                                       }));
      allocations.Close(true);
    }
  }
  if (*kiosk && verdicts_after >= 0) {
    Array verdicts{write, "verdicts"};
    KIOSK_TRY(m_store.ForEachEvent(kiosk_id, verdicts_after + 1, [&](const StoredEvent& s) {
      verdicts.Add(sync::ToJson(s.verdict).dump());
    }));
    verdicts.Close(false);
  }
  std::vector<std::string> written;
  std::optional<Array> list;
  KIOSK_TRY(m_store.ForEachRef(full ? 0 : since, [&](const RefRecord& r) {
    if (r.list == "settings") return;
    if (!list || list->name != r.list) {
      if (list) list->Close(true);
      list.emplace(Array{write, r.list});
      written.push_back(r.list);
    }
    if (r.deleted) list->Add(json{{KeyField(r.list), r.key}, {"deleted", true}}.dump());
    else list->Add(r.body);
  }));
  if (list) list->Close(true);
  if (full)
    for (const auto& [name, keyname] : RefLists())
      if (std::find(written.begin(), written.end(), name) == written.end()) write(",\"" + name + "\":[]");
  write("}");
  return {};
}

namespace {

// The ETag of a kiosk's reference document. The document is a function of what the kiosk asked
// (since, verdicts_after) and of three numbers in the store: every change of published data takes
// a new reference version (deal decisions too), a full publication raises the floor, and a
// kiosk's verdicts change only in the transaction that stores its events, which moves its
// acked_through. So equal numbers mean an equal document (but for its generated_at stamp), and a
// 304 needs neither the document nor a hash of it.
std::string ReferenceEtag(const std::string& kiosk_id, int64_t since, int64_t verdicts_after, int64_t current,
                          int64_t floor, int64_t acked_through) {
  const std::string state = kiosk_id + "\n" + std::to_string(since) + "\n" + std::to_string(verdicts_after) + "\n" +
                            std::to_string(current) + "\n" + std::to_string(floor) + "\n" +
                            std::to_string(acked_through);
  return "\"" + crypto::Sha256Hex(state).substr(0, 32) + "\"";
}

bool EtagMatches(std::string_view if_none_match, const std::string& etag) {
  size_t at = 0;
  while (at < if_none_match.size()) {
    size_t comma = if_none_match.find(',', at);
    if (comma == std::string_view::npos) comma = if_none_match.size();
    std::string_view tag = if_none_match.substr(at, comma - at);
    at = comma + 1;
    const size_t b = tag.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    tag = tag.substr(b, tag.find_last_not_of(" \t") - b + 1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag = tag.substr(2);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace

HttpAnswer Central::HandleReference(const sync::SignedHeaders& h, const std::string& signed_path, int64_t since,
                                    int64_t verdicts_after, const std::string& if_none_match) {
  std::string etag;
  {
    std::lock_guard lock(m_mu);
    const int64_t now = NowMs();
    auto kiosk = AuthenticateLocked("GET", signed_path, h, "", now);
    if (!kiosk.ok()) return Answer(kiosk.error(), json{{"server_time_ms", now}});
    // Replay protection: the nonce in the store, as for a batch, in a transaction of its own
    // (without an fsync: store.hpp). Once a minute it also drops nonces too old to pass the clock
    // check, so a fleet that only polls does not grow the table.
    int64_t forget_before = 0;
    if (now - m_nonces_pruned_ms >= 60'000) {
      forget_before = now - 2 * sync::kRequestWindowMs;
      m_nonces_pruned_ms = now;
    }
    auto fresh = m_store.RememberReadNonce(h.kiosk_id, h.nonce, now, forget_before);
    if (!fresh.ok()) return Answer(fresh.error());
    if (!*fresh)
      return Answer(MakeError(ErrorKind::Refused, "auth.replayed", "This exact request was already received: a replay."));
    // The numbers the ETag stands for, read before the document: the document is at least as new
    // as its ETag says (a change in between costs one more 200 later, never a missed change).
    auto current_t = m_store.GetMeta("reference_version");
    if (!current_t.ok()) return Answer(current_t.error());
    auto floor_t = m_store.GetMeta("reference_floor");
    if (!floor_t.ok()) return Answer(floor_t.error());
    etag = ReferenceEtag(h.kiosk_id, since, verdicts_after, *current_t ? std::stoll(**current_t) : 0,
                         *floor_t ? std::stoll(**floor_t) : 0, kiosk->acked_through);
  }
  if (!if_none_match.empty() && EtagMatches(if_none_match, etag)) {
    HttpAnswer a;
    a.status = 304;
    a.etag = std::move(etag);
    return a;
  }
  // The document goes to an unnamed temporary file that the server sends in pieces: memory stays
  // bounded whatever the size of the reference data.
  std::shared_ptr<FILE> file(std::tmpfile(), [](FILE* f) { if (f) std::fclose(f); });
  if (!file)
    return Answer(MakeError(ErrorKind::Storage, "central.tmpfile",
                            "The central can't create a temporary file for the reference data; retry later."));
  Status s = WriteReferenceDocument(h.kiosk_id, since, verdicts_after, [&](std::string_view part) {
    std::fwrite(part.data(), 1, part.size(), file.get());
  });
  if (!s.ok()) return Answer(s.error());
  if (std::fflush(file.get()) != 0 || std::ferror(file.get()))
    return Answer(MakeError(ErrorKind::Storage, "central.tmpfile",
                            "The central could not write the reference data to a temporary file (disk full?)."));
  HttpAnswer a;
  a.body_file = std::move(file);
  a.etag = std::move(etag);
  return a;
}

}  // namespace kiosk::central
