#pragma once
// A kiosk whose journal is behind the central's: its data folder was restored from an older
// backup, or copied from another machine with the same identity. The central holds events at
// seqs this kiosk no longer has (or holds other ones there), so whatever the kiosk logs from its
// own head on can never sync (the central answers journal.fork). Pure code: what the kiosk learnt
// (JournalFork, kept in sync state until recovered), and the check and plan of the recovery that
// takes the central's events back and logs the kiosk's own divergent events again after them
// (PlanRecovery). kiosk/services applies the plan in one transaction; kiosk/sync fetches the
// central's events (GET /v1/journal). Any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/anchor.hpp"
#include "kiosk/core/journal.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk {

// What the kiosk learnt of the central's journal, kept (sync state, JSON text) until `kiosk
// recover` runs. While it is kept, actions whose events would have to sync are refused
// (JournalForkRefusal).
struct JournalFork {
  std::string kind;          // "fork": the central holds other events at seqs this kiosk holds;
                             // "behind": the central holds events beyond this kiosk's head
  int64_t central_seq = 0;   // the central's head for this kiosk (its acknowledged seq) as learnt
  int64_t local_seq = 0;     // this kiosk's head then
  int64_t fork_seq = 0;      // "fork": the first seq the central holds otherwise (0: not known)
  std::string detected_at;   // UTC
  std::string via;           // "sync" (network) or "stick" (reference data from a USB stick)
};

std::string JournalForkToJsonText(const JournalFork& f);
std::optional<JournalFork> JournalForkFromJsonText(std::string_view text);  // nullopt: none or unreadable

// The refusal an action gets while the fork is known: code "journal.forked", kind Refused (exit 1),
// args {central, local}.
Error JournalForkRefusal(const JournalFork& f);

// A re-logged event's link to the event of the kiosk's own it replaces: a member "replaces" in its
// payload (readers ignore members they do not know: kiosk/core/events.hpp).
struct Replaces {
  int64_t seq = 0;
  std::string hash;       // the replaced event's hash
  std::string event_id;   // and id
  std::string wall_time;  // when the action was really taken
  bool operator==(const Replaces&) const = default;
};
// The payload with "replaces" added, still compact with sorted members. Usage error when the
// payload is not a JSON object.
Result<std::string> PayloadWithReplaces(std::string_view payload, const Replaces& r);
std::optional<Replaces> ReadReplaces(std::string_view payload);  // nullopt: none, or not a link

// The recovery, planned and checked before anything changes.
struct RecoveryPlan {
  int64_t after_seq = 0;       // the central's events were asked for after this seq
  int64_t fork_seq = 0;        // the first seq where the journals differ (local head + 1 when only behind)
  std::vector<Event> adopt;    // the central's events fork_seq..anchor.seq, exactly as it holds them
  std::vector<Event> relog;    // this kiosk's own events fork_seq..its head: to log again after them
  Anchor anchor;               // the central's signed anchor of its head
};

// Checks the central's events after `after_seq` (central_events, in seq order) and plans the
// recovery: every event must be this kiosk's (kiosk_id), follow on from `prev_hash` (this kiosk's
// hash at after_seq, or the genesis), verify with the kiosk's own journal key, and the last one
// must be the one the central's anchor names, signed by the central this kiosk enrolled with
// (central_public_hex). local_after: this kiosk's own events after after_seq, in seq order.
// Errors (nothing is to change): "recover.tampered" (Integrity) when the central's events or its
// anchor do not verify; "recover.not_needed" (Refused) when the central holds nothing this kiosk
// lacks or holds otherwise.
Result<RecoveryPlan> PlanRecovery(const JournalKey& key, std::string_view kiosk_id, int64_t after_seq,
                                  std::string_view prev_hash, const std::vector<Event>& central_events,
                                  const Anchor& anchor, std::string_view central_public_hex,
                                  const std::vector<Event>& local_after);

}  // namespace kiosk
