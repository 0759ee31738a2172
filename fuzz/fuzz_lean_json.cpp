// libFuzzer target: the one fast JSON reader (kiosk/core/lean_json.hpp), against nlohmann. Both
// faces may say "not mine" to anything; what they accept, nlohmann must accept and read the same:
//  - ReadPlain: the same SAX events, in the same order (numbers as "a number");
//  - Cursor::Str / Int at the start of the input: the same string, the same integer;
//  - Cursor::Raw: where the text it delimits is valid JSON, it is the first value nlohmann reads;
//  - the typed event payloads built on the cursor (kiosk/core/events.hpp): for every type, where
//    the lean engine reads the text, the tree reads it too and to the same struct, and
//    events::IsObject says what nlohmann's tree says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/core/events.hpp"
#include "kiosk/core/lean_json.hpp"

using nlohmann::json;
using namespace kiosk;

namespace {

// Records SAX events as text, for either reader.
struct Recorder {
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;
  std::vector<std::string> events;

  bool null() { return Add("null"); }
  bool boolean(bool v) { return Add(v ? "true" : "false"); }
  bool number_integer(number_integer_t) { return Add("num"); }
  bool number_unsigned(number_unsigned_t) { return Add("num"); }
  bool number_float(number_float_t, const string_t&) { return Add("num"); }
  bool binary(binary_t&) { return Add("binary"); }
  bool string(string_t& v) { return Add("s:" + v); }
  bool key(string_t& v) { return Add("k:" + v); }
  bool start_object(std::size_t) { return Add("{"); }
  bool end_object() { return Add("}"); }
  bool start_array(std::size_t) { return Add("["); }
  bool end_array() { return Add("]"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
  bool Add(std::string e) {
    events.push_back(std::move(e));
    return true;
  }
};

template <class T>
void CheckEvent(std::string_view text) {
  if (auto lean = T::ReadLean(text)) {
    auto tree = T::ReadTree(text);
    if (!tree.ok() || !(*tree == *lean)) std::abort();
  }
}

template <class... T>
void CheckEvents(std::string_view text) {
  (CheckEvent<T>(text), ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Recorder fast;
  if (lean_json::ReadPlain(text, fast) == lean_json::Outcome::Done) {
    Recorder slow;
    if (!json::sax_parse(text, &slow) || slow.events != fast.events) std::abort();
  }

  {
    lean_json::Cursor c(text);
    std::string s;
    if (c.Str(s)) {
      const json j = json::parse(text.substr(0, c.Position()), nullptr, false);
      if (!j.is_string() || j.get<std::string>() != s) std::abort();
    }
  }
  {
    lean_json::Cursor c(text);
    int64_t v = 0;
    if (c.Int(v)) {
      const json j = json::parse(text.substr(0, c.Position()), nullptr, false);
      if (!j.is_number_integer() || j.get<int64_t>() != v) std::abort();
    }
  }
  {
    lean_json::Cursor c(text);
    std::string_view raw;
    // Raw only delimits (its caller parses the text with nlohmann): where that text is valid JSON,
    // it must be exactly the first value nlohmann reads from the input.
    if (c.Raw(raw) && json::accept(raw)) {
      Recorder alone, first;
      if (!json::sax_parse(raw, &alone)) std::abort();
      (void)json::sax_parse(text, &first, json::input_format_t::json, /*strict=*/false);
      if (alone.events != first.events) std::abort();
    }
  }

  using namespace kiosk::events;
  CheckEvents<DeviceCheckedOut, DeviceCheckedIn, DeviceAudited, DemoOrdered, LoyaltyRedeemed, SelloutReported,
              DealRegistered, AdminPinFailed, AdminLockedOut, ReferenceLoaded, JournalPruned, KioskInitialized,
              StocktakeFinished>(text);
  if (IsObject(text) != json::parse(text, nullptr, false).is_object()) std::abort();
  return 0;
}
