#pragma once
// Check-digit algorithms used by barcodes: GS1 mod 10 (GTIN, SSCC, GLN) and Luhn (card numbers,
// staff badges). Pure functions; any thread.
#include <string_view>

namespace kiosk::barcode {

bool AllDigits(std::string_view text);  // false for the empty string

// The check digit (0-9) that completes `payload` (the digits before the check digit), or -1 when
// the payload is empty or holds a non-digit.
int Gs1CheckDigit(std::string_view payload);
int LuhnCheckDigit(std::string_view payload);

// Check digit algorithms a barcode rule may name in assets/barcode_rules.json.
enum class CheckAlgorithm { None, Luhn, Gs1Mod10 };

}  // namespace kiosk::barcode
