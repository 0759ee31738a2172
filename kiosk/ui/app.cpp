#include "kiosk/ui/app.hpp"

#include <malloc.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <imgui.h>
#include <stb/stb_image_write.h>

#include "kiosk/app/app_controller.hpp"
#include "kiosk/core/assets.hpp"
#include "kiosk/core/config.hpp"
#include "kiosk/core/languages.hpp"
#include "platform/beeper.hpp"
#include "platform/http_client_curl.hpp"
#include "platform/program_code.hpp"
#include "platform/scan_queue.hpp"
#include "platform/scanner_set.hpp"
#include "platform/scanner_wedge.hpp"
#include "platform/sd_notify.hpp"
#include "platform/window_glfw.hpp"
#include "kiosk/ui/i18n_audit.hpp"
#include "kiosk/ui/idle_policy.hpp"
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
    case app::ScreenId::Stocktake: return "screen.stocktake";
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
    case app::ScreenId::Stocktake: DrawStocktake(vm.stocktake, ui.stocktake, sink); break;
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
  for (const char* lang : kLanguageCodes) {
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

  // A scan FIFO (--scan-fifo, tests and benchmarks) that cannot be opened is a bad option.
  for (const auto& i : scanners->Health())
    if (i.id == platform::kScanFifoId && i.state == "error") {
      std::cerr << "error: " << i.detail << "\n";
      return 2;
    }

  // 5. The loop: sleep until something happens; draw only when something changed.
  ScreensUi screens;
  IntentSink sink;
  IdlePolicy idle;  // when to draw, when to sleep and until when (idle_policy.hpp)
  int64_t frames_drawn = 0;
  bool first_frame_traced = false;
  int64_t trace_scan_us = 0, trace_scan_frames = 0, trace_scan_serial = -1;
  int exit_code = 0;
  std::string last_layout;
  bool layout_stable = false;
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
    if (idle.Draws(script && script->WantsFrame())) {
      window->PollEvents();
    } else {
      // Going idle after work: hand the pages malloc keeps free (the worker's query results, a
      // screen's old view-model) back to the system, so an idle kiosk holds only what it uses.
      if (idle.TakeTrim(controller->Idle())) {
        malloc_trim(0);
        // Start-up is over: its code pages leave the resident set (program_code.hpp).
        if (idle.TakeStartupOver()) {
          const platform::ReleasedCode r = platform::ReleaseProgramCode();
          if (options.trace) {
            std::printf("trace released_code_kb %zu segments %zu error %d traced %d\n", r.bytes / 1024, r.segments,
                        r.error, r.traced ? 1 : 0);
            std::fflush(stdout);
          }
        }
      }
      IdlePolicy::Wakeups w;
      w.controller = controller->NextDeadlineMs();
      if (auto d = wedge ? wedge->Deadline() : std::nullopt) w.wedge = now + std::max<int64_t>(0, *d - window->TimeMs());
      if (script) w.script = script->WakeAtMs();
      if (options.exit_after_ms >= 0) w.exit = start + options.exit_after_ms;
      if (watchdog_wake_ms > 0) w.watchdog = now + watchdog_wake_ms;
      window->WaitEvents(IdlePolicy::WaitSeconds(IdlePolicy::WakeAt(w), now));
    }
    now = NowMs();
    if (window->TakeActivity()) {
      controller->NoteActivity(now);
      idle.OnInput();
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
      if (!typed.empty()) idle.OnChange();
    }
    if (wedge && wedge->Deadline())
      for (const auto& t : wedge->Tick(window->TimeMs())) TypeIntoFocus(ctx, t.text);
    bool scanned = false;
    for (auto& s : scans.DrainScans()) {
      controller->OnScan(s.Raw(), now);
      scanned = true;
      if (options.trace && s.source_id == platform::kScanFifoId) {  // bench_gui's scan-to-frame latency
        const auto age = std::chrono::system_clock::now() - s.time;
        trace_scan_us = MonoUs() - std::chrono::duration_cast<std::chrono::microseconds>(age).count();
        trace_scan_frames = frames_drawn;
        trace_scan_serial = controller->Vm().banner.serial;
      }
    }
    // A scanner plugged, unplugged or failing: logged, and the admin screen's health follows.
    auto scanner_events = scans.DrainEvents();
    for (const auto& e : scanner_events) std::cerr << "scanner " << e.source_id << " " << e.state << ": " << e.message << "\n";
    if (scanned || !scanner_events.empty()) {
      show_health();
      if (!scanner_events.empty()) idle.OnChange();
    }
    if (controller->Pump(now)) idle.OnResult();
    if (const app::Banner& b = controller->Vm().banner; b.serial != beeped_serial) {
      beeped_serial = b.serial;
      if (beep && b.kind != app::BannerKind::None)
        beeper->Beep(b.kind == app::BannerKind::Error     ? platform::BeepKind::Error
                     : b.kind == app::BannerKind::Warning ? platform::BeepKind::Warning
                                                          : platform::BeepKind::Ok);
    }
    if (controller->Tick(now)) idle.OnChange();
    if (controller->Vm().language != ctx.i18n.Language()) {
      auto it = languages.find(controller->Vm().language);
      if (it != languages.end()) ctx.i18n = it->second;
      ctx.latin = false;
      idle.OnChange();
    }
    if (script) {
      script->Advance(now, *controller, ctx, frames_drawn, layout_stable);
      if (script->Done()) {
        exit_code = script->ExitCode();
        break;
      }
    }
    if (!idle.Draws(script && script->WantsFrame())) continue;

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
    idle.FrameDrawn();
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
      if (controller->Handle(intent, NowMs())) idle.OnChange();
    // A frame whose widgets changed their own state (a key typed, a field focused) needs another.
    if (ImGui::IsAnyItemActive() || ImGui::IsMouseDown(ImGuiMouseButton_Left) || io.MouseReleased[0])
      idle.OnWidgetBusy();
  }
  if (!ctx.i18n.Missing().empty()) {
    for (const auto& k : ctx.i18n.Missing()) std::cerr << "warning: missing translation key \"" << k << "\"\n";
  }

  // 6. Shut down in reverse.
  scanners->Stop();  // gives the scanners' keyboards back to the kernel
  beeper.reset();
  controller.reset();
  SetCtx(nullptr);
  window.reset();
  ImGui::DestroyContext();
  return exit_code;
}

}  // namespace kiosk::ui
