#include "kiosk/core/barcode/check_digit.hpp"

namespace kiosk::barcode {

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int Gs1CheckDigit(std::string_view payload) {
  if (!AllDigits(payload)) return -1;
  // Weights 3,1,3,... from the digit next to the check digit, whatever the length, so that
  // GTIN-8/12/13/14, SSCC and GLN all share this one function.
  int sum = 0;
  int weight = 3;
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    sum += (*it - '0') * weight;
    weight = weight == 3 ? 1 : 3;
  }
  return (10 - sum % 10) % 10;
}

int LuhnCheckDigit(std::string_view payload) {
  if (!AllDigits(payload)) return -1;
  int sum = 0;
  bool dbl = true;  // the digit next to the check digit is doubled
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return (10 - sum % 10) % 10;
}

}  // namespace kiosk::barcode
