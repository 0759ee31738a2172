#pragma once
// The raw rows of the GS1 AI table (gs1_table.cpp); gs1.cpp builds its lookup from them once.
#include <cstddef>

namespace kiosk::barcode::detail {

struct AiRow {
  const char* first;      // "3100": first AI of the range
  const char* last;       // "3105": last AI of the range (== first for one AI)
  bool predefined;        // fixed length by GS1's predefined-length table (no FNC1 after it)
  const char* components; // "N13,csum,key [X..17]"
  const char* req;        // one of these must be present ("" = none)
  const char* req2;       // and one of these
  const char* ex;         // none of these may be present
  const char* dl;         // nullptr: not a Digital Link primary key; else its ordered qualifiers
  const char* title;      // GS1 data title
};

extern const AiRow kAiRows[];
extern const size_t kAiRowCount;

}  // namespace kiosk::barcode::detail
