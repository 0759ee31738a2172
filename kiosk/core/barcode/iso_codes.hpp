#pragma once
// Country and currency code lists that GS1 fields refer to (ISO 3166-1, ISO 4217). Pure; any thread.
#include <string_view>

namespace kiosk::barcode {

bool IsIso3166Numeric(int code);             // 276 (Germany); 0 and 999 are not countries
bool IsIso3166Alpha2(std::string_view code); // "DE"; upper case only, as GS1 writes it
bool IsIso4217Numeric(int code);             // 978 (euro)

}  // namespace kiosk::barcode
