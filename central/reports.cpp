// Reports and listings, read straight from the store.
#include "central/central.hpp"

#include "central/central_parts.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

Status Central::Report(const std::string& name, const std::function<void(const std::vector<std::string>&)>& row) {
  std::lock_guard lock(m_mu);
  return m_store.Report(name, row);
}

Result<std::vector<KioskRecord>> Central::Kiosks() {
  std::lock_guard lock(m_mu);
  return m_store.ListKiosks();
}

Result<int64_t> Central::CountEvents(const std::string& kiosk_id) {
  std::lock_guard lock(m_mu);
  return m_store.CountEvents(kiosk_id);
}

}  // namespace kiosk::central
