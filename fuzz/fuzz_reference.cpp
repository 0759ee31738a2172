// libFuzzer target: the reference data reader (ParseReference), the JSON the central publishes
// and `kiosk load-reference` reads from a file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiosk/core/reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = kiosk::ParseReference(text);
  if (!doc.ok() && (doc.error().code.empty() || doc.error().message.empty())) std::abort();
  return 0;
}
