#pragma once
// Keyboard-wedge detector: tells a scanner that types like a keyboard from a person, by the time
// between keys and the terminator. The UI feeds it every character and Enter/Tab with the time it
// arrived; it hands back either a scan or the text a person typed (which the UI then gives to the
// focused field). Pure code; the UI (main) thread only.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::scan {

struct WedgeOptions {
  int64_t max_gap_ms = 35;       // a scanner types every key within this of the previous one
  size_t min_length = 4;         // shorter bursts are a person (or a rollover of two keys)
  bool require_terminator = true;  // false: a fast burst followed by a pause counts as a scan
  bool enter_terminates = true;
  bool tab_terminates = false;
};

struct WedgeEvent {
  enum class Type { Scan, Typed } type = Type::Typed;
  std::string text;               // UTF-8; for Typed, "\n" / "\t" stand for Enter / Tab
  int64_t first_ms = 0, last_ms = 0;
};

enum class WedgeKey { Enter, Tab };

class WedgeDetector {
 public:
  explicit WedgeDetector(WedgeOptions options = {}) : m_options(options) {}
  void OnChar(char32_t c, int64_t time_ms, std::vector<WedgeEvent>& out);
  void OnKey(WedgeKey key, int64_t time_ms, std::vector<WedgeEvent>& out);
  // Gives back what a pause has decided (call at Deadline()).
  void Tick(int64_t now_ms, std::vector<WedgeEvent>& out);
  std::optional<int64_t> Deadline() const;
  bool Pending() const { return !m_text.empty(); }

 private:
  void Release(WedgeEvent::Type type, std::vector<WedgeEvent>& out);
  WedgeOptions m_options;
  std::string m_text;
  size_t m_chars = 0;
  int64_t m_first_ms = 0, m_last_ms = 0;
};

}  // namespace kiosk::scan
