#pragma once
// The script language of `kiosk gui --script FILE`: one command a line, `#` starts a comment.
//   scan TEXT          a barcode arrives, as from a scanner
//   tap "Label"        a touch on the button (or field) showing Label (or with that id, e.g. key:a)
//   type TEXT          typed key by key on the on-screen keyboard of the focused field
//   sign               a finger stroke across the signature pad
//   drag DY            a finger drags the screen's content DY pixels down (negative: up), as a
//                      person scrolls; 100 to 400 either way, so the finger leaves what it touched
//   wait MS            nothing happens for MS milliseconds
//   expect "Text"      Text is on screen within 5 s, else the script fails
//   expect-not "Text"  Text is not on screen once the app is idle
//   screenshot NAME    saves DIR/NAME.png (with --screenshots DIR)
// Arguments may be quoted; inside quotes \" and \\ escape.
//
// ParseScript reads a script; ScriptRunner drives the real window by it (RunGui calls Advance
// once a loop turn and ApplyMouse between the backend's and ImGui's NewFrame).
#include <cfloat>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/core/result.hpp"
#include "kiosk/ui/widgets.hpp"

namespace kiosk::app {
class AppController;
}

namespace kiosk::ui {

class CatalogueAudit;

enum class ScriptOp { Scan, Tap, Type, Sign, Drag, Wait, Expect, ExpectNot, Screenshot };

struct ScriptStep {
  ScriptOp op = ScriptOp::Wait;
  std::string arg;
  int line = 0;  // 1-based, for messages
};

Result<std::vector<ScriptStep>> ParseScript(const std::string& text, const std::string& file_name);

// Drives the real window from a script: injects scans, holds touches over frames (ImGui 1.86
// has no input queue, so a tap is one frame down and one frame up), checks what is on screen.
// Owned by RunGui; main thread only.
class ScriptRunner {
 public:
  // `audit`: checked after every frame (words from the shown language's catalogue only).
  // `walk_language`: the script, written in English, is walked in another language: a button is
  // found by the translation of its English words, and `expect`/`expect-not` only wait for the
  // app to settle (their text is English).
  ScriptRunner(std::vector<ScriptStep> steps, std::string file, std::optional<std::filesystem::path> shots,
               CatalogueAudit* audit, bool walking);

  bool Done() const { return m_done; }
  int ExitCode() const { return m_exit; }
  bool WantsFrame() const { return !m_done && m_want_frame; }
  int64_t WakeAtMs() const { return m_wake_at; }
  const std::string& ScreenshotRequest() const { return m_shot_request; }
  void ScreenshotTaken() {
    m_shot_request.clear();
    if (m_failed) m_done = true;
  }

  // Called once per loop turn, before a frame may be drawn.
  void Advance(int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames_drawn, bool stable);

  // Mouse state to apply after the backend's NewFrame and before ImGui::NewFrame.
  void ApplyMouse(ImGuiIO& io) const;

 private:
  static constexpr int64_t kExpectTimeoutMs = 5000;
  static constexpr int64_t kWalkSettleMs = 400;  // a walked `expect` waits this long for its screen

  // A button by its label or id; walking another language, by the translation of its English.
  const TouchTarget* FindTarget(const UiContext& ctx, const std::string& target) const;

  void Phase(int p, int64_t frames);
  void Next();
  void Fail(const ScriptStep& s, const std::string& why, UiContext& ctx);

  // Returns true when the tap has finished (and advances the step if `advance`).
  bool TapStep(const ScriptStep& s, const std::string& target, int64_t now, app::AppController& ctl, UiContext& ctx,
               int64_t frames, bool advance);
  void TypeStep(const ScriptStep& s, int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames);
  void SignStep(const ScriptStep& s, int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames);

  // A finger on the content below the banner (above it when dragging up), moved DY pixels over
  // several frames and lifted: the root window's touch scrolling moves the content with it.
  void DragStep(const ScriptStep& s, app::AppController& ctl, int64_t frames);
  ImVec2 SignPoint(int i) const;

  int64_t m_audited_frame = -1;
  bool m_stable = false;
  bool m_begun = false;
  bool m_debug = std::getenv("KIOSK_SCRIPT_DEBUG") != nullptr;
  std::vector<ScriptStep> m_steps;
  std::string m_file;
  std::optional<std::filesystem::path> m_shots;
  CatalogueAudit* m_audit = nullptr;
  bool m_walking = false;
  size_t m_index = 0;
  bool m_started = false;
  int64_t m_step_start = 0;
  int m_phase = 0;
  int64_t m_phase_frame = 0;
  bool m_done = false;
  bool m_failed = false;
  int m_exit = 0;
  bool m_want_frame = false;
  int64_t m_wake_at = -1;
  std::string m_shot_request;
  bool m_mouse_active = false;
  bool m_mouse_down = false;
  ImVec2 m_mouse_pos{-FLT_MAX, -FLT_MAX};
  size_t m_type_pos = 0;
  std::string m_key;
  bool m_tried_shift = false, m_tried_abc = false;
  ImVec2 m_sign_min, m_sign_max;
};

}  // namespace kiosk::ui
