// libFuzzer target: the kiosk's batch response reader (sync::ParseBatchResponse). An answer it
// accepts must serialise and read back to the same acknowledgement, anchor and verdicts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kiosk/sync/protocol.hpp"

using namespace kiosk;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto r = sync::ParseBatchResponse(body);
  if (!r.ok()) {
    if (r.error().code.empty() || r.error().message.empty()) std::abort();
    return 0;
  }
  auto again = sync::ParseBatchResponse(sync::SerializeBatchResponse(*r));
  if (!again.ok() || again->acked_through != r->acked_through || again->verdicts.size() != r->verdicts.size() ||
      AnchorSigningString(again->anchor) != AnchorSigningString(r->anchor) ||
      again->anchor.signature != r->anchor.signature)
    std::abort();
  for (size_t i = 0; i < r->verdicts.size(); ++i)
    if (again->verdicts[i].seq != r->verdicts[i].seq || again->verdicts[i].verdict != r->verdicts[i].verdict ||
        again->verdicts[i].code != r->verdicts[i].code)
      std::abort();
  return 0;
}
