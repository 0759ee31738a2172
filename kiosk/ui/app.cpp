#include "kiosk/ui/app.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <imgui.h>
#include <stb/stb_image_write.h>

#include "kiosk/app/app_controller.hpp"
#include "kiosk/core/assets.hpp"
#include "kiosk/core/config.hpp"
#include "platform/beeper.hpp"
#include "platform/http_client_curl.hpp"
#include "platform/scan_queue.hpp"
#include "platform/scanner_set.hpp"
#include "platform/scanner_wedge.hpp"
#include "platform/sd_notify.hpp"
#include "platform/window_glfw.hpp"
#include "kiosk/ui/i18n_audit.hpp"
#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/script.hpp"
#include "kiosk/ui/theme.hpp"

namespace kiosk::ui {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t MonoUs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

// A replay scanner for benchmarks and tests: one scan per line written to a FIFO. Its thread
// hands lines to the main thread and wakes the loop, like every scanner source.
class ScanFifo {
 public:
  ScanFifo(const std::filesystem::path& path, std::function<void()> wake) : m_wake(std::move(wake)) {
    // O_RDWR keeps the FIFO open with no writer, so a writer closing it is not an end of file.
    m_fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (m_fd >= 0) m_thread = std::thread([this] { Loop(); });
  }
  ~ScanFifo() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    if (m_fd >= 0) ::close(m_fd);
  }
  bool Ok() const { return m_fd >= 0; }
  std::vector<std::pair<std::string, int64_t>> Take() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_lines, {});
  }

 private:
  void Loop() {
    std::string partial;
    char buf[512];
    while (!m_stop) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::read(m_fd, buf, sizeof buf);
      if (n <= 0) continue;
      int64_t t = MonoUs();
      bool any = false;
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] == '\n') {
          std::lock_guard lock(m_mutex);
          m_lines.emplace_back(std::move(partial), t);
          partial.clear();
          any = true;
        } else {
          partial += buf[i];
        }
      }
      if (any && m_wake) m_wake();
    }
  }
  int m_fd = -1;
  std::function<void()> m_wake;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::vector<std::pair<std::string, int64_t>> m_lines;
  std::thread m_thread;
};

// Text a person typed on a physical keyboard goes where the on-screen keyboard would put it.
// One code point as UTF-8: keys typed into a field when no keyboard wedge is configured.
std::string EncodeUtf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

void TypeIntoFocus(UiContext& ctx, const std::string& text) {
  if (ctx.focus_id.empty() || !ctx.focus_value) return;
  for (char c : text)
    if (c != '\n' && c != '\t') *ctx.focus_value += c;
}

bool WritePng(const std::filesystem::path& file, std::vector<uint8_t>& rgba, int w, int h) {
  for (size_t i = 3; i < rgba.size(); i += 4) rgba[i] = 255;
  return stbi_write_png(file.c_str(), w, h, 4, rgba.data(), w * 4) != 0;
}

const char* ScreenTitleKey(app::ScreenId id) {
  switch (id) {
    case app::ScreenId::Home: return "screen.home";
    case app::ScreenId::Partner: return "screen.partner";
    case app::ScreenId::Device: return "screen.device";
    case app::ScreenId::Checkout: return "screen.checkout";
    case app::ScreenId::Checkin: return "screen.checkin";
    case app::ScreenId::Rewards: return "screen.rewards";
    case app::ScreenId::DemoOrder: return "screen.demo_order";
    case app::ScreenId::Sellout: return "screen.sellout";
    case app::ScreenId::Deal: return "screen.deal";
    case app::ScreenId::AdminLogin: return "screen.admin_login";
    case app::ScreenId::Admin: return "screen.admin";
    case app::ScreenId::Labels: return "screen.labels";
  }
  return "screen.home";
}

std::string RoleName(Role r) {
  switch (r) {
    case Role::Staff: return T("role.staff");
    case Role::Rep: return T("role.rep");
    case Role::Admin: return T("role.admin");
  }
  return "";
}

void DrawTopBar(const app::AppVm& vm, IntentSink& sink) {
  float bw = Em(6.5f);
  ImGui::PushFont(Ctx().fonts.big);
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + (ButtonHeight() - ImGui::GetFontSize()) * 0.5f);
  ImGui::TextUnformatted(T(ScreenTitleKey(vm.screen)));
  RecordText(T(ScreenTitleKey(vm.screen)));
  ImGui::PopFont();
  float right = ImGui::GetWindowContentRegionMax().x;
  int buttons = (vm.screen != app::ScreenId::Home ? 1 : 0) + (vm.op.signed_in ? 1 : 0);
  float x = right - buttons * bw - (buttons - 1) * ImGui::GetStyle().ItemSpacing.x;
  if (vm.op.signed_in) {
    std::string who = vm.op.badge.name + " · " + RoleName(vm.op.badge.role);
    float tw = ImGui::CalcTextSize(who.c_str()).x;
    ImGui::SameLine(std::max(Em(12.0f), x - tw - Em(1.0f)));
    ImGui::SetCursorPosY(ImGui::GetCursorPosY() + (ButtonHeight() - ImGui::GetFontSize()) * 0.3f);
    ImGui::TextUnformatted(who.c_str());
    RecordText(who);
  }
  if (buttons == 0) return;
  ImGui::SameLine(x);
  ImGui::SetCursorPosY(ImGui::GetStyle().WindowPadding.y);
  bool partner_flow = vm.screen == app::ScreenId::Rewards || vm.screen == app::ScreenId::DemoOrder ||
                      vm.screen == app::ScreenId::Sellout || vm.screen == app::ScreenId::Deal ||
                      vm.screen == app::ScreenId::Labels;  // back to the admin screen
  if (vm.screen != app::ScreenId::Home) {
    if (TouchButton(partner_flow ? T("action.back") : T("action.home"), ImVec2(bw, 0), true, Tone::Quiet, "nav:back"))
      sink.Emit(app::intent::Back{});
    if (vm.op.signed_in) ImGui::SameLine();
  }
  if (vm.op.signed_in && TouchButton(T("action.sign_out"), ImVec2(bw, 0), true, Tone::Quiet, "sign-out"))
    sink.Emit(app::intent::SignOut{});
}

void DrawScreen(const app::AppVm& vm, ScreensUi& ui, IntentSink& sink) {
  switch (vm.screen) {
    case app::ScreenId::Home: DrawHome(vm, ui.home, sink); break;
    case app::ScreenId::Partner: DrawPartner(vm.partner, ui.partner, sink); break;
    case app::ScreenId::Device: DrawDevice(vm.device, vm.op, ui.device, sink); break;
    case app::ScreenId::Checkout: DrawCheckout(vm.checkout, ui.checkout, sink); break;
    case app::ScreenId::Checkin: DrawCheckin(vm.checkin, ui.checkin, sink); break;
    case app::ScreenId::Rewards: DrawRewards(vm.rewards, vm.partner, ui.rewards, sink); break;
    case app::ScreenId::DemoOrder: DrawDemoOrder(vm.demo_order, vm.partner, ui.demo_order, sink); break;
    case app::ScreenId::Sellout: DrawSellout(vm.sellout, vm.partner, ui.sellout, sink); break;
    case app::ScreenId::Deal: DrawDeal(vm.deal, vm.partner, ui.deal, sink); break;
    case app::ScreenId::AdminLogin: DrawAdminLogin(vm.admin, ui.admin_login, sink); break;
    case app::ScreenId::Admin: DrawAdmin(vm, ui.admin, sink); break;
    case app::ScreenId::Labels: DrawLabels(vm.labels, ui.labels, sink); break;
  }
}

void DrawRoot(const app::AppVm& vm, ScreensUi& ui, IntentSink& sink) {
  UiContext& c = Ctx();
  if (ui.serial != vm.screen_serial) {  // a new visit: fresh widget state, keyboard closed
    int64_t serial = vm.screen_serial;
    ui = ScreensUi{};
    ui.serial = serial;
    Unfocus();
  }
  c.focus_seen = false;
  c.dragging_owned = false;
  ImGuiViewport* vp = ImGui::GetMainViewport();
  float kb = KeyboardHeight();
  ImGui::SetNextWindowPos(vp->Pos);
  ImGui::SetNextWindowSize(ImVec2(vp->Size.x, vp->Size.y - kb));
  ImGui::Begin("##root", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollbar);
  if (!vm.fatal.empty()) {
    Heading(T("app.cannot_open"));
    Label(c.i18n.Say(vm.fatal_key, vm.fatal_args, vm.fatal));
    ImGui::End();
    return;
  }
  if (!vm.ready) {
    Heading(T("app.opening"));
    ImGui::End();
    return;
  }
  DrawTopBar(vm, sink);
  DrawBanner(vm.banner, vm.busy);
  ImGui::BeginChild("content", ImVec2(0, 0), false, ImGuiWindowFlags_NoSavedSettings);
  DrawScreen(vm, ui, sink);
  // Touch scrolling: drag anywhere the finger is not drawing a signature.
  ImGuiIO& io = ImGui::GetIO();
  if (!c.dragging_owned && ImGui::IsWindowHovered(ImGuiHoveredFlags_AllowWhenBlockedByActiveItem |
                                                  ImGuiHoveredFlags_ChildWindows) &&
      ImGui::IsMouseDragging(ImGuiMouseButton_Left, Em(0.6f)))
    ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseDelta.y);
  ImGui::EndChild();
  ImGui::End();
  DrawKeyboard(vm.language);
}

// Drives the real window from a script: injects scans, holds touches over frames (ImGui 1.86
// has no input queue, so a tap is one frame down and one frame up), checks what is on screen.
class ScriptRunner {
 public:
  // `audit`: checked after every frame (words from the shown language's catalogue only).
  // `walk_language`: the script, written in English, is walked in another language: a button is
  // found by the translation of its English words, and `expect`/`expect-not` only wait for the
  // app to settle (their text is English).
  ScriptRunner(std::vector<ScriptStep> steps, std::string file, std::optional<std::filesystem::path> shots,
               CatalogueAudit* audit, bool walking)
      : m_steps(std::move(steps)), m_file(std::move(file)), m_shots(std::move(shots)), m_audit(audit), m_walking(walking) {
    if (m_audit)
      for (const auto& s : m_steps)
        if (s.op == ScriptOp::Type || s.op == ScriptOp::Scan) m_audit->AddData(s.arg);
  }

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
  void Advance(int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames_drawn, bool stable) {
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

  // Mouse state to apply after the backend's NewFrame and before ImGui::NewFrame.
  void ApplyMouse(ImGuiIO& io) const {
    if (!m_mouse_active) return;
    io.MousePos = m_mouse_pos;
    io.MouseDown[0] = m_mouse_down;
  }

 private:
  static constexpr int64_t kExpectTimeoutMs = 5000;
  static constexpr int64_t kWalkSettleMs = 400;  // a walked `expect` waits this long for its screen

  // A button by its label or id; walking another language, by the translation of its English.
  const TouchTarget* FindTarget(const UiContext& ctx, const std::string& target) const {
    if (const TouchTarget* t = ctx.record.Find(target)) return t;
    if (!m_walking) return nullptr;
    for (const auto& words : ctx.i18n.TranslateEnglish(target))
      if (const TouchTarget* t = ctx.record.Find(words)) return t;
    return nullptr;
  }

  void Phase(int p, int64_t frames) {
    if (m_debug) std::fprintf(stderr, "script: step %zu phase %d at frame %lld\n", m_index, p, static_cast<long long>(frames));
    m_phase = p;
    m_phase_frame = frames;
  }
  void Next() {
    ++m_index;
    m_started = false;
    m_type_pos = 0;
    m_tried_shift = m_tried_abc = false;
  }
  void Fail(const ScriptStep& s, const std::string& why, UiContext& ctx) {
    std::fprintf(stderr, "script %s:%d: %s\non screen now:\n%s\n", m_file.c_str(), s.line, why.c_str(),
                 ctx.record.Describe().c_str());
    m_exit = 1;
    m_failed = true;
    if (m_shots) m_shot_request = (*m_shots / ("FAILED-line-" + std::to_string(s.line) + ".png")).string();
    else m_done = true;
  }

  // Returns true when the tap has finished (and advances the step if `advance`).
  bool TapStep(const ScriptStep& s, const std::string& target, int64_t now, app::AppController& ctl, UiContext& ctx,
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

  void TypeStep(const ScriptStep& s, int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames) {
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

  void SignStep(const ScriptStep& s, int64_t now, app::AppController& ctl, UiContext& ctx, int64_t frames) {
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

  // A finger on the content below the banner (above it when dragging up), moved DY pixels over
  // several frames and lifted: the root window's touch scrolling moves the content with it.
  void DragStep(const ScriptStep& s, app::AppController& ctl, int64_t frames) {
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

  ImVec2 SignPoint(int i) const {
    float t = static_cast<float>(i) / 16.0f;
    float w = m_sign_max.x - m_sign_min.x, h = m_sign_max.y - m_sign_min.y;
    return ImVec2(m_sign_min.x + w * (0.1f + 0.8f * t), m_sign_min.y + h * (0.5f - 0.25f * std::sin(t * 12.0f)));
  }

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

// The scanner sources' health as catalogue keys for the admin screen: one line a source (the
// keyboard wedge by its own words), its state translated, the count with its plural, and the
// source's own detail (a layout, the system's error) as data on a line of its own.
std::vector<std::pair<std::string, ReasonArgs>> HealthLines(const std::vector<platform::ScannerInfo>& health) {
  std::vector<std::pair<std::string, ReasonArgs>> lines;
  for (const auto& i : health) {
    const std::string state = "admin.scanner_state." + i.state;
    const std::string count = std::to_string(i.scans);
    if (i.transport == "wedge")
      lines.push_back({"admin.scanner.wedge", {{"state", state}, {"count", count}}});
    else
      lines.push_back({"admin.scanner.source",
                       {{"name", i.name}, {"transport", i.transport}, {"state", state}, {"count", count}}});
    if (!i.detail.empty()) lines.push_back({"admin.scanner.detail", {{"detail", i.detail}}});
  }
  if (health.empty()) lines.push_back({"admin.scanner.none", {}});
  return lines;
}

}  // namespace

int RunGui(const GuiOptions& options) {
  if (!options.scanners) {
    std::cerr << "error: the touchscreen was started without its scanner sources (kiosk/main.cpp lends them)\n";
    return 70;  // EX_SOFTWARE: a wiring mistake, not the user's
  }
  // 1. The script, if any: a syntax error is reported before any window opens.
  std::optional<ScriptRunner> script;
  std::vector<ScriptStep> script_steps;
  if (options.script) {
    std::ifstream in(*options.script);
    if (!in) {
      std::cerr << "error: cannot read the script " << options.script->string() << "\n";
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto steps = ParseScript(ss.str(), options.script->string());
    if (!steps.ok()) {
      std::cerr << "error: " << steps.error().message << "\n";
      return 2;
    }
    script_steps = std::move(steps).value();
  }
  if (options.screenshots) {
    std::error_code ec;
    std::filesystem::create_directories(*options.screenshots, ec);
    if (ec) {
      std::cerr << "error: cannot create the screenshot folder " << options.screenshots->string() << ": " << ec.message() << "\n";
      return 2;
    }
  }

  // 2. Words for all five languages, loaded once: switching language does no I/O.
  std::map<std::string, I18n> languages;
  auto i18n_dir = AssetsDir() / "i18n";
  for (const char* lang : kLanguages) {
    auto t = I18n::Load(i18n_dir, lang);
    if (!t.ok()) {
      std::cerr << "error: " << t.error().message << "\n";
      return 3;
    }
    languages.emplace(lang, std::move(t).value());
  }
  // A scripted run checks every frame's words against the shown language's catalogue; the demo
  // showroom's names and what the script types are data, allowed in every language.
  std::unique_ptr<CatalogueAudit> audit;
  if (options.script) {
    std::vector<std::string> data;
    if (std::ifstream ref(AssetsDir() / "demo" / "showroom.json"); ref) {
      std::stringstream ss;
      ss << ref.rdbuf();
      data = ReferenceTexts(ss.str());
    }
    audit = std::make_unique<CatalogueAudit>(languages, data);
    script.emplace(std::move(script_steps), options.script->string(), options.screenshots, audit.get(),
                   !options.walk_language.empty() && options.walk_language != "en");
  }

  // 3. ImGui, the window, fonts sized to it, the theme.
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.LogFilename = nullptr;
  platform::WindowOptions wo;
  wo.fullscreen = options.width <= 0;
  wo.width = options.width;
  wo.height = options.height;
  // KIOSK_GLES=1 / 0 picks OpenGL ES 3 or desktop OpenGL 3 at run time (the build option sets
  // the default): one binary can be checked on both, and a board's service file can choose.
  if (const char* gles = std::getenv("KIOSK_GLES"); gles && *gles) wo.gles = std::string(gles) != "0";
  auto window_r = platform::WindowGlfw::Create(wo);
  if (!window_r.ok()) {
    std::cerr << "error: " << window_r.error().message << "\n";
    ImGui::DestroyContext();
    return 3;
  }
  std::unique_ptr<platform::WindowGlfw> window = std::move(window_r).value();
  if (script) std::printf("gl: %s\n", window->GlVersion().c_str());  // scripted runs are tests: say what rendered

  // 4. The controller opens the data folder on its worker while the fonts are built here.
  int64_t start = NowMs();
  app::AppController::Options co;
  co.data_dir = options.data_dir;
  platform::WindowGlfw* win = window.get();
  co.wake = [win] { win->Wake(); };
  co.make_http = [] { return platform::MakeCurlHttpClient(); };  // sync with the central, if enrolled
  // The installed kiosk's schedule and retention (/etc/kiosk/kiosk.json); a broken config file
  // is reported by `kiosk doctor` and at start, and the defaults apply meanwhile.
  if (auto config = LoadConfigFromEnvironment(); config.ok()) {
    co.sync_interval_ms = int64_t{config->sync_interval_s} * 1000;
    co.retention_days = config->retention_days;
    co.central_url = config->central_url;  // the admin screen's enrolment form starts from it
    if (!config->source.empty()) {  // a config file was read: its language and idle time-out count
      co.language = config->language;
      co.idle_timeout_s = config->idle_timeout_s;
    }
  } else {
    std::cerr << "warning: " << config.error().message << " (using the default sync interval and retention)\n";
  }
  if (!options.walk_language.empty()) co.language = options.walk_language;
  co.write_labels = options.write_labels;
  auto controller = std::make_unique<app::AppController>(co);
  controller->Start(start);

  UiContext ctx;
  ctx.em = FontSizeFor(window->Width(), window->Height());
  auto fonts = LoadFonts(ctx.em);
  if (!fonts.ok()) {
    std::cerr << "error: " << fonts.error().message << "\n";
    controller.reset();
    window.reset();
    ImGui::DestroyContext();
    return 3;
  }
  ctx.fonts = *fonts;
  io.FontDefault = ctx.fonts.body;
  ApplyTheme(ctx.em);
  ctx.i18n = languages.at("en");
  SetCtx(&ctx);

  // Scanners: the sources kiosk.json configures (libusb, evdev, serial, replay, and the keyboard
  // wedge, which reads this window's keys), built by the composition root (kiosk/main.cpp) and
  // lent here; they deliver into one queue whose wake-up ends the event wait.
  platform::ScanQueue scans([win] { win->Wake(); });
  platform::ScannerSet* scanners = options.scanners;
  const bool beep = options.beep;
  scanners->Start(scans);
  platform::WedgeSource* wedge = scanners->Wedge();
  // Said plainly at start (the journal of the kiosk service) and on the admin screen, live.
  {
    std::string lines = platform::FormatHealth(scanners->Health());
    for (size_t at = 0; (at = lines.find('\n', at)) != std::string::npos; at += 3) lines.replace(at, 1, "\n  ");
    std::cerr << "scanners:\n  " << lines << "\n";
  }
  // The admin screen says it in its own language: a source's name, transport and detail are data.
  auto show_health = [&] {
    const auto health = scanners->Health();
    if (audit)
      for (const auto& i : health) audit->AddData(i.name + " " + i.transport + " " + i.detail);
    controller->SetScannerHealth(platform::FormatHealth(health), HealthLines(health));
  };
  show_health();

  // Every banner (the answer to every scan and action) also beeps, where there is a sound device.
  std::unique_ptr<platform::Beeper> beeper = platform::MakeAlsaBeeper();
  int64_t beeped_serial = 0;

  std::unique_ptr<ScanFifo> fifo;
  if (options.scan_fifo) {
    fifo = std::make_unique<ScanFifo>(*options.scan_fifo, [win] { win->Wake(); });
    if (!fifo->Ok()) {
      std::cerr << "error: cannot open the scan FIFO " << options.scan_fifo->string() << "\n";
      return 2;
    }
  }

  // 5. The loop: sleep until something happens; draw only when something changed.
  ScreensUi screens;
  IntentSink sink;
  int frames_wanted = 3;  // the first frames settle ImGui's layout
  int64_t frames_drawn = 0;
  bool first_frame_traced = false;
  int64_t trace_scan_us = 0, trace_scan_frames = 0, trace_scan_serial = -1;
  int exit_code = 0;
  std::string last_layout;
  bool layout_stable = false;
  bool trim_pending = true;
  // Under systemd (Type=notify, WatchdogSec) the loop reports READY after the first frame and
  // kicks the watchdog at least every half interval, so a hung UI gets restarted.
  platform::SdWatchdog watchdog;
  const int64_t watchdog_wake_ms =
      watchdog.enabled() ? std::max<int64_t>(1000, watchdog.interval().count() / 2000) : -1;
  while (!window->ShouldClose()) {
    watchdog.Kick();
    if (script && script->Done()) {  // also after the last screenshot of a failed script
      exit_code = script->ExitCode();
      break;
    }
    int64_t now = NowMs();
    if (options.exit_after_ms >= 0 && now - start >= options.exit_after_ms) break;
    if (frames_wanted > 0 || (script && script->WantsFrame())) {
      window->PollEvents();
    } else {
      // Going idle after work: hand the pages malloc keeps free (the worker's query results, a
      // screen's old view-model) back to the system, so an idle kiosk holds only what it uses.
      if (trim_pending && controller->Idle()) {
        malloc_trim(0);
        trim_pending = false;
      }
      int64_t deadline = controller->NextDeadlineMs();
      if (auto w = wedge ? wedge->Deadline() : std::nullopt) {  // the wedge decides a pending burst after a pause
        int64_t at = now + std::max<int64_t>(0, *w - window->TimeMs());
        if (deadline < 0 || at < deadline) deadline = at;
      }
      if (script && script->WakeAtMs() >= 0 && (deadline < 0 || script->WakeAtMs() < deadline)) deadline = script->WakeAtMs();
      if (options.exit_after_ms >= 0 && (deadline < 0 || start + options.exit_after_ms < deadline))
        deadline = start + options.exit_after_ms;
      if (watchdog_wake_ms > 0 && (deadline < 0 || now + watchdog_wake_ms < deadline)) deadline = now + watchdog_wake_ms;
      window->WaitEvents(deadline < 0 ? -1.0 : std::max<int64_t>(0, deadline - now) / 1000.0);
    }
    now = NowMs();
    if (window->TakeActivity()) {
      controller->NoteActivity(now);
      frames_wanted = std::max(frames_wanted, 3);
    }
    // Keyboard input: a wedge scanner's bursts become scans; what a person types goes to the
    // focused field (a kiosk with a keyboard attached for service).
    for (const auto& k : window->TakeKeys()) {
      if (!wedge) {  // no wedge configured: keys go straight to the focused field
        if (!k.enter && !k.tab) TypeIntoFocus(ctx, EncodeUtf8(k.codepoint));
        continue;
      }
      std::vector<scan::WedgeEvent> typed =
          k.enter ? wedge->OnKey(scan::WedgeKey::Enter, k.time_ms)
          : k.tab ? wedge->OnKey(scan::WedgeKey::Tab, k.time_ms)
                  : wedge->OnChar(k.codepoint, k.time_ms);
      for (const auto& t : typed) TypeIntoFocus(ctx, t.text);
      frames_wanted = std::max(frames_wanted, typed.empty() ? 0 : 2);
    }
    if (wedge && wedge->Deadline())
      for (const auto& t : wedge->Tick(window->TimeMs())) TypeIntoFocus(ctx, t.text);
    bool scanned = false;
    for (auto& s : scans.DrainScans()) {
      controller->OnScan(s.Raw(), now);
      scanned = true;
    }
    // A scanner plugged, unplugged or failing: logged, and the admin screen's health follows.
    auto scanner_events = scans.DrainEvents();
    for (const auto& e : scanner_events) std::cerr << "scanner " << e.source_id << " " << e.state << ": " << e.message << "\n";
    if (scanned || !scanner_events.empty()) {
      show_health();
      frames_wanted = std::max(frames_wanted, scanner_events.empty() ? 0 : 2);
    }
    if (fifo) {
      for (auto& [s, t] : fifo->Take()) {
        controller->OnScan(std::move(s), now);
        if (options.trace) {
          trace_scan_us = t;
          trace_scan_frames = frames_drawn;
          trace_scan_serial = controller->Vm().banner.serial;
        }
      }
    }
    if (controller->Pump(now)) {
      frames_wanted = std::max(frames_wanted, 2);
      trim_pending = true;
    }
    if (const app::Banner& b = controller->Vm().banner; b.serial != beeped_serial) {
      beeped_serial = b.serial;
      if (beep && b.kind != app::BannerKind::None)
        beeper->Beep(b.kind == app::BannerKind::Error     ? platform::BeepKind::Error
                     : b.kind == app::BannerKind::Warning ? platform::BeepKind::Warning
                                                          : platform::BeepKind::Ok);
    }
    if (controller->Tick(now)) frames_wanted = std::max(frames_wanted, 2);
    if (controller->Vm().language != ctx.i18n.Language()) {
      auto it = languages.find(controller->Vm().language);
      if (it != languages.end()) ctx.i18n = it->second;
      ctx.latin = false;
      frames_wanted = std::max(frames_wanted, 2);
    }
    if (script) {
      script->Advance(now, *controller, ctx, frames_drawn, layout_stable);
      if (script->Done()) {
        exit_code = script->ExitCode();
        break;
      }
    }
    if (frames_wanted <= 0 && !(script && script->WantsFrame())) continue;

    window->NewFrame();
    if (script) script->ApplyMouse(io);
    ImGui::NewFrame();
    ctx.record.Clear();
    ctx.record.language = ctx.i18n.Language();
    DrawRoot(controller->Vm(), screens, sink);
    window->Render();
    if (script && !script->ScreenshotRequest().empty()) {
      std::vector<uint8_t> rgba;
      int w = 0, h = 0;
      if (!window->ReadPixels(rgba, w, h) || !WritePng(script->ScreenshotRequest(), rgba, w, h)) {
        std::cerr << "error: cannot save the screenshot " << script->ScreenshotRequest() << "\n";
        exit_code = 3;
        break;
      }
      std::printf("screenshot %s\n", script->ScreenshotRequest().c_str());
      script->ScreenshotTaken();
    }
    window->Swap();
    ++frames_drawn;
    if (script) {
      std::string layout = ctx.record.Layout();
      layout_stable = layout == last_layout;
      last_layout = std::move(layout);
    }
    --frames_wanted;
    if (frames_drawn == 1) {
      io.Fonts->ClearTexData();  // the atlas is in the GL texture now: free the CPU copies
      platform::SdNotify("READY=1");
    }
    if (options.trace && !first_frame_traced) {
      first_frame_traced = true;
      std::printf("trace first_frame_mono_us %lld\n", static_cast<long long>(MonoUs()));
      std::printf("trace font_atlas %dx%d\n", io.Fonts->TexWidth, io.Fonts->TexHeight);
      std::fflush(stdout);
    }
    if (options.trace && trace_scan_serial >= 0 && controller->Vm().banner.serial != trace_scan_serial) {
      std::printf("trace scan_frame_mono_us %lld delivered_mono_us %lld frames %lld\n", static_cast<long long>(MonoUs()),
                  static_cast<long long>(trace_scan_us), static_cast<long long>(frames_drawn - trace_scan_frames));
      std::fflush(stdout);
      trace_scan_serial = -1;
    }
    for (auto& intent : sink.Take())
      if (controller->Handle(intent, NowMs())) frames_wanted = std::max(frames_wanted, 2);
    // A frame whose widgets changed their own state (a key typed, a field focused) needs another.
    if (ImGui::IsAnyItemActive() || ImGui::IsMouseDown(ImGuiMouseButton_Left) || io.MouseReleased[0])
      frames_wanted = std::max(frames_wanted, 1);
  }
  if (!ctx.i18n.Missing().empty()) {
    for (const auto& k : ctx.i18n.Missing()) std::cerr << "warning: missing translation key \"" << k << "\"\n";
  }

  // 6. Shut down in reverse.
  fifo.reset();
  scanners->Stop();  // gives the scanners' keyboards back to the kernel
  beeper.reset();
  controller.reset();
  SetCtx(nullptr);
  window.reset();
  ImGui::DestroyContext();
  return exit_code;
}

}  // namespace kiosk::ui
