// libFuzzer target: the central's batch request reader (sync::ParseBatch, its fast path and the
// nlohmann fallback). A batch it accepts must serialise and read back to the same events.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kiosk/sync/protocol.hpp"

using namespace kiosk;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto b = sync::ParseBatch(body);
  if (!b.ok()) {
    if (b.error().code.empty() || b.error().message.empty()) std::abort();  // every refusal says why
    return 0;
  }
  if (!b->malformed.empty()) return 0;  // quarantined events do not travel back out
  auto again = sync::ParseBatch(sync::SerializeBatch(*b));
  if (!again.ok() || again->events.size() != b->events.size()) std::abort();
  for (size_t i = 0; i < b->events.size(); ++i)
    if (CanonicalBytes(again->events[i]) != CanonicalBytes(b->events[i]) || again->events[i].hash != b->events[i].hash)
      std::abort();
  return 0;
}
