#pragma once
// The central's signed anchor: "I hold this kiosk's journal up to seq N, whose hash is H", signed
// with the central's Ed25519 key. The kiosk keeps the latest one (sync state) and checks its own
// journal against it, so a journal shortened or rewritten behind the central's back is seen
// locally, not only at the next contact. Pure code, shared by the kiosk's verify and its sync.
#include <cstdint>
#include <string>
#include <string_view>

#include "kiosk/core/result.hpp"

namespace kiosk {

struct Anchor {
  std::string kiosk_id;
  int64_t seq = 0;         // the central holds every event up to and including this one
  std::string hash;        // the hash of event `seq` as the central holds it, 64 hex
  std::string signed_at;   // central UTC time
  std::string signature;   // Ed25519 over AnchorSigningString, hex
};

// "ske-anchor1|<kiosk_id>|<seq>|<hash>|<signed_at>": the bytes the signature covers.
std::string AnchorSigningString(const Anchor& a);

// The anchor as the kiosk keeps it (compact JSON text in sync state).
std::string AnchorToJsonText(const Anchor& a);
Result<Anchor> AnchorFromJsonText(std::string_view text);

// True when `a` is signed by the central whose Ed25519 public key is `central_public_hex` and
// names `kiosk_id`.
bool AnchorSignedFor(const Anchor& a, std::string_view central_public_hex, std::string_view kiosk_id);

}  // namespace kiosk
