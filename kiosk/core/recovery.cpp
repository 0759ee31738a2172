#include "kiosk/core/recovery.hpp"

#include <cstring>

#include <nlohmann/json.hpp>

#include "kiosk/core/crypto.hpp"

namespace kiosk {

using nlohmann::json;

std::string JournalForkToJsonText(const JournalFork& f) {
  return json{{"kind", f.kind},         {"central_seq", f.central_seq}, {"local_seq", f.local_seq},
              {"fork_seq", f.fork_seq}, {"detected_at", f.detected_at}, {"via", f.via}}
      .dump();
}

std::optional<JournalFork> JournalForkFromJsonText(std::string_view text) {
  if (text.empty()) return std::nullopt;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  JournalFork f;
  f.kind = j.value("kind", "");
  if (f.kind != "fork" && f.kind != "behind") return std::nullopt;
  auto integer = [&](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  f.central_seq = integer("central_seq");
  f.local_seq = integer("local_seq");
  f.fork_seq = integer("fork_seq");
  f.detected_at = j.value("detected_at", "");
  f.via = j.value("via", "");
  return f;
}

Error JournalForkRefusal(const JournalFork& f) {
  return MakeError(ErrorKind::Refused, "journal.forked",
                   "This kiosk was restored from an older backup (or its data folder was copied): the central holds "
                   "its journal up to seq " + std::to_string(f.central_seq) + ", this kiosk only up to seq " +
                       std::to_string(f.local_seq) +
                       " on its own history. Nothing more can be logged until an admin runs Recover (Admin screen, or "
                       "`kiosk recover`); it keeps every action taken here.",
                   {{"central", std::to_string(f.central_seq)}, {"local", std::to_string(f.local_seq)}});
}

Result<std::string> PayloadWithReplaces(std::string_view payload, const Replaces& r) {
  json j = json::parse(payload, nullptr, false);
  if (!j.is_object())
    return MakeError(ErrorKind::Usage, "recover.payload", "An event to log again has a payload that is not a JSON object.");
  // nlohmann's objects keep their members sorted: the dump stays in the journal's form.
  j["replaces"] = json{{"seq", r.seq}, {"hash", r.hash}, {"event_id", r.event_id}, {"wall_time", r.wall_time}};
  return j.dump();
}

std::optional<Replaces> ReadReplaces(std::string_view payload) {
  // The common case, looked for with glibc's memmem: string_view::find stops at every quote of
  // the payload, and the central asks this of every event it stores.
  constexpr std::string_view kKey = "\"replaces\"";
  if (!memmem(payload.data(), payload.size(), kKey.data(), kKey.size())) return std::nullopt;
  json j = json::parse(payload, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("replaces");
  if (it == j.end() || !it->is_object()) return std::nullopt;
  const json& r = *it;
  if (!r.contains("seq") || !r["seq"].is_number_integer() || !r.contains("hash") || !r["hash"].is_string())
    return std::nullopt;
  Replaces out;
  out.seq = r["seq"].get<int64_t>();
  out.hash = r["hash"].get<std::string>();
  out.event_id = r.value("event_id", "");
  out.wall_time = r.value("wall_time", "");
  return out;
}

Result<RecoveryPlan> PlanRecovery(const JournalKey& key, std::string_view kiosk_id, int64_t after_seq,
                                  std::string_view prev_hash, const std::vector<Event>& central_events,
                                  const Anchor& anchor, std::string_view central_public_hex,
                                  const std::vector<Event>& local_after) {
  auto tampered = [&](std::string what) {
    return MakeError(ErrorKind::Integrity, "recover.tampered",
                     "The central's copy of this kiosk's journal does not verify (" + what +
                         "): it was not taken back, and nothing was changed. Check the central's address (`kiosk "
                         "enroll`) and tell the central's operator.",
                     {{"what", what}});
  };
  if (!AnchorSignedFor(anchor, central_public_hex, kiosk_id))
    return tampered("the anchor is not signed by the central this kiosk enrolled with");
  if (anchor.seq < after_seq) return tampered("the anchor is older than what the central acknowledged before");
  if (static_cast<int64_t>(central_events.size()) != anchor.seq - after_seq)
    return tampered("it holds " + std::to_string(central_events.size()) + " events after seq " +
                    std::to_string(after_seq) + " where its anchor names seq " + std::to_string(anchor.seq));
  EventHasher hasher(key);
  std::string prev(prev_hash);
  int64_t expected = after_seq + 1;
  for (const Event& e : central_events) {
    if (e.kiosk_id != kiosk_id) return tampered("seq " + std::to_string(e.seq) + " names another kiosk");
    if (Status s = hasher.Verify(e, expected, prev); !s.ok()) return tampered(s.error().message);
    prev = e.hash;
    ++expected;
  }
  if (!crypto::ConstantTimeEqual(prev, anchor.hash))
    return tampered("its last event is not the one the central's anchor names");

  RecoveryPlan plan;
  plan.after_seq = after_seq;
  plan.anchor = anchor;
  // The first seq where the two journals part: the central's event differs from ours there, or
  // one of them ends.
  size_t i = 0;
  while (i < central_events.size() && i < local_after.size() && central_events[i].hash == local_after[i].hash) ++i;
  if (i == central_events.size())
    return MakeError(ErrorKind::Refused, "recover.not_needed",
                     "The central holds nothing of this kiosk's journal that the kiosk lacks or holds otherwise: "
                     "there is nothing to recover.");
  plan.fork_seq = after_seq + 1 + static_cast<int64_t>(i);
  plan.adopt.assign(central_events.begin() + static_cast<std::ptrdiff_t>(i), central_events.end());
  plan.relog.assign(local_after.begin() + static_cast<std::ptrdiff_t>(i), local_after.end());
  return plan;
}

}  // namespace kiosk
