#include "kiosk/ui/widgets.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "kiosk/core/clock.hpp"

namespace kiosk::ui {
namespace {

UiContext* g_ctx = nullptr;  // the frame's context, like ImGui's own current context

ImU32 ToneColour(Tone tone, bool hovered_or_active) {
  switch (tone) {
    case Tone::Primary: return hovered_or_active ? IM_COL32(30, 120, 210, 255) : IM_COL32(25, 100, 180, 255);
    case Tone::Danger: return hovered_or_active ? IM_COL32(190, 60, 50, 255) : IM_COL32(160, 45, 40, 255);
    case Tone::Quiet: return hovered_or_active ? IM_COL32(70, 74, 82, 255) : IM_COL32(52, 56, 64, 255);
    case Tone::Normal: break;
  }
  return hovered_or_active ? IM_COL32(80, 86, 98, 255) : IM_COL32(62, 67, 78, 255);
}

// UTF-8 string -> one string per code point.
std::vector<std::string> SplitUtf8(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string Upper(const std::string& key) {
  // Only letters of the layouts below; ImGui has no locale-aware case mapping.
  static const char* kPairs[][2] = {
      {"ä", "Ä"}, {"ö", "Ö"}, {"ü", "Ü"}, {"å", "Å"}, {"ą", "Ą"}, {"ć", "Ć"}, {"ę", "Ę"}, {"ł", "Ł"},
      {"ń", "Ń"}, {"ó", "Ó"}, {"ś", "Ś"}, {"ź", "Ź"}, {"ż", "Ż"}, {"ё", "Ё"}};
  if (key.size() == 1 && key[0] >= 'a' && key[0] <= 'z') return std::string(1, static_cast<char>(key[0] - 32));
  for (auto& p : kPairs)
    if (key == p[0]) return p[1];
  // Cyrillic а..я (U+0430..U+044F) -> А..Я (U+0410..U+042F)
  if (key.size() == 2 && static_cast<unsigned char>(key[0]) == 0xD0 && static_cast<unsigned char>(key[1]) >= 0xB0 &&
      static_cast<unsigned char>(key[1]) <= 0xBF) {
    std::string u = key;
    u[1] = static_cast<char>(static_cast<unsigned char>(key[1]) - 0x20);
    return u;
  }
  if (key.size() == 2 && static_cast<unsigned char>(key[0]) == 0xD1 && static_cast<unsigned char>(key[1]) >= 0x80 &&
      static_cast<unsigned char>(key[1]) <= 0x8F) {
    std::string u = "\xD0";
    u += static_cast<char>(static_cast<unsigned char>(key[1]) + 0x20);
    return u;
  }
  return key;
}

void PopUtf8(std::string& s) {
  if (s.empty()) return;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  s.erase(i);
}

void Record(const char* id, const std::string& label, bool enabled) {
  ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 cmin = dl->GetClipRectMin(), cmax = dl->GetClipRectMax();
  bool visible = min.x >= cmin.x - 2 && min.y >= cmin.y - 2 && max.x <= cmax.x + 2 && max.y <= cmax.y + 2;
  UiContext& c = Ctx();
  if (!visible && !c.scroll_to.empty() && (c.scroll_to == label || (id && c.scroll_to == id))) {
    ImGui::SetScrollHereY(0.5f);  // as a finger would drag it into view
    c.scroll_to.clear();
  }
  c.record.targets.push_back(TouchTarget{id ? id : "", label, min, max, enabled, visible});
}

}  // namespace

UiContext& Ctx() { return *g_ctx; }
void SetCtx(UiContext* ctx) { g_ctx = ctx; }

const char* T(const char* key) { return Ctx().i18n.Get(key); }
std::string Tf(const char* key, const std::vector<std::string>& args) {
  return Format(T(key), args, Ctx().i18n.Language());
}

float ButtonHeight() { return Em(2.4f); }

const TouchTarget* FrameRecord::Find(const std::string& label_or_id) const {
  for (const auto& t : targets)
    if (t.label == label_or_id) return &t;
  for (const auto& t : targets)
    if (!t.id.empty() && t.id == label_or_id) return &t;
  return nullptr;
}

bool FrameRecord::Shows(const std::string& text) const {
  for (const auto& t : texts)
    if (t.find(text) != std::string::npos) return true;
  for (const auto& t : targets)
    if (t.label.find(text) != std::string::npos) return true;
  return false;
}

std::string FrameRecord::Layout() const {
  std::string out;
  char buf[64];
  for (const auto& t : targets) {
    std::snprintf(buf, sizeof buf, "%.0f,%.0f,%.0f,%.0f,%d,%d;", t.min.x, t.min.y, t.max.x, t.max.y, t.enabled, t.visible);
    out += t.label + buf;
  }
  for (const auto& t : texts) out += t + "\n";
  return out;
}

std::string FrameRecord::Describe() const {
  std::string out = "  buttons:";
  for (const auto& t : targets) out += " [" + t.label + (t.enabled ? "" : " (disabled)") + "]";
  out += "\n  text:";
  for (const auto& t : texts) out += " \"" + t + "\"";
  return out;
}

void RecordText(const std::string& text) { Ctx().record.texts.push_back(text); }

bool TouchButton(const std::string& label, ImVec2 size, bool enabled, Tone tone, const char* id) {
  ImGui::PushID(id ? id : label.c_str());
  if (!enabled) tone = Tone::Quiet;  // a disabled button must not look like an action
  ImGui::PushStyleColor(ImGuiCol_Button, ToneColour(tone, false));
  ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ToneColour(tone, false));  // touch: no hover look
  ImGui::PushStyleColor(ImGuiCol_ButtonActive, ToneColour(tone, true));
  if (!enabled) ImGui::BeginDisabled();
  if (size.y <= 0) size.y = ButtonHeight();
  bool pressed = ImGui::Button((label + "##b").c_str(), size);
  if (!enabled) ImGui::EndDisabled();
  ImGui::PopStyleColor(3);
  Record(id, label, enabled);
  ImGui::PopID();
  return pressed && enabled;
}

void Label(const std::string& text) {
  ImGui::TextWrapped("%s", text.c_str());
  RecordText(text);
}

void Muted(const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(170, 176, 186, 255));
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
  RecordText(text);
}

void Notice(const std::string& text, ImU32 background) {
  const float pad = Em(0.4f);
  const float width = ImGui::GetContentRegionAvail().x;
  const ImVec2 size = ImGui::CalcTextSize(text.c_str(), nullptr, false, width - 2 * pad);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + width, p.y + size.y + 2 * pad), background, Em(0.25f));
  ImGui::SetCursorScreenPos(ImVec2(p.x + pad, p.y + pad));
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width - 2 * pad);
  ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 255, 255, 255));
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopStyleColor();
  ImGui::PopTextWrapPos();
  ImGui::SetCursorScreenPos(ImVec2(p.x, ImGui::GetCursorScreenPos().y));
  ImGui::Dummy(ImVec2(width, pad));
  RecordText(text);
}

void Heading(const std::string& text) {
  ImGui::PushFont(Ctx().fonts.big);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopFont();
  RecordText(text);
}

void Badge(const std::string& text, ImU32 colour) {
  ImVec2 pad = EmV(0.5f, 0.2f);
  ImVec2 ts = ImGui::CalcTextSize(text.c_str());
  ImVec2 size(ts.x + 2 * pad.x, ts.y + 2 * pad.y);
  ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);  // a real item, so SameLine() after a badge works
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), colour, Em(0.6f));
  dl->AddText(ImVec2(p.x + pad.x, p.y + pad.y), IM_COL32_WHITE, text.c_str());
  RecordText(text);
}

bool CardButton(const std::string& label, float width, bool enabled, const char* id) {
  ImVec2 pad = EmV(0.6f, 0.5f);
  float wrap = width - 2 * pad.x;
  ImVec2 ts = ImGui::CalcTextSize(label.c_str(), nullptr, false, wrap);
  ImVec2 size(width, std::max(ButtonHeight(), ts.y + 2 * pad.y));
  ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::PushID(id ? id : label.c_str());
  bool pressed = ImGui::InvisibleButton("card", size);
  bool active = ImGui::IsItemActive();
  Record(id, label, enabled);
  ImGui::PopID();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y),
                    !enabled ? IM_COL32(44, 47, 54, 255) : ToneColour(Tone::Normal, active), Em(0.3f));
  ImVec2 tp(p.x + (size.x - ts.x) * 0.5f, p.y + (size.y - ts.y) * 0.5f);
  dl->AddText(nullptr, 0, tp, enabled ? IM_COL32_WHITE : IM_COL32(140, 144, 152, 255), label.c_str(), nullptr, wrap);
  return pressed && enabled;
}

void ProgressBar(float fraction, const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_PlotHistogram,
                        fraction >= 1.0f ? IM_COL32(40, 150, 80, 255) : IM_COL32(30, 110, 200, 255));
  ImGui::ProgressBar(std::clamp(fraction, 0.0f, 1.0f), ImVec2(-1, Em(1.5f)), text.c_str());
  ImGui::PopStyleColor();
  RecordText(text);
}

bool TextField(const char* id, const std::string& caption, std::string& value, FieldKind kind, float width) {
  UiContext& c = Ctx();
  bool focused = c.focus_id == id;
  if (!caption.empty()) Muted(caption);
  ImGui::PushID(id);
  ImVec2 p = ImGui::GetCursorScreenPos();
  ImVec2 size(width > 0 ? width : ImGui::GetContentRegionAvail().x, ButtonHeight());
  bool pressed = ImGui::InvisibleButton("field", size);
  Record(id, caption.empty() ? std::string(id) : caption, true);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), IM_COL32(250, 250, 252, 255), Em(0.25f));
  dl->AddRect(p, ImVec2(p.x + size.x, p.y + size.y), focused ? IM_COL32(30, 130, 230, 255) : IM_COL32(120, 125, 135, 255),
              Em(0.25f), 0, focused ? Em(0.15f) : Em(0.05f));
  std::string shown = kind == FieldKind::Pin ? std::string(value.size() * 3, '\0') : value;
  if (kind == FieldKind::Pin) {
    shown.clear();
    for (size_t i = 0; i < value.size(); ++i) shown += "\xE2\x80\xA2 ";  // bullets
  }
  if (focused) shown += "|";
  float text_y = p.y + (size.y - ImGui::GetFontSize()) * 0.5f;
  dl->PushClipRect(p, ImVec2(p.x + size.x - Em(0.3f), p.y + size.y), true);
  dl->AddText(ImVec2(p.x + Em(0.5f), text_y), IM_COL32(20, 22, 26, 255), shown.c_str());
  dl->PopClipRect();
  if (kind != FieldKind::Pin && !value.empty()) RecordText(value);
  ImGui::PopID();
  if (pressed) {
    c.focus_id = id;
    c.shift = kind == FieldKind::Text && value.empty();
    focused = true;
    c.focus_scroll_frames = 3;  // the keyboard opens over the next frames and may cover the field
  }
  // Only right after focusing: later the person (or the script) may scroll to another field while
  // the keyboard is open, and yanking the view back to this one would fight their finger.
  if (focused && c.focus_scroll_frames > 0) {
    --c.focus_scroll_frames;
    if (!Ctx().record.targets.back().visible) ImGui::SetScrollHereY(0.3f);  // keep it above the keyboard
  }
  if (focused) {
    c.focus_value = &value;
    c.focus_kind = kind;
    c.focus_seen = true;
  }
  return focused;
}

void Unfocus() {
  Ctx().focus_id.clear();
  Ctx().focus_value = nullptr;
}

std::vector<std::string> KeyboardRows(const std::string& language, bool shift, bool latin) {
  std::vector<std::string> rows;
  if (language == "ru" && !latin) {
    rows = {"1234567890", "йцукенгшщзх", "фывапролджэ", "ячсмитьбюё"};
  } else if (language == "de") {
    rows = {"1234567890ß", "qwertzuiopü", "asdfghjklöä", "yxcvbnm-.,"};
  } else if (language == "fi") {
    rows = {"1234567890", "qwertyuiopå", "asdfghjklöä", "zxcvbnm-.,"};
  } else if (language == "pl") {
    rows = {"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm-.,", "ąćęłńóśźż"};
  } else {
    rows = {"1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-.,@"};
  }
  if (shift) {
    for (size_t r = 1; r < rows.size(); ++r) {
      std::string up;
      for (const auto& k : SplitUtf8(rows[r])) up += Upper(k);
      rows[r] = up;
    }
  }
  return rows;
}

std::vector<std::string> KeyboardRowsFor(FieldKind kind, const std::string& language, bool shift, bool latin) {
  switch (kind) {
    case FieldKind::Text: return KeyboardRows(language, shift, latin);
    case FieldKind::Url: {
      std::vector<std::string> rows = {"1234567890", "qwertyuiop", "asdfghjkl:", "zxcvbnm-./"};
      if (shift)
        for (size_t r = 1; r < rows.size(); ++r)
          for (char& ch : rows[r]) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return rows;
    }
    case FieldKind::Code: return {"1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM-"};
    case FieldKind::Number:
    case FieldKind::Decimal:
    case FieldKind::Pin: break;
  }
  return {};
}

float KeyboardHeight() {
  UiContext& c = Ctx();
  if (c.focus_id.empty()) return 0;
  float key_h = Em(2.3f);
  float gap = Em(0.25f);
  auto letters = KeyboardRowsFor(c.focus_kind, c.i18n.Language(), false, c.latin);
  int rows = letters.empty() ? 4 : static_cast<int>(letters.size()) + 1;
  return rows * (key_h + gap) + gap;
}

void DrawKeyboard(const std::string& language) {
  UiContext& c = Ctx();
  if (c.focus_id.empty()) return;
  if (!c.focus_seen || !c.focus_value) {  // the field went away with its screen
    Unfocus();
    return;
  }
  std::string& value = *c.focus_value;
  ImGuiViewport* vp = ImGui::GetMainViewport();
  float height = KeyboardHeight();
  ImGui::SetNextWindowPos(ImVec2(vp->Pos.x, vp->Pos.y + vp->Size.y - height));
  ImGui::SetNextWindowSize(ImVec2(vp->Size.x, height));
  ImGui::PushStyleColor(ImGuiCol_WindowBg, IM_COL32(28, 30, 36, 255));
  // Keys reach the edges: the padding is the gap between keys, so no key is clipped at any size.
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, EmV(0.25f, 0.25f));
  ImGui::Begin("##keyboard", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoFocusOnAppearing);
  float gap = Em(0.25f);
  float key_h = Em(2.3f);
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(gap, gap));
  auto key = [&](const std::string& label, const std::string& id, float w, Tone tone = Tone::Normal) {
    return TouchButton(label, ImVec2(w, key_h), true, tone, ("key:" + id).c_str());
  };
  if (auto letters = KeyboardRowsFor(c.focus_kind, language, c.shift, c.latin); !letters.empty()) {
    size_t widest = 0;
    for (const auto& r : letters) widest = std::max(widest, SplitUtf8(r).size());
    widest = std::max<size_t>(widest, 11);
    float key_w = (vp->Size.x - gap * (widest + 1)) / widest;
    for (const auto& row : letters) {
      auto keys = SplitUtf8(row);
      float row_w = keys.size() * key_w + (keys.size() - 1) * gap;
      ImGui::SetCursorPosX((vp->Size.x - row_w) * 0.5f);
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) ImGui::SameLine();
        if (key(keys[i], keys[i], key_w)) {
          value += keys[i];
          if (c.shift) c.shift = false;
        }
      }
    }
    // Bottom row: shift (not for a code: it is all capitals), (ru text: Latin/Cyrillic), space,
    // backspace, done.
    const bool has_shift = c.focus_kind != FieldKind::Code;
    const bool has_abc = language == "ru" && c.focus_kind == FieldKind::Text;
    ImGui::SetCursorPosX(gap);
    float used = 0;
    if (has_shift) {
      if (key(T("key.shift"), "shift", key_w * 1.6f, c.shift ? Tone::Primary : Tone::Quiet)) c.shift = !c.shift;
      ImGui::SameLine();
      used += key_w * 1.6f + gap;
    }
    if (has_abc) {
      if (key(c.latin ? "АБВ" : "ABC", "abc", key_w * 1.4f, Tone::Quiet)) c.latin = !c.latin;
      ImGui::SameLine();
      used += key_w * 1.4f + gap;
    }
    float right = key_w * 1.6f + key_w * 2.0f + 2 * gap;
    if (key(T("key.space"), "space", vp->Size.x - used - right - 2 * gap)) value += ' ';
    ImGui::SameLine();
    if (key("\xE2\x8C\xAB", "backspace", key_w * 1.6f, Tone::Quiet)) PopUtf8(value);
    ImGui::SameLine();
    if (key(T("key.done"), "done", key_w * 2.0f, Tone::Primary)) Unfocus();
  } else {
    float key_w = Em(5.0f);
    float pad_w = 3 * key_w + 2 * gap;
    const char* rows[3][3] = {{"1", "2", "3"}, {"4", "5", "6"}, {"7", "8", "9"}};
    for (auto& row : rows) {
      ImGui::SetCursorPosX((vp->Size.x - pad_w) * 0.5f);
      for (int i = 0; i < 3; ++i) {
        if (i) ImGui::SameLine();
        if (key(row[i], row[i], key_w)) value += row[i];
      }
    }
    ImGui::SetCursorPosX((vp->Size.x - pad_w) * 0.5f);
    if (c.focus_kind == FieldKind::Decimal) {
      if (key(".", ".", key_w) && value.find('.') == std::string::npos) value += '.';
    } else {
      if (key("\xE2\x8C\xAB", "backspace", key_w, Tone::Quiet)) PopUtf8(value);
    }
    ImGui::SameLine();
    if (key("0", "0", key_w)) value += '0';
    ImGui::SameLine();
    if (key(T("key.ok"), "done", key_w, Tone::Primary)) Unfocus();
    if (c.focus_kind == FieldKind::Decimal) {
      ImGui::SameLine();
      if (key("\xE2\x8C\xAB", "backspace", key_w, Tone::Quiet)) PopUtf8(value);
    }
  }
  ImGui::PopStyleVar();
  ImGui::End();
  ImGui::PopStyleVar();
  ImGui::PopStyleColor();
}

std::string AddDays(const std::string& date, int days) {
  std::chrono::sys_days d;
  if (!ParseDate(date, d)) return date;
  return FormatDate(std::chrono::system_clock::time_point(d + std::chrono::days(days)));
}

void DatePicker(const char* id, std::string& date, const std::string& min_date) {
  ImGui::PushID(id);
  float w = Em(3.2f);
  const struct { const char* label; int days; } steps[] = {{"-7", -7}, {"-1", -1}};
  for (auto& s : steps) {
    std::string sid = std::string(id) + s.label;
    bool can = min_date.empty() || AddDays(date, s.days) >= min_date;
    if (TouchButton(s.label, ImVec2(w, 0), can, Tone::Quiet, sid.c_str())) date = AddDays(date, s.days);
    ImGui::SameLine();
  }
  // The date in a box as tall as the buttons, so the row lines up.
  ImGui::PushFont(Ctx().fonts.big);
  ImVec2 ts = ImGui::CalcTextSize(date.c_str());
  ImVec2 p = ImGui::GetCursorScreenPos();
  ImVec2 box(ts.x + Em(1.5f), ButtonHeight());
  ImGui::Dummy(box);
  ImGui::GetWindowDrawList()->AddText(ImVec2(p.x + (box.x - ts.x) * 0.5f, p.y + (box.y - ts.y) * 0.5f),
                                      IM_COL32_WHITE, date.c_str());
  ImGui::PopFont();
  RecordText(date);
  const struct { const char* label; int days; } up[] = {{"+1", 1}, {"+7", 7}};
  for (auto& s : up) {
    ImGui::SameLine();
    std::string sid = std::string(id) + s.label;
    if (TouchButton(s.label, ImVec2(w, 0), true, Tone::Quiet, sid.c_str())) date = AddDays(date, s.days);
  }
  ImGui::PopID();
}

void SignaturePad::Draw(const char* id, ImVec2 size) {
  ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size);
  Record(id, id, true);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), IM_COL32(250, 250, 252, 255), Em(0.25f));
  dl->AddLine(ImVec2(p.x + Em(1), p.y + size.y * 0.75f), ImVec2(p.x + size.x - Em(1), p.y + size.y * 0.75f),
              IM_COL32(180, 180, 190, 255), Em(0.05f));
  if (ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    Ctx().dragging_owned = true;
    ImVec2 m = ImGui::GetIO().MousePos;
    ImVec2 local(std::clamp(m.x - p.x, 0.0f, size.x), std::clamp(m.y - p.y, 0.0f, size.y));
    if (!drawing) {
      strokes.emplace_back();
      drawing = true;
    }
    if (strokes.back().empty() || strokes.back().back().x != local.x || strokes.back().back().y != local.y)
      strokes.back().push_back(local);
  } else {
    drawing = false;
  }
  for (const auto& s : strokes) {
    for (size_t i = 1; i < s.size(); ++i)
      dl->AddLine(ImVec2(p.x + s[i - 1].x, p.y + s[i - 1].y), ImVec2(p.x + s[i].x, p.y + s[i].y),
                  IM_COL32(20, 40, 120, 255), Em(0.12f));
    if (s.size() == 1) dl->AddCircleFilled(ImVec2(p.x + s[0].x, p.y + s[0].y), Em(0.1f), IM_COL32(20, 40, 120, 255));
  }
}

std::string SignaturePad::Svg() const {
  std::string d;
  char buf[48];
  for (const auto& s : strokes) {
    for (size_t i = 0; i < s.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s%.0f %.0f ", i == 0 ? "M" : "L", s[i].x, s[i].y);
      d += buf;
    }
  }
  if (!d.empty()) d.pop_back();
  return d;
}

void DrawBanner(const app::Banner& banner, bool busy) {
  ImU32 bg = IM_COL32(45, 48, 56, 255);
  const char* icon = "";
  std::string text = Ctx().i18n.Say(banner.key, banner.args, banner.warnings, banner.text);
  switch (banner.kind) {
    case app::BannerKind::Success: bg = IM_COL32(30, 130, 60, 255); icon = "\xE2\x9C\x93"; break;   // check mark
    case app::BannerKind::Warning: bg = IM_COL32(200, 130, 0, 255); icon = "\xE2\x9A\xA0"; break;   // warning sign
    case app::BannerKind::Error: bg = IM_COL32(180, 35, 35, 255); icon = "\xE2\x9C\x97"; break;     // ballot x
    case app::BannerKind::Info: bg = IM_COL32(30, 90, 160, 255); icon = "\xE2\x84\xB9"; break;      // info
    case app::BannerKind::None: break;
  }
  if (busy) {
    bg = IM_COL32(60, 64, 74, 255);
    icon = "\xE2\x80\xA6";
    text = T("banner.working");
  }
  if (banner.kind == app::BannerKind::None && !busy) return;
  ImVec2 p = ImGui::GetCursorScreenPos();
  float width = ImGui::GetContentRegionAvail().x;
  ImGui::PushFont(Ctx().fonts.big);
  float wrap = width - Em(4.0f);
  ImVec2 ts = ImGui::CalcTextSize(text.c_str(), nullptr, false, wrap);
  float h = std::max(Em(2.6f), ts.y + Em(1.0f));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + width, p.y + h), bg, Em(0.3f));
  dl->AddText(ImVec2(p.x + Em(0.7f), p.y + (h - ImGui::GetFontSize()) * 0.5f), IM_COL32_WHITE, icon);
  dl->AddText(nullptr, 0, ImVec2(p.x + Em(3.0f), p.y + (h - ts.y) * 0.5f), IM_COL32_WHITE, text.c_str(), nullptr, wrap);
  ImGui::PopFont();
  ImGui::Dummy(ImVec2(width, h));
  RecordText(text);
}

}  // namespace kiosk::ui
