// libFuzzer target: the kiosk's configuration reader (ParseConfig, /etc/kiosk/kiosk.json).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kiosk/core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = kiosk::ParseConfig(text, "fuzz.json");
  if (!config.ok() && (config.error().code.empty() || config.error().message.empty())) std::abort();
  return 0;
}
