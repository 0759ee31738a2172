#include "kiosk/core/anchor.hpp"

#include <nlohmann/json.hpp>

#include "kiosk/core/crypto.hpp"

namespace kiosk {

std::string AnchorSigningString(const Anchor& a) {
  return "ske-anchor1|" + a.kiosk_id + "|" + std::to_string(a.seq) + "|" + a.hash + "|" + a.signed_at;
}

std::string AnchorToJsonText(const Anchor& a) {
  return nlohmann::json{{"kiosk_id", a.kiosk_id}, {"seq", a.seq}, {"hash", a.hash}, {"signed_at", a.signed_at},
                        {"signature", a.signature}}
      .dump();
}

Result<Anchor> AnchorFromJsonText(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("seq") || !j["seq"].is_number_integer())
    return MakeError(ErrorKind::Integrity, "anchor.malformed", "the stored anchor of the central is malformed");
  Anchor a;
  auto text_of = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  a.kiosk_id = text_of("kiosk_id");
  a.seq = j["seq"].get<int64_t>();
  a.hash = text_of("hash");
  a.signed_at = text_of("signed_at");
  a.signature = text_of("signature");
  return a;
}

bool AnchorSignedFor(const Anchor& a, std::string_view central_public_hex, std::string_view kiosk_id) {
  return a.kiosk_id == kiosk_id && crypto::VerifyEd25519(central_public_hex, AnchorSigningString(a), a.signature);
}

}  // namespace kiosk
