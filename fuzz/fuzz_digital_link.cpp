// libFuzzer target: GS1 Digital Link URIs (barcode::ParseDigitalLink), what a QR code on a unit
// carries. A link it accepts must give element strings that read back to the same AIs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kiosk/core/barcode/gs1.hpp"

using namespace kiosk::barcode;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view uri(reinterpret_cast<const char*>(data), size);
  Gs1Parse p = ParseDigitalLink(uri);
  if (!p.ok()) return 0;
  if (p.ais.empty()) std::abort();
  Gs1Parse again = ParseElementString(ToElementString(p.ais));
  if (!again.ok() || again.ais != p.ais) std::abort();
  return 0;
}
