// The Central's construction and signing key, and how a refusal maps to an HTTP status. The
// requests themselves: enrol.cpp, auth.cpp, ingest.cpp, reference.cpp, import.cpp, reports.cpp.
#include "central/central.hpp"

#include "central/central_parts.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

int HttpStatusFor(const Error& e) {
  const std::string& c = e.code;
  auto starts = [&](const char* p) { return c.rfind(p, 0) == 0; };
  if (starts("auth.")) return 401;
  if (c == "kiosk.not_enrolled" || starts("enrol.")) return 403;
  if (c == "batch.gap" || c == "journal.fork" || c == "journal.broken_chain") return 409;
  if (c == "batch.too_large") return 413;
  if (e.kind == ErrorKind::Storage || e.kind == ErrorKind::Network) return 503;
  if (e.kind == ErrorKind::Usage) return 400;
  if (e.kind == ErrorKind::NotFound) return 404;
  if (e.kind == ErrorKind::Integrity) return 500;
  return 422;
}

Central::Central(CentralStore& store, const Clock& clock) : m_store(store), m_clock(clock) {}

int64_t Central::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(m_clock.Now().time_since_epoch()).count();
}

Status Central::Init() {
  std::lock_guard lock(m_mu);
  auto priv = m_store.GetMeta("signing_key");
  if (!priv.ok()) return priv.error();
  auto pub = m_store.GetMeta("signing_public_key");
  if (!pub.ok()) return pub.error();
  if (*priv && *pub) {
    m_key = sync::SigningKey{**priv, **pub};
    return {};
  }
  m_key = sync::NewSigningKey();
  StoreTransaction tx(m_store);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(m_store.SetMeta("signing_key", m_key.private_hex));
  KIOSK_TRY(m_store.SetMeta("signing_public_key", m_key.public_hex));
  return tx.Commit();
}


}  // namespace kiosk::central
