// libFuzzer target: what a USB stick brings: batch files (sync::SplitBatchFile, then the batch
// inside), and the central's receipts (sync::OpenReceipt; the body reader ReadReceiptBody is fed
// directly too, since a fuzzer can't forge the central's signature to get past OpenReceipt).
//   byte 0 mod 3: 0 batch file, 1 receipt file, 2 receipt body; the rest is the input. Byte 0 =
//   0xff instead: the central's reference file (sync::OpenReferenceFile), head and body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiosk/sync/protocol.hpp"

using namespace kiosk;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] == 0xff) {
    static const sync::SigningKey key = sync::NewSigningKey();
    auto head = sync::OpenReferenceFile(text, key.public_hex);
    if (head.ok()) std::abort();  // nothing the fuzzer makes is signed by this key
    if (head.error().message.empty()) std::abort();
    return 0;
  }
  switch (data[0] % 3) {
    case 0: {
      auto file = sync::SplitBatchFile(text);
      if (file.ok()) (void)sync::ParseBatch(file->body);
      else if (file.error().message.empty()) std::abort();
      break;
    }
    case 1: {
      // A fixed key: the fuzzer reaches every check before the signature's.
      static const sync::SigningKey key = sync::NewSigningKey();
      auto body = sync::OpenReceipt(text, key.public_hex);
      if (body.ok()) std::abort();  // nothing the fuzzer makes is signed by this key
      break;
    }
    default: {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded()) break;
      auto r = sync::ReadReceiptBody(j);
      if (r.ok()) {
        for (size_t i = 1; i < r->verdicts.size(); ++i)
          if (r->verdicts[i].seq <= r->verdicts[i - 1].seq) std::abort();  // once each, in seq order
      }
      break;
    }
  }
  return 0;
}
