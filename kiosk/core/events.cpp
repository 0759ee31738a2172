#include "kiosk/core/events.hpp"

#include <cassert>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "kiosk/core/lean_json.hpp"

namespace kiosk::events {

namespace {

using lean_json::Cursor;
using nlohmann::json;

enum class Need {
  Required,   // missing: an error
  Optional,   // missing: left empty
  ListOrNone  // missing or not a list: no elements (SelloutReported::units)
};

// What is wrong with a member, and where ("devices[0].asset_tag"); empty `what`: nothing.
struct Problem {
  std::string path;
  std::string what;
  explicit operator bool() const { return !what.empty(); }
};

// One member of a payload struct T: its key, whether it must be there, and how to read it with
// either engine and write it. Built once per type (TableOf below).
template <class T>
struct Field {
  std::string key;
  Need need;
  std::string first;  // "key": as the first member
  std::string next;   // ,"key": after another member
  bool (*lean)(Cursor&, T&);
  Problem (*tree)(const json&, T&);
  bool (*present)(const T&);  // false: not written (an unset std::optional)
  json (*write)(const T&);
};

// A type's members in nlohmann's dump order (sorted by key, bytewise): the lean engine reads them
// in this order and nothing else.
template <class T>
using Table = std::vector<Field<T>>;

template <class T>
const Table<T>& TableOf();

// ---- Values: the lean engine ------------------------------------------------------------------

bool Lean(Cursor& c, std::string& v) { return c.Str(v); }  // refuses \u, so never a NUL
bool Lean(Cursor& c, int64_t& v) { return c.Int(v); }
bool Lean(Cursor& c, bool& v) {
  if (c.Lit("true")) v = true;
  else if (c.Lit("false")) v = false;
  else return false;
  return true;
}
template <class V>
bool Lean(Cursor& c, std::optional<V>& v) {
  return Lean(c, v.emplace());
}
// A list of strings (asset tags): not objects.
bool Lean(Cursor& c, std::vector<std::string>& v) {
  if (!c.Lit("[")) return false;
  if (c.Lit("]")) return true;
  do {
    if (!c.Str(v.emplace_back())) return false;
  } while (c.Lit(","));
  return c.Lit("]");
}
template <class T>
bool LeanObject(Cursor& c, T& t);
template <class S>
bool Lean(Cursor& c, std::vector<S>& v) {
  if (!c.Lit("[")) return false;
  if (c.Lit("]")) return true;
  do {
    if (!LeanObject(c, v.emplace_back())) return false;
  } while (c.Lit(","));
  return c.Lit("]");
}

template <class T>
bool LeanObject(Cursor& c, T& t) {
  if (!c.Lit("{")) return false;
  bool first = true;
  for (const Field<T>& f : TableOf<T>()) {
    if (c.Lit(first ? f.first : f.next)) {
      if (!f.lean(c, t)) return false;
      first = false;
    } else if (f.need == Need::Required) {
      return false;
    }
  }
  return c.Lit("}");
}

// ---- Values: the tree engine ------------------------------------------------------------------

std::string Kind(const json& j) {
  if (j.is_number_float()) return "a fraction";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "true or false";
  if (j.is_array()) return "a list";
  if (j.is_object()) return "an object";
  return "null";
}

Problem Tree(const json& j, std::string& v) {
  if (!j.is_string()) return {"", "must be a string, not " + Kind(j)};
  v = j.get_ref<const std::string&>();
  if (v.find('\0') != std::string::npos) return {"", "holds a NUL character"};
  return {};
}
Problem Tree(const json& j, int64_t& v) {
  if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return {"", "is too large (" + j.dump() + ")"};
  if (j.is_number_float()) return {"", "must be a whole number in range, not " + j.dump()};
  if (!j.is_number_integer()) return {"", "must be a whole number, not " + Kind(j)};
  v = j.get<int64_t>();
  return {};
}
Problem Tree(const json& j, bool& v) {
  if (!j.is_boolean()) return {"", "must be true or false, not " + Kind(j)};
  v = j.get<bool>();
  return {};
}
template <class V>
Problem Tree(const json& j, std::optional<V>& v) {
  return Tree(j, v.emplace());
}
Problem Tree(const json& j, std::vector<std::string>& v) {
  if (!j.is_array()) return {"", "must be a list, not " + Kind(j)};
  v.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    if (Problem p = Tree(j[i], v.emplace_back())) {
      p.path = "[" + std::to_string(i) + "]";
      return p;
    }
  }
  return {};
}
template <class T>
Problem TreeObject(const json& j, T& t);
template <class S>
Problem Tree(const json& j, std::vector<S>& v) {
  if (!j.is_array()) return {"", "must be a list, not " + Kind(j)};
  v.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    Problem p = j[i].is_object() ? TreeObject(j[i], v.emplace_back())
                                 : Problem{"", "must be an object, not " + Kind(j[i])};
    if (p) {
      p.path = "[" + std::to_string(i) + "]" + (p.path.empty() ? "" : "." + p.path);
      return p;
    }
  }
  return {};
}

template <class T>
Problem TreeObject(const json& j, T& t) {
  for (const Field<T>& f : TableOf<T>()) {
    const auto it = j.find(f.key);
    if (it == j.end()) {
      if (f.need == Need::Required) return {f.key, "is missing"};
      continue;
    }
    if (f.need == Need::ListOrNone && !it->is_array()) continue;
    if (Problem p = f.tree(*it, t)) {
      p.path = f.key + p.path;  // "units" + "[1].gtin", or the key alone
      return p;
    }
  }
  return {};
}

// ---- Values: writing ------------------------------------------------------------------------

json Write(const std::string& v) { return v; }
json Write(int64_t v) { return v; }
json Write(bool v) { return v; }
template <class V>
json Write(const std::optional<V>& v) {
  return Write(*v);
}
json Write(const std::vector<std::string>& v) { return v; }
template <class T>
json WriteObject(const T& t);
template <class S>
json Write(const std::vector<S>& v) {
  json a = json::array();
  for (const S& s : v) a.push_back(WriteObject(s));
  return a;
}

template <class V>
bool Present(const V&) {
  return true;
}
template <class V>
bool Present(const std::optional<V>& v) {
  return v.has_value();
}

template <class T>
json WriteObject(const T& t) {
  json o = json::object();
  for (const Field<T>& f : TableOf<T>())
    if (f.present(t)) o[f.key] = f.write(t);
  return o;
}

// ---- Tables ---------------------------------------------------------------------------------

template <class M>
struct MemberOf;
template <class C, class V>
struct MemberOf<V C::*> {
  using Class = C;
};

// F<&T::member>("key"): the member's Field.
template <auto M>
Field<typename MemberOf<decltype(M)>::Class> F(std::string key, Need need = Need::Required) {
  using C = typename MemberOf<decltype(M)>::Class;
  return {key,
          need,
          "\"" + key + "\":",
          ",\"" + key + "\":",
          [](Cursor& c, C& o) { return Lean(c, o.*M); },
          [](const json& j, C& o) { return Tree(j, o.*M); },
          [](const C& o) { return Present(o.*M); },
          [](const C& o) { return Write(o.*M); }};
}

template <class T>
Table<T> Sorted(Table<T> t) {
  for (size_t i = 1; i < t.size(); ++i) assert(t[i - 1].key < t[i].key && "members in nlohmann's dump order");
  return t;
}

constexpr Need kOptional = Need::Optional;

template <>
const Table<DeviceRef>& TableOf<DeviceRef>() {
  static const auto t = Sorted<DeviceRef>({F<&DeviceRef::asset_tag>("asset_tag"),
                                           F<&DeviceRef::gtin>("gtin", kOptional),
                                           F<&DeviceRef::serial>("serial", kOptional)});
  return t;
}
template <>
const Table<ReturnedDevice>& TableOf<ReturnedDevice>() {
  static const auto t = Sorted<ReturnedDevice>({F<&ReturnedDevice::asset_tag>("asset_tag"),
                                                F<&ReturnedDevice::from>("from", kOptional),
                                                F<&ReturnedDevice::gtin>("gtin", kOptional),
                                                F<&ReturnedDevice::serial>("serial", kOptional),
                                                F<&ReturnedDevice::was_due>("was_due", kOptional)});
  return t;
}
template <>
const Table<AuditedDevice>& TableOf<AuditedDevice>() {
  static const auto t = Sorted<AuditedDevice>({F<&AuditedDevice::asset_tag>("asset_tag"),
                                               F<&AuditedDevice::gtin>("gtin", kOptional),
                                               F<&AuditedDevice::recorded_state>("recorded_state", kOptional),
                                               F<&AuditedDevice::serial>("serial", kOptional)});
  return t;
}
template <>
const Table<StocktakeUnit>& TableOf<StocktakeUnit>() {
  static const auto t = Sorted<StocktakeUnit>({F<&StocktakeUnit::asset_tag>("asset_tag"),
                                               F<&StocktakeUnit::custodian>("custodian", kOptional),
                                               F<&StocktakeUnit::location>("location", kOptional),
                                               F<&StocktakeUnit::state>("state", kOptional)});
  return t;
}
template <>
const Table<SoldUnit>& TableOf<SoldUnit>() {
  static const auto t = Sorted<SoldUnit>({F<&SoldUnit::gtin>("gtin"), F<&SoldUnit::serial>("serial")});
  return t;
}

template <>
const Table<DeviceCheckedOut>& TableOf<DeviceCheckedOut>() {
  using T = DeviceCheckedOut;
  static const auto t = Sorted<T>({F<&T::devices>("devices"), F<&T::due_date>("due_date"),
                                   F<&T::purpose>("purpose", kOptional), F<&T::rep>("rep"),
                                   F<&T::signature>("signature", kOptional),
                                   F<&T::signature_none>("signature_none", kOptional),
                                   F<&T::signature_sha256>("signature_sha256", kOptional)});
  return t;
}
template <>
const Table<DeviceCheckedIn>& TableOf<DeviceCheckedIn>() {
  using T = DeviceCheckedIn;
  static const auto t = Sorted<T>({F<&T::by>("by"), F<&T::condition>("condition"), F<&T::devices>("devices"),
                                   F<&T::state_after>("state_after")});
  return t;
}
template <>
const Table<DeviceAudited>& TableOf<DeviceAudited>() {
  using T = DeviceAudited;
  static const auto t = Sorted<T>({F<&T::by>("by"), F<&T::devices>("devices")});
  return t;
}
template <>
const Table<DemoOrdered>& TableOf<DemoOrdered>() {
  using T = DemoOrdered;
  static const auto t = Sorted<T>({F<&T::card>("card", kOptional), F<&T::gtin>("gtin"),
                                   F<&T::model>("model", kOptional), F<&T::partner_id>("partner_id"),
                                   F<&T::qty>("qty"), F<&T::tier>("tier", kOptional)});
  return t;
}
template <>
const Table<LoyaltyRedeemed>& TableOf<LoyaltyRedeemed>() {
  using T = LoyaltyRedeemed;
  static const auto t = Sorted<T>({F<&T::available_before>("available_before", kOptional),
                                   F<&T::card>("card", kOptional), F<&T::partner_id>("partner_id"),
                                   F<&T::points>("points"), F<&T::points_each>("points_each", kOptional),
                                   F<&T::qty>("qty", kOptional), F<&T::reward>("reward", kOptional),
                                   F<&T::reward_id>("reward_id")});
  return t;
}
template <>
const Table<SelloutReported>& TableOf<SelloutReported>() {
  using T = SelloutReported;
  static const auto t = Sorted<T>({F<&T::card>("card", kOptional), F<&T::partner_id>("partner_id", kOptional),
                                   F<&T::units>("units", Need::ListOrNone)});
  return t;
}
template <>
const Table<DealRegistered>& TableOf<DealRegistered>() {
  using T = DealRegistered;
  static const auto t = Sorted<T>({F<&T::card>("card", kOptional), F<&T::close_date>("close_date", kOptional),
                                   F<&T::customer>("customer"), F<&T::partner_id>("partner_id"),
                                   F<&T::product>("product"), F<&T::value_eur_cents>("value_eur_cents")});
  return t;
}
template <>
const Table<AdminPinFailed>& TableOf<AdminPinFailed>() {
  using T = AdminPinFailed;
  static const auto t = Sorted<T>({F<&T::badge>("badge"), F<&T::failures>("failures")});
  return t;
}
template <>
const Table<AdminLockedOut>& TableOf<AdminLockedOut>() {
  using T = AdminLockedOut;
  static const auto t = Sorted<T>({F<&T::badge>("badge"), F<&T::failures>("failures")});
  return t;
}
template <>
const Table<ReferenceLoaded>& TableOf<ReferenceLoaded>() {
  using T = ReferenceLoaded;
  static const auto t = Sorted<T>({F<&T::devices>("devices"), F<&T::full>("full"), F<&T::partners>("partners"),
                                   F<&T::rewards>("rewards"), F<&T::version>("version")});
  return t;
}
template <>
const Table<JournalPruned>& TableOf<JournalPruned>() {
  using T = JournalPruned;
  static const auto t = Sorted<T>({F<&T::events>("events"), F<&T::head_hash>("head_hash"),
                                   F<&T::keep_days>("keep_days"), F<&T::through_seq>("through_seq")});
  return t;
}
template <>
const Table<KioskInitialized>& TableOf<KioskInitialized>() {
  using T = KioskInitialized;
  static const auto t = Sorted<T>({F<&T::kiosk_id>("kiosk_id"), F<&T::software>("software")});
  return t;
}

template <>
const Table<StocktakeFinished>& TableOf<StocktakeFinished>() {
  using T = StocktakeFinished;
  static const auto t = Sorted<T>({F<&T::by>("by"), F<&T::expected>("expected"), F<&T::found>("found"),
                                   F<&T::misplaced>("misplaced"), F<&T::missing>("missing"), F<&T::scope>("scope"),
                                   F<&T::started_at>("started_at", kOptional), F<&T::unexpected>("unexpected")});
  return t;
}

// ---- Whole payloads -------------------------------------------------------------------------

template <class T>
std::optional<T> ReadLeanPayload(std::string_view text) {
  std::optional<T> t(std::in_place);
  Cursor c(text);
  if (!LeanObject(c, *t) || !c.Done()) return std::nullopt;
  return t;
}

template <class T>
Result<T> ReadTreePayload(std::string_view text) {
  const std::string name(T::kType);
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    return MakeError(ErrorKind::Usage, "event.payload", "The " + name + " payload is not valid JSON.", {},
                     "not_object");
  if (!j.is_object())
    return MakeError(ErrorKind::Usage, "event.payload", "The " + name + " payload is not a JSON object.", {},
                     "not_object");
  T t;
  if (Problem p = TreeObject(j, t))
    return MakeError(ErrorKind::Usage, "event.payload", "The " + name + " payload's " + p.path + " " + p.what + ".",
                     {{"type", name}, {"member", p.path}});
  return t;
}

template <class T>
Result<T> ReadPayload(std::string_view text) {
  if (std::optional<T> t = ReadLeanPayload<T>(text)) return std::move(*t);
  return ReadTreePayload<T>(text);
}

// For an object at the root, answers the first SAX event and stops.
struct RootKind {
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;
  int depth = 0;
  bool object = false;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(number_integer_t) { return true; }
  bool number_unsigned(number_unsigned_t) { return true; }
  bool number_float(number_float_t, const string_t&) { return true; }
  bool binary(binary_t&) { return true; }
  bool string(string_t&) { return true; }
  bool key(string_t&) { return true; }
  bool start_object(std::size_t) {
    if (depth++ == 0) object = true;
    return true;
  }
  bool end_object() { return --depth, true; }
  bool start_array(std::size_t) { return ++depth, true; }
  bool end_array() { return --depth, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

}  // namespace

bool IsObject(std::string_view payload) {
  RootKind k;
  switch (lean_json::ReadPlain(payload, k)) {
    case lean_json::Outcome::Done: return k.object;
    case lean_json::Outcome::Stopped: return false;  // RootKind never stops
    case lean_json::Outcome::NotPlain: break;
  }
  RootKind slow;
  return json::sax_parse(payload, &slow) && slow.object;
}

#define KIOSK_EVENT_PAYLOAD_DEFINE(T)                                                                     \
  json T::ToJson() const { return WriteObject(*this); }                                                  \
  std::string T::Dump() const { return ToJson().dump(); }                                                \
  Result<T> T::FromJson(std::string_view payload) { return ReadPayload<T>(payload); }                    \
  std::optional<T> T::ReadLean(std::string_view payload) { return ReadLeanPayload<T>(payload); }         \
  Result<T> T::ReadTree(std::string_view payload) { return ReadTreePayload<T>(payload); }

KIOSK_EVENT_PAYLOAD_DEFINE(DeviceCheckedOut)
KIOSK_EVENT_PAYLOAD_DEFINE(DeviceCheckedIn)
KIOSK_EVENT_PAYLOAD_DEFINE(DeviceAudited)
KIOSK_EVENT_PAYLOAD_DEFINE(DemoOrdered)
KIOSK_EVENT_PAYLOAD_DEFINE(LoyaltyRedeemed)
KIOSK_EVENT_PAYLOAD_DEFINE(SelloutReported)
KIOSK_EVENT_PAYLOAD_DEFINE(DealRegistered)
KIOSK_EVENT_PAYLOAD_DEFINE(AdminPinFailed)
KIOSK_EVENT_PAYLOAD_DEFINE(AdminLockedOut)
KIOSK_EVENT_PAYLOAD_DEFINE(ReferenceLoaded)
KIOSK_EVENT_PAYLOAD_DEFINE(JournalPruned)
KIOSK_EVENT_PAYLOAD_DEFINE(KioskInitialized)
KIOSK_EVENT_PAYLOAD_DEFINE(StocktakeFinished)

#undef KIOSK_EVENT_PAYLOAD_DEFINE

}  // namespace kiosk::events
