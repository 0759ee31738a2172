#pragma once
// Touch widgets over Dear ImGui: big buttons that act on release, labels, text fields typed on an
// on-screen keyboard or numpad, a date picker, a signature pad and the feedback banner. Every
// button and text drawn through them is recorded in the frame's FrameRecord, which is how the
// script driver finds "Label" to tap and checks `expect "Text"`. Main thread only.
#include <imgui.h>

#include <string>
#include <vector>

#include "kiosk/app/view_models.hpp"
#include "kiosk/ui/i18n.hpp"

namespace kiosk::ui {

struct TouchTarget {
  std::string id;     // stable, language-independent ("key:a", "nav:home") or empty
  std::string label;  // as shown
  ImVec2 min, max;    // screen pixels
  bool enabled = true;
  bool visible = true;  // wholly inside its window's visible area (not scrolled away or under the keyboard)
};

// What one frame drew: touch targets and visible text.
struct FrameRecord {
  std::vector<TouchTarget> targets;
  std::vector<std::string> texts;
  std::string language;  // the words' language when this frame was drawn
  void Clear() {
    targets.clear();
    texts.clear();
  }
  const TouchTarget* Find(const std::string& label_or_id) const;
  bool Shows(const std::string& text) const;  // substring of any text or label
  std::string Describe() const;               // for a failed expectation
  std::string Layout() const;                 // what the driver compares to see the layout settle
};

// Text: the language's letters; Url: Latin letters, digits and ":/.-" in every language (a web
// address); Code: capitals, digits and '-' (an enrolment code); Number, Decimal, Pin: the numpad.
enum class FieldKind { Text, Number, Decimal, Pin, Url, Code };
enum class Tone { Normal, Primary, Danger, Quiet };

struct Fonts {
  ImFont* body = nullptr;
  ImFont* big = nullptr;
};

// Per-app UI state shared by the widgets: fonts, words, focus, the frame record.
struct UiContext {
  I18n i18n;
  Fonts fonts;
  float em = 22.0f;  // font size in pixels; every size is a multiple of it
  FrameRecord record;
  // Focus: the field the keyboard types into. The pointer is refreshed by the field every frame.
  std::string focus_id;
  std::string* focus_value = nullptr;
  FieldKind focus_kind = FieldKind::Text;
  bool focus_seen = false;  // the focused field was drawn this frame
  int focus_scroll_frames = 0;  // frames left in which a just-focused field is scrolled into sight
  bool shift = false;
  bool latin = false;       // Russian layout switched to Latin letters
  bool dragging_owned = false;
  std::string scroll_to;  // the script driver asks for this target to be scrolled into view  // a widget (the signature pad) owns the finger: no drag-scroll
};

// The context of the frame being drawn; set by the app loop around each frame.
UiContext& Ctx();
void SetCtx(UiContext* ctx);

const char* T(const char* key);
std::string Tf(const char* key, const std::vector<std::string>& args);

inline float Em(float n) { return n * Ctx().em; }
inline ImVec2 EmV(float x, float y) { return ImVec2(x * Ctx().em, y * Ctx().em); }
float ButtonHeight();  // 2.4 em: at least 48 px at 1024x600

bool TouchButton(const std::string& label, ImVec2 size, bool enabled = true, Tone tone = Tone::Normal,
                 const char* id = nullptr);
// A tall button whose label wraps (reward cards, long model names).
bool CardButton(const std::string& label, float width, bool enabled, const char* id);
void Label(const std::string& text);    // wraps
void Muted(const std::string& text);    // grey, wraps
void Heading(const std::string& text);  // big font
// Wrapped white text on a coloured box across the column: what staff must not miss (a custody
// conflict, an outcome to act on).
void Notice(const std::string& text, ImU32 background);
void Badge(const std::string& text, ImU32 colour);  // a coloured pill (tier, state)
void ProgressBar(float fraction, const std::string& text);
void RecordText(const std::string& text);

// A field that shows its value and, tapped, takes the keyboard. Returns true while focused.
bool TextField(const char* id, const std::string& caption, std::string& value, FieldKind kind, float width);
void Unfocus();
// Drawn at the bottom of the window when a field is focused; `language` picks the layout.
// Returns the height it took, so the screen above can leave room.
float KeyboardHeight();
void DrawKeyboard(const std::string& language);
// Layout rows of the letter keyboard for a language (tests check the glyphs are in the font).
std::vector<std::string> KeyboardRows(const std::string& language, bool shift, bool latin);
// The letter rows a field of `kind` gets (Text: KeyboardRows; Url and Code: their own, the same in
// every language); empty for the numpad kinds.
std::vector<std::string> KeyboardRowsFor(FieldKind kind, const std::string& language, bool shift, bool latin);

// YYYY-MM-DD with -7/-1/+1/+7 day buttons; `min_date` is the earliest allowed.
void DatePicker(const char* id, std::string& date, const std::string& min_date);
std::string AddDays(const std::string& date, int days);

// Finger signature: strokes in pad coordinates, exported as an SVG path.
struct SignaturePad {
  std::vector<std::vector<ImVec2>> strokes;
  bool drawing = false;
  void Draw(const char* id, ImVec2 size);
  bool Empty() const { return strokes.empty(); }
  std::string Svg() const;
};

void DrawBanner(const app::Banner& banner, bool busy);

}  // namespace kiosk::ui
