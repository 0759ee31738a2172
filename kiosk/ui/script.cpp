#include "kiosk/ui/script.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "kiosk/app/app_controller.hpp"
#include "kiosk/ui/i18n_audit.hpp"

namespace kiosk::ui {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "quoted \"text\"" -> quoted "text"; bare text stays as it is.
bool Unquote(const std::string& s, std::string& out) {
  if (s.empty() || s[0] != '"') {
    out = s;
    return true;
  }
  out.clear();
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '"') {
      return Trim(s.substr(i + 1)).empty();
    } else {
      out += s[i];
    }
  }
  return false;
}

}  // namespace

Result<std::vector<ScriptStep>> ParseScript(const std::string& text, const std::string& file_name) {
  std::vector<ScriptStep> steps;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string s = Trim(raw);
    if (s.empty() || s[0] == '#') continue;
    size_t sp = s.find_first_of(" \t");
    std::string cmd = s.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : Trim(s.substr(sp));
    auto bad = [&](const std::string& why) {
      return MakeError(ErrorKind::Usage, "script.syntax", file_name + ":" + std::to_string(line) + ": " + why);
    };
    ScriptStep step;
    step.line = line;
    if (!Unquote(rest, step.arg)) return bad("unterminated quote in: " + s);
    if (cmd == "scan") step.op = ScriptOp::Scan;
    else if (cmd == "tap") step.op = ScriptOp::Tap;
    else if (cmd == "type") step.op = ScriptOp::Type;
    else if (cmd == "sign") step.op = ScriptOp::Sign;
    else if (cmd == "drag") step.op = ScriptOp::Drag;
    else if (cmd == "wait") step.op = ScriptOp::Wait;
    else if (cmd == "expect") step.op = ScriptOp::Expect;
    else if (cmd == "expect-not") step.op = ScriptOp::ExpectNot;
    else if (cmd == "screenshot") step.op = ScriptOp::Screenshot;
    else return bad("unknown command \"" + cmd + "\" (scan, tap, type, sign, drag, wait, expect, expect-not, screenshot)");
    bool needs_arg = step.op != ScriptOp::Sign;
    if (needs_arg && step.arg.empty()) return bad("\"" + cmd + "\" needs an argument");
    if (step.op == ScriptOp::Wait) {
      char* end = nullptr;
      long ms = std::strtol(step.arg.c_str(), &end, 10);
      if (!end || *end || ms < 0 || ms > 600000) return bad("wait takes milliseconds, 0 to 600000: \"" + step.arg + "\"");
    }
    if (step.op == ScriptOp::Drag) {
      char* end = nullptr;
      long dy = std::strtol(step.arg.c_str(), &end, 10);
      if (!end || *end || std::labs(dy) < 100 || std::labs(dy) > 400)
        return bad("drag takes pixels, 100 to 400 down or -100 to -400 up: \"" + step.arg + "\"");
    }
    if (step.op == ScriptOp::Screenshot && step.arg.find('/') != std::string::npos)
      return bad("a screenshot name is a file name without '/': \"" + step.arg + "\"");
    steps.push_back(std::move(step));
  }
  return steps;
}

// ---- The driver ----------------------------------------------------------------------------

ScriptRunner::ScriptRunner(std::vector<ScriptStep> steps, std::string file, std::optional<std::filesystem::path> shots,
                           CatalogueAudit* audit, bool walking)
    : m_steps(std::move(steps)), m_file(std::move(file)), m_shots(std::move(shots)), m_audit(audit), m_walking(walking) {
  if (m_audit)
    for (const auto& s : m_steps)
      if (s.op == ScriptOp::Type || s.op == ScriptOp::Scan) m_audit->AddData(s.arg);
}

void ScriptRunner::Advance(int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames_drawn, bool stable) {
  m_stable = stable;
  m_want_frame = false;
  m_wake_at = -1;
  if (m_done || !m_shot_request.empty()) {
    m_want_frame = !m_shot_request.empty();
    return;
  }
  if (!m_begun) {  // the first step waits for the data folder and a settled first screen
    m_want_frame = true;
    if (!ctl.Vm().ready && !ctl.Vm().fatal.empty()) {
      Fail(m_steps.empty() ? ScriptStep{} : m_steps[0], "the data folder cannot be opened: " + ctl.Vm().fatal, ctx);
      return;
    }
    if (!ctl.Vm().ready || !ctl.Idle() || !stable) return;
    m_begun = true;
  }
  if (m_index >= m_steps.size()) {
    std::printf("script %s: all %zu steps passed\n", m_file.c_str(), m_steps.size());
    std::fflush(stdout);
    m_done = true;
    return;
  }
  const ScriptStep& s = m_steps[m_index];
  if (!m_started) {
    m_started = true;
    m_step_start = now;
    m_phase = 0;
    m_phase_frame = frames_drawn;
  }
  bool new_frame = frames_drawn > m_phase_frame;
  auto settled = [&] { return ctl.Idle() && frames_drawn >= m_phase_frame + 2; };
  if (m_audit && frames_drawn > m_audited_frame && ctl.Idle()) {
    m_audited_frame = frames_drawn;
    std::vector<std::string> texts = ctx.record.texts;
    for (const auto& t : ctx.record.targets)
      if (t.label != t.id) texts.push_back(t.label);  // label == id: an unlabelled pad, nothing shown
    std::vector<std::string> problems = m_audit->Check(ctx.record.language, texts);
    for (const auto& k : ctx.i18n.Missing())
      problems.push_back("no " + ctx.i18n.Language() + " words for \"" + k + "\": English was shown");
    if (!problems.empty()) {
      std::string all;
      for (const auto& p : problems) all += "\n  " + p;
      Fail(s, "words not from the " + ctx.record.language + " catalogue on screen:" + all, ctx);
      return;
    }
  }
  switch (s.op) {
    case ScriptOp::Scan:
      if (m_phase == 0) {
        ctl.OnScan(s.arg, now);
        Phase(1, frames_drawn);
      } else if (settled()) {
        Next();
      }
      m_want_frame = true;
      return;
    case ScriptOp::Wait: {
      int64_t until = m_step_start + std::stoll(s.arg);
      if (now >= until) {
        Next();
        m_want_frame = true;  // the next step runs now, not when a banner or the idle timer next wakes the loop
      } else {
        m_wake_at = until;
      }
      return;
    }
    case ScriptOp::Expect:
      m_want_frame = true;
      if (!ctl.Idle() || !new_frame) return;
      if (ctx.record.Shows(s.arg)) Next();
      else if (m_walking && settled() && now - m_step_start > kWalkSettleMs) Next();
      else if (now - m_step_start > kExpectTimeoutMs) Fail(s, "expected \"" + s.arg + "\" on screen; it is not there.", ctx);
      return;
    case ScriptOp::ExpectNot:
      m_want_frame = true;
      if (!settled()) return;
      if (m_walking) Next();
      else if (ctx.record.Shows(s.arg)) Fail(s, "\"" + s.arg + "\" is on screen but must not be.", ctx);
      else Next();
      return;
    case ScriptOp::Screenshot:
      m_want_frame = true;
      if (!settled()) return;
      if (!m_shots) {
        Next();  // screenshots off: the step is a no-op
        return;
      }
      m_shot_request = (*m_shots / (s.arg + ".png")).string();
      m_index++;
      m_started = false;
      return;
    case ScriptOp::Tap:
      m_want_frame = true;
      TapStep(s, s.arg, now, ctl, ctx, frames_drawn, true);
      return;
    case ScriptOp::Type:
      m_want_frame = true;
      TypeStep(s, now, ctl, ctx, frames_drawn);
      return;
    case ScriptOp::Sign:
      m_want_frame = true;
      SignStep(s, now, ctl, ctx, frames_drawn);
      return;
    case ScriptOp::Drag:
      m_want_frame = true;
      DragStep(s, ctl, frames_drawn);
      return;
  }
}

void ScriptRunner::ApplyMouse(ImGuiIO& io) const {
  if (!m_mouse_active) return;
  io.MousePos = m_mouse_pos;
  io.MouseDown[0] = m_mouse_down;
}

const TouchTarget* ScriptRunner::FindTarget(const UiContext& ctx, const std::string& target) const {
  if (const TouchTarget* t = ctx.record.Find(target)) return t;
  if (!m_walking) return nullptr;
  for (const auto& words : ctx.i18n.TranslateEnglish(target))
    if (const TouchTarget* t = ctx.record.Find(words)) return t;
  return nullptr;
}

void ScriptRunner::Phase(int p, int64_t frames) {
  if (m_debug) std::fprintf(stderr, "script: step %zu phase %d at frame %lld\n", m_index, p, static_cast<long long>(frames));
  m_phase = p;
  m_phase_frame = frames;
}

void ScriptRunner::Next() {
  ++m_index;
  m_started = false;
  m_type_pos = 0;
  m_tried_shift = m_tried_abc = false;
}

void ScriptRunner::Fail(const ScriptStep& s, const std::string& why, UiContext& ctx) {
  std::fprintf(stderr, "script %s:%d: %s\non screen now:\n%s\n", m_file.c_str(), s.line, why.c_str(),
               ctx.record.Describe().c_str());
  m_exit = 1;
  m_failed = true;
  if (m_shots) m_shot_request = (*m_shots / ("FAILED-line-" + std::to_string(s.line) + ".png")).string();
  else m_done = true;
}

bool ScriptRunner::TapStep(const ScriptStep& s, const std::string& target, int64_t now, app::AppController& ctl, UiContext& ctx,
                           int64_t frames, bool advance) {
  bool new_frame = frames > m_phase_frame;
  switch (m_phase) {
    case 0: {
      // Only a settled layout: a rect from a frame before the last change may be stale.
      if (!ctl.Idle() || !new_frame || !m_stable) return false;
      const TouchTarget* t = FindTarget(ctx, target);
      if (t && t->enabled && !t->visible) {
        ctx.scroll_to = t->id.empty() ? t->label : t->id;
        if (now - m_step_start > kExpectTimeoutMs) Fail(s, "\"" + target + "\" cannot be scrolled into view.", ctx);
        return false;
      }
      if (!t || !t->enabled) {
        if (now - m_step_start > kExpectTimeoutMs)
          Fail(s, t ? "the button \"" + target + "\" is disabled." : "no button or field \"" + target + "\" on screen.", ctx);
        return false;
      }
      m_mouse_active = true;
      m_mouse_pos = ImVec2((t->min.x + t->max.x) * 0.5f, (t->min.y + t->max.y) * 0.5f);
      m_mouse_down = false;
      Phase(1, frames);
      return false;
    }
    case 1:
      if (!new_frame) return false;
      m_mouse_down = true;
      Phase(2, frames);
      return false;
    case 2:
      if (!new_frame) return false;
      m_mouse_down = false;
      Phase(3, frames);
      return false;
    case 3:
      if (!new_frame) return false;
      m_mouse_pos = ImVec2(-FLT_MAX, -FLT_MAX);
      Phase(4, frames);
      return false;
    default:
      if (!ctl.Idle() || frames < m_phase_frame + 1) return false;
      if (advance) Next();
      else Phase(0, frames);
      return true;
  }
}

void ScriptRunner::TypeStep(const ScriptStep& s, int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames) {
  if (m_type_pos == 0 && m_phase == 0 && ctx.focus_id.empty()) {
    Fail(s, "type: no text field has the keyboard; tap the field first.", ctx);
    return;
  }
  if (m_type_pos >= s.arg.size()) {
    Next();
    return;
  }
  unsigned char c0 = static_cast<unsigned char>(s.arg[m_type_pos]);
  size_t n = c0 < 0x80 ? 1 : (c0 >> 5) == 6 ? 2 : (c0 >> 4) == 14 ? 3 : 4;
  std::string ch = s.arg.substr(m_type_pos, n);
  if (m_phase == 0 && m_key.empty()) {
    if (!ctl.Idle() || frames <= m_phase_frame || !m_stable) return;
    std::string id = ch == " " ? "key:space" : "key:" + ch;
    if (ctx.record.Find(id)) {
      m_key = id;
    } else if (!m_tried_shift && ctx.record.Find("key:shift")) {
      m_key = "key:shift";
      m_tried_shift = true;
    } else if (!m_tried_abc && ctx.record.Find("key:abc")) {
      m_key = "key:abc";
      m_tried_abc = true;
    } else {
      Fail(s, "type: no key \"" + ch + "\" on the " + ctx.i18n.Language() + " keyboard.", ctx);
      return;
    }
    m_step_start = now;
  }
  if (TapStep(s, m_key, now, ctl, ctx, frames, false)) {
    if (m_key == "key:" + ch || (ch == " " && m_key == "key:space")) {
      m_type_pos += n;
      m_tried_shift = m_tried_abc = false;
    } else if (m_key == "key:abc") {
      m_tried_shift = false;  // Latin letters now: a capital may need Shift on this layout too
    }
    m_key.clear();
  }
}

void ScriptRunner::SignStep(const ScriptStep& s, int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames) {
  bool new_frame = frames > m_phase_frame;
  if (m_phase == 0) {
    if (!ctl.Idle() || !new_frame || !m_stable) return;
    const TouchTarget* t = ctx.record.Find("signature");
    if (t && !t->visible) {
      ctx.scroll_to = "signature";
      return;
    }
    if (!t) {
      if (now - m_step_start > kExpectTimeoutMs) Fail(s, "sign: no signature pad on screen.", ctx);
      return;
    }
    m_sign_min = t->min;
    m_sign_max = t->max;
    m_mouse_active = true;
    m_mouse_down = false;
    m_mouse_pos = SignPoint(0);
    Phase(1, frames);
    return;
  }
  if (!new_frame) return;
  constexpr int kPoints = 16;
  if (m_phase <= kPoints) {
    m_mouse_down = true;
    m_mouse_pos = SignPoint(m_phase);
    Phase(m_phase + 1, frames);
  } else if (m_phase == kPoints + 1) {
    m_mouse_down = false;
    Phase(m_phase + 1, frames);
  } else {
    m_mouse_pos = ImVec2(-FLT_MAX, -FLT_MAX);
    Next();
  }
}

void ScriptRunner::DragStep(const ScriptStep& s, app::AppController& ctl, int64_t frames) {
  constexpr int kMoves = 12;
  bool new_frame = frames > m_phase_frame;
  const float dy = std::stof(s.arg);
  const ImVec2 screen = ImGui::GetIO().DisplaySize;
  if (m_phase == 0) {
    if (!ctl.Idle() || !new_frame || !m_stable) return;
    m_mouse_active = true;
    m_mouse_down = false;
    m_mouse_pos = ImVec2(screen.x * 0.5f, dy > 0 ? screen.y * 0.3f : screen.y * 0.95f);
    Phase(1, frames);
    return;
  }
  if (!new_frame) return;
  if (m_phase == 1) {
    m_mouse_down = true;
  } else if (m_phase <= kMoves + 1) {
    m_mouse_pos.y += dy / kMoves;
  } else if (m_phase == kMoves + 2) {
    m_mouse_down = false;
  } else {
    m_mouse_pos = ImVec2(-FLT_MAX, -FLT_MAX);
    Next();
    return;
  }
  Phase(m_phase + 1, frames);
}

ImVec2 ScriptRunner::SignPoint(int i) const {
  float t = static_cast<float>(i) / 16.0f;
  float w = m_sign_max.x - m_sign_min.x, h = m_sign_max.y - m_sign_min.y;
  return ImVec2(m_sign_min.x + w * (0.1f + 0.8f * t), m_sign_min.y + h * (0.5f - 0.25f * std::sin(t * 12.0f)));
}

}  // namespace kiosk::ui
