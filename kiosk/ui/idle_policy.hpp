#pragma once
// IdlePolicy: the run loop's decisions about drawing and sleeping, as plain data (hello_imgui's
// idling struct). The loop tells it what happened; it says whether a turn draws a frame and, when
// none is wanted, until when the loop may sleep. Pure: no window, no clock, so
// tests/ui/idle_policy_test.cpp checks it without a window. Owned by RunGui; main thread only.
//
// Never idle when:
//  - the first frames after start settle ImGui's layout (kStartFrames)
//  - a touch or a key arrived: press, release and the settled result (kInputFrames)
//  - something on screen changed: a worker's result, a timer's change (banner expiry, the
//    "Working..." indicator, idle sign-out), the language, an intent, typed text, a scanner
//    plugged, unplugged or failing (kChangeFrames: one to lay out, one to show it settled)
//  - a widget changes its own state: a field active, a finger down or just lifted (kWidgetFrames)
//  - the script driver wants a frame
// Otherwise the loop sleeps until WakeAt() or until an event: a scan, a touch, a worker's result
// and the sync thread each post one (glfwPostEmptyEvent), so none waits for a timer.
#include <algorithm>
#include <cstdint>

namespace kiosk::ui {

struct IdlePolicy {
  static constexpr int kStartFrames = 3;
  static constexpr int kInputFrames = 3;
  static constexpr int kChangeFrames = 2;
  static constexpr int kWidgetFrames = 1;

  int frames_wanted = kStartFrames;  // frames still to draw before the loop may sleep
  bool trim_pending = true;          // work was done since the free pages were last handed back
  bool starting = true;              // start-up's code has not been handed back yet

  void Want(int frames) { frames_wanted = std::max(frames_wanted, frames); }
  void OnInput() { Want(kInputFrames); }
  void OnChange() { Want(kChangeFrames); }
  // A worker's result: shown, and worth a trim once the loop goes idle again.
  void OnResult() {
    Want(kChangeFrames);
    trim_pending = true;
  }
  void OnWidgetBusy() { Want(kWidgetFrames); }
  // Frames the script driver asked for leave no debt: the next change still gets its own frames.
  void FrameDrawn() {
    if (frames_wanted > 0) --frames_wanted;
  }

  // This turn draws a frame (and only polls for events instead of sleeping).
  bool Draws(bool script_wants_frame) const { return frames_wanted > 0 || script_wants_frame; }

  // Going idle after work, with the controller's worker idle too: the moment to hand the pages
  // malloc keeps free back to the system. True once per idle period.
  bool TakeTrim(bool controller_idle) {
    if (!trim_pending || !controller_idle) return false;
    trim_pending = false;
    return true;
  }

  // The first idle period after start: the moment start-up is over, and the pages of code only it
  // ran can go (platform/program_code.hpp). True once, at the first TakeTrim that was true.
  bool TakeStartupOver() {
    if (!starting || trim_pending) return false;
    starting = false;
    return true;
  }

  // What may end a sleep besides an event, in the loop's clock (ms); -1: nothing scheduled.
  struct Wakeups {
    int64_t controller = -1;  // AppController::NextDeadlineMs: banner expiry, "Working...", idle sign-out
    int64_t wedge = -1;       // the keyboard wedge decides a pending burst after a pause
    int64_t script = -1;      // the end of a script's `wait`
    int64_t exit = -1;        // --exit-after
    int64_t watchdog = -1;    // systemd's watchdog, kicked at least every half interval
  };
  // The earliest wake-up; -1 when none is scheduled (sleep until an event).
  static int64_t WakeAt(const Wakeups& w) {
    int64_t at = -1;
    for (int64_t t : {w.controller, w.wedge, w.script, w.exit, w.watchdog})
      if (t >= 0 && (at < 0 || t < at)) at = t;
    return at;
  }
  // Seconds to wait for events (glfwWaitEventsTimeout): -1 for no time-out, 0 for a wake-up
  // already due.
  static double WaitSeconds(int64_t wake_at, int64_t now) {
    return wake_at < 0 ? -1.0 : static_cast<double>(std::max<int64_t>(0, wake_at - now)) / 1000.0;
  }
};

}  // namespace kiosk::ui
