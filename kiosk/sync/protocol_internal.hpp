#pragma once
// Private to the protocol's files (protocol*.cpp): the small helpers more than one of them uses.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/core/crypto.hpp"

namespace kiosk::sync::detail {

inline bool IsHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// A text member, or "" when it is missing or not text: json::value() would throw on a number.
inline std::string TextOr(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline std::vector<unsigned char> Bytes(std::string_view hex) {
  std::vector<unsigned char> out;
  crypto::FromHex(hex, out);
  return out;
}

}  // namespace kiosk::sync::detail
